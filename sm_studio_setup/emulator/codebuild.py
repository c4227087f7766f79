"""CodeBuild (and its CloudWatch Logs output) made to behave like AWS inside moto.

moto 5.2 reports every build SUCCEEDED on the first poll, appends its phases again on every
poll and writes no logs. Here a started build follows AWS's phase sequence over a configurable
time, writes ``[Container]`` lines to ``/aws/codebuild/<project>`` as phases pass, can be made
to fail, honours StopBuild, and CreateProject/UpdateProject check the service role's trust
policy (and the caller's ``iam:PassRole`` when enforcement is on).

Progress is a pure function of the wall clock: a build's whole timeline (phases and log lines)
is planned at StartBuild, and what a reader sees is the part of it that lies in the past. The
log lines are copied into moto's logs backend lazily, on every CodeBuild call and before every
Logs read (GetLogEvents, FilterLogEvents, DescribeLogStreams, ...). That was chosen over a
daemon thread because it is deterministic, needs no thread lifecycle (start, stop, moto reset
racing a writer), keeps all state on moto's backend objects so moto's reset clears it, and is
indistinguishable for any client: nobody can observe a log line without making a request, and
every request that could show one first brings the logs up to date.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import io
import json
import threading
import time
import urllib.parse
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

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

from sm_studio_setup.emulator import access

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
# SUBMITTED and QUEUED happen before any container exists, COMPLETED is not a step.
FAILABLE_PHASES = PHASES[2:-1]
COMMAND_PHASES = ("INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD")
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


# --- the timeline of one build -------------------------------------------------------------


@dataclass
class _Phase:
    kind: str
    start: float
    end: float | None  # None for COMPLETED, which AWS reports with a start time only
    status: str | None
    contexts: list[dict[str, str]] | None


@dataclass
class _Line:
    at: float
    message: str


@dataclass
class _BuildRun:
    account_id: str
    region: str
    static: dict[str, Any]  # the parts of the Build that do not change over time
    phases: list[_Phase]
    lines: list[_Line]
    final_status: str
    log_group: str | None  # None when the project disabled CloudWatch Logs
    log_stream: str
    logs_from: float  # when the container starts and creates the stream (PROVISIONING)
    written: int = 0
    stream_created: bool = False

    def complete_at(self) -> float:
        return self.phases[-1].start

    def advance(self, now: float) -> None:
        """Copies every planned log line whose time has come into moto's logs backend."""
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

    def stop(self, now: float) -> None:
        if now >= self.complete_at():
            return  # already finished: StopBuild leaves a finished build as it was
        kept: list[_Phase] = []
        for phase in self.phases[:-1]:
            if phase.start > now:
                break
            if phase.end is not None and phase.end > now:
                contexts = None if phase.contexts is None else [dict(_EMPTY_CONTEXT)]
                phase = _Phase(phase.kind, phase.start, now, "STOPPED", contexts)
            kept.append(phase)
        current = kept[-1].kind
        kept.append(_Phase("COMPLETED", now, None, None, None))
        self.phases = kept
        self.lines = [line for line in self.lines if line.at <= now]
        if now >= self.logs_from:
            self.lines.append(
                _Line(now, _container(now, f"Phase complete: {current} State: STOPPED"))
            )
        else:
            self.logs_from = float("inf")
        self.final_status = "STOPPED"

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


def _plan_phases(start: float, duration: float, fail_phase: str | None) -> list[_Phase]:
    if fail_phase is None:
        kinds: tuple[str, ...] = PHASES[:-1]
    else:
        upto = PHASES.index(fail_phase) + 1
        kinds = PHASES[:upto] + _AFTER_FAILURE.get(fail_phase, ("FINALIZING",))
    scale = duration / sum(_WEIGHTS.values())
    phases: list[_Phase] = []
    at = start
    for kind in kinds:
        end = at + _WEIGHTS[kind] * scale
        status = "FAILED" if kind == fail_phase else "SUCCEEDED"
        contexts = None if kind in ("SUBMITTED", "QUEUED") else [dict(_EMPTY_CONTEXT)]
        phases.append(_Phase(kind, at, end, status, contexts))
        at = end
    phases.append(_Phase("COMPLETED", at, None, None, None))
    return phases


@dataclass(frozen=True)
class _Script:
    """What the build's container would do: inputs of the log-line writer."""

    commands: Mapping[str, list[str]]
    yaml_location: str
    src_dir: str
    s3_source: bool


def _plan_lines(phases: list[_Phase], script: _Script) -> list[_Line]:
    lines: list[_Line] = []

    def say(at: float, text: str) -> None:
        lines.append(_Line(at, _container(at, text)))

    def complete(phase: _Phase, end: float) -> None:
        say(end, f"Phase complete: {phase.kind} State: {phase.status}")
        context = (phase.contexts or [_EMPTY_CONTEXT])[0]
        say(
            end, f"Phase context status code: {context['statusCode']} Message: {context['message']}"
        )

    for phase in phases:
        if phase.end is None:
            continue
        start, end = phase.start, phase.end
        if phase.kind == "PROVISIONING":
            say(start, "Waiting for agent ping")
            if phase.status == "SUCCEEDED":
                say(end, "Waiting for DOWNLOAD_SOURCE")
        elif phase.kind == "DOWNLOAD_SOURCE":
            if phase.status == "SUCCEEDED":
                say(start, "Phase is DOWNLOAD_SOURCE")
                say(start, f"CODEBUILD_SRC_DIR={script.src_dir}")
                say(start, f"YAML location is {script.yaml_location}")
                if script.s3_source:
                    say(start, "Setting HTTP client timeout to higher timeout for S3 source")
                say(start, "Processing environment variables")
                say(start, "No runtime version selected in buildspec.")
                say(start, f"Moving to directory {script.src_dir}")
                found = [k for k in COMMAND_PHASES if k in script.commands]
                say(start, f"Phases found in YAML: {len(found)}")
                for kind in found:
                    say(start, f" {kind}: {len(script.commands[kind])} commands")
            complete(phase, end)
        elif phase.kind in COMMAND_PHASES:
            say(start, f"Entering phase {phase.kind}")
            commands = list(script.commands.get(phase.kind, []))
            if phase.status == "FAILED" and not commands:
                commands = ["exit 1"]
            for index, command in enumerate(commands):
                at = start + (index + 0.5) * (end - start) / len(commands)
                say(at, f"Running command {command}")
                lines.extend(_Line(at, out + "\n") for out in _command_output(command, at))
            if phase.status == "FAILED":
                say(end, f"Command did not exit successfully {commands[-1]} exit status 1")
            complete(phase, end)
        elif phase.kind == "UPLOAD_ARTIFACTS":
            say(start, "Entering phase UPLOAD_ARTIFACTS")
            complete(phase, end)
    return lines


def _command_output(command: str, at: float) -> list[str]:
    """A little plausible output: what ``echo`` commands print."""
    if not command.startswith("echo "):
        return []
    text = command[5:].strip().strip("\"'")
    return [text.replace("`date`", _dt(at).strftime("%a %b %d %H:%M:%S UTC %Y"))]


def _failure_context(kind: str, commands: Mapping[str, list[str]]) -> dict[str, str]:
    if kind in COMMAND_PHASES:
        command = (commands.get(kind) or ["exit 1"])[-1]
        return {
            "statusCode": "COMMAND_EXECUTION_ERROR",
            "message": f"Error while executing command: {command}. Reason: exit status 1",
        }
    return {
        "statusCode": "CLIENT_ERROR",
        "message": f"Failure injected by the emulator ({FAIL_PHASE_VARIABLE}={kind})",
    }


# --- reading the buildspec -----------------------------------------------------------------


def _buildspec_commands(
    source: Mapping[str, Any], account_id: str, partition: str
) -> tuple[dict[str, list[str]], str]:
    """Commands per phase from an inline buildspec, or from the buildspec inside an S3 zip
    source (what sm-docker uploads); returns them with the path the agent would log."""
    spec = str(source.get("buildspec") or "")
    inline = "\n" in spec or spec.lstrip().startswith("version")
    name = "buildspec.yml" if inline or not spec else spec
    location = "/codebuild/readonly/buildspec.yml" if inline else name
    try:
        if inline:
            text = spec
        elif source.get("type") == "S3":
            text = _read_zip_member(str(source.get("location", "")), name, account_id, partition)
        else:
            return {}, location
        yaml = importlib.import_module("yaml")  # moto's own dependency; no stubs needed here
        data = yaml.safe_load(text)
        commands: dict[str, list[str]] = {}
        for key, body in (data.get("phases") or {}).items():
            kind = str(key).upper()
            if kind in COMMAND_PHASES and isinstance(body, dict):
                commands[kind] = [str(c) for c in body.get("commands") or []]
        return commands, location
    except Exception:  # a buildspec we cannot read only makes the log plainer
        return {}, location


def _read_zip_member(location: str, member: str, account_id: str, partition: str) -> str:
    from moto.s3.models import s3_backends

    path = location.split(":::", 1)[-1]
    bucket, _, key = path.partition("/")
    obj = s3_backends[account_id][partition].get_object(bucket, key)
    if obj is None:
        return ""
    with zipfile.ZipFile(io.BytesIO(obj.value)) as archive:
        return archive.read(member).decode("utf-8")


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
    now = _clock()
    with _lock:
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


def _start(
    backend: CodeBuildBackend, project: CodeBuild, params: Mapping[str, Any], caller_arn: str
) -> _BuildRun:
    meta = project.project_metadata
    name = meta["name"]
    account, region = backend.account_id, backend.region_name
    partition = get_partition(region)
    build_id = f"{name}:{mock_random.uuid4()}"
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

    fail_phase = _fail_phase_for(environment["environmentVariables"])
    commands, yaml_location = _buildspec_commands(source, account, partition)
    phases = _plan_phases(now, settings.duration_seconds, fail_phase)
    for phase in phases:
        if phase.status == "FAILED":
            phase.contexts = [_failure_context(phase.kind, commands)]
    src_dir = f"/codebuild/output/src{mock_random.randint(100000000, 999999999)}/src"
    script = _Script(
        commands=commands,
        yaml_location=yaml_location
        if yaml_location.startswith("/")
        else f"{src_dir}/{yaml_location}",
        src_dir=src_dir,
        s3_source=source.get("type") == "S3",
    )

    logs_config = (params.get("logsConfigOverride") or meta.get("logsConfig") or {}).get(
        "cloudWatchLogs"
    ) or {}
    uuid_part = build_id.split(":", 1)[1]
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
        phases=phases,
        lines=_plan_lines(phases, script),
        final_status="FAILED" if fail_phase else "SUCCEEDED",
        log_group=log_group,
        log_stream=log_stream,
        logs_from=next(p.start for p in phases if p.kind == "PROVISIONING"),
    )
    _runs(backend)[build_id] = run
    # moto's ListBuilds/ListBuildsForProject read these.
    backend.build_metadata_history[name].append(static)
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
    now = _clock()
    builds: list[dict[str, Any]] = []
    missing: list[str] = []
    with _lock:
        for build_id in ids:
            run = runs.get(build_id)
            if run is None:
                missing.append(build_id)
            else:
                builds.append(run.snapshot(now))
    return ActionResult({"builds": builds, "buildsNotFound": missing})


def _stop_build(self: CodeBuildResponse) -> ActionResult:
    build_id = self._get_param("id") or ""
    if ":" not in build_id:
        raise InvalidInputException("Invalid build ID provided")
    run = _runs(self.codebuild_backend).get(build_id)
    if run is None:
        raise ResourceNotFoundException(f"Build {build_id} does not exist")
    now = _clock()
    with _lock:
        run.advance(now)
        run.stop(now)
        return ActionResult({"build": run.snapshot(now)})


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
    for name in _LOG_READS:
        setattr(LogsBackend, name, _advancing_logs_read(getattr(LogsBackend, name)))
    _installed = True
