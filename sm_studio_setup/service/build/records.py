"""One record per build, a small JSON file beside the backups, and the build's log beside it.

A build outlives the request that started it and the page that shows it: the record says where
it is (its steps before CodeBuild, CodeBuild's phases, its status), what it created (the project
and the uploaded zip, which every path cleans up), and what it made (the image URI and digest).
A restarted server lists the records, follows the builds still running on CodeBuild, and cleans
up after the ones whose server went away. The log is kept as JSON lines, so a reloaded page
reads it again from any line on.

Status uses CodeBuild's vocabulary (IN_PROGRESS, SUCCEEDED, FAILED, FAULT, TIMED_OUT, STOPPED)
plus STOPPING, from the stop request until CodeBuild says STOPPED.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from ...errors import SetupError
from ..options import default_image_name
from ..storage import config_dir, private_folder, read_json, refuse_unsafe, write_json

Status = Literal["IN_PROGRESS", "STOPPING", "SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED"]
FINAL: frozenset[str] = frozenset({"SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED"})
# The steps a build takes before and after CodeBuild runs it, in order.
STEPS = (
    "CHECK",
    "INPUTS",
    "PACKAGE",
    "UPLOAD",
    "PROJECT",
    "START",
    # A build on Studio's own Docker (service/build/local.py) builds and pushes in the space.
    "BUILD",
    "PUSH",
    "IMAGE",
    "ATTACH",
    "CLEANUP",
)

_ID = re.compile(r"^b-\d{8}T\d{6}Z-[0-9a-f]{6}$")
_KIND = "build record"


class BuildNotFoundError(SetupError):
    code = "build_not_found"
    http_status = 404


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_id() -> str:
    moment = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"b-{moment}-{secrets.token_hex(3)}"


def builds_dir() -> Path:
    return config_dir() / "builds"


@dataclass
class Step:
    name: str
    status: str = "IN_PROGRESS"  # IN_PROGRESS, SUCCEEDED, FAILED, STOPPED, SKIPPED
    started: str = field(default_factory=now)
    ended: str | None = None
    detail: str = ""


@dataclass
class BuildRecord:
    id: str
    created: str
    status: str = "IN_PROGRESS"
    message: str = ""
    # preflight, error, interrupted, server-gone: why it ended early; unchanged: an image of
    # exactly these inputs was in ECR already, and nothing was built
    reason: str = ""
    idempotency_key: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    account: str | None = None
    region: str | None = None
    role_arn: str | None = None
    project: str | None = None
    bucket: str | None = None
    key: str | None = None
    uploaded: bool = False
    upload_id: str | None = None  # a multipart upload under way: aborted if left unfinished
    # SecureString parameters holding this build's env= secrets (names only, never a value):
    # deleted with the project.
    secret_parameters: list[str] = field(default_factory=list)
    codebuild_id: str | None = None
    # Where the build runs, once the check has chosen (local, codebuild or sm-docker), and why
    # ("local: ..." / "codebuild: ...", images/engine_choice.py); the options keep what was
    # asked (auto by default).
    engine: str | None = None
    engine_reason: str = ""
    image_uri: str | None = None  # where the image goes; kept only when it got there
    digest: str | None = None
    # The build's inputs (service/build/inputs.py): their digest, and the extra ECR tag the
    # image is pushed with (None when it is not: sm-docker, or an immutable repository that
    # has it already), which every engine pushes next to the requested tag.
    inputs_digest: str | None = None
    inputs_tag: str | None = None
    # With reason "unchanged": the build that made the image ({"build_id", "date"}; build_id
    # None when no record on this machine says), and the requested tag when it was moved to
    # the image (a retag, not a build).
    unchanged_since: dict[str, Any] | None = None
    retagged: str | None = None
    files: int = 0
    context_bytes: int = 0
    ignored: int = 0
    bytes_uploaded: int = 0
    steps: list[Step] = field(default_factory=list)
    phases: list[dict[str, Any]] = field(default_factory=list)  # CodeBuild's, as it says
    current_phase: str | None = None
    log_group: str | None = None
    log_stream: str | None = None
    log_token: str | None = None
    log_lines: int = 0
    preflight: dict[str, Any] | None = None  # the check's report, when it found gaps
    error: dict[str, Any] | None = None  # what stopped it, as SetupError.to_json says
    attach: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    cleaned: bool = False
    ended: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL

    @property
    def made_something(self) -> bool:
        """Whether the build created anything in AWS that its cleanup must delete."""
        return bool(self.project or self.uploaded or self.secret_parameters)

    def step(self, name: str) -> Step:
        for found in self.steps:
            if found.name == name:
                return found
        created = Step(name)
        self.steps.append(created)
        return created

    def to_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["final"] = self.final
        # What Attach offers as the image's name, so no surface re-derives the rule.
        body["image_name"] = default_image_name(self.image_uri) if self.image_uri else None
        return body

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> BuildRecord:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in body.items() if k in known}
        values["steps"] = [Step(**s) for s in values.get("steps", [])]
        return cls(**values)


class Records:
    """The build records of one folder; writes from several threads are serialised."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or builds_dir()
        self._lock = threading.Lock()

    def _path(self, build_id: str, suffix: str) -> Path:
        if not _ID.fullmatch(build_id):
            raise BuildNotFoundError(
                f"{build_id!r} is not a build id (they look like b-20261201T101500Z-3fa2c1).",
                "GET builds lists them.",
            )
        return self.folder / f"{build_id}{suffix}"

    def save(self, record: BuildRecord) -> None:
        with self._lock:
            write_json(self._path(record.id, ".json"), record.to_json(), _KIND)

    def load(self, build_id: str) -> BuildRecord:
        path = self._path(build_id, ".json")
        private_folder(self.folder, _KIND, create=False)
        try:
            return BuildRecord.from_json(read_json(path, _KIND))
        except FileNotFoundError as exc:
            raise BuildNotFoundError(
                f"There is no build {build_id} on this machine.", "GET builds lists them."
            ) from exc
        except (ValueError, TypeError, KeyError) as exc:
            raise SetupError(f"The build record {path} cannot be read: {exc}.") from exc

    def all(self) -> list[BuildRecord]:
        """Every readable record, newest first (unreadable ones are left out)."""
        if not self.folder.exists():
            return []
        private_folder(self.folder, _KIND, create=False)
        found = []
        for path in self.folder.glob("b-*.json"):
            try:
                found.append(BuildRecord.from_json(read_json(path, _KIND)))
            except (SetupError, OSError, ValueError, TypeError, KeyError):
                continue
        return sorted(found, key=lambda r: r.id, reverse=True)

    def append_log(self, build_id: str, lines: list[str]) -> None:
        if not lines:
            return
        path = self._path(build_id, ".log")
        with self._lock:
            private_folder(self.folder, _KIND, create=True)
            if path.exists():
                refuse_unsafe(path, "file", _KIND)
            fd = os.open(
                path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o600
            )
            with os.fdopen(fd, "a", encoding="utf-8") as out:
                for line in lines:
                    out.write(json.dumps(line) + "\n")

    def read_log(self, build_id: str, cursor: int = 0, limit: int = 500) -> tuple[list[str], int]:
        """Lines ``cursor`` to ``cursor + limit`` of the build's log, and the next cursor."""
        path = self._path(build_id, ".log")
        if not path.exists():
            return [], cursor
        refuse_unsafe(path, "file", _KIND)
        lines: list[str] = []
        with open(path, encoding="utf-8") as opened:
            for index, raw in enumerate(opened):
                if index < cursor:
                    continue
                if len(lines) >= limit:
                    break
                try:
                    lines.append(str(json.loads(raw)))
                except ValueError:
                    lines.append(raw.rstrip("\n"))
        return lines, cursor + len(lines)
