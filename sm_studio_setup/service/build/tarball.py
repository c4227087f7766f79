"""The build context as the tar Docker's build API reads, produced in pieces as it is sent.

The same files the CodeBuild engine zips (``context.py``: the folder with its .dockerignore,
links as links, every file opened as ``folder.py`` opens them), in the same order, as a POSIX
tar with PAX headers (long names, large files), owned by root as the docker CLI sends a
context. Uncompressed: it goes over a local socket, where compressing costs more than it saves.
A piece is at most about a megabyte, so a large context never sits in memory.
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Callable, Iterator

from ...errors import BadInput
from .context import BuildContext, ContextFile, shown_name
from .folder import open_for_zip

_CHUNK = 1 << 20
_BLOCK = tarfile.BLOCKSIZE


def _header(info: tarfile.TarInfo) -> bytes:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def tar_chunks(
    context: BuildContext, on_sent: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """The context as a tar, piece by piece. Each file is sent with the size it had when the
    folder was walked (the header said so): one that shrank since is refused, one that grew
    is cut there. ``on_sent`` hears the bytes of each piece."""

    def sent(piece: bytes) -> bytes:
        if on_sent is not None:
            on_sent(len(piece))
        return piece

    for item in context.files:
        if item.link is not None:
            info = tarfile.TarInfo(item.path)
            info.type = tarfile.SYMTYPE
            info.linkname = item.link
            info.mode = 0o777
            yield sent(_header(info))
            continue
        yield from _file(context, item, sent)
    # Two zero blocks end the archive.
    yield sent(b"\0" * (2 * _BLOCK))


def _file(
    context: BuildContext, item: ContextFile, sent: Callable[[bytes], bytes]
) -> Iterator[bytes]:
    shown = shown_name(item.path)
    descriptor = open_for_zip(context.root / item.path, shown)
    with os.fdopen(descriptor, "rb") as source:
        facts = os.fstat(source.fileno())
        info = tarfile.TarInfo(item.path)
        info.size = item.size
        info.mode = stat.S_IMODE(facts.st_mode)
        info.mtime = int(facts.st_mtime)
        header = _header(info)
        left = item.size
        pending = header
        while left > 0:
            block = source.read(min(_CHUNK, left))
            if not block:
                raise BadInput(
                    f"{shown} in the build folder shrank while it was sent to Docker.",
                    "Build again once nothing writes to the folder.",
                    field="context",
                )
            left -= len(block)
            if pending:
                yield sent(pending + block)
                pending = b""
            else:
                yield sent(block)
        if pending:
            yield sent(pending)
    padding = -item.size % _BLOCK
    if padding:
        yield sent(b"\0" * padding)
