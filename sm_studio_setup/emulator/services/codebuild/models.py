"""The record of one emulated build, and what StartBuild settles for the thread that runs it.

StartBuild (``responses.py``) creates a ``BuildRun`` and a ``BuildPlan`` and hands both to a
``runner.BuildRunner``. The runner thread writes the record as phases begin and end, request
threads read it, all under ``lock``. Log lines are kept on the record and copied into moto's
logs backend lazily (``advance_builds``), each with the time it was produced: only request
threads ever touch moto's logs state. The records live on moto's backend objects (``runs``),
so moto's reset forgets them with everything else.

Both sides import this module; it imports neither, which is what keeps the API side and the
runner free of an import cycle. The record knows its runner only as ``Runner``, the two calls
the API side makes on it.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from moto.codebuild.models import CodeBuildBackend, codebuild_backends
from moto.logs.models import logs_backends
from moto.utilities.utils import get_partition

from .phases import EMPTY_CONTEXT

# Indirection so tests could pin time; the planner and every reader use the same clock.
clock: Callable[[], float] = time.time
lock = threading.RLock()


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    session_arn: str  # arn:aws:sts::ACCOUNT:assumed-role/ROLE/AWSCodeBuild-UUID


@dataclass(frozen=True)
class BuildPlan:
    """Everything about a build that StartBuild settled."""

    build_id: str
    build_arn: str
    build_number: int
    account: str
    region: str
    partition: str
    role_arn: str
    credentials: Credentials | None
    credentials_error: str  # why there are no credentials
    source: Mapping[str, Any]
    source_version: str | None
    variables: tuple[Mapping[str, Any], ...]
    image: str
    initiator: str
    start_time: float
    log_group: str | None
    log_stream: str
    fail_phase: str | None
    duration_seconds: float
    timeout_minutes: float
    # PROVISIONING lasts at least this long (AWS: 90 s to 5 minutes), whatever its share.
    provisioning_seconds: float = 0.0


class Runner(Protocol):
    """What the API side asks of the thread that runs a build (``runner.BuildRunner``)."""

    def request_stop(self) -> None: ...

    def shutdown(self, join_timeout: float) -> None: ...


@dataclass
class Phase:
    kind: str
    start: float
    end: float | None  # None while it runs, and for COMPLETED (AWS gives that a start only)
    status: str | None
    contexts: list[dict[str, str]] | None


@dataclass
class _Line:
    at: float
    message: str


def _default_contexts(kind: str) -> list[dict[str, str]] | None:
    # AWS reports no contexts for the phases before a container exists.
    return None if kind in ("SUBMITTED", "QUEUED") else [dict(EMPTY_CONTEXT)]


@dataclass
class BuildRun:
    """What BatchGetBuilds and the build's log show. The runner thread writes it as the build
    happens and request threads read it, all under ``lock``; once ``closed`` (COMPLETED was
    recorded: finished, stopped, timed out) nothing changes it any more."""

    account_id: str
    region: str
    static: dict[str, Any]  # the parts of the Build that do not change over time
    phases: list[Phase]
    log_group: str | None  # None when the project disabled CloudWatch Logs
    log_stream: str
    lines: list[_Line] = field(default_factory=list)
    final_status: str | None = None
    # When the container starts and creates the stream (PROVISIONING, if it may); until then
    # nobody can read a line.
    logs_from: float = float("inf")
    written: int = 0
    stream_created: bool = False
    closed: bool = False
    runner: Runner | None = None
    _last_at: float = 0.0

    def complete_at(self) -> float:
        return self.phases[-1].start

    def current_start(self) -> float:
        return self.phases[-1].start

    def current_kind(self) -> str:
        return self.phases[-1].kind

    # -- written by the runner ---------------------------------------------------------------

    def _stamp(self) -> float:
        # Log events must not go back in time, even if the wall clock does.
        self._last_at = max(clock(), self._last_at)
        return self._last_at

    def start_logs(self) -> None:
        with lock:
            if not self.closed:
                self.logs_from = self.current_start()

    def say(self, text: str) -> None:
        """A ``[Container]`` line of the CodeBuild agent."""
        with lock:
            if not self.closed:
                at = self._stamp()
                self.lines.append(_Line(at, _container(at, text)))

    def output(self, text: str) -> None:
        """A line a command printed."""
        with lock:
            if not self.closed:
                self.lines.append(_Line(self._stamp(), text + "\n"))

    def transition(
        self,
        status: str,
        context: dict[str, str] | None,
        following: str | None,
        *,
        lines: Sequence[str] = (),
        final: str | None = None,
    ) -> bool:
        """Ends the current phase and starts ``following`` at the same instant (or COMPLETED,
        with ``final`` as the build's status); False when the build was closed meanwhile."""
        with lock:
            if self.closed:
                return False
            at = self._stamp()
            self.lines.extend(_Line(at, _container(at, text)) for text in lines)
            current = self.phases[-1]
            current.end, current.status = at, status
            if current.contexts is not None:
                current.contexts = [dict(context or EMPTY_CONTEXT)]
            if following is None:
                self.phases.append(Phase("COMPLETED", at, None, None, None))
                self.final_status = final or status
                self.closed = True
            else:
                self.phases.append(Phase(following, at, None, None, _default_contexts(following)))
            return True

    def interrupt(
        self, status: str, context: dict[str, str], lines: Sequence[str] | None = None
    ) -> bool:
        """Ends the build in its current phase (STOPPED, TIMED_OUT, FAULT); a finished build is
        left as it was."""
        with lock:
            if self.closed:
                return False
            at = self._stamp()
            current = self.phases[-1]
            if lines is None:
                lines = [f"Phase complete: {current.kind} State: {status}"]
            if at >= self.logs_from:
                self.lines.extend(_Line(at, _container(at, text)) for text in lines)
            else:
                self.logs_from = float("inf")  # stopped before the container started
            current.end, current.status = at, status
            if current.contexts is not None:
                current.contexts = [dict(context)]
            self.phases.append(Phase("COMPLETED", at, None, None, None))
            self.final_status = status
            self.closed = True
            return True

    # -- read by requests --------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Copies every log line written by now into moto's logs backend."""
        if self.log_group is None or (self.stream_created and self.written == len(self.lines)):
            return
        if now < self.logs_from:
            return
        logs = logs_backends[self.account_id][self.region]
        if not self.stream_created:
            logs.ensure_log_group(self.log_group)
            logs.ensure_log_stream(self.log_group, self.log_stream)
            self.stream_created = True
        due = [line for line in self.lines[self.written :] if line.at <= now]
        if not due:
            return
        events = [{"timestamp": int(line.at * 1000), "message": line.message} for line in due]
        # Someone deleted the group or stream: AWS would lose these lines too.
        with contextlib.suppress(Exception):
            logs.put_log_events(self.log_group, self.log_stream, events)
        self.written += len(due)

    def snapshot(self, now: float) -> dict[str, Any]:
        """The Build as BatchGetBuilds shows it at ``now`` (logs brought up to date first)."""
        self.advance(now)
        build = copy.deepcopy(self.static)
        shown: list[dict[str, Any]] = []
        for phase in self.phases:
            if phase.start > now:
                break
            item: dict[str, Any] = {"phaseType": phase.kind, "startTime": to_datetime(phase.start)}
            if phase.end is not None and phase.end <= now:
                item["phaseStatus"] = phase.status
                item["endTime"] = to_datetime(phase.end)
                item["durationInSeconds"] = round(phase.end - phase.start)
                if phase.contexts is not None:
                    item["contexts"] = copy.deepcopy(phase.contexts)
            shown.append(item)
        build["phases"] = shown
        build["currentPhase"] = shown[-1]["phaseType"]
        complete = shown[-1]["phaseType"] == "COMPLETED"
        build["buildComplete"] = complete
        build["buildStatus"] = self.final_status if complete else "IN_PROGRESS"
        if complete:
            build["endTime"] = to_datetime(self.complete_at())
        build["logs"] = self._logs_location(now)
        return build

    def _logs_location(self, now: float) -> dict[str, Any]:
        partition = get_partition(self.region)
        s3_logs = {"status": "DISABLED", "encryptionDisabled": False}
        if self.log_group is None:
            return {
                "deepLink": _deep_link(self.region, None, None),
                "cloudWatchLogs": {"status": "DISABLED"},
                "s3Logs": s3_logs,
            }
        if now < self.logs_from:
            # Like AWS before the container starts: no group or stream named yet.
            return {
                "deepLink": _deep_link(self.region, None, None),
                "cloudWatchLogs": {"status": "ENABLED"},
                "s3Logs": s3_logs,
            }
        return {
            "groupName": self.log_group,
            "streamName": self.log_stream,
            "deepLink": _deep_link(self.region, self.log_group, self.log_stream),
            "cloudWatchLogsArn": (
                f"arn:{partition}:logs:{self.region}:{self.account_id}:log-group:"
                f"{self.log_group}:log-stream:{self.log_stream}"
            ),
            "cloudWatchLogs": {"status": "ENABLED"},
            "s3Logs": s3_logs,
        }


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def _deep_link(region: str, group: str | None, stream: str | None) -> str:
    return (
        f"https://console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#logEvent:group={group or 'null'};stream={stream or 'null'}"
    )


def _container(at: float, text: str) -> str:
    stamp = to_datetime(at).strftime("%Y/%m/%d %H:%M:%S.%f")
    return f"[Container] {stamp} {text}\n"


# --- the build records ---------------------------------------------------------------------


def runs(backend: CodeBuildBackend) -> dict[str, BuildRun]:
    # Kept on moto's backend object so that moto's reset forgets the builds too.
    found: dict[str, BuildRun] = backend.__dict__.setdefault("_sm_studio_setup_runs", {})
    return found


def advance_builds(account_id: str, region: str) -> None:
    """Brings the logs of every build in this account and region up to now."""
    try:
        backend = codebuild_backends[account_id][region]
    except KeyError:
        return
    with lock:
        now = clock()
        for run in runs(backend).values():
            run.advance(now)
