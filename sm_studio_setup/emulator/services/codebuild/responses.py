"""The CodeBuild API calls the emulator answers itself instead of moto: CreateProject and
UpdateProject (which check the service role's trust policy, and the caller's ``iam:PassRole``
when enforcement is on), StartBuild, BatchGetBuilds, ListBuilds and StopBuild.

This module is the API side: it validates projects, records each build (``models.BuildRun``)
and answers StartBuild, BatchGetBuilds and StopBuild from that record, which the runner thread
(``runner.py``) writes as the build happens.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from moto.codebuild.exceptions import (
    InvalidInputException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from moto.codebuild.models import CodeBuild, CodeBuildBackend
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
from moto.moto_api._internal import mock_random
from moto.utilities.utils import get_partition

from ...core import access
from . import models
from .models import BuildPlan, BuildRun, Phase
from .phases import EMPTY_CONTEXT, FAIL_PHASE_VARIABLE, parse_fail_phase, settings
from .roles import CODEBUILD_PRINCIPAL, assume_service_role, may_assume, resolve_role
from .runner import BuildRunner

# --- who is calling, and may CodeBuild use the role ------------------------------------------


class AccessDeniedException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("AccessDeniedException", message)


def _authorize_service_role(
    response: CodeBuildResponse,
    service_role: str,
    project: str | None = None,
    vpc_config: Mapping[str, Any] | None = None,
) -> str:
    """Checks what AWS checks about a project's service role; returns its ARN. With a VPC,
    CodeBuild validates the network with the service role: ec2:DescribeSecurityGroups and
    the other Describe calls are judged for it (docs/aws-behaviours.md, "A build in a VPC")."""
    account = response.current_account
    partition = get_partition(response.region)
    role_arn, role = resolve_role(account, partition, service_role)
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
        judged = access.judge(request)
        if judged.decision != "allowed":
            raise AccessDeniedException(access.access_denied_message(request, judged))
    # A missing role fails the same way on AWS: CodeBuild's AssumeRole simply does not succeed.
    if role is None or not may_assume(account, partition, response.region, role, project):
        raise InvalidInputException(
            f"CodeBuild is not authorized to perform: sts:AssumeRole on {role_arn}"
        )
    if vpc_config and access.enforcement_enabled():
        session = f"arn:{partition}:sts::{account}:assumed-role/{role.name}/AWSCodeBuild-validate"
        for action in _VPC_VALIDATION:
            request = access.AccessRequest(session, f"ec2:{action}", "*", {})
            if access.decide(request) != "allowed":
                raise InvalidInputException(f"Not authorized to perform {action}")
    return role_arn


# The calls with which CodeBuild validates a project's VPC, in the order the public reports
# show the first refusal (aws-cdk #2652, terraform-provider-aws #5238: DescribeSecurityGroups).
_VPC_VALIDATION = ("DescribeSecurityGroups", "DescribeSubnets", "DescribeVpcs")


# --- starting a build ------------------------------------------------------------------------


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
            return parse_fail_phase(str(variable.get("value", "")), strict=False)
    return settings.fail_phase


def _initiator(caller_arn: str) -> str:
    resource = caller_arn.split(":", 5)[-1]
    if resource.startswith("assumed-role/"):
        return resource[len("assumed-role/") :]
    return resource.split("/")[-1]


def _start(
    backend: CodeBuildBackend, project: CodeBuild, params: Mapping[str, Any], caller_arn: str
) -> BuildRun:
    meta = project.project_metadata
    name = meta["name"]
    account, region = backend.account_id, backend.region_name
    partition = get_partition(region)
    build_id = f"{name}:{mock_random.uuid4()}"
    uuid_part = build_id.split(":", 1)[1]
    now = models.clock()

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
        "startTime": models.to_datetime(now),
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
    run = BuildRun(
        account_id=account,
        region=region,
        static=static,
        phases=[
            Phase("SUBMITTED", now, now, "SUCCEEDED", None),
            Phase("QUEUED", now, None, None, None),
        ],
        log_group=log_group,
        log_stream=log_stream,
    )
    role_arn = str(meta.get("serviceRole") or "")
    credentials, why = assume_service_role(
        account, region, role_arn, uuid_part, str(meta.get("name") or "") or None
    )
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
        provisioning_seconds=settings.provisioning_seconds,
        timeout_minutes=float(static["timeoutInMinutes"]),
    )
    runner = BuildRunner(run, plan)
    run.runner = runner
    models.runs(backend)[build_id] = run
    # moto's ListBuilds/ListBuildsForProject read these.
    backend.build_metadata_history[name].append(static)
    runner.start()
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
    role_arn = _authorize_service_role(
        self, self._get_param("serviceRole") or "", name, self._get_param("vpcConfig")
    )
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
        role_arn = _authorize_service_role(
            self,
            self._get_param("serviceRole"),
            str(meta.get("name") or name),
            self._get_param("vpcConfig") or meta.get("vpcConfig"),
        )
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
    meta["lastModifiedDate"] = models.to_datetime(models.clock())
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
    with models.lock:
        run = _start(self.codebuild_backend, project, params, caller)
        return ActionResult({"build": run.snapshot(models.clock())})


def _batch_get_builds(self: CodeBuildResponse) -> ActionResult:
    ids: list[str] = self._get_param("ids") or []
    for build_id in ids:
        if ":" not in build_id:
            raise InvalidInputException("Invalid build ID provided")
    records = models.runs(self.codebuild_backend)
    builds: list[dict[str, Any]] = []
    missing: list[str] = []
    with models.lock:
        now = models.clock()
        for build_id in ids:
            run = records.get(build_id)
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
    with models.lock:
        ids = list(models.runs(self.codebuild_backend))  # in the order the builds started
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
    run = models.runs(self.codebuild_backend).get(build_id)
    if run is None:
        raise ResourceNotFoundException(f"Build {build_id} does not exist")
    with models.lock:
        # Closed at once, so the answer already says STOPPED and nothing more is written;
        # the runner then ends the command's processes (SIGTERM, SIGKILL 2 s later).
        run.interrupt("STOPPED", dict(EMPTY_CONTEXT))
        answer = run.snapshot(models.clock())
    if run.runner is not None:
        run.runner.request_stop()
    return ActionResult({"build": answer})


# moto dispatches each operation to the response method of its snake_case name.
METHODS: dict[str, Callable[[CodeBuildResponse], ActionResult]] = {
    "create_project": _create_project,
    "update_project": _update_project,
    "start_build": _start_build,
    "batch_get_builds": _batch_get_builds,
    "stop_build": _stop_build,
    "list_builds": _list_builds,
}
