"""Stale IAM reads: after a write to a role, its next reads may still show the old document."""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sm_studio_setup.emulator.core.faults import FaultPlan, RecordedResponse
from sm_studio_setup.emulator.core.server import Emulator

from .support import error_of, trust_policy

_names = itertools.count()

POLICY_V1 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
POLICY_V2 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(seed="demo") as running:
        yield running


@pytest.fixture
def emu(emulator: Emulator) -> Iterator[Emulator]:
    emulator.faults.stale_reads(0)
    yield emulator
    emulator.faults.stale_reads(0)


@pytest.fixture
def iam(emu: Emulator) -> Any:
    return emu.admin_session().client("iam")


def new_role(iam: Any, *services: str) -> str:
    """A fresh role trusted by ``services`` (sagemaker by default)."""
    name = f"ConsistencyRole{next(_names)}"
    iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=trust_policy(*(services or ("sagemaker",))),
    )
    return name


def trusted_services(iam: Any, role: str) -> list[str]:
    document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    return list(document["Statement"][0]["Principal"]["Service"])


def inline_policy(iam: Any, role: str, policy: str) -> dict[str, Any] | str:
    """The inline policy's document, or the error code reading it gives."""
    try:
        return dict(iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"])
    except ClientError as error:
        return str(error.response["Error"]["Code"])


def control(emu: Emulator, path: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{emu.endpoint_url}/_sm_emulator/{path}", data=data, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


# -- trust policy ------------------------------------------------------------------------------


def test_get_role_shows_the_old_trust_policy_for_the_next_reads(emu: Emulator, iam: Any) -> None:
    role = new_role(iam, "sagemaker.amazonaws.com")
    emu.faults.stale_reads(2)
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]
    iam.update_assume_role_policy(
        RoleName=role, PolicyDocument=trust_policy("codebuild.amazonaws.com")
    )
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]
    assert trusted_services(iam, role) == ["codebuild.amazonaws.com"]
    assert trusted_services(iam, role) == ["codebuild.amazonaws.com"]


def test_role_names_match_regardless_of_case() -> None:
    # moto matches role names exactly, so this is shown on the plan itself.
    plan = FaultPlan()
    plan.stale_reads(1)
    before = RecordedResponse("200 OK", [("Content-Type", "text/xml")], b"<old/>")
    plan.record_read(("GetRole", "myrole", ""), before)
    plan.wrote("UpdateAssumeRolePolicy", {"RoleName": "MyRole"})
    assert plan.take_stale(("GetRole", "myrole", "")) == before
    assert plan.take_stale(("GetRole", "myrole", "")) is None


def test_a_failed_write_makes_nothing_stale(emu: Emulator, iam: Any) -> None:
    role = new_role(iam, "sagemaker.amazonaws.com")
    emu.faults.stale_reads(2)
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]
    with pytest.raises(ClientError) as excinfo:
        iam.update_assume_role_policy(RoleName=role, PolicyDocument="{not json")
    assert error_of(excinfo)[2] >= 400
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]
    iam.update_assume_role_policy(
        RoleName=role, PolicyDocument=trust_policy("codebuild.amazonaws.com")
    )
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]


# -- inline policies -----------------------------------------------------------------------


def test_put_role_policy_over_an_existing_policy(emu: Emulator, iam: Any) -> None:
    role = new_role(iam)
    iam.put_role_policy(RoleName=role, PolicyName="Fix", PolicyDocument=json.dumps(POLICY_V1))
    emu.faults.stale_reads(2)
    assert inline_policy(iam, role, "Fix") == POLICY_V1
    iam.put_role_policy(RoleName=role, PolicyName="Fix", PolicyDocument=json.dumps(POLICY_V2))
    assert inline_policy(iam, role, "Fix") == POLICY_V1
    assert inline_policy(iam, role, "Fix") == POLICY_V1
    assert inline_policy(iam, role, "Fix") == POLICY_V2


def test_a_first_put_keeps_answering_no_such_entity(emu: Emulator, iam: Any) -> None:
    role = new_role(iam)
    emu.faults.stale_reads(2)
    assert inline_policy(iam, role, "Fix") == "NoSuchEntity"
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
    iam.put_role_policy(RoleName=role, PolicyName="Fix", PolicyDocument=json.dumps(POLICY_V1))
    assert inline_policy(iam, role, "Fix") == "NoSuchEntity"
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
    assert inline_policy(iam, role, "Fix") == "NoSuchEntity"
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
    assert inline_policy(iam, role, "Fix") == POLICY_V1
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["Fix"]


def test_delete_role_policy_still_shows_the_document(emu: Emulator, iam: Any) -> None:
    role = new_role(iam)
    iam.put_role_policy(RoleName=role, PolicyName="Old", PolicyDocument=json.dumps(POLICY_V1))
    emu.faults.stale_reads(3)
    assert inline_policy(iam, role, "Old") == POLICY_V1
    iam.delete_role_policy(RoleName=role, PolicyName="Old")
    for _ in range(3):
        assert inline_policy(iam, role, "Old") == POLICY_V1
    assert inline_policy(iam, role, "Old") == "NoSuchEntity"


def test_a_write_to_one_policy_leaves_another_policys_reads_fresh(emu: Emulator, iam: Any) -> None:
    role = new_role(iam)
    iam.put_role_policy(RoleName=role, PolicyName="A", PolicyDocument=json.dumps(POLICY_V1))
    iam.put_role_policy(RoleName=role, PolicyName="B", PolicyDocument=json.dumps(POLICY_V1))
    emu.faults.stale_reads(2)
    assert inline_policy(iam, role, "A") == POLICY_V1
    assert inline_policy(iam, role, "B") == POLICY_V1
    iam.put_role_policy(RoleName=role, PolicyName="A", PolicyDocument=json.dumps(POLICY_V2))
    iam.put_role_policy(RoleName=role, PolicyName="B", PolicyDocument=json.dumps(POLICY_V2))
    # Both stale now; a further write to A alone re-arms only A.
    assert inline_policy(iam, role, "A") == POLICY_V1
    assert inline_policy(iam, role, "A") == POLICY_V1
    assert inline_policy(iam, role, "A") == POLICY_V2
    iam.put_role_policy(RoleName=role, PolicyName="A", PolicyDocument=json.dumps(POLICY_V1))
    assert inline_policy(iam, role, "B") == POLICY_V1
    assert inline_policy(iam, role, "B") == POLICY_V1
    assert inline_policy(iam, role, "B") == POLICY_V2


def test_attach_makes_list_attached_role_policies_stale(emu: Emulator, iam: Any) -> None:
    role = new_role(iam)
    arn = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
    emu.faults.stale_reads(1)
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [arn]


# -- scope and switching -----------------------------------------------------------------------


def test_a_write_to_another_role_leaves_this_roles_reads_fresh(emu: Emulator, iam: Any) -> None:
    role, other = new_role(iam, "sagemaker.amazonaws.com"), new_role(iam)
    iam.put_role_policy(RoleName=role, PolicyName="Fix", PolicyDocument=json.dumps(POLICY_V1))
    emu.faults.stale_reads(2)
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]
    assert inline_policy(iam, role, "Fix") == POLICY_V1
    iam.update_assume_role_policy(
        RoleName=other, PolicyDocument=trust_policy("codebuild.amazonaws.com")
    )
    iam.put_role_policy(RoleName=other, PolicyName="Fix", PolicyDocument=json.dumps(POLICY_V2))
    # Change this role behind the emulator's back (directly in moto) to see fresh reads.
    from moto.iam.models import iam_backends

    backend = iam_backends[emu.seed_info.account if emu.seed_info else ""]["aws"]
    backend.get_role(role).assume_role_policy_document = trust_policy("lambda.amazonaws.com")
    assert trusted_services(iam, role) == ["lambda.amazonaws.com"]
    # The other role's reads were never recorded, so they are not stale either.
    assert trusted_services(iam, other) == ["codebuild.amazonaws.com"]
    assert inline_policy(iam, other, "Fix") == POLICY_V2


def test_off_by_default(emu: Emulator, iam: Any) -> None:
    assert Emulator().faults.stale_read_count == 0
    role = new_role(iam, "sagemaker.amazonaws.com")
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]
    iam.update_assume_role_policy(
        RoleName=role, PolicyDocument=trust_policy("codebuild.amazonaws.com")
    )
    assert trusted_services(iam, role) == ["codebuild.amazonaws.com"]
    assert inline_policy(iam, role, "Fix") == "NoSuchEntity"
    iam.put_role_policy(RoleName=role, PolicyName="Fix", PolicyDocument=json.dumps(POLICY_V1))
    assert inline_policy(iam, role, "Fix") == POLICY_V1


def test_zero_turns_it_off_even_while_reads_are_stale(emu: Emulator, iam: Any) -> None:
    role = new_role(iam, "sagemaker.amazonaws.com")
    emu.faults.stale_reads(5)
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]
    iam.update_assume_role_policy(
        RoleName=role, PolicyDocument=trust_policy("codebuild.amazonaws.com")
    )
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]
    emu.faults.stale_reads(0)
    assert trusted_services(iam, role) == ["codebuild.amazonaws.com"]
    iam.update_assume_role_policy(
        RoleName=role, PolicyDocument=trust_policy("lambda.amazonaws.com")
    )
    assert trusted_services(iam, role) == ["lambda.amazonaws.com"]


def test_denied_reads_are_not_recorded(emu: Emulator, iam: Any) -> None:
    # The seeded Studio role may not read other roles; its denial must never be replayed to
    # a caller who may.
    role = new_role(iam, "sagemaker.amazonaws.com")
    emu.faults.stale_reads(2)
    studio_iam = emu.studio_session().client("iam")
    with pytest.raises(ClientError) as excinfo:
        studio_iam.get_role(RoleName=role)
    assert error_of(excinfo)[0] == "AccessDenied"
    iam.update_assume_role_policy(
        RoleName=role, PolicyDocument=trust_policy("codebuild.amazonaws.com")
    )
    assert trusted_services(iam, role) == ["codebuild.amazonaws.com"]


@pytest.mark.parametrize("reads", [-1, True, 1.5, "2"])
def test_rejects_a_bad_count(emu: Emulator, reads: Any) -> None:
    with pytest.raises(ValueError):
        emu.faults.stale_reads(reads)


# -- control API -------------------------------------------------------------------------------


def test_control_api_switches_stale_reads(emu: Emulator, iam: Any) -> None:
    assert control(emu, "faults") == (200, {"pending": {}, "stale_reads": 0})
    assert control(emu, "faults", "POST", {"stale_reads": 2}) == (
        200,
        {"pending": {}, "stale_reads": 2},
    )
    assert emu.faults.stale_read_count == 2
    role = new_role(iam, "sagemaker.amazonaws.com")
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]
    iam.update_assume_role_policy(
        RoleName=role, PolicyDocument=trust_policy("codebuild.amazonaws.com")
    )
    assert trusted_services(iam, role) == ["sagemaker.amazonaws.com"]
    # Throttling through the same endpoint reports the stale-read setting too.
    status, state = control(emu, "faults", "POST", {"throttle": "iam:GetRole", "count": 0})
    assert (status, state) == (200, {"pending": {}, "stale_reads": 2})
    assert control(emu, "faults", "POST", {"stale_reads": 0})[1]["stale_reads"] == 0
    assert trusted_services(iam, role) == ["codebuild.amazonaws.com"]


@pytest.mark.parametrize(
    "body",
    [
        {"stale_reads": -1},
        {"stale_reads": "2"},
        {"stale_reads": True},
        {"stale_reads": 2, "throttle": "iam:GetRole"},
        {"stale_reads": 2, "count": 1},
    ],
)
def test_control_api_rejects_bad_stale_reads(emu: Emulator, body: Any) -> None:
    status, answer = control(emu, "faults", "POST", body)
    assert status == 400
    assert "error" in answer
    assert emu.faults.stale_read_count == 0
