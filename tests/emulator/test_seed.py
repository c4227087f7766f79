"""The demo seed, in both scenarios, as a client of the running emulator sees it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from sm_studio_setup.aws.metadata import METADATA_ENV, read_metadata
from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.emulator.seed import (
    SAGEMAKER_FULL_ACCESS_ARN,
    SeedInfo,
    managed_policy_document_text,
)

from ..fixtures import MANAGED_POLICIES

ROLE_NAME = "AmazonSageMaker-ExecutionRole-20261122T000000"
ROLE_ARN = f"arn:aws:iam::123456789012:role/service-role/{ROLE_NAME}"
CALLER_ARN = f"arn:aws:sts::123456789012:assumed-role/{ROLE_NAME}/SageMaker"
PACKAGED = (
    Path(__file__).resolve().parents[2]
    / "sm_studio_setup"
    / "emulator"
    / "data"
    / "AmazonSageMakerFullAccess.json"
)
# The documents as AWS publishes them (tests/fixtures/aws-managed-policies/README.md).
SHARED_FIXTURE = MANAGED_POLICIES / "AmazonSageMakerFullAccess.json"


@pytest.fixture(scope="module", params=["self-service", "managed"])
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with Emulator(scenario=request.param) as running:
        yield running


@pytest.fixture
def info(emulator: Emulator) -> SeedInfo:
    assert emulator.seed_info is not None
    return emulator.seed_info


def client_session(emulator: Emulator) -> boto3.Session:
    """What a client configured from `client_env()` would use."""
    env = emulator.client_env()
    return boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
        region_name=env["AWS_DEFAULT_REGION"],
    )


def test_running_identity_is_the_studio_role_session(emulator: Emulator, info: SeedInfo) -> None:
    sts = client_session(emulator).client("sts", endpoint_url=emulator.endpoint_url)
    identity = sts.get_caller_identity()
    assert identity["Arn"] == CALLER_ARN
    assert identity["Account"] == "123456789012"
    assert info.caller_arn == CALLER_ARN
    assert info.access_key_id.startswith("ASIA")
    assert info.session_token


def test_client_env_carries_the_session_and_the_metadata(
    emulator: Emulator, info: SeedInfo
) -> None:
    env = emulator.client_env()
    assert env["AWS_ENDPOINT_URL"] == emulator.endpoint_url
    assert env["AWS_ACCESS_KEY_ID"] == info.access_key_id
    assert env["AWS_SECRET_ACCESS_KEY"] == info.secret_access_key
    assert env["AWS_SESSION_TOKEN"] == info.session_token
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "us-east-1"
    assert env[METADATA_ENV] == str(info.metadata_path)


def test_seed_info(emulator: Emulator, info: SeedInfo) -> None:
    assert (info.account, info.region) == ("123456789012", "us-east-1")
    assert info.scenario == emulator.scenario
    assert (info.role_name, info.role_arn) == (ROLE_NAME, ROLE_ARN)
    assert (info.user_profile, info.space_name) == ("data-scientist", "data-scientist-space")
    assert info.metadata_path.parent == emulator.workdir
    public = info.public_dict()
    assert "secret_access_key" not in public and "session_token" not in public
    assert public["domain_id"] == info.domain_id


def test_role_trusts_only_sagemaker(emulator: Emulator) -> None:
    role = emulator.admin_session().client("iam").get_role(RoleName=ROLE_NAME)["Role"]
    assert role["Arn"] == ROLE_ARN
    assert role["Path"] == "/service-role/"
    # boto3 decodes the URL-encoded JSON document into a dict.
    document: Any = role["AssumeRolePolicyDocument"]
    statements = document["Statement"]
    assert statements == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]


def test_role_carries_the_aws_managed_sagemaker_policy(emulator: Emulator) -> None:
    iam = emulator.admin_session().client("iam")
    attached = iam.list_attached_role_policies(RoleName=ROLE_NAME)["AttachedPolicies"]
    assert attached == [
        {"PolicyName": "AmazonSageMakerFullAccess", "PolicyArn": SAGEMAKER_FULL_ACCESS_ARN}
    ]


def test_managed_policy_serves_the_published_document(emulator: Emulator) -> None:
    iam = emulator.admin_session().client("iam")
    policy = iam.get_policy(PolicyArn=SAGEMAKER_FULL_ACCESS_ARN)["Policy"]
    assert policy["Arn"] == "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
    version = iam.get_policy_version(
        PolicyArn=SAGEMAKER_FULL_ACCESS_ARN, VersionId=policy["DefaultVersionId"]
    )["PolicyVersion"]
    assert version["IsDefaultVersion"] is True
    assert version["Document"] == json.loads(PACKAGED.read_text(encoding="utf-8"))
    listed = iam.list_policies(Scope="AWS")["Policies"]
    assert SAGEMAKER_FULL_ACCESS_ARN in {p["Arn"] for p in listed}


def test_packaged_policy_is_the_published_one() -> None:
    packaged = PACKAGED.read_bytes()
    assert managed_policy_document_text("AmazonSageMakerFullAccess").encode() == packaged
    assert packaged == SHARED_FIXTURE.read_bytes()


def _inline_policies(emulator: Emulator) -> dict[str, Any]:
    iam = emulator.admin_session().client("iam")
    return {
        name: iam.get_role_policy(RoleName=ROLE_NAME, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=ROLE_NAME)["PolicyNames"]
    }


def test_scenario_decides_the_self_service_policy(emulator: Emulator) -> None:
    inline = _inline_policies(emulator)
    if emulator.scenario == "managed":
        assert inline == {}
        return
    assert set(inline) == {"studio-self-service"}
    statements = inline["studio-self-service"]["Statement"]
    granted: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"]
        for action in statement["Action"]:
            granted.setdefault(action, set()).update(
                [resources] if isinstance(resources, str) else resources
            )
    own_role = {
        "iam:GetRole",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:SimulatePrincipalPolicy",
    }
    for action in own_role:
        assert granted[action] == {ROLE_ARN}, action
    for action in ("iam:GetPolicy", "iam:GetPolicyVersion"):
        assert granted[action] == {SAGEMAKER_FULL_ACCESS_ARN}, action
    # Nothing beyond its own role: no wildcard actions or resources.
    assert set(granted) == own_role | {"iam:GetPolicy", "iam:GetPolicyVersion"}


def test_domain_user_profile_and_private_space(emulator: Emulator, info: SeedInfo) -> None:
    sagemaker = emulator.admin_session().client("sagemaker")
    domain = sagemaker.describe_domain(DomainId=info.domain_id)
    assert domain["DomainName"] == info.domain_name == "studio-demo"
    assert domain["AuthMode"] == "IAM"
    assert domain["DefaultUserSettings"]["ExecutionRole"] == ROLE_ARN
    assert len(domain["SubnetIds"]) == 2 and domain["VpcId"].startswith("vpc-")

    profile = sagemaker.describe_user_profile(
        DomainId=info.domain_id, UserProfileName="data-scientist"
    )
    assert profile["UserProfileName"] == "data-scientist"
    assert profile["UserSettings"]["ExecutionRole"] == ROLE_ARN

    space = sagemaker.describe_space(DomainId=info.domain_id, SpaceName="data-scientist-space")
    assert space["OwnershipSettings"] == {"OwnerUserProfileName": "data-scientist"}
    assert space["SpaceSharingSettings"] == {"SharingType": "Private"}
    assert space["SpaceSettings"]["AppType"] == "JupyterLab"


def test_metadata_document_like_studio_writes_it(info: SeedInfo) -> None:
    document = json.loads(info.metadata_path.read_text(encoding="utf-8"))
    resource_arn = (
        f"arn:aws:sagemaker:us-east-1:123456789012:app/{info.domain_id}"
        "/data-scientist-space/jupyterlab/default"
    )
    assert document == {
        "AppType": "JupyterLab",
        "DomainId": info.domain_id,
        "UserProfileName": "data-scientist",
        "SpaceName": "data-scientist-space",
        "ResourceArn": resource_arn,
        "ResourceName": "default",
        "AppImageVersion": "",
        "ExecutionRoleArn": ROLE_ARN,
    }
    # Discovery reads it back.
    metadata = read_metadata(info.metadata_path)
    assert metadata is not None
    assert metadata.domain_id == info.domain_id
    assert metadata.region == "us-east-1"
    assert metadata.execution_role_arn == ROLE_ARN


def test_fresh_emulator_keeps_a_given_workdir_and_removes_its_own(
    tmp_path: Path, emulator: Emulator
) -> None:
    own_workdir = emulator.workdir
    assert own_workdir is not None and own_workdir.is_dir()
    emulator.stop()
    assert not own_workdir.exists()
    try:
        with Emulator(scenario="managed", workdir=tmp_path / "work") as given:
            assert given.seed_info is not None
            assert given.seed_info.metadata_path == tmp_path / "work" / "resource-metadata.json"
            # The seed's own calls are set-up: clients start counting from zero.
            assert given.counter.snapshot()["total"] == 0
        assert (tmp_path / "work" / "resource-metadata.json").is_file()
    finally:
        emulator.start()
