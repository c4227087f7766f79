"""A build's primary source, put on disk the way CodeBuild's DOWNLOAD_SOURCE phase does.

An S3 source (AWS CodeBuild API Reference, ProjectSource: ``location`` is ``bucket/key`` or
``arn:aws:s3:::bucket/key`` of a ZIP file) is read from moto's S3 state and unpacked into the
build's fresh source folder. The archive comes from whoever could write to the bucket, so it is
unpacked as untrusted input: entries with absolute paths or ``..`` components (zip slip) make
the whole phase fail before anything is written, symbolic-link entries (Unix mode S_IFLNK in
the high half of ``external_attr``, as Info-ZIP and Python's zipfile store them) are recreated
as links rather than as files holding the target, and nothing is ever written through a link:
a parent that is a link is refused, and files are opened with O_NOFOLLOW.

Failures carry CodeBuild's status code and a message shaped like the ones CodeBuild puts in the
phase context (``CLIENT_ERROR`` for S3 errors, ``YAML_FILE_ERROR`` for a missing buildspec).
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import zipfile
from pathlib import Path

CLIENT_ERROR = "CLIENT_ERROR"
YAML_FILE_ERROR = "YAML_FILE_ERROR"
# What the emulator agrees to write for one source: far beyond any real build context, small
# enough that a zip bomb cannot fill the user's disk.
MAX_UNPACKED_BYTES = 4 * 1024**3
_DRIVE = re.compile(r"^[A-Za-z]:")


class SourceError(Exception):
    def __init__(self, status_code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def s3_bucket_and_key(location: str) -> tuple[str, str]:
    path = location.split(":::", 1)[1] if location.startswith("arn:") else location
    bucket, _, key = path.partition("/")
    return bucket, key


def _entry_parts(name: str) -> list[str]:
    """The path components of a zip entry, or SourceError when it would leave the folder.

    Backslashes count as separators for this check: a zip written on Windows may use them,
    and ``..\\`` must not slip through because Linux would keep it in one file name.
    """
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise SourceError(
            CLIENT_ERROR, f"zip entry {name!r} has an absolute path: refusing to unpack the source"
        )
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(".." in re.split(r"[\\/]", p) for p in parts) or "\0" in name:
        raise SourceError(
            CLIENT_ERROR,
            f"zip entry {name!r} points outside the source directory: refusing to unpack the "
            "source",
        )
    return parts


def _ensure_directory(root: Path, parts: list[str], entry: str) -> Path:
    """Creates ``root/parts...`` one component at a time, never through a symbolic link."""
    current = root
    for part in parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            os.mkdir(current, 0o755)
            continue
        if stat.S_ISLNK(mode):
            raise SourceError(
                CLIENT_ERROR,
                f"zip entry {entry!r} would be written through the symbolic link "
                f"{'/'.join(parts[: parts.index(part) + 1])!r}: refusing to unpack the source",
            )
        if not stat.S_ISDIR(mode):
            raise SourceError(
                CLIENT_ERROR, f"zip entry {entry!r} needs {part!r} to be a directory, not a file"
            )
    return current


def _clear(path: Path) -> None:
    """A later entry of the same name replaces an earlier one, as unzip does."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        raise SourceError(CLIENT_ERROR, f"zip entry {path.name!r} clashes with a directory")
    os.unlink(path)


def unpack_zip(data: bytes, destination: Path) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SourceError(CLIENT_ERROR, "the source is not a valid zip archive") from None
    written = 0
    with archive:
        # Every name is judged before anything is written: a refused archive leaves nothing.
        planned = [(info, _entry_parts(info.filename)) for info in archive.infolist()]
        try:
            for info, parts in planned:
                if not parts:
                    continue
                mode = info.external_attr >> 16
                if info.is_dir():
                    _ensure_directory(destination, parts, info.filename)
                    continue
                parent = _ensure_directory(destination, parts[:-1], info.filename)
                target = parent / parts[-1]
                _clear(target)
                if stat.S_ISLNK(mode):
                    link = archive.read(info)
                    os.symlink(os.fsdecode(link), target)
                    continue
                permissions = (stat.S_IMODE(mode) & 0o777) | 0o600 if mode else 0o644
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                fd = os.open(target, flags, permissions)
                with os.fdopen(fd, "wb") as out, archive.open(info) as member:
                    while chunk := member.read(1024 * 1024):
                        written += len(chunk)
                        if written > MAX_UNPACKED_BYTES:
                            raise SourceError(
                                CLIENT_ERROR,
                                f"the source unpacks to more than {MAX_UNPACKED_BYTES} bytes",
                            )
                        out.write(chunk)
        except SourceError:
            raise
        except (OSError, zipfile.BadZipFile, RuntimeError, EOFError) as exc:
            raise SourceError(CLIENT_ERROR, f"could not unpack the source: {exc}") from None


def read_buildspec_file(src_dir: Path, name: str) -> str:
    """The buildspec named in the project, from the source folder; it must stay inside it."""
    root = src_dir.resolve()
    candidate = src_dir / name
    try:
        resolved = candidate.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        raise SourceError(YAML_FILE_ERROR, "YAML file does not exist") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceError(
                YAML_FILE_ERROR, f"{name}: too many levels of symbolic links"
            ) from None
        raise
    if resolved != root and root not in resolved.parents:
        raise SourceError(
            YAML_FILE_ERROR, f"the buildspec {name} points outside the source directory"
        )
    if not resolved.is_file():
        raise SourceError(YAML_FILE_ERROR, "YAML file does not exist")
    return resolved.read_text(encoding="utf-8", errors="replace")
