"""The build context: the folder a build sends, as Docker would send it, zipped as it streams.

sm-docker zipped the current folder (not the one given), with its ``.git`` and virtualenvs,
ignoring ``.dockerignore`` and storing every entry uncompressed. Here the folder given is read
with Docker's own rules (``images/dockerignore.py``, moby's pattern matcher in linear time): an
excluded folder is not walked unless an exception pattern reaches into it, and the Dockerfile
and ``.dockerignore`` are always sent, as Docker sends them to the daemon whatever the patterns
say. Symbolic links travel as links, never as what they point to (a link to ``~/.aws`` must not
upload the credentials); sockets, pipes and devices are left out and never opened.

The folder is hostile input (it may be anyone's git repository): the walk is bounded in entries
and time and can be stopped, a kept name that is not UTF-8 is refused with a sentence (a zip
cannot carry it faithfully), and every file is opened as ``folder.py`` opens files.

The zip is compressed and produced in pieces while it is uploaded, so memory holds a part or two
whatever the size of the context.
"""

from __future__ import annotations

import os
import stat
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from ...errors import BadInput
from ...images.dockerignore import DockerignoreError, Matcher, ParentState
from .folder import (
    MAX_DOCKERFILE,
    build_folder,
    dockerfile_path,
    no_dockerfile,
    open_for_zip,
    read_dockerignore,
    read_regular,
    read_text,
)

_CHUNK = 1 << 20
# A build context of this many entries is a repository's history or a dataset, not an image's
# sources: .dockerignore should leave it out. The time bound covers a slow or hostile file system.
MAX_ENTRIES = 250_000
MAX_SECONDS = 120.0
_CHECK_EVERY = 256


class Flag(Protocol):
    def is_set(self) -> bool: ...


class ContextStopped(Exception):
    """The walk was asked to stop."""


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
    ignored: int  # entries .dockerignore left out (a folder left out counts once)
    skipped: tuple[str, ...] = field(default_factory=tuple)  # sockets, pipes, devices

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def dockerfile_text(self) -> str:
        data = read_regular(
            self.root / self.dockerfile,
            MAX_DOCKERFILE,
            shown=self.dockerfile,
            field="dockerfile",
            what="Dockerfile",
        )
        return read_text(data or b"", shown=self.dockerfile, field="dockerfile", what="Dockerfile")


@dataclass(frozen=True)
class Entry:
    path: str
    kind: Literal["file", "link", "folder", "other"]
    size: int
    link: str | None
    excluded: bool


def matcher_for(root: Path, dockerfile: str) -> Matcher:
    """``.dockerignore``'s patterns, with the Dockerfile and ``.dockerignore`` always kept."""
    text = read_dockerignore(root)
    try:
        return Matcher.from_text(text, always_keep=(dockerfile, ".dockerignore"))
    except DockerignoreError as exc:
        raise BadInput(
            f"{exc}",
            "Correct that line of .dockerignore (docker build would refuse it too).",
            field="context",
        ) from exc


def shown_name(path: str) -> str:
    """A path for a sentence: bytes that are not UTF-8 are shown escaped, never raw."""
    return repr(os.fsencode(path))[2:-1]


def walk(
    root: Path,
    matcher: Matcher,
    *,
    everything: bool = False,
    stop: Flag | None = None,
    max_entries: int = MAX_ENTRIES,
    max_seconds: float = MAX_SECONDS,
) -> Iterator[Entry]:
    """Every entry Docker would look at, in sorted order, marked excluded or not.

    Docker skips an excluded folder unless an exception pattern reaches into it; with
    ``everything`` every folder is walked (to see what a tool ignoring .dockerignore would
    send). Links are never followed."""
    deadline = time.monotonic() + max_seconds
    seen = 0
    pending: list[tuple[str, ParentState | None]] = [("", None)]
    while pending:
        folder, parent = pending.pop()
        try:
            with os.scandir(root / folder if folder else root) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            raise BadInput(
                f"Cannot read the folder {shown_name(folder) or '.'} of the build folder: "
                f"{exc.strerror}.",
                field="context",
            ) from exc
        below: list[tuple[str, ParentState | None]] = []
        for entry in entries:
            seen += 1
            if seen > max_entries:
                raise BadInput(
                    f"The build folder holds more than {max_entries:,} entries: that is a "
                    "repository's history or a data set, not what an image is built from.",
                    "List what the image does not need (.git, virtualenvs, data) in .dockerignore.",
                    field="context",
                )
            if seen % _CHECK_EVERY == 0:
                if stop is not None and stop.is_set():
                    raise ContextStopped()
                if time.monotonic() > deadline:
                    raise BadInput(
                        f"Reading the build folder took over {max_seconds:.0f} s: it is too large "
                        "or on a file system that does not answer.",
                        "List what the image does not need in .dockerignore, or build a smaller "
                        "folder.",
                        field="context",
                    )
            path = f"{folder}/{entry.name}" if folder else entry.name
            excluded, state = matcher.excluded(path, parent)
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # gone since it was listed
            mode = info.st_mode
            if stat.S_ISDIR(mode):
                yield Entry(path, "folder", 0, None, excluded)
                if not excluded or everything or matcher.may_hold_exceptions(path):
                    below.append((path, state))
            elif stat.S_ISLNK(mode):
                yield Entry(path, "link", 0, os.readlink(root / path), excluded)
            elif stat.S_ISREG(mode):
                yield Entry(path, "file", info.st_size, None, excluded)
            else:
                yield Entry(path, "other", 0, None, excluded)
        # Depth first, in name order: the files come out sorted as a listing would show them.
        pending.extend(reversed(below))


def read_context(path: str, dockerfile: str, *, stop: Flag | None = None) -> BuildContext:
    """The files a build of ``path`` sends; one sentence (BadInput) for a folder that is
    missing, not a folder, empty, or without its Dockerfile, for a .dockerignore Docker would
    refuse, and for a kept name that is not UTF-8."""
    root = build_folder(path)
    target = dockerfile_path(root, dockerfile)
    data = read_regular(
        target, MAX_DOCKERFILE, shown=dockerfile, field="dockerfile", what="Dockerfile"
    )
    if data is None:
        raise no_dockerfile(dockerfile, path)
    relative = target.relative_to(root).as_posix()
    matcher = matcher_for(root, relative)
    files: list[ContextFile] = []
    skipped: list[str] = []
    ignored = 0
    for entry in walk(root, matcher, stop=stop):
        if entry.excluded:
            ignored += 1
            continue
        if entry.kind != "folder":
            _utf8(entry.path)
        if entry.kind == "file":
            files.append(ContextFile(entry.path, entry.size))
        elif entry.kind == "link":
            assert entry.link is not None
            _utf8(entry.link, f"The link {entry.path} points to a name that")
            files.append(ContextFile(entry.path, 0, entry.link))
        elif entry.kind == "other":
            skipped.append(entry.path)
    files.sort(key=lambda f: f.path)
    return BuildContext(root, relative, tuple(files), ignored, tuple(skipped))


def _utf8(name: str, what: str = "") -> None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        subject = what or f"The name {shown_name(name)} in the build folder"
        raise BadInput(
            f"{subject} is not UTF-8 text, which the build's zip cannot carry as it is.",
            "Rename it, or list it in .dockerignore.",
            field="context",
        ) from None


def _zip_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    """A zip entry's time: zip counts from 1980 to 2107, so a file dated outside is clamped."""
    moment = time.localtime(min(max(mtime, 315532800.0), 4354819199.0))
    year, month, day, hour, minute, second = moment[:6]
    return (max(year, 1980), month, day, hour, minute, second)


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
    beyond what zipfile buffers, so a GB of context never sits in memory. Each file is read
    up to the size it had when the folder was walked: a file that keeps growing ends there."""
    sink = _Sink()
    # Level 1: most of a large context is weights and archives deflate barely shrinks, at a
    # high CPU cost; source and text still shrink to a fraction.
    with zipfile.ZipFile(
        sink, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True
    ) as archive:
        for item in context.files:
            if item.link is not None:
                info = zipfile.ZipInfo(item.path)
                info.create_system = 3  # Unix: the mode below is read as st_mode
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, item.link)
            else:
                descriptor = open_for_zip(context.root / item.path, shown_name(item.path))
                with os.fdopen(descriptor, "rb") as source:
                    facts = os.fstat(source.fileno())
                    info = zipfile.ZipInfo(item.path, _zip_time(facts.st_mtime))
                    info.create_system = 3
                    info.external_attr = (facts.st_mode & 0xFFFF) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    left = item.size
                    with archive.open(info, "w", force_zip64=True) as out:
                        while left > 0 and (block := source.read(min(_CHUNK, left))):
                            left -= len(block)
                            out.write(block)
                            if sink.pending:
                                yield sink.take()
            if on_file is not None:
                on_file(item)
            if sink.pending:
                yield sink.take()
    if sink.pending:
        yield sink.take()
