"""`sm-studio-setup build` as users run it: a child process against an emulator of its own.

The emulator's CodeBuild really runs the buildspec with docker and aws stand-ins, so what
reaches `docker build` is read back from the stand-in's log lines.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..emulator_process import REPO, EmulatorProcess
from .support import (
    BUCKET,
    HOSTILE,
    IMAGE_URI,
    NOTHING_LEFT,
    admin,
    build_folder,
    cli,
    cli_env,
    context_files,
    control,
    docker_calls,
    images,
    leftovers,
)


def test_demo_end_to_end_gaps_fix_build(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    """The issue's acceptance: gaps stop the build before anything is uploaded; after the
    fix the build runs through its phases, prints the image, and leaves nothing behind."""
    emulator = start_emulator("self-service", "--build-seconds", "1")
    env = cli_env(emulator, tmp_path / "config")
    folder = build_folder(tmp_path / "project")

    checked = cli(env, "check")
    assert checked.returncode == 1, checked.stdout

    refused = cli(env, "build", str(folder))
    assert refused.returncode == 3, refused.stderr
    assert "Nothing was uploaded" in refused.stdout
    assert "codebuild.amazonaws.com" in refused.stdout  # the report says what is missing
    assert "sm-studio-setup fix" in refused.stdout  # and what to run
    assert "UPLOAD" not in refused.stderr
    assert leftovers(emulator) == NOTHING_LEFT
    s3 = admin(emulator, "s3")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert BUCKET not in buckets or not s3.list_objects_v2(Bucket=BUCKET).get("Contents")

    fixed = cli(env, "fix", "--apply")
    assert fixed.returncode == 0, fixed.stderr

    built = cli(env, "build", str(folder))
    assert built.returncode == 0, built.stderr + built.stdout
    for step in ("CHECK", "PACKAGE", "UPLOAD", "PROJECT", "START", "IMAGE", "CLEANUP"):
        assert f"{step:<9} ok" in built.stderr, step
    for phase in ("PROVISIONING", "DOWNLOAD_SOURCE", "PRE_BUILD", "BUILD", "POST_BUILD"):
        assert f"phase {phase} ok" in built.stderr, phase
    assert "Login Succeeded" in built.stdout  # the build's own log, on stdout
    assert f"Image     {IMAGE_URI}" in built.stdout
    digest = next(
        line.split()[1] for line in built.stdout.splitlines() if line.startswith("Digest")
    )
    [image] = images(emulator)
    assert image["imageDigest"] == digest
    # The requested tag, and the inputs' tag a later build of the same inputs finds.
    requested, inputs_tag = sorted(image["imageTags"])
    assert requested == "data-scientist"
    assert re.fullmatch(r"smss-inputs-[0-9a-f]{64}", inputs_tag), inputs_tag
    assert leftovers(emulator) == NOTHING_LEFT


@pytest.fixture(scope="module")
def emulator(build_emulator: EmulatorProcess) -> EmulatorProcess:
    return build_emulator


@pytest.fixture(scope="module")
def env(emulator: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    found = cli_env(emulator, tmp_path_factory.mktemp("config"))
    fixed = cli(found, "fix", "--apply")
    assert fixed.returncode == 0, fixed.stderr
    return found


@pytest.fixture
def codebuild(emulator: EmulatorProcess) -> Iterator[Callable[..., object]]:
    """Change how the emulator's next builds run; put it back after the test."""

    def set_(**settings: object) -> object:
        return control(emulator, "/codebuild", settings)

    yield set_
    control(emulator, "/codebuild", {"duration_seconds": 1, "fail_phase": ""})


def test_build_args_reach_docker_build_intact(env: dict[str, str], tmp_path: Path) -> None:
    folder = build_folder(tmp_path / "p")
    built = cli(
        env,
        "build",
        str(folder),
        "--build-arg",
        f"GREETING={HOSTILE}",
        "--build-arg",
        "EMPTY=",
        "--json",
        "--",
        "--label",
        "note=$(id) `x`; y",
        "--no-cache",
    )
    assert built.returncode == 0, built.stderr
    [call] = [c for c in docker_calls(built.stderr) if c[:1] == ["build"]]
    assert call[call.index("--build-arg") + 1] == f"GREETING={HOSTILE}"
    assert "EMPTY=" in call
    assert call[-4:-1] == ["--label", "note=$(id) `x`; y", "--no-cache"]
    assert not Path("/tmp/pwned").exists()
    summary = json.loads(built.stdout)  # --json: stdout is the one object
    assert summary["status"] == "SUCCEEDED"
    assert summary["image_uri"] == IMAGE_URI
    assert summary["digest"].startswith("sha256:")
    assert summary["bytes_uploaded"] > 0
    phases = {p["name"]: p for p in summary["phases"]}
    assert phases["BUILD"]["status"] == "SUCCEEDED" and phases["BUILD"]["started"]


def test_only_what_dockerignore_keeps_is_uploaded(
    env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    folder = build_folder(tmp_path / "p")
    (folder / ".dockerignore").write_text(".git\n.venv\ndata/\n")
    (folder / "data").mkdir()
    with open(folder / "data" / "weights.bin", "wb") as big:
        big.truncate(300 * 1024 * 1024)
    (folder / ".git" / "objects").mkdir(parents=True)
    (folder / ".git" / "objects" / "pack-1").write_bytes(b"g" * 50_000)
    (folder / ".venv" / "lib").mkdir(parents=True)
    (folder / ".venv" / "lib" / "site.py").write_text("x = 1\n" * 1000)
    built = cli(env, "build", str(folder), "--json")
    assert built.returncode == 0, built.stderr
    summary = json.loads(built.stdout)
    assert summary["bytes_uploaded"] < 10_000
    assert sorted(context_files(built.stderr)) == [".dockerignore", "Dockerfile", "app.py"]
    assert leftovers(emulator) == NOTHING_LEFT


def test_a_failing_build_exits_1_with_no_image(
    env: dict[str, str], emulator: EmulatorProcess, codebuild: Callable[..., object], tmp_path: Path
) -> None:
    codebuild(fail_phase="BUILD")
    before = images(emulator)
    built = cli(env, "build", str(build_folder(tmp_path / "p")))
    assert built.returncode == 1, built.stderr
    assert "FAILED" in built.stdout
    assert "The build failed in BUILD" in built.stdout
    assert "Image " not in built.stdout and "Digest" not in built.stdout
    assert leftovers(emulator) == NOTHING_LEFT
    assert images(emulator) == before

    as_json = cli(env, "build", str(build_folder(tmp_path / "p")), "--json")
    assert as_json.returncode == 1
    summary = json.loads(as_json.stdout)
    assert summary["status"] == "FAILED"
    assert summary["image_uri"] is None and summary["digest"] is None


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_the_build_on_codebuild_and_cleans_up(
    env: dict[str, str],
    emulator: EmulatorProcess,
    codebuild: Callable[..., object],
    tmp_path: Path,
    signum: int,
) -> None:
    codebuild(duration_seconds=60)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sm_studio_setup",
            "build",
            str(build_folder(tmp_path / "p")),
            "--json",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = []
    deadline = time.monotonic() + 60
    for line in process.stderr:  # wait until CodeBuild has the build
        seen.append(line)
        if line.startswith("START     ok") or time.monotonic() > deadline:
            break
    assert seen[-1].startswith("START     ok"), seen
    time.sleep(0.5)
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    summary = json.loads(out)
    assert summary["status"] == "STOPPED"
    codebuild_ = admin(emulator, "codebuild")
    [build] = codebuild_.batch_get_builds(ids=[summary["codebuild_id"]])["builds"]
    assert build["buildStatus"] == "STOPPED"
    assert leftovers(emulator) == NOTHING_LEFT


@pytest.mark.parametrize(
    ("args", "field_words"),
    [
        (["{missing}"], "does not exist"),
        (["{empty}"], "is empty"),
        (["{nodockerfile}"], "There is no Dockerfile"),
        (["{ok}", "--repository", "Upper/Case"], "repository"),
        (["{ok}", "--repository", "ok:bad tag"], "tag"),
        (["{ok}", "--vpc-id", "vpc-0a1b2c3d4e5f60718"], "subnet_ids"),
        (["{ok}", "--compute-type", "BUILD_HUGE"], "compute type"),
        (["{ok}", "--role", "arn:aws:iam::210987654321:role/Other"], "account"),
        (["{ok}", "--bucket", "not a bucket"], "bucket"),
        (["{ok}", "--timeout", "3"], "timeout"),
        (["{ok}", "--build-arg", "1BAD=x"], "build argument"),
        (["{ok}", "--platform", "linux/arm64", "--compute-type", "BUILD_GENERAL1_MEDIUM"], "arm64"),
        (["{ok}", "--platform", "linux/s390x"], "invalid choice"),
        (["{ok}", "--", "--tag", "elsewhere:latest"], "--tag"),
    ],
    ids=[
        "missing PATH",
        "empty PATH",
        "no Dockerfile",
        "bad repository",
        "bad tag",
        "vpc without subnets",
        "unknown compute type",
        "role of another account",
        "bad bucket",
        "timeout too short",
        "bad build-arg name",
        "arm64 on a medium machine",
        "unknown platform",
        "a docker flag the build sets",
    ],
)
def test_bad_input_is_one_sentence_before_anything_is_uploaded(
    env: dict[str, str],
    emulator: EmulatorProcess,
    tmp_path: Path,
    args: list[str],
    field_words: str,
) -> None:
    folders = {
        "missing": tmp_path / "missing",
        "empty": tmp_path / "empty",
        "nodockerfile": tmp_path / "nodockerfile",
        "ok": build_folder(tmp_path / "ok"),
    }
    folders["empty"].mkdir()
    folders["nodockerfile"].mkdir()
    (folders["nodockerfile"] / "app.py").write_text("")
    before = leftovers(emulator)
    result = cli(env, "build", *[a.format(**{k: str(v) for k, v in folders.items()}) for a in args])
    assert result.returncode == 2, result.stdout + result.stderr
    error = next(line for line in result.stderr.splitlines() if "error:" in line)
    assert field_words.lower() in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr
    assert len(error) < 300
    assert "UPLOAD" not in result.stderr
    assert leftovers(emulator) == before == NOTHING_LEFT


def test_a_bucket_in_another_region_is_refused_before_the_upload(
    env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    s3 = admin(emulator, "s3")
    s3.create_bucket(
        Bucket="elsewhere-bucket-123", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    result = cli(
        env, "build", str(build_folder(tmp_path / "p")), "--bucket", "elsewhere-bucket-123"
    )
    assert result.returncode in (2, 3), result.stderr
    assert "eu-west-1" in result.stdout + result.stderr
    assert not s3.list_objects_v2(Bucket="elsewhere-bucket-123").get("Contents")
    assert leftovers(emulator) == NOTHING_LEFT


def test_engine_smdocker_runs_the_original_after_the_check_and_reads_its_result(
    env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    from ..smdocker import smdocker_executable

    exe = Path(smdocker_executable())
    # sm-docker knows Studio only from /opt/ml/metadata, which this machine lacks; outside
    # Studio it names its projects sagemaker-studio-image-build-*. Without the emulator's
    # metadata document our discovery sees the same, and checks (and fixes) for those names.
    outside = {k: v for k, v in env.items() if k != "SM_STUDIO_SETUP_METADATA"}
    with_smdocker = {**outside, "PATH": f"{exe.parent}:{env['PATH']}", "HOME": str(tmp_path)}
    assert cli(with_smdocker, "fix", "--apply").returncode == 0
    folder = build_folder(tmp_path / "p")
    built = cli(with_smdocker, "build", str(folder), "--engine", "sm-docker", "--json")
    assert built.returncode == 0, built.stderr[-3000:]
    summary = json.loads(built.stdout)
    assert summary["status"] == "SUCCEEDED"
    # The Studio role may not list builds: the image sm-docker pushed since it started is what
    # says it built (its exit status says nothing: 0 for failed builds too).
    assert summary["digest"] in {
        i["imageDigest"]
        for i in admin(emulator, "ecr").describe_images(repositoryName="sagemaker-studio")[
            "imageDetails"
        ]
    }
    assert leftovers(emulator) == NOTHING_LEFT  # sm-docker cleans up after a success itself

    control(emulator, "/codebuild", {"fail_phase": "BUILD"})
    try:
        failed = cli(with_smdocker, "build", str(folder), "--engine", "sm-docker", "--json")
    finally:
        control(emulator, "/codebuild", {"fail_phase": ""})
    assert failed.returncode == 1, failed.stderr[-2000:]
    assert json.loads(failed.stdout)["image_uri"] is None

    # Without sm-docker on PATH: one sentence, before anything is uploaded.
    bare = {**env, "PATH": "/usr/bin:/bin"}
    missing = cli(bare, "build", str(folder), "--engine", "sm-docker")
    assert missing.returncode == 2
    assert "sm-docker is not installed here" in missing.stderr
