"""A fuzz test of what a build reads: random `.dockerignore` contents against random folder
shapes (links inside, outside, dangling and to devices, named pipes, folders, names with spaces,
line breaks, other scripts and bytes that are not UTF-8). Each case must end within its time
bound, with the context or one sentence, never another exception; and what it sends is exactly
what Docker's rules keep, never a link's target and never a special file."""

from __future__ import annotations

import io
import os
import tempfile
import time
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sm_studio_setup.errors import BadInput
from sm_studio_setup.images.dockerignore import DockerignoreError, Matcher
from sm_studio_setup.service.build.context import read_context, zip_chunks
from sm_studio_setup.service.build.smdocker import preflight
from sm_studio_setup.service.options import BuildOptions

# Each case walks a few dozen entries: anything near this bound is a hang or a blow-up.
BOUND_SECONDS = 2.0

NAMES = st.one_of(
    st.sampled_from(
        ["a", "b", "ab", "a.md", "README.md", "x.py", ".git", "node_modules", "data", "keep"]
    ),
    st.text(
        alphabet=st.sampled_from([*"ab.-_ *?[]!#\\\n", "é", "名", "\u202e"]),
        min_size=1,
        max_size=8,
    ).filter(lambda n: n not in (".", "..") and "/" not in n),
    st.binary(min_size=1, max_size=6)
    .filter(lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b".."))
    .map(os.fsdecode),
)
KINDS = st.sampled_from(
    [
        "file",
        "file",
        "file",
        "folder",
        "link-inside",
        "link-outside",
        "link-dangling",
        "link-dev",
        "fifo",
    ]
)
ENTRY = st.tuples(st.lists(NAMES, min_size=1, max_size=3), KINDS)
PATTERN = st.one_of(
    st.sampled_from(
        [
            "*",
            "!keep",
            "**/*.md",
            "data/",
            ".git",
            "a*",
            "!a/b",
            "*/*",
            "[ab]",
            "[^a]*",
            "**",
            "?",
            "/a",
            "a/../b",
            "*a" * 24 + "b",
            "[z-a]",
            "[unclosed",
            "!",
            "\\",
            "# comment",
            "",
        ]
    ),
    st.text(alphabet=st.sampled_from(list("ab*?[]!/\\.^- ")), max_size=12),
)
DOCKERIGNORE = st.one_of(
    st.lists(PATTERN, max_size=8).map("\n".join),
    st.sampled_from(["fifo", "dev-zero", "folder", "link-outside"]),
)


def _make(root: Path, outside: Path, entries: list[tuple[list[str], str]], ignore: str) -> None:
    (root / "Dockerfile").write_text("FROM scratch\n")
    for parts, kind in entries:
        path = root.joinpath(*parts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if os.path.lexists(path):
                continue
            if kind == "file":
                path.write_bytes(b"data " + os.fsencode(parts[-1]))
            elif kind == "folder":
                path.mkdir()
            elif kind == "link-inside":
                os.symlink("Dockerfile", path)
            elif kind == "link-outside":
                os.symlink(outside, path)
            elif kind == "link-dangling":
                os.symlink("nowhere/at/all", path)
            elif kind == "link-dev":
                os.symlink("/dev/zero", path)
            else:
                os.mkfifo(path)
        except (FileExistsError, NotADirectoryError):
            continue  # a name already used by another kind of entry
    special = {"fifo": os.mkfifo, "folder": os.mkdir}
    target = root / ".dockerignore"
    if ignore in special:
        special[ignore](target)
    elif ignore == "dev-zero":
        os.symlink("/dev/zero", target)
    elif ignore == "link-outside":
        os.symlink(outside, target)
    else:
        target.write_text(ignore, encoding="utf-8", errors="surrogateescape")


@settings(
    max_examples=150,
    deadline=None,  # the bound below is per case and includes the folder's creation
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(entries=st.lists(ENTRY, max_size=12), ignore=DOCKERIGNORE)
def test_any_folder_and_dockerignore_ends_in_time_with_the_context_or_a_sentence(
    entries: list[tuple[list[str], str]], ignore: str
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        outside = Path(scratch) / "credentials"
        outside.write_text("aws_secret_access_key = never-sent")
        root = Path(scratch) / "ctx"
        root.mkdir()
        _make(root, outside, entries, ignore)
        started = time.monotonic()
        try:
            context = read_context(str(root), "Dockerfile")
        except BadInput as refused:
            assert refused.message and "\n" not in refused.message
            assert time.monotonic() - started < BOUND_SECONDS
            return
        data = b"".join(zip_chunks(context))
        assert time.monotonic() - started < BOUND_SECONDS
        assert b"never-sent" not in data

        archive = zipfile.ZipFile(io.BytesIO(data))
        assert sorted(archive.namelist()) == sorted(f.path for f in context.files)
        sent = {f.path for f in context.files}
        assert {"Dockerfile"} <= sent
        text = (root / ".dockerignore").read_text(encoding="utf-8", errors="surrogateescape")
        try:
            matcher = Matcher.from_text(text, always_keep=("Dockerfile", ".dockerignore"))
        except DockerignoreError:
            raise AssertionError("a .dockerignore Docker refuses was accepted") from None
        for item in context.files:
            full = root / item.path
            kind = os.lstat(full).st_mode
            assert item.link is not None or (os.path.isfile(full) and not os.path.islink(full))
            assert not matcher.excluded(item.path)[0], item.path  # Docker would not send it
            if item.link is not None:
                assert archive.read(item.path) == os.fsencode(os.readlink(full))
            assert kind  # lstat worked: nothing sent vanished or is a special file

        # sm-docker may not zip what the walk would have to follow or skip: its check ends in
        # time too, and refuses every folder that holds a link, a pipe or an ignored file.
        started = time.monotonic()
        try:
            preflight(
                BuildOptions(context=str(root), engine="sm-docker"), root.resolve(), "Dockerfile"
            )
            passed = True
        except BadInput:
            passed = False
        assert time.monotonic() - started < BOUND_SECONDS
        if passed:
            assert all(f.link is None for f in context.files)
