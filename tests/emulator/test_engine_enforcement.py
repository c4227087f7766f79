"""The demo identity as the emulator treats it, decided by the project's IAM engine.

These are the gaps a default Studio role really has (docs/sm-docker.md, docs/ARCHITECTURE.md),
so the check and fix built on top can be tested against the emulator as against AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sm_studio_setup.emulator.core.server import Emulator

from .support import error_of

REGION = "us-east-1"
ACCOUNT = "123456789012"


def client(emulator: Emulator, service: str) -> Any:
    return emulator.studio_session().client(service)


@pytest.fixture(scope="module", params=["managed", "self-service"])
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with Emulator(seed="demo", scenario=request.param) as running:
        yield running


def test_studio_role_may_list_roles_but_reads_itself_only_in_self_service(
    emulator: Emulator,
) -> None:
    iam = client(emulator, "iam")
    info = emulator.seed_info
    assert info is not None
    # AmazonSageMakerFullAccess allows iam:ListRoles on *: the trust policy is always readable.
    names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert info.role_name in names
    if emulator.scenario == "managed":
        with pytest.raises(ClientError) as denied:
            iam.get_role(RoleName=info.role_name)
        code, message, status = error_of(denied)
        assert (code, status) == ("AccessDenied", 403)
        assert "iam:GetRole" in message and info.role_name in message
    else:
        assert iam.get_role(RoleName=info.role_name)["Role"]["Arn"] == info.role_arn


def test_create_project_is_denied_with_codebuilds_error_shape(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as denied:
        client(emulator, "codebuild").create_project(
            name="sagemaker-studio-x",
            source={"type": "NO_SOURCE", "buildspec": "version: 0.2"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            serviceRole=emulator.seed_info.role_arn if emulator.seed_info else "",
        )
    code, message, _ = error_of(denied)
    assert code == "AccessDeniedException"
    assert "codebuild:CreateProject" in message
    assert f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/sagemaker-studio-x" in message


def test_what_amazon_sagemaker_full_access_allows_passes(emulator: Emulator) -> None:
    # ecr:CreateRepository and DescribeRepositories are granted on * by the managed policy.
    ecr = client(emulator, "ecr")
    ecr.create_repository(repositoryName=f"sagemaker-studio-{emulator.scenario}")
    described = ecr.describe_repositories(repositoryNames=[f"sagemaker-studio-{emulator.scenario}"])
    assert described["repositories"][0]["repositoryName"] == f"sagemaker-studio-{emulator.scenario}"


def test_simulator_agrees_with_enforcement(emulator: Emulator) -> None:
    info = emulator.seed_info
    assert info is not None
    if emulator.scenario == "managed":
        # A managed Studio role may not simulate its own policies either.
        with pytest.raises(ClientError) as denied:
            client(emulator, "iam").simulate_principal_policy(
                PolicySourceArn=info.role_arn, ActionNames=["codebuild:CreateProject"]
            )
        assert error_of(denied)[0] == "AccessDenied"
        return
    results = client(emulator, "iam").simulate_principal_policy(
        PolicySourceArn=info.role_arn,
        ActionNames=["codebuild:CreateProject", "codebuild:StartBuild", "iam:PassRole"],
        ResourceArns=[f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/sagemaker-studio-x"],
        ContextEntries=[
            {
                "ContextKeyName": "iam:PassedToService",
                "ContextKeyValues": ["codebuild.amazonaws.com"],
                "ContextKeyType": "string",
            }
        ],
    )["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in results}
    assert decisions == {
        "codebuild:CreateProject": "implicitDeny",
        "codebuild:StartBuild": "allowed",
        "iam:PassRole": "implicitDeny",
    }


def test_admin_credentials_are_never_denied(emulator: Emulator) -> None:
    iam = emulator.admin_session().client("iam")
    info = emulator.seed_info
    assert info is not None
    assert iam.get_role(RoleName=info.role_name)["Role"]["RoleName"] == info.role_name
