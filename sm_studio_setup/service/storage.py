"""The user's own files: backups and build records, kept where only the user may write.

Both are read back and acted on (a backup is restored into IAM, a build record names the
project and zip a restarted server cleans up), so whoever could write one could choose what
the tool does: a folder or file that other users may write to, or a link leading elsewhere,
is refused. Files are written atomically (a crash leaves the old file or the new one, never
half of one) and readable by the user only: they describe the user's account.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from ..errors import SetupError

CONFIG_ENV = "SM_STUDIO_SETUP_CONFIG_DIR"


def config_dir() -> Path:
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sm-studio-setup"


class UnsafeStorageError(SetupError):
    """A folder or file of ours could have been written by someone else."""

    code = "unsafe_storage"
    http_status = 409


def refuse_unsafe(path: Path, what: str, kind: str) -> None:
    """Raise UnsafeStorageError unless ``path`` is the user's own ``what`` ("folder" or
    "file") that no one else may write to; ``kind`` names what it holds ("backup")."""
    info = os.lstat(path)
    problem = ""
    if stat.S_ISLNK(info.st_mode):
        problem = "is a symbolic link"
    elif what == "folder" and not stat.S_ISDIR(info.st_mode):
        problem = "is not a folder"
    elif what == "file" and not stat.S_ISREG(info.st_mode):
        problem = "is not a regular file"
    elif hasattr(os, "getuid") and info.st_uid != os.getuid():
        problem = "belongs to another user"
    elif info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        problem = "may be written by other users"
    if problem:
        raise UnsafeStorageError(
            f"The {kind} {what} {path} {problem}, so what it holds cannot be trusted: nothing "
            "was read from it or written to it.",
            f"Use a folder of your own that only you may write to (chmod 700), or set "
            f"{CONFIG_ENV} to one.",
        )


def private_folder(folder: Path, kind: str, *, create: bool) -> Path:
    """``folder`` (made with mode 0700 when ``create``) after checking it and its parent are
    the user's own."""
    if create:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in (folder.parent, folder):
        if os.path.lexists(path):
            refuse_unsafe(path, "folder", kind)
    return folder


def write_json(path: Path, body: Any, kind: str) -> Path:
    """Write ``body`` as JSON to ``path`` atomically, mode 0600, in a private folder."""
    folder = path.parent
    tmp = ""
    try:
        private_folder(folder, kind, create=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(body, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise SetupError(
            f"Cannot save the {kind} in {folder}: {exc.strerror}.",
            f"Make the folder writable, or set {CONFIG_ENV} to one that is.",
        ) from exc
    return path


def read_json(path: Path, kind: str) -> Any:
    """The JSON in ``path``, which must be the user's own regular file (never a link)."""
    refuse_unsafe(path, "file", kind)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, encoding="utf-8") as opened:
        return json.load(opened)
