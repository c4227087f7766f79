"""The command line as users run it: a child process, its output and its exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_studio_setup", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("SM_STUDIO_SETUP_DEMO", None)
    env["AWS_CONFIG_FILE"] = str(tmp_path / "none")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["SM_STUDIO_SETUP_METADATA"] = str(tmp_path / "no-metadata.json")
    return env


def test_whoami_json_against_the_demo(demo_env: dict[str, str]) -> None:
    result = run_cli("whoami", "--json", env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["role_arn"].endswith(
        ":role/service-role/AmazonSageMaker-ExecutionRole-20261122T000000"
    )
    assert body["user_profile"] == "data-scientist"
    assert body["demo"] is True


def test_whoami_table_names_the_role_and_the_demo(demo_env: dict[str, str]) -> None:
    result = run_cli("whoami", env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Demo — no AWS account is used")
    assert "AmazonSageMaker-ExecutionRole-20261122T000000" in result.stdout
    assert "data-scientist-space" in result.stdout


def test_whoami_outside_studio_derives_the_role_from_the_session(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    env = dict(os.environ)
    env["SM_STUDIO_SETUP_METADATA"] = str(tmp_path / "absent.json")
    result = run_cli("whoami", "--json", env=env)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    # Without Studio's document the role's path is unknown: the ARN has none, and says so.
    assert (
        body["role_arn"]
        == "arn:aws:iam::123456789012:role/AmazonSageMaker-ExecutionRole-20261122T000000"
    )
    assert body["role_source"] == "caller"
    assert body["in_studio"] is False
    assert body["domain_id"] is None


def test_missing_credentials_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    result = run_cli("whoami", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: No AWS credentials were found")
    assert "Traceback" not in result.stderr


def test_missing_region_is_explained(tmp_path: Path) -> None:
    result = run_cli("whoami", env=clean_env(tmp_path))
    assert result.returncode == 2
    assert "No AWS region is configured" in result.stderr
    assert "AWS_DEFAULT_REGION" in result.stderr


def test_unreachable_endpoint_is_explained(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="AKIAEXAMPLEEXAMPLE00",
        AWS_SECRET_ACCESS_KEY="example",
        # A port nothing listens on: the loopback discard port.
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_MAX_ATTEMPTS="1",
    )
    result = run_cli("whoami", "--json", env=env)
    assert result.returncode == 2
    body = json.loads(result.stdout)
    assert body["error"]["code"] == "endpoint_unreachable"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["whoami", "emulator", "demo"])
def test_help_of_every_command(command: str, tmp_path: Path) -> None:
    result = run_cli(command, "--help", env=clean_env(tmp_path))
    assert result.returncode == 0
    assert "usage: sm-studio-setup" in result.stdout
