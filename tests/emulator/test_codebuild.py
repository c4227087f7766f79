"""The emulator's CodeBuild behaves like AWS's: phases over time, logs while running,
injected failures, StopBuild, and CreateProject's trust and PassRole checks.

The builds here really run their buildspec (tests/emulator/test_codebuild_runner.py covers the
runner itself); most run in-process under mock_aws, where no emulator URL exists, so their
buildspec needs no AWS call: it writes a Dockerfile and builds it with the ``docker``
stand-in, which makes none."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from sm_studio_setup.emulator.core import access
from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.emulator.services import codebuild

from .support import trust_policy

REGION = "us-east-1"
ACCOUNT = "123456789012"
PHASES = list(codebuild.PHASES)
BUILDSPEC = """version: 0.2
env:
  variables:
    IMAGE_REPO_NAME: local-image
    IMAGE_TAG: latest
phases:
  pre_build:
    commands:
      - echo Logging in to Amazon ECR...
      - printf 'FROM scratch\\nCOPY app.txt /\\n' > Dockerfile && echo hello > app.txt
  build:
    commands:
      - echo Build started on `date`
      - docker build -t $IMAGE_REPO_NAME:$IMAGE_TAG .
  post_build:
    commands:
      - docker images
"""
# What sm-docker 0.6.0 zips as buildspec.yml (its template, one registry login kept).
ECR_IMAGE = "$AWS_ACCOUNT_ID.dkr.ecr.$AWS_DEFAULT_REGION.amazonaws.com/$IMAGE_REPO_NAME:$IMAGE_TAG"
SM_DOCKER_BUILDSPEC = """version: 0.2

phases:
  pre_build:
    commands:
      - echo Logging in to Amazon ECR...
      - $(aws ecr get-login --no-include-email --region $AWS_DEFAULT_REGION)
  build:
    commands:
      - echo Build started on `date`
      - echo Building the Docker image...
      - docker build -t $IMAGE_REPO_NAME:$IMAGE_TAG .
      - docker tag $IMAGE_REPO_NAME:$IMAGE_TAG ECR_IMAGE
  post_build:
    commands:
      - echo Build completed on `date`
      - echo Pushing the Docker image...
      - docker push ECR_IMAGE
""".replace("ECR_IMAGE", ECR_IMAGE)
CONTAINER_LINE = re.compile(r"^\[Container\] (\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}) ")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    codebuild.install()
    saved = (codebuild.settings.duration_seconds, codebuild.settings.fail_phase)
    codebuild.configure(duration_seconds=1.5, fail_phase="")
    try:
        with mock_aws():
            yield
    finally:
        codebuild.settings.duration_seconds, codebuild.settings.fail_phase = saved
        access.set_decider(None)


def _role(name: str, *services: str) -> str:
    iam = boto3.client("iam", region_name=REGION)
    return str(
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(*services))["Role"][
            "Arn"
        ]
    )


def _project(
    client: Any,
    name: str,
    role: str,
    *,
    buildspec: str = BUILDSPEC,
    variables: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return dict(
        client.create_project(
            name=name,
            source={"type": "NO_SOURCE", "buildspec": buildspec},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
                "environmentVariables": variables or [],
            },
            serviceRole=role,
        )["project"]
    )


def _wait(check: Callable[[], Any], timeout: float = 10.0, every: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError("condition not met before the deadline")


def _finished(client: Any, build_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        build = client.batch_get_builds(ids=[build_id])["builds"][0]
        return dict(build) if build["buildComplete"] else None

    return dict(_wait(done))


def _messages(build: Mapping[str, Any], logs: Any = None) -> list[str]:
    logs = logs or boto3.client("logs", region_name=REGION)
    events = logs.get_log_events(
        logGroupName=build["logs"]["groupName"],
        logStreamName=build["logs"]["streamName"],
        startFromHead=True,
    )["events"]
    return [str(e["message"]).rstrip("\n") for e in events]


def test_build_progresses_phase_by_phase_to_completed(aws: None) -> None:
    client = boto3.client("codebuild", region_name=REGION)
    _project(client, "progress", _role("cb", "codebuild.amazonaws.com"))

    started = client.start_build(projectName="progress")["build"]
    assert started["currentPhase"] == "QUEUED"
    assert started["buildStatus"] == "IN_PROGRESS"
    assert [p["phaseType"] for p in started["phases"]] == ["SUBMITTED", "QUEUED"]
    assert "groupName" not in started["logs"]  # like AWS before the container starts

    seen: list[str] = []

    def poll() -> dict[str, Any] | None:
        build = client.batch_get_builds(ids=[started["id"]])["builds"][0]
        seen.append(build["currentPhase"])
        kinds = [p["phaseType"] for p in build["phases"]]
        assert kinds == PHASES[: len(kinds)]  # in order, each once, on every poll
        assert build["currentPhase"] == kinds[-1]
        return dict(build) if build["buildComplete"] else None

    build = _wait(poll)
    order = [PHASES.index(kind) for kind in seen]
    assert order == sorted(order)
    assert len(set(seen)) >= 5, seen

    assert build["buildStatus"] == "SUCCEEDED"
    assert build["currentPhase"] == "COMPLETED"
    assert [p["phaseType"] for p in build["phases"]] == PHASES
    for before, after in zip(build["phases"], build["phases"][1:], strict=False):
        assert before["phaseStatus"] == "SUCCEEDED"
        assert before["endTime"] == after["startTime"]
        assert isinstance(before["durationInSeconds"], int)
    assert all("contexts" in p for p in build["phases"][2:-1])
    assert set(build["phases"][-1]) == {"phaseType", "startTime"}
    assert build["endTime"] == build["phases"][-1]["startTime"]
    # The duration is the least a build takes; these commands fit in their phases' shares.
    elapsed = (build["endTime"] - build["startTime"]).total_seconds()
    assert 1.45 <= elapsed <= 2.2

    uuid_part = started["id"].split(":", 1)[1]
    assert build["logs"]["groupName"] == "/aws/codebuild/progress"
    assert build["logs"]["streamName"] == uuid_part
    assert f"group=/aws/codebuild/progress;stream={uuid_part}" in build["logs"]["deepLink"]

    again = client.batch_get_builds(ids=[started["id"], "progress:missing"])
    assert again["builds"][0]["phases"] == build["phases"]
    assert again["buildsNotFound"] == ["progress:missing"]


def test_logs_are_readable_while_the_build_runs_through_logs_calls_only(aws: None) -> None:
    codebuild.configure(duration_seconds=2)
    client = boto3.client("codebuild", region_name=REGION)
    logs = boto3.client("logs", region_name=REGION)
    _project(client, "tail", _role("cb", "codebuild.amazonaws.com"))
    started = client.start_build(projectName="tail")["build"]
    build_id, started_at = started["id"], started["startTime"].timestamp()
    group, stream = "/aws/codebuild/tail", build_id.split(":", 1)[1]

    def early_events() -> list[Any]:
        try:
            return list(
                logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)[
                    "events"
                ]
            )
        except logs.exceptions.ResourceNotFoundException:
            return []

    early = _wait(early_events)
    early_text = "".join(e["message"] for e in early)
    assert "Phase complete: UPLOAD_ARTIFACTS" not in early_text
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in streams] == [stream]

    def all_events() -> list[Any] | None:
        found = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)[
            "events"
        ]
        done = any("Phase complete: UPLOAD_ARTIFACTS" in e["message"] for e in found)
        return list(found) if done else None

    events = _wait(all_events)
    assert len(events) > len(early)
    messages = [e["message"].rstrip("\n") for e in events]
    for wanted in (
        "Waiting for agent ping",
        "Entering phase BUILD",
        "Running command docker build -t $IMAGE_REPO_NAME:$IMAGE_TAG .",
        "Phase complete: BUILD State: SUCCEEDED",
        "Phase context status code:  Message: ",
        "Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED",
    ):
        assert any(m.endswith(wanted) for m in messages), wanted
    assert "Logging in to Amazon ECR..." in messages  # what the echo printed
    assert '[docker] ["build", "-t", "local-image:latest", "."]' in messages
    assert "Successfully tagged local-image:latest" in messages

    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)
    # Stamped when written: after the start, and by the time the (2 s or a little longer)
    # build ended.
    assert started_at * 1000 <= stamps[0] and stamps[-1] <= (started_at + 3.5) * 1000
    for event in events:
        match = CONTAINER_LINE.match(event["message"])
        if match:
            written = datetime.strptime(match.group(1), "%Y/%m/%d %H:%M:%S.%f")
            at = written.replace(tzinfo=timezone.utc).timestamp() * 1000
            assert abs(at - event["timestamp"]) < 1

    found = logs.filter_log_events(logGroupName=group, filterPattern="Entering")["events"]
    assert len(found) == 5  # INSTALL, PRE_BUILD, BUILD, POST_BUILD, UPLOAD_ARTIFACTS


def test_failure_injected_by_settings_ends_failed(aws: None) -> None:
    codebuild.configure(fail_phase="build")
    client = boto3.client("codebuild", region_name=REGION)
    _project(client, "fails", _role("cb", "codebuild.amazonaws.com"))
    build = _finished(client, client.start_build(projectName="fails")["build"]["id"])

    assert build["buildStatus"] == "FAILED"
    phases = {p["phaseType"]: p for p in build["phases"]}
    assert list(phases) == PHASES  # AWS still attempts POST_BUILD and UPLOAD_ARTIFACTS
    assert len(build["phases"]) == len(PHASES)
    assert phases["BUILD"]["phaseStatus"] == "FAILED"
    assert phases["BUILD"]["contexts"] == [
        {
            "statusCode": "COMMAND_EXECUTION_ERROR",
            "message": "Error while executing command: docker build -t "
            "$IMAGE_REPO_NAME:$IMAGE_TAG .. Reason: exit status 1",
        }
    ]
    assert phases["POST_BUILD"]["phaseStatus"] == "SUCCEEDED"
    messages = _messages(build)
    assert any(m.endswith("Phase complete: BUILD State: FAILED") for m in messages)
    assert any(
        m.endswith(
            "Command did not exit successfully docker build -t $IMAGE_REPO_NAME:$IMAGE_TAG . "
            "exit status 1"
        )
        for m in messages
    )


@pytest.mark.parametrize(
    ("project_value", "override_value", "setting", "failed_at"),
    [
        ("PRE_BUILD", None, None, "PRE_BUILD"),
        ("PRE_BUILD", "install", None, "INSTALL"),
        (None, "NONE", "BUILD", None),
    ],
)
def test_failure_chosen_by_environment_variable(
    aws: None,
    project_value: str | None,
    override_value: str | None,
    setting: str | None,
    failed_at: str | None,
) -> None:
    if setting:
        codebuild.configure(fail_phase=setting)
    variables = (
        [{"name": "SM_EMULATOR_FAIL_PHASE", "value": project_value}] if project_value else []
    )
    client = boto3.client("codebuild", region_name=REGION)
    _project(client, "envfail", _role("cb", "codebuild.amazonaws.com"), variables=variables)
    overrides: dict[str, Any] = {}
    if override_value:
        overrides["environmentVariablesOverride"] = [
            {"name": "SM_EMULATOR_FAIL_PHASE", "value": override_value, "type": "PLAINTEXT"}
        ]
    build = _finished(client, client.start_build(projectName="envfail", **overrides)["build"]["id"])

    kinds = [p["phaseType"] for p in build["phases"]]
    if failed_at is None:
        assert build["buildStatus"] == "SUCCEEDED"
        assert kinds == PHASES
        return
    assert build["buildStatus"] == "FAILED"
    # A failure before BUILD goes straight to FINALIZING, as on AWS.
    assert kinds == [*PHASES[: PHASES.index(failed_at) + 1], "FINALIZING", "COMPLETED"]
    assert build["phases"][-3]["phaseStatus"] == "FAILED"
    assert build["phases"][-3]["contexts"][0]["statusCode"] == "COMMAND_EXECUTION_ERROR"


def test_stop_build_ends_stopped_and_writes_nothing_more(aws: None) -> None:
    codebuild.configure(duration_seconds=2)
    client = boto3.client("codebuild", region_name=REGION)
    _project(client, "stop", _role("cb", "codebuild.amazonaws.com"))
    build_id = client.start_build(projectName="stop")["build"]["id"]
    _wait(lambda: client.batch_get_builds(ids=[build_id])["builds"][0]["currentPhase"] == "BUILD")

    stopped = client.stop_build(id=build_id)["build"]
    assert stopped["buildStatus"] == "STOPPED"
    assert stopped["buildComplete"] is True
    kinds = [p["phaseType"] for p in stopped["phases"]]
    interrupted = kinds[-2]  # BUILD, unless a slow machine let it move on meanwhile
    assert PHASES.index(interrupted) >= PHASES.index("BUILD")
    assert kinds == [*PHASES[: PHASES.index(interrupted) + 1], "COMPLETED"]
    assert stopped["phases"][-2]["phaseStatus"] == "STOPPED"
    assert stopped["currentPhase"] == "COMPLETED"
    lines_at_stop = _messages(stopped)
    assert lines_at_stop[-1].endswith(f"Phase complete: {interrupted} State: STOPPED")
    if interrupted == "BUILD":
        assert not any("Entering phase POST_BUILD" in line for line in lines_at_stop)

    time.sleep(2.2)  # past the time the build would have finished
    later = client.batch_get_builds(ids=[build_id])["builds"][0]
    assert later["buildStatus"] == "STOPPED"
    assert later["phases"] == stopped["phases"]
    assert _messages(later) == lines_at_stop

    with pytest.raises(ClientError) as missing:
        client.stop_build(id="stop:does-not-exist")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize("by_arn", [True, False])
def test_create_project_refuses_role_that_does_not_trust_codebuild(aws: None, by_arn: bool) -> None:
    arn = _role("StudioRole", "sagemaker.amazonaws.com")
    client = boto3.client("codebuild", region_name=REGION)
    with pytest.raises(ClientError) as refused:
        _project(client, "untrusted", arn if by_arn else "StudioRole")
    assert refused.value.response["Error"]["Code"] == "InvalidInputException"
    assert refused.value.response["Error"]["Message"] == (
        f"CodeBuild is not authorized to perform: sts:AssumeRole on {arn}"
    )
    assert client.list_projects()["projects"] == []

    iam = boto3.client("iam", region_name=REGION)
    iam.update_assume_role_policy(
        RoleName="StudioRole",
        PolicyDocument=trust_policy("sagemaker.amazonaws.com", "codebuild.amazonaws.com"),
    )
    project = _project(client, "untrusted", arn if by_arn else "StudioRole")
    assert project["serviceRole"] == arn


def test_create_project_refuses_missing_role_and_update_checkstrust_policy(aws: None) -> None:
    client = boto3.client("codebuild", region_name=REGION)
    missing = f"arn:aws:iam::{ACCOUNT}:role/NoSuchRole"
    with pytest.raises(ClientError) as refused:
        _project(client, "nosuch", missing)
    assert refused.value.response["Error"]["Code"] == "InvalidInputException"
    assert refused.value.response["Error"]["Message"] == (
        f"CodeBuild is not authorized to perform: sts:AssumeRole on {missing}"
    )

    _project(client, "upd", _role("cb", "codebuild.amazonaws.com"))
    untrusted = _role("other", "ec2.amazonaws.com")
    with pytest.raises(ClientError) as update_refused:
        client.update_project(name="upd", serviceRole=untrusted)
    assert update_refused.value.response["Error"]["Code"] == "InvalidInputException"
    updated = client.update_project(name="upd", description="new")["project"]
    assert updated["description"] == "new"
    with pytest.raises(ClientError) as not_found:
        client.update_project(name="nope", description="x")
    assert not_found.value.response["Error"]["Code"] == "ResourceNotFoundException"


def _stmt(effect: str, service: str | list[str], action: str | list[str]) -> dict[str, Any]:
    return {"Effect": effect, "Principal": {"Service": service}, "Action": action}


CB = "codebuild.amazonaws.com"


@pytest.mark.parametrize(
    ("statements", "trusted"),
    [
        ([_stmt("Allow", CB, "sts:*")], True),
        ([_stmt("Allow", ["a.amazonaws.com", CB], ["sts:AssumeRole"])], True),
        ([_stmt("Allow", "sagemaker.amazonaws.com", "sts:AssumeRole")], False),
        ([_stmt("Allow", CB, "sts:TagSession")], False),
        ([_stmt("Allow", CB, "sts:AssumeRole"), _stmt("Deny", CB, "*")], False),
    ],
)
def test_trust_judgement(statements: list[dict[str, Any]], trusted: bool) -> None:
    document = {"Version": "2012-10-17", "Statement": statements}
    assert codebuild.trusts_codebuild(json.dumps(document)) is trusted


def test_pass_role_is_required_when_enforcement_is_on(aws: None) -> None:
    role_arn = _role("BuildRole", "codebuild.amazonaws.com")
    iam = boto3.client("iam", region_name=REGION)
    user_arn = iam.create_user(UserName="alice")["User"]["Arn"]
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    client = boto3.client(
        "codebuild",
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    asked: list[access.AccessRequest] = []
    verdict: list[access.Decision] = ["implicitDeny"]

    def decider(request: access.AccessRequest) -> access.Decision:
        asked.append(request)
        return verdict[0]

    access.set_decider(decider)
    with pytest.raises(ClientError) as denied:
        _project(client, "passrole", role_arn)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert denied.value.response["Error"]["Message"] == (
        f"User: {user_arn} is not authorized to perform: iam:PassRole on resource: {role_arn} "
        "because no identity-based policy allows the iam:PassRole action"
    )
    assert asked[-1] == access.AccessRequest(
        principal_arn=user_arn,
        action="iam:PassRole",
        resource=role_arn,
        context={"iam:PassedToService": "codebuild.amazonaws.com"},
    )

    verdict[0] = "explicitDeny"
    with pytest.raises(ClientError) as explicit:
        _project(client, "passrole", role_arn)
    assert explicit.value.response["Error"]["Message"].endswith(
        "with an explicit deny in an identity-based policy"
    )

    verdict[0] = "allowed"
    assert _project(client, "passrole", role_arn)["serviceRole"] == role_arn

    verdict[0] = "implicitDeny"
    with pytest.raises(ClientError) as update_denied:
        client.update_project(name="passrole", serviceRole=role_arn)
    assert update_denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_caller_of_an_assumed_role_session_is_named_in_the_denial(aws: None) -> None:
    role_arn = _role("BuildRole", "codebuild.amazonaws.com")
    studio = _role("StudioRole", "sagemaker.amazonaws.com")
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=studio, RoleSessionName="SageMaker"
    )["Credentials"]
    client = boto3.client(
        "codebuild",
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    access.set_decider(lambda request: "implicitDeny")
    with pytest.raises(ClientError) as denied:
        _project(client, "session", role_arn)
    assert denied.value.response["Error"]["Message"].startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/StudioRole/SageMaker is not authorized"
    )
    assert access.principal_for("AKIAUNKNOWNKEY000000", account=ACCOUNT).arn == (
        f"arn:aws:iam::{ACCOUNT}:root"
    )


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed="none", build_seconds=1.5) as running:
        yield running


def _sm_docker_role_policy(bucket: str, key: str, repository: str) -> str:
    """What a real sm-docker build needs of its service role (docs/sm-docker.md)."""
    repository_arn = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/codebuild/*",
                },
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/{key}",
                },
                {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": [
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:InitiateLayerUpload",
                        "ecr:UploadLayerPart",
                        "ecr:CompleteLayerUpload",
                        "ecr:PutImage",
                    ],
                    "Resource": repository_arn,
                },
            ],
        }
    )


def test_sm_docker_call_sequence(emulator: Emulator) -> None:
    """The calls `sm-docker build . --bucket B` makes, in its order, with its parameters; the
    build really logs in, builds, tags and pushes (emulator server: the stand-ins call it)."""
    session = emulator.admin_session()
    role = "StudioRole"
    key = "codebuild-sagemaker-container-abcdefghijklmnop.zip"
    iam = session.client("iam")
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=trust_policy("sagemaker.amazonaws.com", "codebuild.amazonaws.com"),
    )
    iam.put_role_policy(
        RoleName=role,
        PolicyName="image-build",
        PolicyDocument=_sm_docker_role_policy("sagemaker-bucket", key, "sagemaker-studio"),
    )
    s3 = session.client("s3")
    s3.create_bucket(Bucket="sagemaker-bucket")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("./Dockerfile", "FROM python:3.11\n")
        zipped.writestr("buildspec.yml", SM_DOCKER_BUILDSPEC)
    s3.put_object(Bucket="sagemaker-bucket", Key=key, Body=archive.getvalue())

    identity = session.client("sts").get_caller_identity()
    partition = identity["Arn"].split(":")[1]
    client = session.client("codebuild")
    name = "sagemaker-studio-image-build-abcdefghijklmnop"
    client.create_project(
        name=name,
        description="Build the image for sagemaker-studio in SageMaker Studio",
        source={"type": "S3", "location": f"sagemaker-bucket/{key}"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:4.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": [
                {"name": "AWS_DEFAULT_REGION", "value": REGION},
                {"name": "AWS_ACCOUNT_ID", "value": identity["Account"]},
                {"name": "IMAGE_REPO_NAME", "value": "sagemaker-studio"},
                {"name": "IMAGE_TAG", "value": "latest"},
            ],
            "privilegedMode": True,
        },
        serviceRole=f"arn:{partition}:iam::{identity['Account']}:role/{role}",
    )
    session.client("ecr").create_repository(repositoryName="sagemaker-studio")
    build_id = client.start_build(projectName=name)["build"]["id"]

    # logs_for_build: wait for the log group to be named, then tail the stream by position.
    description = client.batch_get_builds(ids=[build_id])["builds"][0]
    assert description["buildStatus"] == "IN_PROGRESS"
    description = _wait(
        lambda: (
            (b := client.batch_get_builds(ids=[build_id])["builds"][0])["logs"].get("groupName")
            and b
        )
    )
    group, stream = description["logs"]["groupName"], description["logs"]["streamName"]
    assert (group, stream) == (f"/aws/codebuild/{name}", build_id.split(":")[1])
    logs = session.client("logs")
    printed: list[str] = []
    position = (0, 0)
    complete_seen = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        start_time, skip = position
        token: dict[str, Any] = {}
        while True:
            response = logs.get_log_events(
                logGroupName=group,
                logStreamName=stream,
                startTime=start_time,
                startFromHead=True,
                **token,
            )
            token = {"nextToken": response["nextForwardToken"]}
            events = response["events"]
            if not events:
                break
            fresh = events[skip:]
            skip = max(0, skip - len(events))
            for event in fresh:
                ts, count = position
                position = (ts, count + 1) if event["timestamp"] == ts else (event["timestamp"], 1)
                printed.append(event["message"].rstrip())
        if complete_seen:
            break
        time.sleep(0.2)
        status = client.batch_get_builds(ids=[build_id])["builds"][0]["buildStatus"]
        complete_seen = status != "IN_PROGRESS"

    final = client.batch_get_builds(ids=[build_id])["builds"][0]
    assert final["buildStatus"] == "SUCCEEDED"
    # Every line exactly once, in order: the position logic neither lost nor repeated any.
    assert printed == [m.rstrip() for m in _messages(final, logs)]
    assert any(
        line.endswith("Setting HTTP client timeout to higher timeout for S3 source")
        for line in printed
    )
    assert any(line.endswith(f"Running command docker push {ECR_IMAGE}") for line in printed)
    assert "Login Succeeded" in printed
    assert printed[-1].endswith("Phase context status code:  Message:")

    ecr = session.client("ecr")
    repo = ecr.describe_repositories(repositoryNames=["sagemaker-studio"])
    assert repo["repositories"][0]["repositoryUri"].endswith("/sagemaker-studio")
    (pushed,) = [line for line in printed if line.startswith("latest: digest: ")]
    (image,) = ecr.describe_images(repositoryName="sagemaker-studio")["imageDetails"]
    assert image["imageTags"] == ["latest"]
    assert pushed.split()[2] == image["imageDigest"]
    client.delete_project(name=name)
    s3.delete_object(Bucket="sagemaker-bucket", Key=key)
    assert client.list_projects()["projects"] == []


def test_configure_validates_and_clears() -> None:
    saved = (codebuild.settings.duration_seconds, codebuild.settings.fail_phase)
    try:
        assert codebuild.configure(fail_phase="post_build").fail_phase == "POST_BUILD"
        assert codebuild.configure(duration_seconds=3).fail_phase == "POST_BUILD"
        assert codebuild.configure(fail_phase="").fail_phase is None
        with pytest.raises(ValueError):
            codebuild.configure(fail_phase="QUEUED")
        with pytest.raises(ValueError):
            codebuild.configure(duration_seconds=0)
        assert codebuild.settings.duration_seconds == 3
    finally:
        codebuild.settings.duration_seconds, codebuild.settings.fail_phase = saved


def test_list_builds_is_newest_first_and_keeps_deleted_projects_builds() -> None:
    """As AWS: ListBuilds defaults to DESCENDING and still lists builds of a deleted project
    (sm-studio-setup --engine sm-docker finds sm-docker's build that way)."""
    from moto import mock_aws

    from sm_studio_setup.emulator.services import codebuild as emulated

    emulated.install()
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        role = iam.create_role(
            RoleName="builder",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "codebuild.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        client = boto3.client("codebuild", region_name="us-east-1")
        started = []
        for name in ("first", "second"):
            client.create_project(
                name=name,
                source={"type": "NO_SOURCE", "buildspec": "version: 0.2\\nphases: {}\\n"},
                artifacts={"type": "NO_ARTIFACTS"},
                environment={
                    "type": "LINUX_CONTAINER",
                    "image": "aws/codebuild/standard:7.0",
                    "computeType": "BUILD_GENERAL1_SMALL",
                },
                serviceRole=role,
            )
            started.append(client.start_build(projectName=name)["build"]["id"])
        client.delete_project(name="first")
        assert client.list_builds()["ids"] == started[::-1]
        assert client.list_builds(sortOrder="ASCENDING")["ids"] == started
        for build in started:
            client.stop_build(id=build)
