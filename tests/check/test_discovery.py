"""Discovery of the role a build would use, for every source, against the demo emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sm_studio_setup.aws.discovery import Discovery, discover, split_role_arn
from sm_studio_setup.aws.metadata import METADATA_ENV
from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.emulator.seed import ROLE_PATH, trust_policy

TEAM_ROLE = "team-profile-role"
TEAM_PATH = "/team/ml/"
DEFAULT_ROLE = "domain-default-role"
CLASSIC_USER = "classic-user"
ROLELESS_USER = "roleless-user"
SHARED_SPACE = "shared-space"


@pytest.fixture(scope="module", params=["self-service", "managed"])
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with Emulator(seed="demo", scenario=request.param) as running:
        info = running.seed_info
        assert info is not None
        # Beside the seed: a profile with a role of its own (with a path), a profile without
        # one, a domain whose default user role differs from the seed's, and a shared space.
        admin = running.admin_session()
        iam, sagemaker = admin.client("iam"), admin.client("sagemaker")
        trust = json.dumps(trust_policy())
        team = iam.create_role(RoleName=TEAM_ROLE, Path=TEAM_PATH, AssumeRolePolicyDocument=trust)
        default = iam.create_role(RoleName=DEFAULT_ROLE, AssumeRolePolicyDocument=trust)
        sagemaker.update_domain(
            DomainId=info.domain_id,
            DefaultUserSettings={"ExecutionRole": default["Role"]["Arn"]},
        )
        sagemaker.create_user_profile(
            DomainId=info.domain_id,
            UserProfileName=CLASSIC_USER,
            UserSettings={"ExecutionRole": team["Role"]["Arn"]},
        )
        sagemaker.create_user_profile(DomainId=info.domain_id, UserProfileName=ROLELESS_USER)
        sagemaker.create_space(
            DomainId=info.domain_id,
            SpaceName=SHARED_SPACE,
            SpaceSharingSettings={"SharingType": "Shared"},
            OwnershipSettings={"OwnerUserProfileName": CLASSIC_USER},
        )
        running.counter.reset()
        yield running


@pytest.fixture()
def metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Any:
    """Write a metadata document of the given fields and point discovery at it."""
    info = emulator.seed_info
    assert info is not None

    def write(**fields: str) -> None:
        path = tmp_path / "resource-metadata.json"
        path.write_text(json.dumps({"DomainId": info.domain_id, **fields}), encoding="utf-8")
        monkeypatch.setenv(METADATA_ENV, str(path))

    emulator.counter.reset()
    return write


def arn(emulator: Emulator, path: str, name: str) -> str:
    assert emulator.seed_info is not None
    return f"arn:aws:iam::{emulator.seed_info.account}:role{path}{name}"


def common(found: Discovery, emulator: Emulator) -> None:
    info = emulator.seed_info
    assert info is not None
    assert (found.account, found.region, found.partition) == (info.account, info.region, "aws")
    assert found.caller_arn == info.caller_arn


def operations(emulator: Emulator) -> dict[str, int]:
    return dict(emulator.counter.snapshot()["by_operation"])


def test_private_space_runs_as_its_owners_profile_role(emulator: Emulator, metadata: Any) -> None:
    info = emulator.seed_info
    assert info is not None
    metadata(UserProfileName=info.user_profile, SpaceName=info.space_name)
    found = discover(emulator.studio_session())
    common(found, emulator)
    assert found.how == "space"
    assert found.role_arn == info.role_arn
    assert (found.role_path, found.role_name) == (ROLE_PATH, info.role_name)
    assert (found.domain_id, found.user_profile, found.space) == (
        info.domain_id,
        info.user_profile,
        info.space_name,
    )
    ops = operations(emulator)
    assert ops["sagemaker:DescribeSpace"] == 1 and ops["sagemaker:DescribeUserProfile"] == 1


def test_shared_space_runs_as_the_domains_space_role(emulator: Emulator, metadata: Any) -> None:
    info = emulator.seed_info
    assert info is not None
    metadata(SpaceName=SHARED_SPACE)
    found = discover(emulator.studio_session())
    assert (found.how, found.role_arn) == ("space", info.role_arn)


def test_metadata_execution_role_needs_no_sagemaker_call(emulator: Emulator) -> None:
    # The seed's own document, as Studio writes it for JupyterLab: ExecutionRoleArn included.
    info = emulator.seed_info
    assert info is not None
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(METADATA_ENV, str(info.metadata_path))
        emulator.counter.reset()
        found = discover(emulator.studio_session())
    assert (found.how, found.role_arn, found.role_path) == ("space", info.role_arn, ROLE_PATH)
    assert operations(emulator) == {"sts:GetCallerIdentity": 1}


def test_classic_user_profile(emulator: Emulator, metadata: Any) -> None:
    metadata(UserProfileName=CLASSIC_USER)
    found = discover(emulator.studio_session())
    common(found, emulator)
    assert found.how == "user-profile"
    assert found.role_arn == arn(emulator, TEAM_PATH, TEAM_ROLE)
    assert (found.role_path, found.role_name) == (TEAM_PATH, TEAM_ROLE)
    assert (found.user_profile, found.space) == (CLASSIC_USER, None)


def test_profile_without_a_role_uses_the_domain_default(emulator: Emulator, metadata: Any) -> None:
    metadata(UserProfileName=ROLELESS_USER)
    found = discover(emulator.studio_session())
    assert found.how == "domain-default"
    assert found.role_arn == arn(emulator, "/", DEFAULT_ROLE)
    assert (found.role_path, found.role_name) == ("/", DEFAULT_ROLE)
    assert operations(emulator)["sagemaker:DescribeDomain"] == 1


def test_gone_space_falls_back_to_the_domain_default(emulator: Emulator, metadata: Any) -> None:
    metadata(SpaceName="deleted-space")
    found = discover(emulator.studio_session())
    assert (found.how, found.role_name) == ("domain-default", DEFAULT_ROLE)


def test_denied_describe_falls_back_to_the_caller(emulator: Emulator, metadata: Any) -> None:
    info = emulator.seed_info
    assert info is not None
    iam = emulator.admin_session().client("iam")
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "sagemaker:Describe*", "Resource": "*"}],
    }
    iam.put_role_policy(
        RoleName=info.role_name, PolicyName="deny-describe", PolicyDocument=json.dumps(deny)
    )
    try:
        metadata(UserProfileName=CLASSIC_USER)
        found = discover(emulator.studio_session())
    finally:
        iam.delete_role_policy(RoleName=info.role_name, PolicyName="deny-describe")
    assert found.how == "caller"
    assert (found.role_arn, found.role_path) == (info.role_arn, ROLE_PATH)
    assert found.user_profile == CLASSIC_USER  # still reported from the metadata


def test_no_metadata_maps_the_caller_to_its_role_with_the_path(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = emulator.seed_info
    assert info is not None
    monkeypatch.setenv(METADATA_ENV, str(tmp_path / "absent.json"))
    emulator.counter.reset()
    found = discover(emulator.studio_session())
    common(found, emulator)
    assert found.how == "caller"
    # The session ARN has no path; GetRole (self-service) or ListRoles (managed) recovers it.
    assert found.role_arn == info.role_arn
    assert (found.role_path, found.role_name) == (ROLE_PATH, info.role_name)
    assert (found.domain_id, found.user_profile, found.space) == (None, None, None)
    ops = operations(emulator)
    assert ops["iam:GetRole"] == 1
    if emulator.scenario == "managed":
        assert ops["iam:ListRoles"] >= 1
    else:
        assert "iam:ListRoles" not in ops


@pytest.mark.parametrize(
    "given",
    [
        f"arn:aws:iam::123456789012:role{TEAM_PATH}{TEAM_ROLE}",
        f"{TEAM_PATH.strip('/')}/{TEAM_ROLE}",
        TEAM_ROLE,
    ],
)
def test_explicit_role(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setenv(METADATA_ENV, str(tmp_path / "absent.json"))
    emulator.counter.reset()
    found = discover(emulator.studio_session(), role=given)
    common(found, emulator)
    assert found.how == "explicit"
    assert found.role_arn == arn(emulator, TEAM_PATH, TEAM_ROLE)
    assert (found.role_path, found.role_name) == (TEAM_PATH, TEAM_ROLE)
    ops = operations(emulator)
    if given == TEAM_ROLE:
        # A bare name: the path is looked up like the caller's.
        assert ops["iam:GetRole"] == 1
    else:
        assert ops == {"sts:GetCallerIdentity": 1}


def test_explicit_role_wins_over_the_metadata(emulator: Emulator, metadata: Any) -> None:
    metadata(UserProfileName=CLASSIC_USER)
    found = discover(emulator.studio_session(), role=f"/{DEFAULT_ROLE}")
    assert (found.how, found.role_name, found.role_path) == ("explicit", DEFAULT_ROLE, "/")
    assert found.user_profile == CLASSIC_USER
    assert "sagemaker:DescribeUserProfile" not in operations(emulator)


def test_split_role_arn() -> None:
    assert split_role_arn("arn:aws:iam::1:role/a/b/Name") == ("/a/b/", "Name")
    assert split_role_arn("arn:aws-cn:iam::1:role/Name") == ("/", "Name")
