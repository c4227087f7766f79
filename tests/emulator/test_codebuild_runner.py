"""The emulator's CodeBuild really runs the buildspec: commands, shell state across commands,
failures, StopBuild, timeouts, S3 sources unpacked safely, the service role's permissions, and
the ``docker``/``aws`` stand-ins that replace the real binaries.

Each test gets its own emulator server (enforcement on, as by default): the stand-ins run as
separate processes and call it back with the build's credentials.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import stat
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest

from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.emulator.services.codebuild import runner

from .support import trust_policy

ACCOUNT = "123456789012"
REGION = "us-east-1"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
BUCKET = "runner-sources"
LOGS = {
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/codebuild/*",
}
SOURCES = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
ECR_LOGIN = {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
LAYER_PUSH = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
]
CONTAINER = re.compile(r"^\[Container\] \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} ")


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed="none", build_seconds=0.5) as running:
        yield running


@pytest.fixture
def admin(emulator: Emulator) -> boto3.Session:
    session = emulator.admin_session()
    session.client("s3").create_bucket(Bucket=BUCKET)
    return session


def _role(admin: boto3.Session, name: str, *statements: Mapping[str, Any]) -> str:
    iam = admin.client("iam")
    arn = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=trust_policy("codebuild.amazonaws.com")
    )["Role"]["Arn"]
    if statements:
        iam.put_role_policy(
            RoleName=name,
            PolicyName="build",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
        )
    return str(arn)


def _push_to(repository: str, *actions: str) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}",
    }


def _project(
    admin: boto3.Session,
    name: str,
    role: str,
    *,
    buildspec: str | None = None,
    zip_key: str | None = None,
    variables: Mapping[str, str] | None = None,
    **extra: Any,
) -> None:
    if zip_key is not None:
        source: dict[str, Any] = {"type": "S3", "location": f"{BUCKET}/{zip_key}"}
    else:
        source = {"type": "NO_SOURCE", "buildspec": buildspec}
    admin.client("codebuild").create_project(
        name=name,
        source=source,
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": [
                {"name": k, "value": v, "type": "PLAINTEXT"} for k, v in (variables or {}).items()
            ],
        },
        serviceRole=role,
        **extra,
    )


def _spec(**phases: list[str]) -> str:
    """An inline buildspec; commands are written as YAML block scalars, so any text works."""
    lines = ["version: 0.2", "phases:"]
    for phase, commands in phases.items():
        lines += [f"  {phase}:", "    commands:"]
        for command in commands:
            lines.append("      - |-")
            lines += [f"        {line}" for line in command.splitlines()]
    return "\n".join(lines) + "\n"


def _zip(
    files: Mapping[str, str | bytes],
    links: Mapping[str, str] | None = None,
    *,
    links_first: bool = False,
) -> bytes:
    """A zip as Info-ZIP writes symbolic links: Unix mode S_IFLNK, the target as content."""

    def add_links(archive: zipfile.ZipFile) -> None:
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        if links_first:
            add_links(archive)
        for name, content in files.items():
            archive.writestr(name, content)
        if not links_first:
            add_links(archive)
    return data.getvalue()


def _upload(admin: boto3.Session, key: str, body: bytes) -> str:
    admin.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body)
    return key


def _wait(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError("condition not met before the deadline")


def _build(admin: boto3.Session, build_id: str) -> dict[str, Any]:
    return dict(admin.client("codebuild").batch_get_builds(ids=[build_id])["builds"][0])


def _finished(admin: boto3.Session, build_id: str, timeout: float = 30.0) -> dict[str, Any]:
    return dict(_wait(lambda: (b := _build(admin, build_id))["buildComplete"] and b, timeout))


def _messages(admin: boto3.Session, build: Mapping[str, Any]) -> list[str]:
    logs = build["logs"]
    if "groupName" not in logs:
        return []
    events = admin.client("logs").get_log_events(
        logGroupName=logs["groupName"], logStreamName=logs["streamName"], startFromHead=True
    )["events"]
    return [str(e["message"]).removesuffix("\n") for e in events]


def _output(messages: list[str]) -> list[str]:
    """What the commands printed (the lines that are not the agent's own)."""
    return [m for m in messages if not CONTAINER.match(m)]


def _run(admin: boto3.Session, project: str, **start: Any) -> tuple[dict[str, Any], list[str]]:
    build_id = admin.client("codebuild").start_build(projectName=project, **start)["build"]["id"]
    build = _finished(admin, build_id)
    return build, _messages(admin, build)


def _phases(build: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["phaseType"]: p for p in build["phases"]}


def _src_dir(messages: list[str]) -> Path:
    (line,) = [m for m in messages if CONTAINER.match(m) and "CODEBUILD_SRC_DIR=" in m]
    return Path(line.split("CODEBUILD_SRC_DIR=", 1)[1])


def _dead(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # a zombie waiting for its reaper has ended


# --- commands ----------------------------------------------------------------------------


def test_commands_really_run_inside_the_build_folder_and_stream_their_output(
    admin: boto3.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    role = _role(admin, "Runner", LOGS)
    _project(
        admin,
        "really-runs",
        role,
        buildspec=_spec(
            build=[
                "echo made > made-by-build.txt && realpath made-by-build.txt",
                "echo at-home > ~/home.txt && realpath ~/home.txt",
                "echo first-line; sleep 2; echo second-line",
            ]
        ),
    )
    build_id = admin.client("codebuild").start_build(projectName="really-runs")["build"]["id"]
    described = _wait(lambda: (b := _build(admin, build_id))["logs"].get("groupName") and b)
    logs = admin.client("logs")

    def early_output() -> list[str] | None:
        events = logs.get_log_events(
            logGroupName=described["logs"]["groupName"],
            logStreamName=described["logs"]["streamName"],
            startFromHead=True,
        )["events"]
        lines = [e["message"].rstrip("\n") for e in events]
        return lines if "first-line" in lines else None

    early = _wait(early_output)
    # Read back while the command still sleeps: output is streamed, not collected at the end.
    assert "second-line" not in early
    assert _build(admin, build_id)["buildStatus"] == "IN_PROGRESS"

    build = _finished(admin, build_id)
    assert build["buildStatus"] == "SUCCEEDED"
    messages = _messages(admin, build)
    src = _src_dir(messages)
    output = _output(messages)
    assert output[-2:] == ["first-line", "second-line"]
    made, home = Path(output[0]), Path(output[1])
    assert made == src / "made-by-build.txt"
    assert home.parent.parent == src.parent  # HOME is the build's own folder
    assert not (tmp_path / "made-by-build.txt").exists()
    # The build's folder is gone: removed by its thread just after the record says it ended.
    _wait(lambda: not made.exists() and not src.parent.exists(), timeout=10)


def test_environment_is_built_from_scratch_with_the_role_session(
    admin: boto3.Session, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (Not AWS_PROFILE: the test's own boto3 would look that profile up.)
    monkeypatch.setenv("AWS_SM_HOST_MARKER", "from-the-host")
    monkeypatch.setenv("SM_HOST_ONLY", "leak")
    role = _role(admin, "EnvRole", LOGS)
    _project(
        admin,
        "env-check",
        role,
        buildspec=_spec(
            build=["env | sort", "aws sts get-caller-identity --query Arn --output text"]
        ).replace(
            "phases:",
            "env:\n  variables:\n    FROM_BUILDSPEC: spec\n    OVERRIDDEN: by-buildspec\nphases:",
        ),
        variables={"FROM_PROJECT": "project", "OVERRIDDEN": "by-project"},
    )
    build, messages = _run(
        admin,
        "env-check",
        environmentVariablesOverride=[{"name": "FROM_OVERRIDE", "value": "override"}],
    )
    assert build["buildStatus"] == "SUCCEEDED", messages
    env = dict(line.split("=", 1) for line in _output(messages) if "=" in line)
    uuid = build["id"].split(":", 1)[1]
    assert env["AWS_ENDPOINT_URL"] == emulator.endpoint_url
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA")  # the role session's, not the admin's
    assert env["AWS_SESSION_TOKEN"]
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION
    assert env["LANG"] == "C.UTF-8"
    assert env["PATH"].endswith(":/usr/local/bin:/usr/bin:/bin")
    assert env["CODEBUILD_BUILD_ID"] == build["id"]
    assert env["CODEBUILD_BUILD_ARN"] == build["arn"]
    assert env["CODEBUILD_INITIATOR"] == "root"
    assert env["CODEBUILD_BUILD_SUCCEEDING"] == "1"
    assert env["CODEBUILD_SRC_DIR"] == str(_src_dir(messages))
    assert (env["FROM_PROJECT"], env["FROM_OVERRIDE"], env["FROM_BUILDSPEC"]) == (
        "project",
        "override",
        "spec",
    )
    assert env["OVERRIDDEN"] == "by-buildspec"
    assert "AWS_SM_HOST_MARKER" not in env and "SM_HOST_ONLY" not in env
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/EnvRole/AWSCodeBuild-{uuid}"
    assert _output(messages)[-1] == session_arn  # stdout of aws holds the answer only
    assert (
        f"[aws] {json.dumps(['sts', 'get-caller-identity', '--query', 'Arn', '--output', 'text'])}"
        in messages
    )


def test_exported_variables_and_directory_persist_across_commands_and_phases(
    admin: boto3.Session,
) -> None:
    role = _role(admin, "StateRole", LOGS)
    _project(
        admin,
        "shell-state",
        role,
        buildspec=_spec(
            install=["export FIRST=one", 'PLAIN=not-exported; export SECOND="$FIRST-two"'],
            pre_build=[
                "mkdir -p sub/dir && cd sub/dir",
                "export MULTI=$'line one\\nline two'; export GONE=soon",
                "unset GONE",
                "IFS=,; set -u; export AFTER_IFS=kept",
            ],
            build=[
                'echo "first=$FIRST second=$SECOND plain=${PLAIN-unset} gone=${GONE-unset}"',
                'echo "after_ifs=$AFTER_IFS"',
                'echo "cwd=${PWD#"$CODEBUILD_SRC_DIR"}"',
                'printf "%s" "$MULTI" | wc -l',
                'if [ "$FIRST" = one ]; then\n  echo multi-line command ran\nfi',
                "exit 0",
                'echo "still there: $SECOND"',
            ],
        ),
    )
    build, messages = _run(admin, "shell-state")
    assert build["buildStatus"] == "SUCCEEDED", messages
    assert _output(messages) == [
        "first=one second=one-two plain=unset gone=unset",
        "after_ifs=kept",
        "cwd=/sub/dir",
        "1",
        "multi-line command ran",
        "still there: one-two",
    ]
    assert any(m.endswith("Running command exit 0") for m in messages)


def test_failing_command_fails_its_phase_and_post_build_still_runs(admin: boto3.Session) -> None:
    role = _role(admin, "FailRole", LOGS)
    _project(
        admin,
        "fails-for-real",
        role,
        buildspec=_spec(
            pre_build=['echo "pre succeeding=$CODEBUILD_BUILD_SUCCEEDING"'],
            build=["echo before", "sh -c 'exit 3'", "echo skipped-command"],
            post_build=['echo "post succeeding=$CODEBUILD_BUILD_SUCCEEDING"'],
        ),
    )
    build, messages = _run(admin, "fails-for-real")
    assert build["buildStatus"] == "FAILED"
    phases = _phases(build)
    assert list(phases) == list(runner.phases.PHASES)
    assert phases["BUILD"]["phaseStatus"] == "FAILED"
    assert phases["BUILD"]["contexts"] == [
        {
            "statusCode": "COMMAND_EXECUTION_ERROR",
            "message": "Error while executing command: sh -c 'exit 3'. Reason: exit status 3",
        }
    ]
    assert phases["POST_BUILD"]["phaseStatus"] == "SUCCEEDED"
    assert _output(messages) == ["pre succeeding=1", "before", "post succeeding=0"]
    assert not any("skipped-command" in m for m in messages)
    assert any(
        m.endswith("Command did not exit successfully sh -c 'exit 3' exit status 3")
        for m in messages
    )
    assert any(m.endswith("Phase complete: BUILD State: FAILED") for m in messages)
    assert any(
        m.endswith(
            "Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing "
            "command: sh -c 'exit 3'. Reason: exit status 3"
        )
        for m in messages
    )


def test_stop_build_kills_a_long_command_quickly(admin: boto3.Session, tmp_path: Path) -> None:
    pid_file = tmp_path / "sleep.pid"
    role = _role(admin, "StopRole", LOGS)
    _project(
        admin,
        "stops",
        role,
        buildspec=_spec(build=['sleep 60 & echo $! > "$PID_FILE"; wait', "echo never"]),
        variables={"PID_FILE": str(pid_file)},
    )
    codebuild = admin.client("codebuild")
    build_id = codebuild.start_build(projectName="stops")["build"]["id"]
    _wait(lambda: pid_file.exists() and pid_file.read_text().strip())
    pid = int(pid_file.read_text())
    folder = _src_dir(_messages(admin, _build(admin, build_id))).parent

    asked = time.monotonic()
    stopped = codebuild.stop_build(id=build_id)["build"]
    assert stopped["buildStatus"] == "STOPPED" and stopped["buildComplete"] is True
    assert stopped["phases"][-2]["phaseType"] == "BUILD"
    assert stopped["phases"][-2]["phaseStatus"] == "STOPPED"
    _wait(lambda: _dead(pid), timeout=5)
    assert time.monotonic() - asked < 3  # SIGTERM ended it: no 60 s, no SIGKILL grace needed
    _wait(lambda: not folder.exists(), timeout=5)
    messages = _messages(admin, _build(admin, build_id))
    assert messages[-1].endswith("Phase complete: BUILD State: STOPPED")
    assert "never" not in _output(messages)


def test_timeout_kills_the_command_and_ends_timed_out(
    admin: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A minute lasts 0.3 s here: the smallest timeout AWS allows, 5 minutes, is 1.5 s.
    monkeypatch.setattr(runner, "SECONDS_PER_MINUTE", 0.3)
    role = _role(admin, "TimeoutRole", LOGS)
    _project(
        admin,
        "times-out",
        role,
        buildspec=_spec(build=["echo sleeping", "sleep 30"], post_build=["echo post"]),
        timeoutInMinutes=60,
    )
    started = time.monotonic()
    build, messages = _run(admin, "times-out", timeoutInMinutesOverride=5)
    assert time.monotonic() - started < 10
    assert build["buildStatus"] == "TIMED_OUT"
    assert build["timeoutInMinutes"] == 5
    kinds = [p["phaseType"] for p in build["phases"]]
    assert kinds[-2:] == ["BUILD", "COMPLETED"]
    assert build["phases"][-2]["phaseStatus"] == "TIMED_OUT"
    assert build["phases"][-2]["contexts"] == [
        {"statusCode": "BUILD_TIMED_OUT", "message": "Build has timed out. "}
    ]
    assert any(m.endswith("Phase complete: BUILD State: TIMED_OUT") for m in messages)
    assert "post" not in _output(messages)


# --- sources -----------------------------------------------------------------------------


BUILDSPEC_FILE = _spec(build=["ls -A | sort"])


@pytest.mark.parametrize(
    ("entries", "links", "refused"),
    [
        ({"../escaped.txt": "x"}, {}, "../escaped.txt"),
        ({"nested/../../escaped.txt": "x"}, {}, "nested/../../escaped.txt"),
        ({"/tmp/sm-emulator-absolute-entry.txt": "x"}, {}, "/tmp/sm-emulator-absolute-entry.txt"),
        ({"through-link/evil.txt": "x"}, {"through-link": "/tmp"}, "through-link/evil.txt"),
    ],
)
def test_zip_slip_is_refused(
    admin: boto3.Session, entries: dict[str, str], links: dict[str, str], refused: str
) -> None:
    role = _role(admin, "SlipRole", LOGS, SOURCES)
    files: dict[str, str | bytes] = {"buildspec.yml": BUILDSPEC_FILE, **entries}
    # A link comes before the entry that would be written through it.
    body = _zip(files, links, links_first=True)
    _project(admin, "slip", role, zip_key=_upload(admin, "slip.zip", body))
    build, messages = _run(admin, "slip")
    assert build["buildStatus"] == "FAILED"
    phases = _phases(build)
    assert list(phases)[-3:] == ["DOWNLOAD_SOURCE", "FINALIZING", "COMPLETED"]
    (context,) = phases["DOWNLOAD_SOURCE"]["contexts"]
    assert context["statusCode"] == "CLIENT_ERROR"
    assert repr(refused) in context["message"]
    assert not any("Entering phase" in m for m in messages)
    assert not Path("/tmp/sm-emulator-absolute-entry.txt").exists()
    assert not Path("/tmp/evil.txt").exists()


def test_symlinks_in_the_zip_are_recreated_as_links(admin: boto3.Session) -> None:
    role = _role(admin, "LinkRole", LOGS, SOURCES)
    body = _zip(
        {
            "buildspec.yml": _spec(
                build=[
                    "test -L link.txt && readlink link.txt && cat link.txt",
                    "test -L outside && readlink outside",
                    "stat -c %A tool.sh",
                ]
            ),
            "target.txt": "pointed at\n",
            "tool.sh": b"#!/bin/sh\n",
        },
        links={"link.txt": "target.txt", "outside": "/etc/hostname"},
    )
    _project(admin, "links", role, zip_key=_upload(admin, "links.zip", body))
    build, messages = _run(admin, "links")
    assert build["buildStatus"] == "SUCCEEDED", messages
    assert _output(messages) == ["target.txt", "pointed at", "/etc/hostname", "-rw-------"]


# --- the service role --------------------------------------------------------------------


def test_provisioning_fails_when_the_role_may_not_create_the_log_stream(
    admin: boto3.Session, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    role = _role(admin, "NoLogsRole")
    _project(admin, "no-logs", role, buildspec=_spec(build=[f"touch {marker}"]))
    build, messages = _run(admin, "no-logs")
    assert build["buildStatus"] == "FAILED"
    kinds = [p["phaseType"] for p in build["phases"]]
    assert kinds == ["SUBMITTED", "QUEUED", "PROVISIONING", "FINALIZING", "COMPLETED"]
    uuid = build["id"].split(":", 1)[1]
    stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/codebuild/no-logs:log-stream:{uuid}"
    assert _phases(build)["PROVISIONING"]["contexts"] == [
        {
            "statusCode": "ACCESS_DENIED",
            "message": f"Service role {role} does not allow AWS CodeBuild to create Amazon "
            f"CloudWatch Logs log streams for build {build['arn']}. Error message: User: "
            f"arn:aws:sts::{ACCOUNT}:assumed-role/NoLogsRole/AWSCodeBuild-{uuid} is not "
            f"authorized to perform: logs:CreateLogStream on resource: {stream} because no "
            "identity-based policy allows the logs:CreateLogStream action",
        }
    ]
    assert messages == [] and "groupName" not in build["logs"]
    assert not marker.exists()

    # Without CloudWatch Logs the same role needs nothing: the command runs.
    build, _ = _run(admin, "no-logs", logsConfigOverride={"cloudWatchLogs": {"status": "DISABLED"}})
    assert build["buildStatus"] == "SUCCEEDED"
    assert marker.exists()


@pytest.mark.parametrize(
    ("grant", "location", "expected"),
    [
        (False, f"{BUCKET}/source.zip", "AccessDenied"),
        (True, f"arn:aws:s3:::{BUCKET}/missing.zip", "NoSuchKey"),
        (True, "no-such-bucket/source.zip", "NoSuchBucket"),
    ],
)
def test_download_source_fails_without_the_object(
    admin: boto3.Session, grant: bool, location: str, expected: str
) -> None:
    _upload(admin, "source.zip", _zip({"buildspec.yml": BUILDSPEC_FILE}))
    statements = [LOGS, {**SOURCES, "Resource": "arn:aws:s3:::*/*"}] if grant else [LOGS]
    role = _role(admin, "SourceRole", *statements)
    admin.client("codebuild").create_project(
        name="source-check",
        source={"type": "S3", "location": location},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=role,
    )
    build, messages = _run(admin, "source-check")
    assert build["buildStatus"] == "FAILED"
    (context,) = _phases(build)["DOWNLOAD_SOURCE"]["contexts"]
    assert context["statusCode"] == "CLIENT_ERROR"
    assert context["message"].startswith(f"{expected}: ")
    bucket, _, key = location.removeprefix("arn:aws:s3:::").partition("/")
    assert f"arn:aws:s3:::{bucket}/{key}" in context["message"]
    if not grant:
        assert "s3:GetObject" in context["message"]
    assert any(m.endswith("Phase complete: DOWNLOAD_SOURCE State: FAILED") for m in messages)


@pytest.mark.parametrize(
    ("buildspec", "message"),
    [
        ("version: 0.2\nphases: [\n", "yaml: line"),
        ("version: 0.2\nphases:\n  build:\n    commands:\n      - echo a: b\n", "subkeys"),
        ("version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\nenv: 1\n", "env"),
    ],
)
def test_a_buildspec_that_does_not_parse_fails_download_source(
    admin: boto3.Session, buildspec: str, message: str
) -> None:
    role = _role(admin, "YamlRole", LOGS)
    _project(admin, "bad-yaml", role, buildspec=buildspec)
    build, _ = _run(admin, "bad-yaml")
    assert build["buildStatus"] == "FAILED"
    (context,) = _phases(build)["DOWNLOAD_SOURCE"]["contexts"]
    assert context["statusCode"] == "YAML_FILE_ERROR"
    assert message in context["message"]


def test_buildspec_missing_from_the_zip_and_other_variable_types(admin: boto3.Session) -> None:
    role = _role(admin, "MissingRole", LOGS, SOURCES)
    _project(admin, "no-spec", role, zip_key=_upload(admin, "empty.zip", _zip({"a.txt": "a"})))
    build, _ = _run(admin, "no-spec")
    (context,) = _phases(build)["DOWNLOAD_SOURCE"]["contexts"]
    assert context == {"statusCode": "YAML_FILE_ERROR", "message": "YAML file does not exist"}


def test_parameter_store_variables_are_resolved_as_the_service_role(
    admin: boto3.Session,
) -> None:
    """As CodeBuild does (aws/aws-cdk #9980, #11032; docs/aws-behaviours.md): after
    "Processing environment variables" it reads each PARAMETER_STORE variable with the
    service role; denied or missing, DOWNLOAD_SOURCE fails with "Decrypted Variables Error"."""
    value = "s3cr3t value with spaces"
    reads = {
        "Effect": "Allow",
        "Action": "ssm:GetParameters",
        "Resource": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/my/param",
    }
    variable = [{"name": "TOKEN", "value": "/my/param", "type": "PARAMETER_STORE"}]
    spec = _spec(build=['printf "%s" "$TOKEN" | wc -c'])

    denied = _role(admin, "NoParamRole", LOGS)
    _project(admin, "param-denied", denied, buildspec=spec)
    build, messages = _run(admin, "param-denied", environmentVariablesOverride=variable)
    assert build["buildStatus"] == "FAILED"
    (context,) = _phases(build)["DOWNLOAD_SOURCE"]["contexts"]
    assert context["statusCode"] == "Decrypted Variables Error"
    assert context["message"].startswith("AccessDeniedException: User: arn:aws:sts::")
    assert f"ssm:GetParameters on resource: {reads['Resource']}" in context["message"]
    assert any("Decrypting parameter store environment variables" in m for m in messages)

    allowed = _role(admin, "ParamRole", LOGS, reads)
    _project(admin, "param-read", allowed, buildspec=spec)
    build, _ = _run(admin, "param-read", environmentVariablesOverride=variable)
    (context,) = _phases(build)["DOWNLOAD_SOURCE"]["contexts"]
    assert context == {
        "statusCode": "Decrypted Variables Error",
        "message": "parameter does not exist: /my/param",
    }

    admin.client("ssm").put_parameter(Name="/my/param", Value=value, Type="SecureString")
    build, messages = _run(admin, "param-read", environmentVariablesOverride=variable)
    assert build["buildStatus"] == "SUCCEEDED"
    assert str(len(value)) in _output(messages)
    assert not any(value in m for m in messages)


# --- the stand-ins -----------------------------------------------------------------------


def test_docker_stand_in_receives_every_argument_intact(admin: boto3.Session) -> None:
    argv = [
        "version",
        "two words",
        'it\'s "quoted"',
        "$(touch pwned-substitution)",
        "`touch pwned-backtick`",
        "a; touch pwned-semicolon",
        "line one\nline two",
        "tab\there",
        "back\\slash",
        "*",
        "",
        "ünïcödé ✓",
    ]
    encoded = base64.b64encode(b"".join(a.encode() + b"\0" for a in argv)).decode()
    role = _role(admin, "ArgvRole", LOGS)
    _project(
        admin,
        "argv",
        role,
        buildspec=_spec(
            build=[
                "mapfile -d '' -t ARGV < <(printf '%s' \"$ARGV_B64\" | base64 -d)\n"
                'docker "${ARGV[@]}" || true',
                'echo "pwned files: $(ls | grep -c pwned)"',
            ]
        ),
        variables={"ARGV_B64": encoded},
    )
    build, messages = _run(admin, "argv")
    assert build["buildStatus"] == "SUCCEEDED", messages
    (line,) = [m for m in messages if m.startswith("[docker] ")]
    assert json.loads(line.removeprefix("[docker] ")) == argv
    assert "pwned files: 0" in messages


def test_docker_build_lists_what_dockerignore_keeps(admin: boto3.Session) -> None:
    role = _role(admin, "ContextRole", LOGS, SOURCES)
    dockerignore = "\n".join(
        [
            "# a comment, and the file named like the next comment stays",
            "#notes",
            "**/*.pyc",
            "docs",
            "!docs/keep.md",
            "   node_modules   ",
            "",
            "*.log",
            "!important.log",
        ]
    )
    files: dict[str, str | bytes] = {
        "buildspec.yml": _spec(build=["docker build -t context-test:1 ."]),
        "Dockerfile": "FROM scratch\nCOPY . /app\n",
        ".dockerignore": dockerignore,
        "#notes": "kept",
        "app.py": "print(1)\n",
        "top.pyc": b"\0",
        "src/a.py": "",
        "src/b.pyc": b"\0",
        "deep/x/y/z.pyc": b"\0",
        "docs/x.md": "",
        "docs/keep.md": "",
        "node_modules/m/index.js": "",
        "debug.log": "",
        "important.log": "",
    }
    body = _zip(files, links={"link-to-app": "app.py"})
    _project(admin, "context", role, zip_key=_upload(admin, "context.zip", body))
    build, messages = _run(admin, "context")
    assert build["buildStatus"] == "SUCCEEDED", messages
    listed = [
        json.loads(m.removeprefix("[docker] context-file "))
        for m in messages
        if m.startswith("[docker] context-file ")
    ]
    assert listed == [
        "#notes",
        ".dockerignore",
        "Dockerfile",
        "app.py",
        "buildspec.yml",
        "docs/keep.md",
        "important.log",
        "link-to-app",
        "src/a.py",
    ]
    assert "Successfully tagged context-test:1" in messages
    assert not any(m.startswith("[docker] pull ") for m in messages)  # FROM scratch


def test_registry_cache_export_is_seen_by_a_later_build(admin: boto3.Session) -> None:
    role = _role(admin, "CacheRole", LOGS)
    ref = f"{REGISTRY}/cache:buildcache"
    _project(
        admin,
        "cache",
        role,
        buildspec=_spec(
            build=[
                "printf 'FROM scratch\\n' > Dockerfile",
                "docker buildx build --cache-from type=registry,ref=$REF "
                "--cache-to type=registry,ref=$REF,mode=max --provenance=false -t c:1 .",
            ]
        ),
        variables={"REF": ref},
    )
    _, first = _run(admin, "cache")
    _, second = _run(admin, "cache")
    assert f"[docker] cache-import {json.dumps(ref)} miss" in first
    assert f"[docker] cache-export {json.dumps(ref)}" in first
    assert f"[docker] cache-import {json.dumps(ref)} hit" in second


BASE_IMAGE = "public.ecr.aws/docker/library/python:3.11-slim"
PUSH_SPEC = _spec(
    build=[
        f"printf 'FROM {BASE_IMAGE}\\nCOPY . /app\\n' > Dockerfile",
        "docker build -t $REGISTRY/pushed:v1 .",
    ],
    post_build=["docker push $REGISTRY/pushed:v1"],
)


def test_docker_push_after_login_registers_the_image(admin: boto3.Session) -> None:
    ecr = admin.client("ecr")
    ecr.create_repository(repositoryName="pushed")
    role = _role(
        admin, "PushRole", LOGS, ECR_LOGIN, _push_to("pushed", *LAYER_PUSH, "ecr:PutImage")
    )
    spec = PUSH_SPEC.replace(
        "  post_build:\n",
        "  pre_build:\n    commands:\n      - |-\n        aws ecr get-login-password --region "
        f"{REGION} | docker login --username AWS --password-stdin $REGISTRY\n  post_build:\n",
    )
    _project(admin, "pushes", role, buildspec=spec, variables={"REGISTRY": REGISTRY})
    build, messages = _run(admin, "pushes")
    assert build["buildStatus"] == "SUCCEEDED", messages
    assert "Login Succeeded" in messages
    assert f"[docker] pull {json.dumps(BASE_IMAGE)}" in messages
    (pushed,) = [m for m in messages if m.startswith("v1: digest: ")]
    digest = pushed.split()[2]
    (image,) = ecr.describe_images(repositoryName="pushed", imageIds=[{"imageTag": "v1"}])[
        "imageDetails"
    ]
    assert image["imageDigest"] == digest
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)


def test_docker_push_without_login_fails(admin: boto3.Session) -> None:
    admin.client("ecr").create_repository(repositoryName="pushed")
    role = _role(
        admin, "NoLoginRole", LOGS, ECR_LOGIN, _push_to("pushed", *LAYER_PUSH, "ecr:PutImage")
    )
    _project(admin, "no-login", role, buildspec=PUSH_SPEC, variables={"REGISTRY": REGISTRY})
    build, messages = _run(admin, "no-login")
    assert build["buildStatus"] == "FAILED"
    assert _phases(build)["POST_BUILD"]["contexts"] == [
        {
            "statusCode": "COMMAND_EXECUTION_ERROR",
            "message": "Error while executing command: docker push $REGISTRY/pushed:v1. Reason: "
            "exit status 1",
        }
    ]
    assert "no basic auth credentials" in messages
    assert admin.client("ecr").describe_images(repositoryName="pushed")["imageDetails"] == []


def test_docker_push_denied_by_iam_fails_the_phase(admin: boto3.Session) -> None:
    admin.client("ecr").create_repository(repositoryName="pushed")
    role = _role(admin, "NoPutRole", LOGS, ECR_LOGIN, _push_to("pushed", *LAYER_PUSH))
    spec = PUSH_SPEC.replace(
        "  post_build:\n",
        "  pre_build:\n    commands:\n      - $(aws ecr get-login --no-include-email)\n"
        "  post_build:\n",
    )
    _project(admin, "denied-push", role, buildspec=spec, variables={"REGISTRY": REGISTRY})
    build, messages = _run(admin, "denied-push")
    assert build["buildStatus"] == "FAILED"
    assert _phases(build)["POST_BUILD"]["phaseStatus"] == "FAILED"
    uuid = build["id"].split(":", 1)[1]
    assert (
        f"denied: User: arn:aws:sts::{ACCOUNT}:assumed-role/NoPutRole/AWSCodeBuild-{uuid} is not "
        "authorized to perform: ecr:PutImage on resource: "
        f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/pushed because no identity-based policy "
        "allows the ecr:PutImage action"
    ) in messages
    assert admin.client("ecr").describe_images(repositoryName="pushed")["imageDetails"] == []


def test_the_real_docker_and_aws_are_never_run(
    admin: boto3.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "host-bin"
    fake.mkdir()
    for name in ("docker", "aws"):
        script = fake / name
        script.write_text(f"#!/bin/sh\ntouch {tmp_path}/real-{name}-ran\n")
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ.get('PATH', '')}")
    role = _role(admin, "PathRole", LOGS)
    _project(
        admin,
        "no-real-binaries",
        role,
        buildspec=_spec(
            build=[
                "command -v docker aws",
                "docker version --format '{{.Server.Version}}'",
                "aws ecr describe-repositories || echo aws exit $?",
                "aws sts get-caller-identity >/dev/null",
            ]
        ),
    )
    build, messages = _run(admin, "no-real-binaries")
    assert build["buildStatus"] == "SUCCEEDED", messages
    bin_dir = _src_dir(messages).parent / "bin"
    output = _output(messages)
    assert output[:2] == [str(bin_dir / "docker"), str(bin_dir / "aws")]
    assert '[docker] ["version", "--format", "{{.Server.Version}}"]' in output
    assert any("not supported by the emulator's aws stand-in" in line for line in output)
    assert "aws exit 252" in output
    assert not list(tmp_path.glob("real-*-ran"))


# --- lifecycle ---------------------------------------------------------------------------


def _start_sleeper(admin: boto3.Session, tmp_path: Path, name: str) -> tuple[str, int]:
    pid_file = tmp_path / f"{name}.pid"
    role = _role(admin, f"{name}-role", LOGS)
    _project(
        admin,
        name,
        role,
        buildspec=_spec(build=['sleep 60 & echo $! > "$PID_FILE"; wait']),
        variables={"PID_FILE": str(pid_file)},
    )
    build_id = admin.client("codebuild").start_build(projectName=name)["build"]["id"]
    _wait(lambda: pid_file.exists() and pid_file.read_text().strip())
    return build_id, int(pid_file.read_text())


def test_emulator_stop_ends_running_builds(
    emulator: Emulator, admin: boto3.Session, tmp_path: Path
) -> None:
    build_id, pid = _start_sleeper(admin, tmp_path, "lifecycle")
    (active,) = runner.running()
    assert active.plan.build_id == build_id
    emulator.stop()
    assert runner.running() == [] and not active.alive
    assert not active.folder.exists()
    _wait(lambda: _dead(pid), timeout=3)
    assert runner.endpoint_url() is None


def test_moto_reset_ends_running_builds(
    emulator: Emulator, admin: boto3.Session, tmp_path: Path
) -> None:
    _start_sleeper(admin, tmp_path, "reset")
    (active,) = runner.running()
    request = urllib.request.Request(f"{emulator.endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    _wait(lambda: not active.alive, timeout=5)
    assert not active.folder.exists()
