"""A build on Studio's own Docker, end to end: `sm-studio-setup build` in a space whose domain
enables Docker (the emulator's `--docker enabled`: DockerSettings and its Engine API stand-in on
DOCKER_HOST), judged by what reached AWS and the daemon (GET /_sm_emulator/stats)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sm_studio_setup.emulator.core.server import CONTROL_PREFIX
from sm_studio_setup.service.build.records import Records

from ..emulator_process import REPO, EmulatorProcess
from ..openapi import validate
from .support import REPOSITORY, TAG, admin, build_folder, cli, cli_env, control

# What a build in the space never sends: it needs no project, no upload and no role change.
_CODEBUILD_PATH = (
    "codebuild:CreateProject",
    "codebuild:StartBuild",
    "s3:PutObject",
    "s3:CreateMultipartUpload",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
)


@pytest.fixture(scope="module")
def emulator(start_emulator: Callable[..., EmulatorProcess]) -> Iterator[EmulatorProcess]:
    emulator = start_emulator("self-service", "--docker", "enabled", "--build-seconds", "1")
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def env(emulator: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return cli_env(emulator, tmp_path_factory.mktemp("config"))


@pytest.fixture(autouse=True)
def _docker_as_seeded(emulator: EmulatorProcess) -> Iterator[None]:
    yield
    control(
        emulator,
        "/docker",
        {
            "enabled": True,
            "vpc_only": False,
            "trusted_accounts": [],
            "fail": "",
            "build_seconds": 0,
        },
    )


def _stats(emulator: EmulatorProcess) -> dict[str, int]:
    url = emulator.env["AWS_ENDPOINT_URL"] + CONTROL_PREFIX + "/stats"
    with urllib.request.urlopen(url, timeout=10) as answer:
        found: dict[str, int] = json.loads(answer.read())["by_operation"]
    return found


def _build(env: dict[str, str], folder: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    """The exit code, the JSON summary (or error) on stdout, and both streams as the log."""
    done = cli(env, "build", str(folder), "--json", *args)
    summary: dict[str, Any] = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, summary, done.stderr + done.stdout


def _folder(root: Path) -> Path:
    """A folder whose every instruction is its own, so the daemon's layer cache (which skips a
    step's time) cannot answer for it."""
    return build_folder(
        root,
        "FROM public.ecr.aws/docker/library/python:3.12-slim\n"
        f"ARG GREETING\nRUN echo {uuid.uuid4().hex}\nCOPY app.py /app.py\n",
        unique=False,
    )


def _tags(emulator: EmulatorProcess, digest: str) -> set[str]:
    details = admin(emulator, "ecr").describe_images(
        repositoryName=REPOSITORY, imageIds=[{"imageDigest": digest}]
    )["imageDetails"]
    return set(details[0].get("imageTags", []))


def test_auto_builds_in_the_space_and_pushes_without_codebuild(
    emulator: EmulatorProcess, env: dict[str, str], tmp_path: Path
) -> None:
    control(emulator, "/stats/reset", {})
    code, summary, log = _build(env, _folder(tmp_path / "app"))
    assert code == 0, log
    assert summary["status"] == "SUCCEEDED"
    assert summary["engine"] == "local"
    assert summary["engine_reason"].startswith("local: this space has Studio's Docker")
    steps = [step["name"] for step in summary["steps"]]
    assert "BUILD" in steps and "PUSH" in steps
    assert not {"UPLOAD", "PROJECT", "START"} & set(steps)
    assert summary["phases"] == []
    record = Records(Path(env["SM_STUDIO_SETUP_CONFIG_DIR"]) / "builds").load(summary["build_id"])
    validate(record.to_json(), "Build")
    assert record.engine == "local" and record.inputs_tag == summary["inputs_tag"]
    stats = _stats(emulator)
    assert stats.get("docker:ImageBuild") == 1
    assert stats.get("docker:ImagePush", 0) >= 1
    assert [op for op in _CODEBUILD_PATH if stats.get(op)] == []
    # The digest is ECR's, under the requested tag and the inputs tag both.
    assert summary["image_uri"].endswith(f"/{REPOSITORY}:{TAG}")
    assert _tags(emulator, summary["digest"]) >= {TAG, summary["inputs_tag"]}
    # The ECR token travels only in the push's header: never in the log or the record.
    token = admin(emulator, "ecr").get_authorization_token()["authorizationData"][0]
    assert token["authorizationToken"][:24] not in log
    assert "X-Registry-Auth" not in log and "password" not in log.lower()


def test_the_same_folder_again_builds_and_pushes_nothing(
    emulator: EmulatorProcess, env: dict[str, str], tmp_path: Path
) -> None:
    folder = _folder(tmp_path / "app")
    code, first, log = _build(env, folder)
    assert code == 0, log
    control(emulator, "/stats/reset", {})
    code, again, log = _build(env, folder)
    assert code == 0, log
    assert again["reason"] == "unchanged" and again["digest"] == first["digest"]
    assert again["unchanged_since"]["build_id"] == first["build_id"]
    stats = _stats(emulator)
    assert not [op for op in stats if op.startswith("docker:Image")], stats
    assert [op for op in _CODEBUILD_PATH if stats.get(op)] == []
    assert not stats.get("ecr:PutImage") and not stats.get("ecr:InitiateLayerUpload")
    # A build argument is an input: it builds again.
    code, changed, log = _build(env, folder, "--build-arg", "GREETING=hi")
    assert code == 0, log
    assert changed["reason"] == "" and changed["digest"] != first["digest"]
    assert _stats(emulator).get("docker:ImageBuild") == 1


def test_a_failing_step_fails_the_build_with_the_daemon_s_sentence(
    emulator: EmulatorProcess, env: dict[str, str], tmp_path: Path
) -> None:
    control(emulator, "/docker", {"fail": "build"})
    code, summary, log = _build(env, _folder(tmp_path / "app"))
    assert code == 1, log
    assert summary["status"] == "FAILED" and summary["engine"] == "local"
    assert summary["message"].startswith("The build failed on Studio's Docker:")
    assert "returned a non-zero code: 1" in summary["message"]
    assert summary["image_uri"] is None and summary["digest"] is None


def test_a_failing_push_fails_the_build_and_says_so(
    emulator: EmulatorProcess, env: dict[str, str], tmp_path: Path
) -> None:
    control(emulator, "/docker", {"fail": "push"})
    code, summary, log = _build(env, _folder(tmp_path / "app"))
    assert code == 1, log
    assert summary["status"] == "FAILED"
    assert "injected by the emulator" in summary["message"]
    assert summary["image_uri"] is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--platform", "linux/arm64"), "--platform"),
        (("--secret", "id=token,env=HOME"), "--secret"),
        (("--cache",), "--cache"),
    ],
)
def test_local_refuses_what_only_codebuild_can_do_before_reading_anything(
    emulator: EmulatorProcess,
    env: dict[str, str],
    tmp_path: Path,
    args: tuple[str, ...],
    field: str,
) -> None:
    control(emulator, "/stats/reset", {})
    code, _, log = _build(env, _folder(tmp_path / "app"), "--engine", "local", *args)
    assert code == 2, log
    assert "The local engine cannot do this build" in log and field in log
    assert not [op for op in _stats(emulator) if op.startswith("docker:")]


@pytest.mark.parametrize("network", ["--network=host", "--network", "--privileged"])
def test_what_studio_refuses_is_refused_with_a_sentence_not_a_hang(
    env: dict[str, str], tmp_path: Path, network: str
) -> None:
    args = ["--engine", "local", "--", network]
    if network == "--network":
        args.append("bridge")
    started = time.monotonic()
    code, _, log = _build(env, _folder(tmp_path / "app"), *args)
    assert code == 2, log
    assert time.monotonic() - started < 60
    assert "Error:" in log or "refused" in log or "not" in log
    assert "Traceback" not in log


def test_a_vpc_only_domain_blocks_a_base_image_it_does_not_trust(
    emulator: EmulatorProcess, env: dict[str, str], tmp_path: Path
) -> None:
    control(emulator, "/docker", {"vpc_only": True, "trusted_accounts": []})
    folder = _folder(tmp_path / "app")
    checked = cli(
        env, "check", "--engine", "local", "--dockerfile", str(folder / "Dockerfile"), "--json"
    )
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    [blocked] = [f for f in report["findings"] if f["status"] == "blocked"]
    assert blocked["blocked_by"] == "docker-settings" and blocked["source"] == "domain"
    assert blocked["resource"].startswith("public.ecr.aws/")
    assert "VpcOnlyTrustedAccounts" in blocked["why"]
    control(emulator, "/stats/reset", {})
    code, summary, log = _build(env, folder, "--engine", "local")
    assert code == 3, log
    assert summary["engine"] == "local" and summary["image_uri"] is None
    assert "VpcOnlyTrustedAccounts" in log
    assert not [op for op in _stats(emulator) if op.startswith("docker:Image")]
    # auto takes CodeBuild instead, and says why.
    checked = cli(env, "check", "--dockerfile", str(folder / "Dockerfile"), "--json")
    reason = json.loads(checked.stdout)["engine_reason"]
    assert reason.startswith("codebuild: domain d-studio-demo is VpcOnly"), reason


def test_cancel_stops_a_local_build(
    emulator: EmulatorProcess, env: dict[str, str], tmp_path: Path
) -> None:
    control(emulator, "/docker", {"build_seconds": 60})
    control(emulator, "/stats/reset", {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "sm_studio_setup", "build", str(_folder(tmp_path / "app"))],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    # The build's log is on stdout, as it comes.
    seen = ""
    deadline = time.monotonic() + 60
    while "Step 2/" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    assert "Step 2/" in seen, seen
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "BUILD     stopped" in err
    assert "STOPPED" in out + err and "interrupted" in out + err, out + err
    # The daemon's build was cancelled with the request; nothing was pushed.
    stats = _stats(emulator)
    assert stats.get("docker:ImageBuild") == 1 and not stats.get("docker:ImagePush"), stats


def test_a_dockerfile_only_buildkit_builds_goes_to_codebuild_or_is_refused(
    emulator: EmulatorProcess, env: dict[str, str], tmp_path: Path
) -> None:
    folder = build_folder(
        tmp_path / "app",
        "FROM public.ecr.aws/docker/library/python:3.12-slim\n"
        "RUN --mount=type=cache,target=/root/.cache pip install requests\n",
    )
    control(emulator, "/stats/reset", {})
    code, summary, log = _build(env, folder, "--engine", "local")
    assert code == 2, log
    assert "The local engine cannot do this build: the Dockerfile uses RUN --mount" in log
    assert not [op for op in _stats(emulator) if op.startswith("docker:Image")]
    # auto: CodeBuild, saying why (--skip-check: the seeded role is not fixed for CodeBuild).
    code, summary, log = _build(env, folder, "--skip-check")
    assert summary.get("engine") == "codebuild", log
    assert "RUN --mount" in summary["engine_reason"]
