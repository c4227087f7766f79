"""Real AWS, not our AWS, for the check (docs/aws-behaviours.md): what Studio sends when it
assumes the role, and a gap no grant can close (a permissions boundary, an SCP)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sm_studio_setup.emulator.core.server import CONTROL_PREFIX

from ..build.support import admin, cli, cli_env, control
from ..emulator_process import EmulatorProcess

ACCOUNT = "123456789012"
REGION = "us-east-1"
NAME = "AmazonSageMaker-ExecutionRole-20261122T000000"
STUDIO = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:*"
APP = (
    f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:"
    "app/d-studio-demo/data-scientist-space/jupyterlab/default"
)


@pytest.fixture
def emulator(start_emulator: Callable[..., EmulatorProcess]) -> Iterator[EmulatorProcess]:
    emulator = start_emulator("self-service")
    yield emulator
    emulator.stop()


def sagemaker_trust(condition: dict[str, Any]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": condition,
                }
            ],
        }
    )


def restart(emulator: EmulatorProcess) -> int:
    request = urllib.request.Request(
        emulator.env["AWS_ENDPOINT_URL"] + CONTROL_PREFIX + "/studio/restart",
        data=b"{}",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def sagemaker_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f.get("principal") == "sagemaker.amazonaws.com"]


def test_a_trust_that_works_in_studio_is_judged_so_and_left_alone(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    iam = admin(emulator, "iam")
    iam.update_assume_role_policy(
        RoleName=NAME,
        PolicyDocument=sagemaker_trust(
            {"StringEquals": {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": STUDIO}}
        ),
    )
    assert restart(emulator) == 200  # Studio starts the app with this trust
    env = cli_env(emulator, tmp_path / "config")
    report = json.loads(cli(env, "check", "--json").stdout)
    assert [f["status"] for f in sagemaker_findings(report)] == ["allowed"]
    plan = json.loads(cli(env, "fix", "--json").stdout)["plan"]
    assert APP not in json.dumps(plan)  # no statement naming the app is ever written


def test_a_trust_narrowed_to_the_app_does_not_admit_studio_and_the_fix_writes_aws_form(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    iam = admin(emulator, "iam")
    iam.update_assume_role_policy(
        RoleName=NAME, PolicyDocument=sagemaker_trust({"ArnLike": {"aws:SourceArn": APP}})
    )
    assert restart(emulator) == 409  # what the fix used to write locks Studio out
    env = cli_env(emulator, tmp_path / "config")
    report = json.loads(cli(env, "check", "--json").stdout)
    assert [f["status"] for f in sagemaker_findings(report)] == ["missing"]
    assert cli(env, "fix", "--apply").returncode == 0
    trust = iam.get_role(RoleName=NAME)["Role"]["AssumeRolePolicyDocument"]
    added = [
        s
        for s in trust["Statement"]
        if s["Principal"] == {"Service": "sagemaker.amazonaws.com"}
        and "ArnLike" in s["Condition"]
        and s["Condition"]["ArnLike"].get("aws:SourceArn") == STUDIO
    ]
    assert len(added) == 1
    assert restart(emulator) == 200


def test_a_boundary_that_does_not_allow_it_is_blocked_not_granted(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    iam = admin(emulator, "iam")
    boundary = iam.create_policy(
        PolicyName="no-codebuild-projects",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "NotAction": "codebuild:CreateProject", "Resource": "*"}
                ],
            }
        ),
    )["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=NAME, PermissionsBoundary=boundary)
    env = cli_env(emulator, tmp_path / "config")
    report = json.loads(cli(env, "check", "--json").stdout)
    [create] = [f for f in report["findings"] if f["action"] == "codebuild:CreateProject"]
    assert (create["status"], create["blocked_by"]) == ("blocked", "boundary")
    assert "administrator" in create["fix"]
    plan = json.loads(cli(env, "fix", "--json").stdout)["plan"]
    assert any("permissions boundary" in b for b in plan["blocked"])
    policy = json.dumps(plan["inline_policy"]["after"] or {})
    assert "codebuild:CreateProject" not in policy  # a grant the boundary would cancel


def test_an_scp_seen_through_the_simulator_is_blocked(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    managed = start_emulator("managed")
    try:
        iam = admin(managed, "iam")
        role_arn = iam.get_role(RoleName=NAME)["Role"]["Arn"]
        # The managed role may simulate itself (and nothing else in IAM): the simulator decides.
        iam.put_role_policy(
            RoleName=NAME,
            PolicyName="simulate-self",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "iam:SimulatePrincipalPolicy",
                            "Resource": role_arn,
                        }
                    ],
                }
            ),
        )
        control(
            managed,
            "/scps",
            {
                "policies": [
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "*", "Resource": "*"},
                            {
                                "Effect": "Deny",
                                "Action": "codebuild:CreateProject",
                                "Resource": "*",
                            },
                        ],
                    }
                ]
            },
        )
        env = cli_env(managed, tmp_path / "config")
        report = json.loads(cli(env, "check", "--json").stdout)
        [create] = [f for f in report["findings"] if f["action"] == "codebuild:CreateProject"]
        assert (create["source"], create["status"], create["blocked_by"]) == (
            "simulator",
            "blocked",
            "scp",
        )
        [start] = [f for f in report["findings"] if f["action"] == "iam:PassRole"]
        assert start["status"] == "missing"  # the SCP allows it; only a grant is missing
    finally:
        managed.stop()


def test_a_probe_says_when_its_premise_is_unconfirmed(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    managed = start_emulator("managed")
    try:
        env = cli_env(managed, tmp_path / "config")
        report = json.loads(cli(env, "check", "--json").stdout)
        probed = [f for f in report["findings"] if f["source"] == "probe"]
        assert probed
        unconfirmed = [f for f in probed if (f["premise"] or "").startswith("Unconfirmed")]
        assert {f["action"] for f in unconfirmed} >= {"codebuild:StartBuild"}
        text = cli(env, "check").stdout
        assert "Unconfirmed: CodeBuild authorizes StartBuild" in text
    finally:
        managed.stop()
