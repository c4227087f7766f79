"""A build context as the daemon receives it: a tar (plain, gzip, bzip2 or xz), read once as
a stream and never extracted.

What the stand-in keeps of it: each regular file's and link's SHA-256 (a link's of its target:
links are never followed), the folders, and the bytes of the few files the build reads (the
Dockerfile, ``.dockerignore``). A hard link counts as the earlier file it names.

The daemon itself would extract whatever the tar holds; the stand-in is stricter, as bounds on
what it reads: members must be regular files, folders, symbolic links or hard links to an
earlier file, with relative names free of ``..`` (anything else is refused, 400), at most
``MAX_MEMBERS`` of them holding at most ``MAX_UNPACKED_BYTES``, and no extended header above
``MAX_HEADER_BYTES`` (tarfile would read one whole into memory).
"""

from __future__ import annotations

import hashlib
import posixpath
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from .wire import HttpError

MAX_MEMBERS = 200_000
MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_HEADER_BYTES = 1024 * 1024
MAX_NAME_LENGTH = 4096
MAX_KEPT_BYTES = 4 * 1024 * 1024  # a Dockerfile or .dockerignore larger than this is refused
_READ = 1024 * 1024
_EXTENDED = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, *tarfile.GNU_TYPES)


class _BoundedTarInfo(tarfile.TarInfo):
    """Refuses an extended header (pax, GNU long name, sparse map) before tarfile reads it."""

    def _proc_member(self, tarfile_: tarfile.TarFile) -> Any:
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise tarfile.HeaderError("sparse files are not accepted")
        if self.type in _EXTENDED and self.size > MAX_HEADER_BYTES:
            raise tarfile.HeaderError(f"an extended header of {self.size} bytes")
        return super()._proc_member(tarfile_)  # type: ignore[misc]


@dataclass
class Context:
    files: dict[str, str] = field(default_factory=dict)  # path -> SHA-256 hex
    folders: set[str] = field(default_factory=set)
    kept: dict[str, bytes] = field(default_factory=dict)

    def has(self, path: str) -> bool:
        """Whether ``path`` is a file, link or folder of the context (the root always is)."""
        if path in ("", "."):
            return True
        return path in self.files or path in self.folders

    def paths(self) -> Iterable[str]:
        yield from self.files
        yield from self.folders

    def remove(self, path: str) -> None:
        self.files.pop(path, None)


def member_name(raw: str) -> str:
    """A member's name as a path relative to the context root; ValueError when it could
    reach outside it (absolute, ``..``) or is not a plain name."""
    if "\x00" in raw or len(raw) > MAX_NAME_LENGTH:
        raise ValueError(f"member name {raw[:200]!r} is not a plain name")
    if raw.startswith("/"):
        raise ValueError(f"member {raw[:200]!r} has an absolute name")
    if ".." in raw.split("/"):
        raise ValueError(f"member {raw[:200]!r} names a parent folder")
    name = posixpath.normpath(raw)
    return "" if name == "." else name


def read_context(body: IO[bytes], keep: Iterable[str]) -> Context:
    """The context ``body`` holds; the files named in ``keep`` are kept whole."""
    wanted = set(keep)
    context = Context()
    unpacked = 0
    try:
        with tarfile.open(fileobj=body, mode="r|*", tarinfo=_BoundedTarInfo) as archive:
            for count, member in enumerate(archive, start=1):
                if count > MAX_MEMBERS:
                    raise _refused(f"more than {MAX_MEMBERS} members")
                try:
                    name = member_name(member.name)
                except ValueError as exc:
                    raise _refused(str(exc)) from None
                if member.isdir():
                    if name:
                        context.folders.add(name)
                elif member.issym():
                    context.files[name] = hashlib.sha256(member.linkname.encode()).hexdigest()
                elif member.islnk():
                    try:
                        target = member_name(member.linkname)
                    except ValueError as exc:
                        raise _refused(f"hard link {name!r}: {exc}") from None
                    if target not in context.files:
                        raise _refused(f"hard link {name!r} names no earlier file")
                    context.files[name] = context.files[target]
                    if target in context.kept:
                        context.kept[name] = context.kept[target]
                elif member.isreg():
                    unpacked += member.size
                    if unpacked > MAX_UNPACKED_BYTES:
                        raise _refused(f"more than {MAX_UNPACKED_BYTES // 1024**3} GiB unpacked")
                    digest, data = _digest(archive, member, keep=name in wanted)
                    context.files[name] = digest
                    if data is not None:
                        context.kept[name] = data
                else:
                    raise _refused(
                        f"member {name!r} is not a regular file, folder or link (the emulator "
                        "takes no devices, pipes or sockets)"
                    )
    except HttpError:
        raise
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        # The daemon's own words when the archive cannot be read (moby pkg/chrootarchive).
        raise HttpError(500, f"Error processing tar file: {exc}") from None
    return context


def _digest(
    archive: tarfile.TarFile, member: tarfile.TarInfo, *, keep: bool
) -> tuple[str, bytes | None]:
    handle = archive.extractfile(member)
    digest = hashlib.sha256()
    kept = bytearray() if keep else None
    if handle is not None:
        while chunk := handle.read(_READ):
            digest.update(chunk)
            if kept is not None:
                if len(kept) + len(chunk) > MAX_KEPT_BYTES:
                    raise _refused(
                        f"{member.name!r} is larger than {MAX_KEPT_BYTES // 1024**2} MiB"
                    )
                kept += chunk
    return digest.hexdigest(), bytes(kept) if kept is not None else None


def _refused(reason: str) -> HttpError:
    return HttpError(400, f"the emulator's Docker refuses the build context: {reason}")
