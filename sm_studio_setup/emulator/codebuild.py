"""CodeBuild (and its CloudWatch Logs output) made to behave like AWS inside moto.

moto 5.2 reports every build SUCCEEDED on the first poll, appends its phases again on every
poll, writes no logs and runs nothing. Here a started build really runs its buildspec
(``runner.py``, one daemon thread per build, with stand-ins for ``docker`` and ``aws``), moves
through AWS's phase sequence as it does so (AWS CodeBuild User Guide, "Build phase
transitions"), writes ``[Container]`` lines and the commands' output to
``/aws/codebuild/<project>``, can be made to fail, honours StopBuild and timeoutInMinutes, and
CreateProject/UpdateProject check the service role's trust policy (and the caller's
``iam:PassRole`` when enforcement is on).

This module is the API side: it validates projects, records each build (``_BuildRun``) and
answers StartBuild, BatchGetBuilds and StopBuild from that record. The runner thread writes the
record as phases begin and end, request threads read it, all under one lock. Log lines are kept
on the record and copied into moto's logs backend lazily, on every CodeBuild call and before
every Logs read (GetLogEvents, FilterLogEvents, DescribeLogStreams, ...), each with the time it
was produced: only request threads ever touch moto's logs state, and no client can tell the
difference, since nobody observes a log line without making a request that first brings the
logs up to date. The records live on moto's backend objects, and moto's reset first ends every
build it forgets (processes, thread, temporary folder).
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from moto.codebuild.exceptions import (
    InvalidInputException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from moto.codebuild.models import CodeBuild, CodeBuildBackend, codebuild_backends
from moto.codebuild.responses import (
    CodeBuildResponse,
    _validate_required_params_artifacts,
    _validate_required_params_environment,
    _validate_required_params_project_name,
    _validate_required_params_service_role,
    _validate_required_params_source,
)
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.logs.models import LogsBackend, logs_backends
from moto.moto_api._internal import mock_random
from moto.utilities.utils import get_partition

from sm_studio_setup.aws.codebuild import PHASES as PHASES
from sm_studio_setup.emulator import access
from sm_studio_setup.emulator.buildspec import COMMAND_PHASES as COMMAND_PHASES

if TYPE_CHECKING:
    from .runner import BuildRunner, Credentials

# SUBMITTED and QUEUED happen before any container exists, COMPLETED is not a step.
FAILABLE_PHASES = PHASES[2:-1]
FAIL_PHASE_VARIABLE = "SM_EMULATOR_FAIL_PHASE"
CODEBUILD_PRINCIPAL = "codebuild.amazonaws.com"

# Relative phase lengths, roughly those of a small docker build on CodeBuild. SUBMITTED is 0
# because AWS reports it with durationInSeconds 0 and StartBuild already answers in QUEUED.
_WEIGHTS = {
    "SUBMITTED": 0.0,
    "QUEUED": 1.0,
    "PROVISIONING": 3.0,
    "DOWNLOAD_SOURCE": 1.0,
    "INSTALL": 1.0,
    "PRE_BUILD": 2.0,
    "BUILD": 6.0,
    "POST_BUILD": 2.0,
    "UPLOAD_ARTIFACTS": 0.5,
    "FINALIZING": 1.5,
}
# What still runs after a failed phase (AWS: POST_BUILD and UPLOAD_ARTIFACTS are attempted
# after a BUILD failure; any earlier failure goes straight to FINALIZING).
_AFTER_FAILURE = {
    "BUILD": ("POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING"),
    "POST_BUILD": ("UPLOAD_ARTIFACTS", "FINALIZING"),
    "UPLOAD_ARTIFACTS": ("FINALIZING",),
    "FINALIZING": (),
}
_EMPTY_CONTEXT = {"statusCode": "", "message": ""}


@dataclass
class BuildSettings:
    duration_seconds: float = 20.0
    fail_phase: str | None = None


settings = BuildSettings()

# Indirection so tests could pin time; the planner and every reader use the same clock.
_clock: Callable[[], float] = time.time
_lock = threading.RLock()


def configure(
    duration_seconds: float | None = None, fail_phase: str | None = None
) -> BuildSettings:
    """Change how the next builds run. None leaves a value as it is; ``fail_phase=""`` (or
    "NONE") clears an injected failure. Running builds keep the settings they started with."""
    if duration_seconds is not None:
        if duration_seconds <= 0:
            raise ValueError("duration_seconds must be positive")
        settings.duration_seconds = float(duration_seconds)
    if fail_phase is not None:
        settings.fail_phase = _parse_fail_phase(fail_phase, strict=True)
    return settings


def _parse_fail_phase(value: str, *, strict: bool) -> str | None:
    phase = value.strip().upper()
    if phase in ("", "NONE"):
        return None
    if phase not in FAILABLE_PHASES:
        if strict:
            raise ValueError(f"fail_phase must be one of {', '.join(FAILABLE_PHASES)}")
        return settings.fail_phase
    return phase


# --- who is calling, and may CodeBuild use the role ------------------------------------------


class AccessDeniedException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("AccessDeniedException", message)


def trusts_codebuild(policy_document: str | Mapping[str, Any]) -> bool:
    """Whether a role's trust policy lets CodeBuild assume it. Deliberately simple (conditions
    are ignored); the project's IAM engine is meant to replace this one function."""
    document = _load_policy(policy_document)
    allowed = False
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or not _matches_assume_role(statement):
            continue
        if not _names_codebuild(statement.get("Principal")):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def _load_policy(document: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(document, str):
        return document
    for text in (document, urllib.parse.unquote(document)):
        try:
            loaded = json.loads(text)
        except ValueError:
            continue
        if isinstance(loaded, dict):
            return loaded
    return {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _matches_assume_role(statement: Mapping[str, Any]) -> bool:
    actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
    return any(a in ("sts:assumerole", "sts:*", "*") for a in actions)


def _names_codebuild(principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return CODEBUILD_PRINCIPAL in _as_list(principal.get("Service"))


def _resolve_role(account_id: str, partition: str, service_role: str) -> tuple[str, Any]:
    """(role ARN, moto Role or None). CodeBuild accepts a role name or ARN."""
    iam = iam_backends[account_id][partition]
    if service_role.startswith("arn:"):
        arn = service_role
    elif "/" in service_role:  # path/name
        arn = f"arn:{partition}:iam::{account_id}:role/{service_role}"
    else:
        try:
            role = iam.get_role(service_role)
        except NotFoundException:
            return f"arn:{partition}:iam::{account_id}:role/{service_role}", None
        return str(role.arn), role
    try:
        role = iam.get_role_by_arn(arn)
    except NotFoundException:
        return arn, None
    return arn, role


def _authorize_service_role(response: CodeBuildResponse, service_role: str) -> str:
    """Checks what AWS checks about a project's service role; returns its ARN."""
    account = response.current_account
    partition = get_partition(response.region)
    role_arn, role = _resolve_role(account, partition, service_role)
    # Another account's role: moto's own check answers with AWS's account-mismatch message.
    _validate_required_params_service_role(account, response.region, role_arn)
    if access.enforcement_enabled():
        caller = access.principal_for(response.get_access_key(), account=account).arn
        request = access.AccessRequest(
            principal_arn=caller,
            action="iam:PassRole",
            resource=role_arn,
            context={"iam:PassedToService": CODEBUILD_PRINCIPAL},
        )
        decision = access.decide(request)
        if decision != "allowed":
            raise AccessDeniedException(access.access_denied_message(request, decision))
    # A missing role fails the same way on AWS: CodeBuild's AssumeRole simply does not succeed.
    if role is None or not trusts_codebuild(role.assume_role_policy_document):
        raise InvalidInputException(
            f"CodeBuild is not authorized to perform: sts:AssumeRole on {role_arn}"
        )
    return role_arn


# --- the record of one build ---------------------------------------------------------------


@dataclass
class _Phase:
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
    return None if kind in ("SUBMITTED", "QUEUED") else [dict(_EMPTY_CONTEXT)]


@dataclass
class _BuildRun:
    """What BatchGetBuilds and the build's log show. The runner thread writes it as the build
    happens and request threads read it, all under ``_lock``; once ``closed`` (COMPLETED was
    recorded: finished, stopped, timed out) nothing changes it any more."""

    account_id: str
    region: str
    static: dict[str, Any]  # the parts of the Build that do not change over time
    phases: list[_Phase]
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
    runner: BuildRunner | None = None
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
        self._last_at = max(_clock(), self._last_at)
        return self._last_at

    def start_logs(self) -> None:
        with _lock:
            if not self.closed:
                self.logs_from = self.current_start()

    def say(self, text: str) -> None:
        """A ``[Container]`` line of the CodeBuild agent."""
        with _lock:
            if not self.closed:
                at = self._stamp()
                self.lines.append(_Line(at, _container(at, text)))

    def output(self, text: str) -> None:
        """A line a command printed."""
        with _lock:
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
        with _lock:
            if self.closed:
                return False
            at = self._stamp()
            self.lines.extend(_Line(at, _container(at, text)) for text in lines)
            current = self.phases[-1]
            current.end, current.status = at, status
            if current.contexts is not None:
                current.contexts = [dict(context or _EMPTY_CONTEXT)]
            if following is None:
                self.phases.append(_Phase("COMPLETED", at, None, None, None))
                self.final_status = final or status
                self.closed = True
            else:
                self.phases.append(_Phase(following, at, None, None, _default_contexts(following)))
            return True

    def interrupt(
        self, status: str, context: dict[str, str], lines: Sequence[str] | None = None
    ) -> bool:
        """Ends the build in its current phase (STOPPED, TIMED_OUT, FAULT); a finished build is
        left as it was."""
        with _lock:
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
            self.phases.append(_Phase("COMPLETED", at, None, None, None))
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
            item: dict[str, Any] = {"phaseType": phase.kind, "startTime": _dt(phase.start)}
            if phase.end is not None and phase.end <= now:
                item["phaseStatus"] = phase.status
                item["endTime"] = _dt(phase.end)
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
            build["endTime"] = _dt(self.complete_at())
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


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def _deep_link(region: str, group: str | None, stream: str | None) -> str:
    return (
        f"https://console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#logEvent:group={group or 'null'};stream={stream or 'null'}"
    )


def _container(at: float, text: str) -> str:
    stamp = _dt(at).strftime("%Y/%m/%d %H:%M:%S.%f")
    return f"[Container] {stamp} {text}\n"


def _failure_context(kind: str) -> dict[str, str]:
    """The context of a failure injected into a phase that runs no commands (the runner words
    the command phases' own: the command and its exit status)."""
    return {
        "statusCode": "CLIENT_ERROR",
        "message": f"Failure injected by the emulator ({FAIL_PHASE_VARIABLE}={kind})",
    }


# --- the build records ---------------------------------------------------------------------


def _runs(backend: CodeBuildBackend) -> dict[str, _BuildRun]:
    # Kept on moto's backend object so that moto's reset forgets the builds too.
    runs: dict[str, _BuildRun] = backend.__dict__.setdefault("_sm_studio_setup_runs", {})
    return runs


def advance_builds(account_id: str, region: str) -> None:
    """Brings the logs of every build in this account and region up to now."""
    try:
        backend = codebuild_backends[account_id][region]
    except KeyError:
        return
    with _lock:
        now = _clock()
        for run in _runs(backend).values():
            run.advance(now)


def _merge_variables(
    project_vars: list[dict[str, Any]], overrides: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    merged = {v["name"]: dict(v) for v in project_vars if "name" in v}
    for v in overrides or []:
        if "name" in v:
            merged[v["name"]] = dict(v)
    return list(merged.values())


def _fail_phase_for(variables: list[dict[str, Any]]) -> str | None:
    for variable in variables:
        if (
            variable.get("name") == FAIL_PHASE_VARIABLE
            and variable.get("type", "PLAINTEXT") == "PLAINTEXT"
        ):
            return _parse_fail_phase(str(variable.get("value", "")), strict=False)
    return settings.fail_phase


def _initiator(caller_arn: str) -> str:
    resource = caller_arn.split(":", 5)[-1]
    if resource.startswith("assumed-role/"):
        return resource[len("assumed-role/") :]
    return resource.split("/")[-1]


def _assume_service_role(
    account: str, region: str, role_arn: str, build_uuid: str
) -> tuple[Credentials | None, str]:
    """The service role's session, as CodeBuild takes it for each build: moto's own
    AssumeRole (so every stand-in call is this session's and enforcement judges the role),
    session name ``AWSCodeBuild-<uuid>``. (None, why) when CodeBuild could not assume it."""
    from moto.sts.models import sts_backends

    from .runner import Credentials

    partition = get_partition(region)
    _, role = _resolve_role(account, partition, role_arn)
    if role is None or not trusts_codebuild(role.assume_role_policy_document):
        return None, f"CodeBuild is not authorized to perform: sts:AssumeRole on {role_arn}"
    session_name = f"AWSCodeBuild-{build_uuid}"
    assumed = sts_backends[account][partition].assume_role(
        region_name=region,
        role_session_name=session_name,
        role_arn=str(role.arn),
        policy="",
        duration=3600,
        external_id="",
    )
    return (
        Credentials(
            access_key_id=assumed.access_key_id,
            secret_access_key=assumed.secret_access_key,
            session_token=assumed.session_token,
            session_arn=f"arn:{partition}:sts::{account}:assumed-role/{role.name}/{session_name}",
        ),
        "",
    )


def _start(
    backend: CodeBuildBackend, project: CodeBuild, params: Mapping[str, Any], caller_arn: str
) -> _BuildRun:
    from .runner import BuildPlan, BuildRunner

    meta = project.project_metadata
    name = meta["name"]
    account, region = backend.account_id, backend.region_name
    partition = get_partition(region)
    build_id = f"{name}:{mock_random.uuid4()}"
    uuid_part = build_id.split(":", 1)[1]
    now = _clock()

    source = copy.deepcopy(meta.get("source") or {})
    if params.get("sourceTypeOverride"):
        source["type"] = params["sourceTypeOverride"]
    if params.get("sourceLocationOverride"):
        source["location"] = params["sourceLocationOverride"]
    if params.get("buildspecOverride"):
        source["buildspec"] = params["buildspecOverride"]

    environment = copy.deepcopy(meta.get("environment") or {})
    environment["environmentVariables"] = _merge_variables(
        environment.get("environmentVariables") or [], params.get("environmentVariablesOverride")
    )
    for override, key in (
        ("imageOverride", "image"),
        ("computeTypeOverride", "computeType"),
        ("environmentTypeOverride", "type"),
        ("privilegedModeOverride", "privilegedMode"),
    ):
        if params.get(override) is not None:
            environment[key] = params[override]

    logs_config = (params.get("logsConfigOverride") or meta.get("logsConfig") or {}).get(
        "cloudWatchLogs"
    ) or {}
    log_group: str | None = logs_config.get("groupName") or f"/aws/codebuild/{name}"
    stream_prefix = logs_config.get("streamName")
    log_stream = f"{stream_prefix}/{uuid_part}" if stream_prefix else uuid_part
    if logs_config.get("status") == "DISABLED":
        log_group = None

    history = backend.build_history.setdefault(name, [])
    history.append(build_id)
    artifacts = params.get("artifactsOverride") or meta.get("artifacts") or {}
    static: dict[str, Any] = {
        "id": build_id,
        "arn": f"arn:{partition}:codebuild:{region}:{account}:build/{build_id}",
        "buildNumber": len(history),
        "startTime": _dt(now),
        "sourceVersion": params.get("sourceVersion") or meta.get("sourceVersion"),
        "projectName": name,
        "source": source,
        "secondarySources": [],
        "secondarySourceVersions": [],
        "artifacts": {"location": artifacts.get("location", "")},
        "secondaryArtifacts": [],
        "cache": copy.deepcopy(meta.get("cache") or {"type": "NO_CACHE"}),
        "environment": environment,
        "serviceRole": meta.get("serviceRole"),
        "timeoutInMinutes": params.get("timeoutInMinutesOverride")
        or meta.get("timeoutInMinutes")
        or 60,
        "queuedTimeoutInMinutes": params.get("queuedTimeoutInMinutesOverride")
        or meta.get("queuedTimeoutInMinutes")
        or 480,
        "initiator": _initiator(caller_arn),
        "encryptionKey": meta.get("encryptionKey"),
    }
    if static["sourceVersion"] is None:
        del static["sourceVersion"]
    if meta.get("vpcConfig"):
        static["vpcConfig"] = copy.deepcopy(meta["vpcConfig"])
    run = _BuildRun(
        account_id=account,
        region=region,
        static=static,
        phases=[
            _Phase("SUBMITTED", now, now, "SUCCEEDED", None),
            _Phase("QUEUED", now, None, None, None),
        ],
        log_group=log_group,
        log_stream=log_stream,
    )
    role_arn = str(meta.get("serviceRole") or "")
    credentials, why = _assume_service_role(account, region, role_arn, uuid_part)
    plan = BuildPlan(
        build_id=build_id,
        build_arn=static["arn"],
        build_number=static["buildNumber"],
        account=account,
        region=region,
        partition=partition,
        role_arn=role_arn,
        credentials=credentials,
        credentials_error=why,
        source=copy.deepcopy(source),
        source_version=static.get("sourceVersion") if source.get("type") == "S3" else None,
        variables=tuple(copy.deepcopy(environment["environmentVariables"])),
        image=str(environment.get("image") or ""),
        initiator=static["initiator"],
        start_time=now,
        log_group=log_group,
        log_stream=log_stream,
        fail_phase=_fail_phase_for(environment["environmentVariables"]),
        duration_seconds=settings.duration_seconds,
        timeout_minutes=float(static["timeoutInMinutes"]),
    )
    run.runner = BuildRunner(run, plan)
    _runs(backend)[build_id] = run
    # moto's ListBuilds/ListBuildsForProject read these.
    backend.build_metadata_history[name].append(static)
    run.runner.start()
    return run


# --- the response methods that replace moto's --------------------------------------------


def _validate_source(source: dict[str, Any]) -> None:
    # moto demands a location even for NO_SOURCE, which AWS forbids; an inline buildspec is
    # what AWS requires there instead.
    if source.get("type") == "NO_SOURCE":
        if not source.get("buildspec"):
            raise InvalidInputException("Project source buildspec is required for NO_SOURCE")
        return
    _validate_required_params_source(source)


def _project_arn(response: CodeBuildResponse, name: str) -> str:
    partition = get_partition(response.region)
    return f"arn:{partition}:codebuild:{response.region}:{response.current_account}:project/{name}"


def _create_project(self: CodeBuildResponse) -> ActionResult:
    name = self._get_param("name")
    _validate_source(self._get_param("source"))
    _validate_required_params_artifacts(self._get_param("artifacts"))
    _validate_required_params_environment(self._get_param("environment"))
    _validate_required_params_project_name(name)
    role_arn = _authorize_service_role(self, self._get_param("serviceRole") or "")
    if name in self.codebuild_backend.codebuild_projects:
        raise ResourceAlreadyExistsException(f"Project already exists: {_project_arn(self, name)}")
    project = self.codebuild_backend.create_project(
        project_name=name,
        description=self._get_param("description"),
        project_source=self._get_param("source"),
        artifacts=self._get_param("artifacts"),
        environment=self._get_param("environment"),
        service_role=role_arn,
        tags=self._get_param("tags"),
        cache=self._get_param("cache"),
        timeout=self._get_param("timeoutInMinutes"),
        queued_timeout=self._get_param("queuedTimeoutInMinutes"),
        source_version=self._get_param("sourceVersion"),
        logs_config=self._get_param("logsConfig"),
        vpc_config=self._get_param("vpcConfig"),
    )
    return ActionResult({"project": project})


_UPDATABLE = (
    "description",
    "source",
    "secondarySources",
    "sourceVersion",
    "artifacts",
    "secondaryArtifacts",
    "cache",
    "environment",
    "timeoutInMinutes",
    "queuedTimeoutInMinutes",
    "encryptionKey",
    "tags",
    "vpcConfig",
    "logsConfig",
    "concurrentBuildLimit",
)


def _update_project(self: CodeBuildResponse) -> ActionResult:
    """UpdateProject, which moto 5.2 lacks."""
    name = self._get_param("name") or ""
    backend = self.codebuild_backend
    project = backend.codebuild_projects.get(name) or next(
        (p for p in backend.codebuild_projects.values() if p.arn == name), None
    )
    if project is None:
        raise ResourceNotFoundException(f"Project cannot be found: {_project_arn(self, name)}")
    validators: dict[str, Callable[[dict[str, Any]], None]] = {
        "source": _validate_source,
        "artifacts": _validate_required_params_artifacts,
        "environment": _validate_required_params_environment,
    }
    for key, validate in validators.items():
        if self._get_param(key) is not None:
            validate(self._get_param(key))
    meta = project.project_metadata
    if self._get_param("serviceRole"):
        role_arn = _authorize_service_role(self, self._get_param("serviceRole"))
        meta["serviceRole"] = role_arn
        project.service_role = role_arn
    for key in _UPDATABLE:
        value = self._get_param(key)
        if value is not None:
            meta[key] = value
    if self._get_param("tags") is not None:
        project.tags = self._get_param("tags")
    if self._get_param("badgeEnabled") is not None:
        meta["badge"] = {"badgeEnabled": bool(self._get_param("badgeEnabled"))}
    meta["lastModifiedDate"] = _dt(_clock())
    return ActionResult({"project": meta})


_START_PARAMS = (
    "sourceVersion",
    "artifactsOverride",
    "environmentVariablesOverride",
    "sourceTypeOverride",
    "sourceLocationOverride",
    "buildspecOverride",
    "environmentTypeOverride",
    "imageOverride",
    "computeTypeOverride",
    "privilegedModeOverride",
    "timeoutInMinutesOverride",
    "queuedTimeoutInMinutesOverride",
    "logsConfigOverride",
)


def _start_build(self: CodeBuildResponse) -> ActionResult:
    name = self._get_param("projectName") or ""
    _validate_required_params_project_name(name)
    project = self.codebuild_backend.codebuild_projects.get(name)
    if project is None:
        raise ResourceNotFoundException(f"Project cannot be found: {_project_arn(self, name)}")
    caller = access.principal_for(self.get_access_key(), account=self.current_account).arn
    params = {key: self._get_param(key) for key in _START_PARAMS}
    with _lock:
        run = _start(self.codebuild_backend, project, params, caller)
        return ActionResult({"build": run.snapshot(_clock())})


def _batch_get_builds(self: CodeBuildResponse) -> ActionResult:
    ids: list[str] = self._get_param("ids") or []
    for build_id in ids:
        if ":" not in build_id:
            raise InvalidInputException("Invalid build ID provided")
    runs = _runs(self.codebuild_backend)
    builds: list[dict[str, Any]] = []
    missing: list[str] = []
    with _lock:
        now = _clock()
        for build_id in ids:
            run = runs.get(build_id)
            if run is None:
                missing.append(build_id)
            else:
                builds.append(run.snapshot(now))
    return ActionResult({"builds": builds, "buildsNotFound": missing})


def _list_builds(self: CodeBuildResponse) -> ActionResult:
    """Every build of the account and region, newest first unless asked otherwise, 100 a page
    (moto's ignores sortOrder, returns the oldest first and forgets a deleted project's)."""
    order = self._get_param("sortOrder") or "DESCENDING"
    if order not in ("ASCENDING", "DESCENDING"):
        raise InvalidInputException(f"Invalid sortOrder: {order}")
    with _lock:
        ids = list(_runs(self.codebuild_backend))  # in the order the builds started
    if order == "DESCENDING":
        ids.reverse()
    token = self._get_param("nextToken") or "0"
    if not token.isdigit():
        raise InvalidInputException("Invalid nextToken")
    start = int(token)
    result: dict[str, Any] = {"ids": ids[start : start + 100]}
    if start + 100 < len(ids):
        result["nextToken"] = str(start + 100)
    return ActionResult(result)


def _stop_build(self: CodeBuildResponse) -> ActionResult:
    build_id = self._get_param("id") or ""
    if ":" not in build_id:
        raise InvalidInputException("Invalid build ID provided")
    run = _runs(self.codebuild_backend).get(build_id)
    if run is None:
        raise ResourceNotFoundException(f"Build {build_id} does not exist")
    with _lock:
        # Closed at once, so the answer already says STOPPED and nothing more is written;
        # the runner then ends the command's processes (SIGTERM, SIGKILL 2 s later).
        run.interrupt("STOPPED", dict(_EMPTY_CONTEXT))
        answer = run.snapshot(_clock())
    if run.runner is not None:
        run.runner.request_stop()
    return ActionResult({"build": answer})


# --- installing ----------------------------------------------------------------------------

_LOG_READS = (
    "get_log_events",
    "filter_log_events",
    "describe_log_streams",
    "describe_log_groups",
    "start_live_tail",
)
_installed = False


def _advancing_logs_read(original: Callable[..., Any]) -> Callable[..., Any]:
    def read(self: LogsBackend, *args: Any, **kwargs: Any) -> Any:
        advance_builds(self.account_id, self.region_name)
        return original(self, *args, **kwargs)

    read.__name__ = original.__name__
    read.__doc__ = original.__doc__
    return read


def install() -> None:
    global _installed
    if _installed:
        return
    original_call_action = CodeBuildResponse.call_action

    def call_action(self: CodeBuildResponse) -> Any:
        advance_builds(self.current_account, self.region)
        return original_call_action(self)

    # setattr: these are moto's classes, patched once for in-process use and the server alike.
    setattr(CodeBuildResponse, "call_action", call_action)  # noqa: B010
    setattr(CodeBuildResponse, "create_project", _create_project)  # noqa: B010
    setattr(CodeBuildResponse, "update_project", _update_project)  # noqa: B010
    setattr(CodeBuildResponse, "start_build", _start_build)  # noqa: B010
    setattr(CodeBuildResponse, "batch_get_builds", _batch_get_builds)  # noqa: B010
    setattr(CodeBuildResponse, "stop_build", _stop_build)  # noqa: B010
    setattr(CodeBuildResponse, "list_builds", _list_builds)  # noqa: B010
    for name in _LOG_READS:
        setattr(LogsBackend, name, _advancing_logs_read(getattr(LogsBackend, name)))
    original_reset = CodeBuildBackend.reset

    def reset(self: CodeBuildBackend) -> None:
        # moto resets under its global backend lock: end the builds without taking ours.
        from .runner import stop_runners

        stop_runners([r.runner for r in _runs(self).values() if r.runner is not None])
        original_reset(self)

    setattr(CodeBuildBackend, "reset", reset)  # noqa: B010
    _installed = True
