"""A build as an attacker and a careless user would run it (docs/SECURITY.md, "A build folder
from anyone's repository"): nothing a build is given runs as shell, no option sets where the
image goes behind the build's back, and a secret never travels as plain text. Everything is
read back through the emulator (CodeBuild's BatchGetBuilds, CloudWatch Logs, Parameter Store,
S3), not from what the tool says of itself."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from sm_studio_setup.emulator.core.server import CONTROL_PREFIX

from ..conftest import point_at
from ..emulator_process import EmulatorProcess
from .support import (
    NOTHING_LEFT,
    admin,
    build_folder,
    cli,
    cli_env,
    docker_calls,
    leftovers,
)

SECRET = "ghp_s3cr3t-value-that-must-never-show"
INJECTION = "X=1; cat creds; touch PWNED #"
SECRET_DOCKERFILE = (
    "FROM public.ecr.aws/docker/library/python:3.12-slim\n"
    "RUN --mount=type=secret,id=tok,required=true cat /run/secrets/tok >/dev/null\n"
)


@pytest.fixture(scope="module")
def emulator(build_emulator: EmulatorProcess) -> EmulatorProcess:
    return build_emulator


@pytest.fixture(scope="module")
def env(emulator: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    found = cli_env(emulator, tmp_path_factory.mktemp("config"))
    found["GITHUB_TOKEN"] = SECRET
    fixed = cli(found, "fix", "--apply", "--secret", "id=tok,env=GITHUB_TOKEN")
    assert fixed.returncode == 0, fixed.stderr + fixed.stdout
    return found


def uploads(emulator: EmulatorProcess) -> int:
    """The bytes every S3 upload the emulator has answered carried."""
    with urllib.request.urlopen(
        emulator.env["AWS_ENDPOINT_URL"] + CONTROL_PREFIX + "/stats", timeout=10
    ) as answer:
        stats = json.loads(answer.read())
    return sum(
        size for name, size in stats["bytes_in_by_operation"].items() if name.startswith("s3:")
    )


# --- the sm-docker engine: its arguments become shell, so anything else is refused ----------


def smdocker_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    from ..smdocker import smdocker_executable

    exe = Path(smdocker_executable())
    return {**env, "PATH": f"{exe.parent}:{env['PATH']}", "HOME": str(tmp_path)}


@pytest.mark.parametrize(
    "extra",
    [
        ["--build-arg", INJECTION],
        ["--", "--label", "a=$(touch PWNED)"],
        ["--file", "Docker file"],
    ],
    ids=["build arg", "docker argument", "dockerfile name"],
)
def test_smdocker_refuses_what_its_shell_would_read_before_anything_is_zipped(
    env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path, extra: list[str]
) -> None:
    folder = build_folder(tmp_path / "p")
    (folder / "Docker file").write_text((folder / "Dockerfile").read_text())
    before = uploads(emulator)
    refused = cli(
        smdocker_env(env, tmp_path), "build", str(folder), "--engine", "sm-docker", *extra
    )
    assert refused.returncode == 2, refused.stderr
    assert "sm-docker engine" in refused.stderr
    assert "codebuild engine" in refused.stderr  # what to do instead
    assert uploads(emulator) == before
    assert not (folder / "PWNED").exists() and not Path("PWNED").exists()
    assert leftovers(emulator) == NOTHING_LEFT


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        ("link", "is a link"),
        ("ignored", "ignores .dockerignore"),
        ("fifo", "not a file or folder"),
        ("buildspec", "buildspec.yml"),
    ],
)
def test_smdocker_refuses_a_folder_its_zip_would_leak_or_hang_on(
    env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path, shape: str, words: str
) -> None:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(f"aws_secret_access_key = {SECRET}\n")
    folder = build_folder(tmp_path / "p")
    if shape == "link":
        os.symlink(home / ".aws" / "credentials", folder / "creds")
        (folder / ".dockerignore").write_text("creds\n")
    elif shape == "ignored":
        (folder / "secrets.env").write_text(f"TOKEN={SECRET}\n")
        (folder / ".dockerignore").write_text("*.env\n")
    elif shape == "fifo":
        os.mkfifo(folder / "pipe")
    else:
        (folder / "buildspec.yml").write_text("version: 0.2\nphases: {build: {commands: [id]}}\n")
    refused = cli(smdocker_env(env, home), "build", str(folder), "--engine", "sm-docker")
    assert refused.returncode == 2, refused.stderr
    assert words in refused.stderr
    assert SECRET not in refused.stdout + refused.stderr
    assert leftovers(emulator) == NOTHING_LEFT


def test_the_magic_refuses_the_same_injection(
    emulator: EmulatorProcess,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    point_at(emulator, monkeypatch, Path(env["SM_STUDIO_SETUP_CONFIG_DIR"]))
    folder = build_folder(tmp_path / "p")
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "sm_studio_setup")
        shell.run_line_magic(
            "sm_setup", f"build {folder} --engine sm-docker --build-arg '{INJECTION}'"
        )
    finally:
        InteractiveShell.clear_instance()
    out = capsys.readouterr().out
    assert out.startswith("error: The sm-docker engine pastes docker's arguments"), out
    assert leftovers(emulator) == NOTHING_LEFT


# --- our own docker options, in every spelling docker reads ----------------------------------


@pytest.mark.parametrize(
    "words",
    [
        ["-t123456789012.dkr.ecr.us-east-1.amazonaws.com/other-repo:evil"],
        ["-otype=registry"],
        ["-fDockerfile"],
        ["-qt", "123456789012.dkr.ecr.us-east-1.amazonaws.com/other-repo:evil"],
        ["--network=host"],
        ["second-context"],
    ],
)
def test_docker_options_the_build_sets_are_refused_in_every_spelling(
    env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path, words: list[str]
) -> None:
    folder = build_folder(tmp_path / "p")
    refused = cli(env, "build", str(folder), "--", *words)
    assert refused.returncode == 2, refused.stderr
    assert "--" not in refused.stderr.splitlines()[0][:2]
    assert leftovers(emulator) == NOTHING_LEFT


# --- secrets --------------------------------------------------------------------------------


def everything_the_account_says(emulator: EmulatorProcess, build_id: str) -> str:
    """BatchGetBuilds' whole answer for the build and every log event of its group."""
    codebuild, logs = admin(emulator, "codebuild"), admin(emulator, "logs")
    [build] = codebuild.batch_get_builds(ids=[build_id])["builds"]
    group = build["logs"]["groupName"]
    events = []
    for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
        events += logs.get_log_events(
            logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True
        )["events"]
    return json.dumps(build, default=str) + json.dumps(events)


def everything_on_disk(config: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in config.rglob("*") if p.is_file())


def test_a_secret_from_the_environment_reaches_docker_and_nowhere_else(
    env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    folder = build_folder(tmp_path / "p", SECRET_DOCKERFILE)
    built = cli(env, "build", str(folder), "--secret", "id=tok,env=GITHUB_TOKEN", "--json")
    assert built.returncode == 0, built.stderr[-3000:]
    summary = json.loads(built.stdout)
    # It arrived, whole: the docker stand-in says its length (and only that).
    assert f'[docker] secret "tok" ({len(SECRET)} bytes)' in built.stderr
    [call] = [c for c in docker_calls(built.stderr) if c[:1] == ["build"]]
    assert call[call.index("--secret") + 1] == "id=tok,env=SM_SECRET_1"
    said = everything_the_account_says(emulator, summary["codebuild_id"])
    assert SECRET not in said
    [build] = admin(emulator, "codebuild").batch_get_builds(ids=[summary["codebuild_id"]])["builds"]
    variables = {v["name"]: v for v in build["environment"]["environmentVariables"]}
    assert variables["SM_SECRET_1"]["type"] == "PARAMETER_STORE"
    assert variables["SM_SECRET_1"]["value"].startswith("/sm-studio-setup/")
    assert all(v["type"] != "PLAINTEXT" or SECRET not in v["value"] for v in variables.values())
    assert SECRET not in everything_on_disk(Path(env["SM_STUDIO_SETUP_CONFIG_DIR"]))
    assert SECRET not in built.stdout + built.stderr
    # The parameter lived only as long as the build.
    ssm = admin(emulator, "ssm")
    assert not ssm.describe_parameters().get("Parameters")
    assert leftovers(emulator) == NOTHING_LEFT


def test_a_secret_from_parameter_store_needs_the_build_role_to_read_it(
    env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    ssm = admin(emulator, "ssm")
    ssm.put_parameter(Name="/team/npm-token", Value=SECRET, Type="SecureString")
    try:
        folder = build_folder(tmp_path / "p", SECRET_DOCKERFILE)
        spec = "id=tok,src=/team/npm-token"
        refused = cli(env, "build", str(folder), "--secret", spec)
        assert refused.returncode == 3, refused.stderr  # the check first: nothing uploaded
        assert "ssm:GetParameters" in refused.stdout
        assert cli(env, "fix", "--apply", "--secret", spec).returncode == 0
        built = cli(env, "build", str(folder), "--secret", spec, "--json")
        assert built.returncode == 0, built.stderr[-3000:]
        assert f'[docker] secret "tok" ({len(SECRET)} bytes)' in built.stderr
        said = everything_the_account_says(emulator, json.loads(built.stdout)["codebuild_id"])
        assert SECRET not in said and "/team/npm-token" in said
    finally:
        ssm.delete_parameter(Name="/team/npm-token")


def test_a_secret_from_secrets_manager_is_resolved_by_codebuild(
    env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    secrets = admin(emulator, "secretsmanager")
    arn = secrets.create_secret(Name="build/token", SecretString=SECRET)["ARN"]
    try:
        folder = build_folder(tmp_path / "p", SECRET_DOCKERFILE)
        spec = f"id=tok,src={arn}"
        assert cli(env, "fix", "--apply", "--secret", spec).returncode == 0
        built = cli(env, "build", str(folder), "--secret", spec, "--json")
        assert built.returncode == 0, built.stderr[-3000:]
        assert f'[docker] secret "tok" ({len(SECRET)} bytes)' in built.stderr
        said = everything_the_account_says(emulator, json.loads(built.stdout)["codebuild_id"])
        assert SECRET not in said
    finally:
        secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def test_a_missing_secret_variable_is_a_sentence_before_anything_is_made(
    env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    folder = build_folder(tmp_path / "p", SECRET_DOCKERFILE)
    without = {k: v for k, v in env.items() if k != "GITHUB_TOKEN"}
    refused = cli(without, "build", str(folder), "--secret", "id=tok,env=GITHUB_TOKEN")
    assert refused.returncode == 2
    assert "GITHUB_TOKEN, which is not set here" in refused.stderr
    assert leftovers(emulator) == NOTHING_LEFT


def test_a_secret_looking_build_argument_is_warned_about_and_not_recorded(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = build_folder(tmp_path / "p")
    built = cli(env, "build", str(folder), "--build-arg", f"GITHUB_TOKEN={SECRET}", "--json")
    assert built.returncode == 0, built.stderr[-3000:]
    assert "GITHUB_TOKEN reads like a secret" in built.stderr
    assert "--secret id=GITHUB_TOKEN,env=GITHUB_TOKEN" in built.stderr
    # The record keeps "<redacted>" (the log is what the build printed: the user's choice).
    records = Path(env["SM_STUDIO_SETUP_CONFIG_DIR"]) / "builds"
    [record] = [
        json.loads(p.read_text())
        for p in records.glob("b-*.json")
        if json.loads(p.read_text())["id"] == json.loads(built.stdout)["build_id"]
    ]
    assert ["GITHUB_TOKEN", "<redacted>"] in record["options"]["build_args"]
    assert SECRET not in json.dumps(record)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("id=a b,env=X", "not a secret id"),
        ("id=t,src=arn:aws:secretsmanager:us-east-1:123456789012:secret:*", "secret ARN"),
        ("id=t,src=aws/reserved", "Parameter Store name"),
        ("id=t,env=X,src=/p", "one place"),
        ("id=t,src=/home/me/.npmrc,type=file", "one place"),
        ("oops", "not a secret"),
    ],
)
def test_a_wrong_secret_is_one_sentence(
    env: dict[str, str], tmp_path: Path, spec: str, words: str
) -> None:
    refused = cli(env, "build", str(build_folder(tmp_path / "p")), "--secret", spec)
    assert refused.returncode == 2
    assert words in refused.stderr, refused.stderr
