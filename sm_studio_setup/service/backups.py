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
import tempfile
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from ..errors import LIST_BACKUPS, BackupNotFoundError, SetupError

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
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
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


def load(backup_id: str) -> Backup:
    if not _ID.fullmatch(backup_id):
        raise BackupNotFoundError(
            f"'{backup_id}' is not a backup id (they look like 20261122T101500Z-3fa2c1).",
            "{command} lists them.",
            command=LIST_BACKUPS,
        )
    path = path_of(backup_id)
    try:
        return Backup.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise BackupNotFoundError(
            f"There is no backup {backup_id} in {backup_dir()}.",
            "{command} lists the ones there are.",
            command=LIST_BACKUPS,
        ) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SetupError(f"The backup file {path} cannot be read: {exc}.", "") from exc


def list_backups(role_arn: str | None = None) -> list[Backup]:
    """Newest first; files that cannot be read are left out rather than failing the list."""
    folder = backup_dir()
    found: list[Backup] = []
    for path in folder.glob("*.json") if folder.is_dir() else []:
        try:
            backup = Backup.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if role_arn is None or backup.role_arn == role_arn:
            found.append(backup)
    return sorted(found, key=lambda b: b.id, reverse=True)
