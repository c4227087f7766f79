"""Backups of the documents a fix or an undo is about to overwrite, one JSON file each.

They live under the user's config folder (``$SM_STUDIO_SETUP_CONFIG_DIR``, else
``$XDG_CONFIG_HOME/sm-studio-setup``, else ``~/.config/sm-studio-setup``), which in Studio is
on the persistent home volume, so an undo still works after the app restarts. Each file holds
the documents' exact text as IAM returned it: restoring writes those bytes back.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import tempfile
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from ..aws.grammar import check_role, shown
from ..errors import LIST_BACKUPS, BackupNotFoundError, SetupError
from ..repair.plan import is_ours

__all__ = [
    "CONFIG_ENV",
    "Backup",
    "BackupNotFoundError",
    "Document",
    "backup_dir",
    "config_dir",
    "discard",
    "list_backups",
    "load",
    "new_id",
    "path_of",
    "save",
]

CONFIG_ENV = "SM_STUDIO_SETUP_CONFIG_DIR"

Kind = Literal["trust", "inline"]
Outcome = Literal["pending", "applied", "rolled-back", "restore-failed", "undone"]

_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


def config_dir() -> Path:
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sm-studio-setup"


def backup_dir() -> Path:
    return config_dir() / "backups"


class UnsafeBackupsError(SetupError):
    """The backups folder, or a file in it, could have been written by someone else."""

    code = "unsafe_backups"
    http_status = 409


def _refuse_unsafe(path: Path, what: str) -> None:
    """A backup is restored into IAM as it is found, so whoever can write one can choose what
    an undo writes: refuse what other users may write to, and links leading elsewhere."""
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
        raise UnsafeBackupsError(
            f"The backup {what} {path} {problem}, so its backups cannot be trusted: nothing "
            "was read from it or written to it.",
            f"Use a folder of your own that only you may write to (chmod 700), or set "
            f"{CONFIG_ENV} to one.",
        )


def _trusted_folder(create: bool) -> Path:
    """The backups folder, made (mode 0700) when ``create``, after checking it and its parent
    are the user's own; raises UnsafeBackupsError otherwise."""
    folder = backup_dir()
    if create:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in (folder.parent, folder):
        if os.path.lexists(path):
            _refuse_unsafe(path, "folder")
    return folder


@dataclass(frozen=True)
class Document:
    """One document a write replaces: its text before and after (None: it does not exist)."""

    kind: Kind
    name: str  # the inline policy's name; "" for the trust policy
    before: str | None
    after: str | None

    @property
    def label(self) -> str:
        return "the trust policy" if self.kind == "trust" else f"inline policy {self.name}"

    def reversed(self) -> Document:
        return replace(self, before=self.after, after=self.before)


@dataclass(frozen=True)
class Backup:
    id: str
    created: str
    role_arn: str
    operation: Literal["fix", "undo"]
    documents: tuple[Document, ...]
    outcome: Outcome = "pending"
    plan_id: str | None = None
    undoes: str | None = None  # for an undo: the backup it restored
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["documents"] = [asdict(d) for d in self.documents]
        body["path"] = str(path_of(self.id))
        return body

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Backup:
        documents = tuple(Document(**d) for d in body["documents"])
        fields = {k: v for k, v in body.items() if k not in ("documents", "path")}
        return cls(documents=documents, **fields)


def new_id(now: datetime | None = None) -> str:
    moment = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return f"{moment}-{secrets.token_hex(3)}"


def path_of(backup_id: str) -> Path:
    return backup_dir() / f"{backup_id}.json"


def save(backup: Backup) -> Path:
    """Write atomically (a crash leaves the old file or the new one, never half of one) and
    readable by the user only: the documents describe their account."""
    folder = backup_dir()
    target = path_of(backup.id)
    tmp = ""
    try:
        _trusted_folder(create=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{backup.id}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(backup.to_json(), out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise SetupError(
            f"Cannot save the backup in {folder}: {exc.strerror}.",
            f"Make the folder writable, or set {CONFIG_ENV} to one that is.",
        ) from exc
    return target


def discard(backup_id: str) -> None:
    path_of(backup_id).unlink(missing_ok=True)


class InvalidBackupError(SetupError):
    code = "invalid_backup"
    http_status = 422


def _read(path: Path) -> Backup:
    """One backup file, refused unless it is the user's own regular file and holds what a
    backup of ours holds: its own id, a role ARN, and only the trust policy and our inline
    policies, each a JSON document (or absent)."""
    _refuse_unsafe(path, "file")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, encoding="utf-8") as opened:
        body = json.load(opened)
    backup = Backup.from_json(body)
    if backup.id != path.stem:
        raise ValueError(f"it names itself {backup.id!r}, not {path.stem!r}")
    check_role(backup.role_arn)
    if not backup.role_arn.startswith("arn:"):
        raise ValueError("its role is not an ARN")
    if backup.operation not in ("fix", "undo") or not backup.documents:
        raise ValueError("it is not a fix's or an undo's backup")
    for document in backup.documents:
        if document.kind == "trust":
            if document.name != "" or document.before is None or document.after is None:
                raise ValueError("its trust policy entry is malformed")
        elif document.kind != "inline" or not is_ours(document.name):
            raise ValueError(f"it names a document this tool never writes ({document.name!r})")
        for text in (document.before, document.after):
            if text is not None and not isinstance(json.loads(text), dict):
                raise ValueError(f"{document.label} is not a JSON policy document")
    return backup


def load(backup_id: str) -> Backup:
    if not _ID.fullmatch(backup_id):
        raise BackupNotFoundError(
            f"{shown(backup_id)} is not a backup id (they look like 20261122T101500Z-3fa2c1).",
            "{command} lists them.",
            command=LIST_BACKUPS,
        )
    _trusted_folder(create=False)
    path = path_of(backup_id)
    try:
        return _read(path)
    except FileNotFoundError as exc:
        raise BackupNotFoundError(
            f"There is no backup {backup_id} in {backup_dir()}.",
            "{command} lists the ones there are.",
            command=LIST_BACKUPS,
        ) from exc
    except UnsafeBackupsError:
        raise
    except SetupError as exc:
        raise InvalidBackupError(
            f"The backup file {path} is not one this tool wrote ({exc.message}): nothing was "
            "restored from it.",
            "Restore the role from a backup you trust, or by hand.",
        ) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidBackupError(
            f"The backup file {path} cannot be used ({exc}): nothing was restored from it.",
            "Restore the role from a backup you trust, or by hand.",
        ) from exc


def list_backups(role_arn: str | None = None) -> list[Backup]:
    """Newest first; files that cannot be read are left out rather than failing the list, but
    a folder others may write to is refused outright."""
    folder = backup_dir()
    if not os.path.lexists(folder):
        return []
    _trusted_folder(create=False)
    found: list[Backup] = []
    for path in folder.glob("*.json"):
        try:
            backup = _read(path)
        except (SetupError, OSError, ValueError, KeyError, TypeError):
            continue
        if role_arn is None or backup.role_arn == role_arn:
            found.append(backup)
    return sorted(found, key=lambda b: b.id, reverse=True)
