"""simulate() against the emulator, whose simulator and enforcement are the IAM engine's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import boto3
import pytest

from sm_studio_setup.aws.simulator import simulate
from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.requirements.model import Requirement
from sm_studio_setup.requirements.params import Params
from sm_studio_setup.requirements.policy import missing
from sm_studio_setup.requirements.profiles import requirements_for

REGION = "us-east-1"


def role_session(emulator: Emulator) -> boto3.Session:
    return emulator.studio_session()


def image_build(emulator: Emulator) -> list[Requirement]:
    info = emulator.seed_info
    assert info is not None
    params = Params(
        region=REGION,
        account=info.account,
        role_arn=info.role_arn,
        domain_id=info.domain_id,
        user_profile=info.user_profile,
    )
    return requirements_for("image-build", params)


def _doc(document: Any) -> Any:
    return json.loads(unquote(document)) if isinstance(document, str) else document


def role_documents(emulator: Emulator) -> tuple[list[Any], Any, Any]:
    """The role's identity policies, trust policy and boundary, read with admin credentials."""
    info = emulator.seed_info
    assert info is not None
    iam = emulator.admin_session().client("iam")
    role = iam.get_role(RoleName=info.role_name)["Role"]
    policies = [
        _doc(iam.get_role_policy(RoleName=info.role_name, PolicyName=name)["PolicyDocument"])
        for name in iam.list_role_policies(RoleName=info.role_name)["PolicyNames"]
    ]
    for attached in iam.list_attached_role_policies(RoleName=info.role_name)["AttachedPolicies"]:
        arn = attached["PolicyArn"]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
        policies.append(_doc(document["Document"]))
    boundary = None
    if "PermissionsBoundary" in role:
        arn = role["PermissionsBoundary"]["PermissionsBoundaryArn"]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        boundary = _doc(
            iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        )
    return policies, _doc(role["AssumeRolePolicyDocument"]), boundary


@pytest.fixture(scope="module")
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    # Each test names its scenario (indirect parametrization); pytest runs the tests of one
    # scenario together, and one emulator runs per process at a time.
    with Emulator(seed="demo", scenario=request.param) as running:
        yield running


SELF_SERVICE = pytest.mark.parametrize("emulator", ["self-service"], indirect=True)
MANAGED = pytest.mark.parametrize("emulator", ["managed"], indirect=True)


@SELF_SERVICE
def test_decisions_equal_the_local_engines(emulator: Emulator) -> None:
    info = emulator.seed_info
    assert info is not None
    reqs = image_build(emulator)
    decisions = simulate(role_session(emulator), info.role_arn, reqs)
    assert decisions is not None
    judged = [r for r in reqs if r.who != "trust"]
    # Every caller and build requirement is answered; trust cannot be simulated.
    assert list(decisions) == judged
    assert {d.decision for d in decisions.values()} <= {"allowed", "implicitDeny", "explicitDeny"}
    policies, trust, boundary = role_documents(emulator)
    expected_missing = missing(
        judged,
        identity_policies=policies,
        trust_policy=trust,
        boundary=boundary,
        role_arn=info.role_arn,
    )
    assert [r for r in judged if decisions[r].decision != "allowed"] == expected_missing
    # The demo role has real gaps (CreateProject, PassRole) and real grants (StartBuild).
    by_action = {r.action: decisions[r].decision for r in judged if r.who == "caller"}
    assert by_action["codebuild:CreateProject"] == "implicitDeny"
    assert by_action["iam:PassRole"] == "implicitDeny"
    assert by_action["codebuild:StartBuild"] == "allowed"


@SELF_SERVICE
def test_all_pages_are_read(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    info = emulator.seed_info
    assert info is not None
    reqs = image_build(emulator)
    whole = simulate(role_session(emulator), info.role_arn, reqs)
    # The same answer when every page holds a single result.
    from botocore.paginate import PageIterator

    original = PageIterator.__init__

    def small_pages(self: PageIterator, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._max_items = None  # type: ignore[attr-defined]
        self._page_size = 1  # type: ignore[attr-defined]

    monkeypatch.setattr(PageIterator, "__init__", small_pages)
    emulator.counter.reset()
    assert simulate(role_session(emulator), info.role_arn, reqs) == whole
    calls = emulator.counter.snapshot()["by_operation"]["iam:SimulatePrincipalPolicy"]
    assert whole is not None and calls >= len(whole)


@SELF_SERVICE
def test_no_requirements_ask_nothing(emulator: Emulator) -> None:
    info = emulator.seed_info
    assert info is not None
    trust_only = [r for r in image_build(emulator) if r.who == "trust"]
    emulator.counter.reset()
    result = simulate(role_session(emulator), info.role_arn, trust_only)
    assert result is not None and len(result) == 0
    assert emulator.counter.snapshot()["total"] == 0


@MANAGED
def test_managed_role_may_not_simulate(emulator: Emulator) -> None:
    info = emulator.seed_info
    assert info is not None
    assert simulate(role_session(emulator), info.role_arn, image_build(emulator)) is None
