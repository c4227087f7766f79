"""CodeBuild calls of a build: the project, the build, its status and its log.

Everything here goes through the session's clients and turns botocore failures into one
sentence (``translate``). AccessDenied is told apart, because a build that the preflight said
may start can still be refused (an SCP, a permission that was unknown).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from .session import client, error_code, translate

FINAL = frozenset({"SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED"})
# CodeBuild's build phases, in the order a build passes them (BatchGetBuilds' phaseType).
PHASES = (
    "SUBMITTED",
    "QUEUED",
    "PROVISIONING",
    "DOWNLOAD_SOURCE",
    "INSTALL",
    "PRE_BUILD",
    "BUILD",
    "POST_BUILD",
    "UPLOAD_ARTIFACTS",
    "FINALIZING",
    "COMPLETED",
)


def create_project(session: Any, **project: Any) -> dict[str, Any]:
    try:
        found: dict[str, Any] = client(session, "codebuild").create_project(**project)["project"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise translate(exc, f"creating CodeBuild project {project.get('name')}") from exc
    return found


def delete_project(session: Any, name: str) -> str | None:
    """Delete the project; None, or why it could not be (never raises: it runs on the way
    out of every path, and must not hide what ended the build)."""
    try:
        client(session, "codebuild").delete_project(name=name)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        return str(translate(exc, f"deleting CodeBuild project {name}"))
    return None


def start_build(session: Any, project: str, idempotency_token: str) -> dict[str, Any]:
    """StartBuild; the token makes a repeated request (a retry after a lost answer) start no
    second build."""
    try:
        build: dict[str, Any] = client(session, "codebuild").start_build(
            projectName=project, idempotencyToken=idempotency_token
        )["build"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise translate(exc, f"starting the build of project {project}") from exc
    return build


def get_build(session: Any, build_id: str) -> dict[str, Any] | None:
    try:
        answer = client(session, "codebuild").batch_get_builds(ids=[build_id])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise translate(exc, f"reading build {build_id}") from exc
    builds: list[dict[str, Any]] = answer.get("builds") or []
    return builds[0] if builds else None


def stop_build(session: Any, build_id: str) -> str | None:
    """StopBuild; None, or why it could not be stopped."""
    try:
        client(session, "codebuild").stop_build(id=build_id)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return str(translate(exc, f"stopping build {build_id}"))
    return None


@dataclass
class LogTail:
    """Reads a build's log from where it left off: GetLogEvents from the head, then with the
    forward token. A log group that does not exist (yet, or ever) is no error: the tail simply
    has nothing, and ends when the build does (sm-docker waited for it for ever)."""

    group: str
    stream: str
    token: str | None = None

    def read(self, session: Any) -> Iterator[str]:
        logs = client(session, "logs")
        while True:
            kwargs: dict[str, Any] = {
                "logGroupName": self.group,
                "logStreamName": self.stream,
                "startFromHead": True,
            }
            if self.token:
                kwargs["nextToken"] = self.token
            try:
                answer = logs.get_log_events(**kwargs)
            except botocore.exceptions.ClientError as exc:
                if error_code(exc) == "ResourceNotFoundException":
                    return
                raise translate(exc, f"reading the build log {self.group}") from exc
            except botocore.exceptions.BotoCoreError as exc:
                raise translate(exc, f"reading the build log {self.group}") from exc
            for event in answer.get("events") or []:
                yield str(event.get("message", "")).rstrip("\n")
            following = answer.get("nextForwardToken")
            if not following or following == self.token:
                return
            self.token = following
