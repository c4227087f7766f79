"""The build context: the folder a build sends, as Docker would send it, zipped as it streams.

sm-docker zipped the current folder (not the one given), with its ``.git`` and virtualenvs,
ignoring ``.dockerignore`` and storing every entry uncompressed. Here the folder given is read
with Docker's own rules: ``.dockerignore`` lines are stripped, blank lines and ``#`` comments
dropped, and the patterns matched by docker-py's port of moby's matcher
(``docker.utils.build.exclude_paths``: ``**``, ``!`` exceptions, ``.``/``..`` cleaning), which
also keeps the Dockerfile and ``.dockerignore`` themselves, as Docker sends them to the daemon
whatever the patterns say. Symbolic links travel as links, never as what they point to (a link
to ``~/.aws`` must not upload the credentials); sockets, pipes and devices are left out.

The zip is compressed and produced in pieces while it is uploaded, so memory holds a part or two
whatever the size of the context.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from docker.utils.build import exclude_paths

from ...errors import BadInput

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ContextFile:
    path: str  # relative, with "/" separators
    size: int
    link: str | None = None  # the target, for a symbolic link


@dataclass(frozen=True)
class BuildContext:
    root: Path
    dockerfile: str  # relative to root
    files: tuple[ContextFile, ...]
    ignored: int  # entries .dockerignore left out
    skipped: tuple[str, ...] = field(default_factory=tuple)  # sockets, pipes, devices

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def dockerfile_text(self) -> str:
        return (self.root / self.dockerfile).read_text(encoding="utf-8", errors="replace")


def dockerignore_patterns(root: Path) -> list[str]:
    """The patterns of ``root/.dockerignore`` as Docker reads them."""
    try:
        text = (root / ".dockerignore").read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise BadInput(
            f"Cannot read {root / '.dockerignore'}: {exc.strerror}.", field="context"
        ) from exc
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _count(root: Path) -> int:
    total = 0
    for _, dirs, files in os.walk(root):
        total += len(dirs) + len(files)
    return total


def read_context(path: str, dockerfile: str) -> BuildContext:
    """The files a build of ``path`` sends; one sentence (BadInput) for a folder that is
    missing, not a folder, empty, or without its Dockerfile."""
    root = Path(path).expanduser()
    if not root.exists():
        raise BadInput(f"The build folder {path} does not exist.", field="context")
    if not root.is_dir():
        raise BadInput(
            f"{path} is not a folder: a build takes the folder holding the Dockerfile.",
            field="context",
        )
    root = root.resolve()
    if not any(root.iterdir()):
        raise BadInput(
            f"The build folder {path} is empty: there is nothing to build.", field="context"
        )
    target = (root / dockerfile).resolve()
    if root not in target.parents:
        raise BadInput(
            f"The Dockerfile {dockerfile} is outside the build folder {path}: docker sends only "
            "the folder, so give a path within it.",
            field="dockerfile",
        )
    if not target.is_file():
        raise BadInput(
            f"There is no Dockerfile {dockerfile} in {path}.",
            "Give the build folder that holds it, or name the Dockerfile within it.",
            field="dockerfile",
        )
    relative = target.relative_to(root).as_posix()
    kept = exclude_paths(str(root), dockerignore_patterns(root), dockerfile=relative)
    files: list[ContextFile] = []
    skipped: list[str] = []
    for name in sorted(kept):
        full = root / name
        info = os.lstat(full)
        if stat.S_ISLNK(info.st_mode):
            files.append(ContextFile(Path(name).as_posix(), 0, os.readlink(full)))
        elif stat.S_ISREG(info.st_mode):
            files.append(ContextFile(Path(name).as_posix(), info.st_size))
        elif not stat.S_ISDIR(info.st_mode):
            skipped.append(Path(name).as_posix())
    ignored = _count(root) - len(kept)
    return BuildContext(root, relative, tuple(files), max(0, ignored), tuple(skipped))


class _Sink:
    """What zipfile writes to: chunks handed on as they come, no seeking (so zipfile writes
    data descriptors after each entry instead of going back to patch the header)."""

    def __init__(self) -> None:
        self.pending: list[bytes] = []
        self.written = 0

    def write(self, data: bytes) -> int:
        if data:
            self.pending.append(bytes(data))
            self.written += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        chunk = b"".join(self.pending)
        self.pending.clear()
        return chunk


def zip_chunks(
    context: BuildContext, on_file: Callable[[ContextFile], None] | None = None
) -> Iterator[bytes]:
    """The context as a zip, in the order it is produced: each piece at most about a MB
    beyond what zipfile buffers, so a GB of context never sits in memory."""
    sink = _Sink()
    # Level 1: most of a large context is weights and archives deflate barely shrinks, at a
    # high CPU cost; source and text still shrink to a fraction.
    with zipfile.ZipFile(
        sink, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True
    ) as archive:
        for item in context.files:
            full = context.root / item.path
            if item.link is not None:
                info = zipfile.ZipInfo(item.path)
                info.create_system = 3  # Unix: the mode below is read as st_mode
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, item.link)
            else:
                info = zipfile.ZipInfo.from_file(full, item.path)
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(full, "rb") as source, archive.open(info, "w", force_zip64=True) as out:
                    while block := source.read(_CHUNK):
                        out.write(block)
                        if sink.pending:
                            yield sink.take()
            if on_file is not None:
                on_file(item)
            if sink.pending:
                yield sink.take()
    if sink.pending:
        yield sink.take()
