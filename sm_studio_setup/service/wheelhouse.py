"""A wheelhouse for domains without internet access: the wheels a lifecycle configuration with
``--source s3`` installs with ``pip install --no-index``.

A VpcOnly domain may reach no package index; AWS's samples install from S3 through an S3
gateway endpoint (docs/ADMINISTRATORS.md). So the administrator runs this where pip reaches an
index (PyPI, or a mirror set in pip's own configuration: PIP_INDEX_URL, pip.conf), uploads the
folder, and points the lifecycle configuration at it.

What goes in: ``sm-studio-setup==<this version>`` and its dependencies, as wheels for CPython
3.10, 3.11 and 3.12 on manylinux x86_64 (Studio's instances are all x86_64; SageMaker
Distribution images are glibc-based, so manylinux_2_17 to manylinux_2_31 wheels run there),
resolved by pip (``pip download --only-binary=:all: --platform ... --python-version ...``).
What is left out, because the image already has it:

- with ``--installed FILE`` (``pip list --format=freeze`` run in a space of the image), pip's
  resolver works against that set: the file is its constraints, so every package the image
  has at a version that fits is resolved to exactly that version, and then left out. Exact;
- without it, the packages SageMaker Distribution is documented to ship in ``/opt/conda``
  (its environment files name them: jupyterlab, jupyter_server, ipywidgets, boto3, botocore,
  pyyaml) are left out; the rest of the closure stays, even what those bring along, which is
  harmless (pip installs nothing it does not need). Not computed: the output says so.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from .. import __version__
from ..errors import BadInput, SetupError
from ..images.lifecycle import PACKAGE

PYTHON_VERSIONS = ("3.10", "3.11", "3.12")
# aws/sagemaker-distribution, build_artifacts/*/env.in: what every image's base environment
# holds of this package's dependencies (and jupyterlab, which brings jupyter_server).
SMD_SHIPS = ("boto3", "botocore", "ipywidgets", "jupyter-server", "jupyterlab", "pyyaml")
# manylinux2014 (pip expands it to manylinux2010 and manylinux1), then each glibc from 2.17
# to 2.31 by name: pip takes a manylinux_2_X platform literally.
PLATFORMS = ("manylinux2014_x86_64", *(f"manylinux_2_{minor}_x86_64" for minor in range(17, 32)))
_FREEZE_LINE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)")
_MAX_INSTALLED = 1_000_000
Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class WheelhouseOptions:
    folder: str
    python_versions: tuple[str, ...] = PYTHON_VERSIONS
    installed: str | None = None  # a `pip list --format=freeze` file of the target image
    s3_uri: str | None = None  # where it will be uploaded (for the commands shown)

    def __post_init__(self) -> None:
        if not self.folder or "\0" in self.folder:
            raise BadInput(f"{self.folder!r} is not a folder.", field="wheelhouse")
        for version in self.python_versions:
            if version not in PYTHON_VERSIONS:
                raise BadInput(
                    f"{version!r} is not a Python of SageMaker Distribution's; expected "
                    f"{', '.join(PYTHON_VERSIONS)}.",
                    field="python_versions",
                )
        if not self.python_versions:
            raise BadInput("No Python version was given.", field="python_versions")
        if self.s3_uri is not None:
            from ..aws.grammar import check_s3_folder

            check_s3_folder(self.s3_uri)


@dataclass(frozen=True)
class Wheelhouse:
    folder: str
    wheels: list[str]  # what the folder holds for the lifecycle configuration
    left_out: list[str]  # what the image already has
    method: Literal["installed", "documented"]
    note: str
    upload: list[str]  # the aws s3 sync command, as argv
    commands: list[list[str]] = field(default_factory=list)  # every pip download run

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _normalised(name: str) -> str:
    # PEP 503: runs of - _ . are one -, case ignored.
    return re.sub(r"[-_.]+", "-", name).lower()


def _wheel_project(filename: str) -> tuple[str, str] | None:
    parts = filename[: -len(".whl")].split("-") if filename.endswith(".whl") else []
    return (_normalised(parts[0]), parts[1]) if len(parts) >= 5 else None


def read_installed(path: str) -> dict[str, str]:
    """``pip list --format=freeze``: project → version (other lines, such as editable or URL
    installs, name nothing pip could download, and are skipped)."""
    try:
        raw = Path(path).expanduser().read_bytes()[:_MAX_INSTALLED]
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(
            f"{path!r} cannot be read: {exc}.",
            "Give the output of `pip list --format=freeze` run in a space of the image.",
            field="installed",
        ) from exc
    found = {
        _normalised(match.group(1)): match.group(2)
        for line in text.splitlines()
        if (match := _FREEZE_LINE.fullmatch(line.strip()))
    }
    if not found:
        raise BadInput(
            f"{path!r} names no installed package (name==version lines).",
            "Give the output of `pip list --format=freeze` run in a space of the image.",
            field="installed",
        )
    return found


def download_argv(python_version: str, folder: str, constraints: str | None) -> list[str]:
    """The ``pip download`` of this version of the package for one Python of the image."""
    abi = "cp" + python_version.replace(".", "")
    platforms = [word for platform in PLATFORMS for word in ("--platform", platform)]
    return [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        "--dest",
        folder,
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        *("--abi", abi, "--abi", "abi3", "--abi", "none"),
        *platforms,
        *(["--constraint", constraints] if constraints else []),
        f"{PACKAGE}=={__version__}",
    ]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def make(
    options: WheelhouseOptions,
    say: Callable[[str], None] | None = None,
    run: Runner = _run,
) -> Wheelhouse:
    folder = Path(options.folder).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"{options.folder!r} cannot be made: {exc}.", field="wheelhouse") from exc
    installed = read_installed(options.installed) if options.installed else None
    commands: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="sm-studio-setup-") as scratch:
        constraints = None
        if installed is not None:
            # Only name==version lines: the file itself may hold what pip cannot read.
            constraints = str(Path(scratch) / "installed.txt")
            Path(constraints).write_text(
                "".join(f"{name}=={version}\n" for name, version in sorted(installed.items())),
                encoding="utf-8",
            )
        for version in options.python_versions:
            if say is not None:
                say(f"pip download {PACKAGE} {__version__} for Python {version}.")
            argv = download_argv(version, str(folder), constraints)
            commands.append(argv)
            done = run(argv)
            if done.returncode != 0:
                raise _failed(done, version, installed is not None)
    left_out: list[str] = []
    wheels: list[str] = []
    for path in sorted(folder.glob("*.whl")):
        project = _wheel_project(path.name)
        if project is not None and _already_there(project, installed):
            path.unlink()
            left_out.append(path.name)
        else:
            wheels.append(path.name)
    if installed is not None:
        method: Literal["installed", "documented"] = "installed"
        note = (
            "Left out what the image has at the version pip resolved to (pip's resolver "
            f"against {options.installed} as constraints)."
        )
    else:
        method = "documented"
        note = (
            "Left out what SageMaker Distribution is documented to ship ("
            + ", ".join(SMD_SHIPS)
            + "); not computed against an image: pass --installed FILE (pip list "
            "--format=freeze from a space of the image) for an exact wheelhouse."
        )
    target = options.s3_uri or "s3://BUCKET/FOLDER/"
    return Wheelhouse(
        folder=str(folder),
        wheels=wheels,
        left_out=left_out,
        method=method,
        note=note,
        upload=["aws", "s3", "sync", str(folder), target],
        commands=commands,
    )


def _already_there(project: tuple[str, str], installed: dict[str, str] | None) -> bool:
    name, version = project
    if name == _normalised(PACKAGE):
        return False
    if installed is None:
        return name in SMD_SHIPS
    return installed.get(name) == version


def _failed(done: subprocess.CompletedProcess[str], version: str, constrained: bool) -> SetupError:
    lines = [line for line in (done.stderr or done.stdout or "").splitlines() if line.strip()]
    last = lines[-1].strip() if lines else f"exit status {done.returncode}"
    hint = "Check that pip reaches a package index here (PIP_INDEX_URL, pip.conf)."
    if constrained:
        hint += (
            " With --installed, the image's versions must be on the index too: leave "
            "--installed out to download the whole closure."
        )
    return SetupError(
        f"pip could not download {PACKAGE} {__version__} for Python {version}: {last}",
        hint,
        field="wheelhouse",
    )
