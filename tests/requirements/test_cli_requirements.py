"""`sm-studio-setup requirements` as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sm_studio_setup.iam import lint
from sm_studio_setup.requirements.params import Params
from sm_studio_setup.requirements.policy import missing
from sm_studio_setup.requirements.profiles import requirements_for

REPO = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-1"
STUDIO = [
    "--region",
    "us-east-1",
    "--role",
    ROLE,
    "--domain-id",
    "d-abc",
    "--user-profile",
    "alice",
]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SM_STUDIO"))}
    base["SM_STUDIO_SETUP_METADATA"] = str(REPO / "no-such-metadata.json")
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "sm_studio_setup", "requirements", *args],
        capture_output=True,
        text=True,
        env=base,
        timeout=60,
        cwd=REPO,
    )


def test_policy_for_a_fresh_role_grants_exactly_what_the_profile_needs() -> None:
    result = run(*STUDIO, "--repository", "my-model:latest", "--policy")
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    params = Params(
        region="us-east-1",
        account="123456789012",
        role_arn=ROLE,
        domain_id="d-abc",
        user_profile="alice",
        repository="my-model:latest",
    )
    needed = requirements_for("image-build", params)
    assert (
        missing(
            needed,
            identity_policies=[out["permissions_policy"]],
            trust_policy=out["trust_policy"],
            role_arn=ROLE,
        )
        == []
    )
    serious = [f for f in lint(out["permissions_policy"]) if f.severity == "error"]
    assert serious == []
    trust = {s["Principal"]["Service"]: s for s in out["trust_policy"]["Statement"]}
    assert set(trust) == {"codebuild.amazonaws.com", "sagemaker.amazonaws.com"}
    assert trust["codebuild.amazonaws.com"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {
            "aws:SourceArn": "arn:aws:codebuild:us-east-1:123456789012:project/"
            "sagemaker-studio-d-abc-alice-*"
        },
    }


def test_source_account_condition_can_be_turned_off() -> None:
    result = run(*STUDIO, "--policy", "--no-source-account-condition")
    assert result.returncode == 0, result.stderr
    statements = json.loads(result.stdout)["trust_policy"]["Statement"]
    assert all("Condition" not in s for s in statements)


def test_json_lists_passrole_with_passed_to_service() -> None:
    result = run(*STUDIO, "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    passrole = [r for r in rows if r["action"] == "iam:PassRole"]
    assert passrole and all(
        r["context"] == {"iam:PassedToService": "codebuild.amazonaws.com"} and r["resource"] == ROLE
        for r in passrole
    )
    assert all(r["why"] and r["step"] and r["source"] for r in rows)


def test_defaults_come_from_studio_metadata(tmp_path: Path) -> None:
    meta = tmp_path / "resource-metadata.json"
    meta.write_text(
        json.dumps(
            {
                "DomainId": "d-meta",
                "UserProfileName": "bob",
                "ExecutionRoleArn": ROLE,
                "ResourceArn": (
                    "arn:aws:sagemaker:eu-west-1:123456789012:app/d-meta/bob/jupyterlab/default"
                ),
            }
        )
    )
    result = run("--json", env={"SM_STUDIO_SETUP_METADATA": str(meta)})
    assert result.returncode == 0, result.stderr
    resources = {r["resource"] for r in json.loads(result.stdout)}
    # sm-docker's defaults: repository sagemaker-studio-{domain}, region from the app's ARN.
    assert "arn:aws:ecr:eu-west-1:123456789012:repository/sagemaker-studio-d-meta" in resources


def test_bad_parameters_are_one_sentence_and_exit_2() -> None:
    result = run(*STUDIO, "--repository", "My:Model:x")
    assert result.returncode == 2
    assert result.stderr.startswith("error: 'My:Model:x' is not an ECR repository name")
    assert "Pass --repository" in result.stderr
    assert "Traceback" not in result.stderr
    missing_region = run("--account", "123456789012")
    assert missing_region.returncode == 2
    assert "--region" in missing_region.stderr


def test_every_profile_prints_a_policy() -> None:
    for profile in (
        "image-build",
        "image-use",
        "studio-kernel",
        "pipelines",
        "mlops-cicd",
        "mlflow-deploy",
    ):
        result = run(*STUDIO, "--profile", profile, "--policy")
        assert result.returncode == 0, (profile, result.stderr)
        assert json.loads(result.stdout)["permissions_policy"]["Statement"], profile
