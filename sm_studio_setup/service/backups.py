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
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from ..aws.grammar import check_role, shown
from ..errors import LIST_BACKUPS, BackupNotFoundError, SetupError
from ..repair.plan import is_ours
from .storage import (
    CONFIG_ENV,
    UnsafeStorageError,
    config_dir,
    private_folder,
    read_json,
    write_json,
)

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


Kind = Literal["trust", "inline"]
Outcome = Literal["pending", "applied", "rolled-back", "restore-failed", "undone"]

_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


def backup_dir() -> Path:
    return config_dir() / "backups"


# The backups' own name for the storage refusal, which callers and tests catch.
UnsafeBackupsError = UnsafeStorageError


def _trusted_folder(create: bool) -> Path:
    return private_folder(backup_dir(), "backup", create=create)


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
    """Write atomically and readable by the user only (``storage.write_json``)."""
    return write_json(path_of(backup.id), backup.to_json(), "backup")


def discard(backup_id: str) -> None:
    path_of(backup_id).unlink(missing_ok=True)


class InvalidBackupError(SetupError):
    code = "invalid_backup"
    http_status = 422


def _read(path: Path) -> Backup:
    """One backup file, refused unless it is the user's own regular file and holds what a
    backup of ours holds: its own id, a role ARN, and only the trust policy and our inline
    policies, each a JSON document (or absent)."""
    backup = Backup.from_json(read_json(path, "backup"))
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


def changed_within(role_arn: str | None, seconds: float) -> bool:
    """Whether this tool wrote to the role (a fix or an undo, whatever its outcome: even a
    rolled-back write reached IAM) in the last ``seconds``: its changes may still be reaching
    other services."""
    if not role_arn:
        return False
    try:
        found = list_backups(role_arn)
    except (SetupError, OSError):
        return False
    now = datetime.now(timezone.utc)
    for backup in found:
        try:
            created = datetime.fromisoformat(backup.created)
        except ValueError:
            continue
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        if (now - created).total_seconds() <= seconds:
            return True
    return False
