"""CodeBuild's PROVISIONING held as long as asked (``--provisioning-seconds``, ``POST
/_sm_emulator/codebuild {"provisioning_seconds"}``): on AWS it takes 90 s to 5 minutes
(aws/aws-codebuild-docker-images #226, #296, #424, #526, #793), which a benchmark needs."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.emulator.services import codebuild

from .support import trust_policy

LOGS = {
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "*",
}


@pytest.fixture(scope="module")
def admin() -> Iterator[boto3.Session]:
    with Emulator(seed="none", build_seconds=0.3, provisioning_seconds=1.5) as running:
        session = running.admin_session()
        iam = session.client("iam")
        role = iam.create_role(
            RoleName="Provisioned", AssumeRolePolicyDocument=trust_policy("codebuild.amazonaws.com")
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName="Provisioned",
            PolicyName="logs",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [LOGS]}),
        )
        session.client("codebuild").create_project(
            name="provisioned",
            source={
                "type": "NO_SOURCE",
                "buildspec": "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n",
            },
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            serviceRole=role,
        )
        yield session
    codebuild.configure(provisioning_seconds=0)


def provisioning_of(admin: boto3.Session) -> float:
    client = admin.client("codebuild")
    build_id = client.start_build(projectName="provisioned")["build"]["id"]
    deadline = time.monotonic() + 30
    while True:
        [build] = client.batch_get_builds(ids=[build_id])["builds"]
        if build["buildStatus"] != "IN_PROGRESS":
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert build["buildStatus"] == "SUCCEEDED"
    [phase] = [p for p in build["phases"] if p["phaseType"] == "PROVISIONING"]
    return float((phase["endTime"] - phase["startTime"]).total_seconds())


def control(admin: boto3.Session, body: dict[str, Any]) -> dict[str, Any]:
    endpoint = admin.client("sts").meta.endpoint_url
    request = urllib.request.Request(
        f"{endpoint}/_sm_emulator/codebuild", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.load(response)
        return answer


def test_provisioning_lasts_as_long_as_the_emulator_was_told(admin: boto3.Session) -> None:
    assert provisioning_of(admin) >= 1.5


def test_the_control_api_changes_it_for_the_next_builds(admin: boto3.Session) -> None:
    assert control(admin, {"provisioning_seconds": 0})["provisioning_seconds"] == 0.0
    assert provisioning_of(admin) < 1.0
    assert control(admin, {"provisioning_seconds": 1.5})["provisioning_seconds"] == 1.5
    assert provisioning_of(admin) >= 1.5
