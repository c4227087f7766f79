"""The real `sm-docker` CLI (PyPI sagemaker-studio-image-build 0.6.0), unmodified, against the
emulator: issue 2 requires that real clients work, log tail included.

The CLI lives in its own virtualenv (scripts/smdocker-venv.sh, pinned by
scripts/smdocker-requirements.txt) because it drags in the SageMaker Python SDK < 3, which the
project does not depend on. With ``--bucket`` and ``--role`` it never imports that SDK (the
SDK pins the STS endpoint, so the default-bucket and role-discovery paths could not be pointed
at an emulator anyway); everything else goes through boto3, which follows AWS_ENDPOINT_URL.

The emulator really runs the buildspec sm-docker zips (its ``aws``/``docker`` calls reach the
emulator's stand-ins, never the real binaries), so the build role gets the permissions a real
build needs, and the succeeding run's image lands in the emulator's ECR.

Why this module takes about a minute: sm-docker's log tail sleeps a hard-coded 10 s between
reads and re-checks the build status only every 30 s, so a build that is still running when it
starts tailing (the real case, and the one worth proving) costs it 40-50 s however short the
build. The runs therefore go concurrently; the injected failure is a process-wide emulator
setting that a build captures at StartBuild, so the failing run starts only once the
succeeding run's build exists.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sm_studio_setup.emulator.core.server import Emulator

from ..smdocker import SmDockerUnavailable, smdocker_env
from ..smdocker import smdocker_executable as built_smdocker
from .support import trust_policy

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "smdocker-client-test"
REPOSITORY, TAG = "smd-model", "v1"
BUILD_ROLE = "SmDockerBuildRole"  # trusts CodeBuild and SageMaker, as sm-docker needs
SAGEMAKER_ONLY_ROLE = "SmDockerSageMakerOnlyRole"  # the usual Studio role: no CodeBuild trust
IMAGE_URI = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}:{TAG}"
ZIP_KEY = re.compile(r"codebuild-sagemaker-container-[A-Za-z]{16}\.zip")
BUILD_SECONDS = 2.0
RUN_TIMEOUT = 180  # sm-docker needs ~50 s for a tailed build; more means it hangs
DOCKERFILE = "FROM public.ecr.aws/docker/library/python:3.11-slim\nRUN echo built\n"
# docs/sm-docker.md, "What the CodeBuild role needs while the build runs".
BUILD_ROLE_POLICY = json.dumps(
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
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
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
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{REPOSITORY}",
            },
        ],
    }
)


@dataclass
class SmDockerRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    build: dict[str, Any] | None = None  # BatchGetBuilds after the run, when a build ran
    log_messages: list[str] | None = None  # what the emulator wrote to the build's log stream

    def describe(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def smdocker_executable() -> str:
    """Builds (or finds) the separate venv; never skips: a missing venv is made here."""
    try:
        return built_smdocker()
    except SmDockerUnavailable as exc:
        pytest.fail(str(exc))


def client_env(emulator: Emulator, home: Path) -> dict[str, str]:
    return smdocker_env(emulator, home)


def make_context(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "Dockerfile").write_text(DOCKERFILE)
    (path / "app.py").write_text("print('hello')\n")
    return path


def start_smdocker(
    exe: str, context: Path, env: dict[str, str], role: str
) -> tuple[subprocess.Popen[str], float]:
    # sm-docker zips its working directory, so cwd is the context and "." is what it passes on
    # to `docker build` inside the buildspec.
    command = [exe, "build", ".", "--bucket", BUCKET, "--role", role]
    command += ["--repository", f"{REPOSITORY}:{TAG}"]
    process = subprocess.Popen(
        command, cwd=context, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return process, time.monotonic()


def finish(process: subprocess.Popen[str], started: float) -> SmDockerRun:
    try:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"sm-docker did not finish in {RUN_TIMEOUT} s\n{stdout}\n{stderr}")
    return SmDockerRun(process.returncode, stdout, stderr, time.monotonic() - started)


def wait_for_first_build(admin: boto3.Session, process: subprocess.Popen[str]) -> str:
    codebuild = admin.client("codebuild")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ids: list[str] = codebuild.list_builds()["ids"]
        if ids:
            return ids[0]
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"sm-docker ended before starting a build\n{out}\n{err}")
        time.sleep(0.05)
    pytest.fail("sm-docker started no build within 60 s")


def control(emulator: Emulator, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"{emulator.endpoint_url}/_sm_emulator{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def attach_build(admin: boto3.Session, run: SmDockerRun, build_id: str) -> None:
    build = admin.client("codebuild").batch_get_builds(ids=[build_id])["builds"][0]
    run.build = dict(build)
    logs = build["logs"]
    events = admin.client("logs").get_log_events(
        logGroupName=logs["groupName"], logStreamName=logs["streamName"], startFromHead=True
    )["events"]
    run.log_messages = [event["message"].rstrip() for event in events]


def run_concurrently(
    exe: str,
    base: Path,
    env: dict[str, str],
    emulator: Emulator,
    admin: boto3.Session,
    started: list[subprocess.Popen[str]],
) -> tuple[SmDockerRun, SmDockerRun, SmDockerRun, str]:
    """(succeeded, failed, untrusted, id of the succeeding build); ``started`` collects the
    processes so the caller can end them if this fails midway."""
    control(emulator, "/codebuild", {"fail_phase": ""})
    ok_process, ok_started = start_smdocker(exe, make_context(base / "ok"), env, BUILD_ROLE)
    started.append(ok_process)
    untrusted_process, untrusted_started = start_smdocker(
        exe, make_context(base / "untrusted"), env, SAGEMAKER_ONLY_ROLE
    )
    started.append(untrusted_process)
    ok_build = wait_for_first_build(admin, ok_process)
    state = control(emulator, "/codebuild", {"fail_phase": "BUILD"})
    assert state["fail_phase"] == "BUILD"
    failing_process, failing_started = start_smdocker(
        exe, make_context(base / "failing"), env, BUILD_ROLE
    )
    started.append(failing_process)
    succeeded = finish(ok_process, ok_started)
    failed = finish(failing_process, failing_started)
    untrusted = finish(untrusted_process, untrusted_started)
    return succeeded, failed, untrusted, ok_build


@dataclass
class Runs:
    succeeded: SmDockerRun
    failed: SmDockerRun
    untrusted: SmDockerRun
    admin: boto3.Session


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    exe = smdocker_executable()
    base = tmp_path_factory.mktemp("smdocker")
    with Emulator(seed="none", build_seconds=BUILD_SECONDS) as emulator:
        admin = emulator.admin_session()
        iam = admin.client("iam")
        iam.create_role(
            RoleName=BUILD_ROLE,
            AssumeRolePolicyDocument=trust_policy(
                "codebuild.amazonaws.com", "sagemaker.amazonaws.com"
            ),
        )
        # The build really runs (enforcement on): the role needs what a real build needs.
        iam.put_role_policy(
            RoleName=BUILD_ROLE, PolicyName="image-build", PolicyDocument=BUILD_ROLE_POLICY
        )
        iam.create_role(
            RoleName=SAGEMAKER_ONLY_ROLE,
            AssumeRolePolicyDocument=trust_policy("sagemaker.amazonaws.com"),
        )
        s3 = admin.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        # Versioning keeps what sm-docker uploaded readable after it deletes the zip, and turns
        # its DeleteObject into a visible delete marker.
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        env = client_env(emulator, base)

        started: list[subprocess.Popen[str]] = []
        try:
            succeeded, failed, untrusted, ok_build = run_concurrently(
                exe, base, env, emulator, admin, started
            )
        finally:
            for process in started:  # only when a run failed the fixture midway
                if process.poll() is None:
                    process.kill()
                    process.wait()
        build_ids = admin.client("codebuild").list_builds()["ids"]
        assert len(build_ids) == 2, (build_ids, failed.describe(), untrusted.describe())
        attach_build(admin, succeeded, ok_build)
        attach_build(admin, failed, next(i for i in build_ids if i != ok_build))
        yield Runs(succeeded, failed, untrusted, admin)


def output_lines(run: SmDockerRun) -> list[str]:
    return [line.rstrip() for line in run.stdout.splitlines()]


def assert_log_tail_complete(run: SmDockerRun) -> None:
    """Every line the emulator wrote to the build's stream is printed once, in order, as one
    block: the tail neither lost nor repeated events across its polls."""
    messages = run.log_messages
    assert messages, run.describe()
    lines = output_lines(run)
    assert messages[0] in lines, run.describe()
    first = lines.index(messages[0])
    assert lines[first : first + len(messages)] == messages, run.describe()
    container = [line for line in lines if line.startswith("[Container]")]
    assert container == [m for m in messages if m.startswith("[Container]")]


def test_succeeding_build_exits_zero_and_prints_the_image_uri(runs: Runs) -> None:
    run = runs.succeeded
    assert run.returncode == 0, run.describe()
    lines = output_lines(run)
    assert f"Created ECR repository {REPOSITORY}" in lines, run.describe()
    assert lines[-1] == f"Image URI: {IMAGE_URI}", run.describe()
    assert run.build is not None
    assert run.build["buildStatus"] == "SUCCEEDED"
    assert run.build["environment"]["image"] == "aws/codebuild/standard:4.0"
    assert run.build["serviceRole"] == f"arn:aws:iam::{ACCOUNT}:role/{BUILD_ROLE}"
    variables = {v["name"]: v["value"] for v in run.build["environment"]["environmentVariables"]}
    assert variables == {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCOUNT_ID": ACCOUNT,
        "IMAGE_REPO_NAME": REPOSITORY,
        "IMAGE_TAG": TAG,
    }
    repository = runs.admin.client("ecr").describe_repositories(repositoryNames=[REPOSITORY])
    assert repository["repositories"][0]["repositoryUri"] == IMAGE_URI.rsplit(":", 1)[0]
    # The buildspec really ran: get-login, build, tag and push reached the emulator's ECR.
    images = runs.admin.client("ecr").describe_images(repositoryName=REPOSITORY)
    (image,) = images["imageDetails"]
    assert image["imageTags"] == [TAG]
    assert f"{TAG}: digest: {image['imageDigest']} size: " in run.stdout, run.describe()


def test_log_tail_prints_the_container_lines_the_emulator_wrote(runs: Runs) -> None:
    run = runs.succeeded
    assert_log_tail_complete(run)
    lines = output_lines(run)
    # From the buildspec inside the uploaded zip, with sm-docker's extra argument "." in it.
    assert any(
        line.endswith("Running command docker build -t $IMAGE_REPO_NAME:$IMAGE_TAG .")
        for line in lines
    ), run.describe()
    assert any(line.endswith("Phase complete: POST_BUILD State: SUCCEEDED") for line in lines)
    assert "Building the Docker image..." in lines  # an echo command's own output
    assert "Login Succeeded" in lines  # $(aws ecr get-login ...) ran the docker login it printed
    assert f"[docker] {json.dumps(['push', IMAGE_URI])}" in lines
    assert not any("FAILED" in line for line in lines)
    # The tail really waited for a running build rather than reading a finished one once.
    assert run.seconds > 20, run.seconds


def test_failed_build_shows_the_failed_phase_but_sm_docker_exits_zero(runs: Runs) -> None:
    run = runs.failed
    assert run.build is not None
    assert run.build["buildStatus"] == "FAILED"
    failed_phases = [
        p["phaseType"] for p in run.build["phases"] if p.get("phaseStatus") == "FAILED"
    ]
    assert failed_phases == ["BUILD"]
    assert_log_tail_complete(run)
    lines = output_lines(run)
    assert any(line.endswith("Phase complete: BUILD State: FAILED") for line in lines)
    assert any(
        "Command did not exit successfully docker tag" in line and "exit status 1" in line
        for line in lines
    ), run.describe()
    # sm-docker's known defect, pinned: it never looks at the final build status, so a FAILED
    # build exits 0 and still announces the image as if the build had worked (here POST_BUILD,
    # which AWS still runs after a BUILD failure, did push it). The project's own build
    # command must not copy this.
    assert run.returncode == 0, run.describe()
    assert lines[-1] == f"Image URI: {IMAGE_URI}", run.describe()


@pytest.mark.parametrize("which", ["succeeded", "failed"])
def test_project_and_zip_are_cleaned_up(runs: Runs, which: str) -> None:
    run: SmDockerRun = getattr(runs, which)
    assert run.build is not None
    project = run.build["projectName"]
    assert re.fullmatch(r"sagemaker-studio-.+-[A-Za-z]{16}", project), project
    codebuild = runs.admin.client("codebuild")
    assert project not in codebuild.list_projects()["projects"]
    # (moto's BatchGetProjects omits AWS's projectsNotFound; an empty list is what it shows.)
    assert codebuild.batch_get_projects(names=[project])["projects"] == []

    bucket, _, key = run.build["source"]["location"].partition("/")
    assert bucket == BUCKET
    assert ZIP_KEY.fullmatch(key), key
    s3 = runs.admin.client("s3")
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=BUCKET, Key=key)
    assert missing.value.response["Error"]["Code"] == "404"
    history = s3.list_object_versions(Bucket=BUCKET, Prefix=key)
    assert [m["IsLatest"] for m in history.get("DeleteMarkers", [])] == [True]
    (uploaded,) = history["Versions"]
    body = s3.get_object(Bucket=BUCKET, Key=key, VersionId=uploaded["VersionId"])["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = set(archive.namelist())
        assert {"Dockerfile", "app.py", "buildspec.yml"} <= names, names
        assert archive.read("Dockerfile").decode() == DOCKERFILE
        buildspec = archive.read("buildspec.yml").decode()
    assert "docker build -t $IMAGE_REPO_NAME:$IMAGE_TAG ." in buildspec


def test_role_without_codebuild_trust_fails_at_create_project(runs: Runs) -> None:
    run = runs.untrusted
    assert run.returncode == 1, run.describe()
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{SAGEMAKER_ONLY_ROLE}"
    assert "InvalidInputException" in run.stderr, run.describe()
    assert f"CodeBuild is not authorized to perform: sts:AssumeRole on {role_arn}" in run.stderr
    assert "Image URI" not in run.stdout
    # It had already uploaded the context, and its `finally` still deletes the zip; no project
    # was created, and only the two other runs started builds.
    s3 = runs.admin.client("s3")
    history = s3.list_object_versions(Bucket=BUCKET)
    assert len(history["Versions"]) == 3
    assert len(history["DeleteMarkers"]) == 3
    assert runs.admin.client("codebuild").list_projects()["projects"] == []
