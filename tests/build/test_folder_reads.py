"""Every file the product reads from a user's folder is a regular file inside it, read with a
cap, or refused with one sentence: a FIFO never holds a thread, /dev/zero never fills memory,
and a path leading outside the folder is refused the same way whether or not it exists."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sm_studio_setup.errors import BadInput
from sm_studio_setup.service.attach import _dockerfile_text
from sm_studio_setup.service.build.context import read_context, zip_chunks
from sm_studio_setup.service.build.engine import local_preflight
from sm_studio_setup.service.options import AttachOptions, BuildOptions
from sm_studio_setup.surfaces.arguments import _dockerfile_images

from .support import build_folder

# Every refusal below must come well within this: the old code blocked for ever on a FIFO.
BOUND = 5.0


def bounded(call: Callable[[], object]) -> BaseException | None:
    """Run ``call`` in a thread; what it raised (None if it returned), failing the test if it
    takes longer than BOUND (a FIFO read would block it for ever)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(BOUND)
    assert not worker.is_alive(), f"still reading after {BOUND} s"
    assert time.monotonic() - started < BOUND
    return outcome[0]


def refused(call: Callable[[], object], *words: str) -> BadInput:
    exc = bounded(call)
    assert isinstance(exc, BadInput), exc
    for word in words:
        assert word in exc.message, exc.message
    return exc


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


# (what the folder holds instead of a Dockerfile or .dockerignore, the words of the refusal)
SPECIAL = [
    pytest.param(lambda p: fifo(p), "named pipe", id="fifo"),
    pytest.param(lambda p: os.symlink("/dev/zero", p), "outside the build folder", id="/dev/zero"),
    pytest.param(lambda p: p.mkdir(), "a folder", id="a folder"),
]


@pytest.mark.parametrize(("make", "words"), SPECIAL)
def test_a_special_dockerfile_is_refused_by_every_reader(
    tmp_path: Path, make: Callable[[Path], object], words: str
) -> None:
    folder = tmp_path / "ctx"
    folder.mkdir()
    (folder / "app.py").write_text("x")
    make(folder / "Dockerfile")
    readers: list[Callable[[], object]] = [
        lambda: read_context(str(folder), "Dockerfile"),
        lambda: local_preflight(BuildOptions(context=str(folder))),
        lambda: _dockerfile_text(
            AttachOptions(
                image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/r:t",
                image_name="r",
                context=str(folder),
            )
        ),
        lambda: _dockerfile_images(str(folder / "Dockerfile")),
    ]
    for reader in readers:
        error = refused(reader)
        # The CLI's --dockerfile names any file of the user's: there a link to /dev/zero is
        # followed and then refused as a device, not as outside a folder.
        assert words in error.message or "a device" in error.message, error.message


@pytest.mark.parametrize(("make", "words"), SPECIAL)
def test_a_special_dockerignore_is_refused(
    tmp_path: Path, make: Callable[[Path], object], words: str
) -> None:
    folder = build_folder(tmp_path / "ctx")
    make(folder / ".dockerignore")
    refused(lambda: read_context(str(folder), "Dockerfile"), words)


def test_a_huge_dockerfile_is_refused_unread(tmp_path: Path) -> None:
    folder = build_folder(tmp_path / "ctx")
    with open(folder / "Dockerfile", "wb") as big:
        big.truncate(50 * 1024 * 1024)  # sparse: reading it whole would take 50 MB
    refused(lambda: local_preflight(BuildOptions(context=str(folder))), "over 1,048,576 bytes")


@pytest.mark.parametrize("exists", [True, False], ids=["outside file exists", "it does not"])
def test_a_dockerfile_outside_the_folder_is_refused_alike_whether_or_not_it_exists(
    tmp_path: Path, exists: bool
) -> None:
    folder = build_folder(tmp_path / "served" / "ctx")
    outside = tmp_path / "outside" / "Dockerfile"
    if exists:
        outside.parent.mkdir()
        outside.write_text("FROM secret.example.com/internal:1\nUSER root\n")
    messages = set()
    for name in ("../../outside/Dockerfile", str(outside), "/dev/zero"):
        error = refused(
            lambda n=name: local_preflight(BuildOptions(context=str(folder), dockerfile=n))
        )
        assert error.field == "dockerfile"
        assert "secret.example.com" not in error.message
        messages.add(error.message.replace(name, "NAME"))
    assert len(messages) == 1  # the same sentence: nothing about the outside file shows


def test_a_link_inside_the_folder_to_a_file_outside_is_outside(tmp_path: Path) -> None:
    folder = build_folder(tmp_path / "ctx")
    secret = tmp_path / "credentials"
    secret.write_text("aws_secret_access_key = x")
    os.symlink(secret, folder / "Dockerfile.real")
    refused(
        lambda: local_preflight(BuildOptions(context=str(folder), dockerfile="Dockerfile.real")),
        "outside the build folder",
    )


def test_a_file_turned_into_a_fifo_after_the_walk_is_refused_by_the_zip(tmp_path: Path) -> None:
    folder = build_folder(tmp_path / "ctx")
    context = read_context(str(folder), "Dockerfile")
    (folder / "app.py").unlink()
    fifo(folder / "app.py")
    refused(lambda: b"".join(zip_chunks(context)), "stopped being a file")


def test_a_file_that_grows_after_the_walk_is_zipped_as_it_was(tmp_path: Path) -> None:
    import io
    import zipfile

    folder = build_folder(tmp_path / "ctx")
    context = read_context(str(folder), "Dockerfile")
    with open(folder / "app.py", "a") as grow:
        grow.write("x" * 10_000)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(zip_chunks(context))))
    assert archive.read("app.py") == b"print('hello')\n"


def test_a_name_that_is_not_utf8_is_a_sentence_not_a_crash(tmp_path: Path) -> None:
    folder = build_folder(tmp_path / "ctx")
    os.close(os.open(os.fsencode(folder) + b"/caf\xe9.txt", os.O_CREAT | os.O_WRONLY, 0o644))
    error = refused(lambda: read_context(str(folder), "Dockerfile"), "not UTF-8", "caf\\xe9.txt")
    assert "\udce9" not in error.message
    # Left out by .dockerignore, it is never looked at.
    (folder / ".dockerignore").write_text("caf*\n")
    assert {f.path for f in read_context(str(folder), "Dockerfile").files} == {
        ".dockerignore",
        "Dockerfile",
        "app.py",
    }
