"""Role snapshot against the demo emulator: what each scenario's role reads, in how many trips."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sm_studio_setup.aws import snapshot
from sm_studio_setup.aws.snapshot import read_role
from sm_studio_setup.emulator.core.latency import parse_latency
from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.emulator.seed import (
    SAGEMAKER_FULL_ACCESS,
    SAGEMAKER_FULL_ACCESS_ARN,
    SELF_SERVICE_POLICY_NAME,
    managed_policy_document_text,
    self_service_policy,
    trust_policy,
)

# Large against the emulator's own per-request work (IAM engine, moto: a few ms per request),
# so that requests sent together overlap in the emulator whatever the machine's load.
LATENCY_MS = 100.0


@pytest.fixture(scope="module", params=["self-service", "managed"])
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    snapshot.clear_cache()
    with Emulator(seed="demo", scenario=request.param) as running:
        yield running
    snapshot.clear_cache()


@pytest.fixture()
def role_arn(emulator: Emulator) -> str:
    assert emulator.seed_info is not None
    return emulator.seed_info.role_arn


def test_reads_what_each_scenario_allows(emulator: Emulator, role_arn: str) -> None:
    snap = read_role(emulator.studio_session(), role_arn, refresh=True)
    assert snap.role_arn == role_arn
    assert snap.trust_policy == trust_policy()
    assert snap.boundary_arn is None and snap.boundary is None
    if emulator.scenario == "self-service":
        assert snap.trust_source == "get-role"
        assert snap.denied_reads == ()
        assert snap.policies_readable and snap.boundary_known
        assert snap.inline == {SELF_SERVICE_POLICY_NAME: self_service_policy(role_arn)}
        assert snap.managed is not None
        assert list(snap.managed) == [SAGEMAKER_FULL_ACCESS_ARN]
        # The published document, key order included.
        published = json.loads(managed_policy_document_text(SAGEMAKER_FULL_ACCESS))
        assert json.dumps(snap.managed[SAGEMAKER_FULL_ACCESS_ARN]) == json.dumps(published)
    else:
        # AmazonSageMakerFullAccess: ListRoles yes, the role's own reads no.
        assert snap.trust_source == "list-roles"
        assert snap.inline is None and snap.managed is None
        assert not snap.policies_readable and not snap.boundary_known
        assert snap.denied_reads == (
            "iam:GetRole",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
        )


def test_round_trips_are_concurrent_and_counted(emulator: Emulator, role_arn: str) -> None:
    session = emulator.studio_session()
    read_role(session, role_arn, refresh=True)  # load botocore's models outside the timing
    emulator.counter.reset()
    emulator.set_latency(parse_latency(f"{LATENCY_MS:g}"))
    try:
        snap = read_role(session, role_arn, refresh=True)
    finally:
        emulator.set_latency(None)
    stats = emulator.counter.snapshot()
    if emulator.scenario == "self-service":
        expected = {
            "iam:GetRole": 1,
            "iam:ListRolePolicies": 1,
            "iam:ListAttachedRolePolicies": 1,
            "iam:GetRolePolicy": 1,
            "iam:GetPolicy": 1,
            "iam:GetPolicyVersion": 1,
        }
        # 6 requests; one after another they would take >= 6 latencies, in 3 rounds 3.
        assert snap.policies_readable
    else:
        # Round 1: the three reads (all denied); round 2: ListRoles (one page).
        expected = {
            "iam:GetRole": 1,
            "iam:ListRolePolicies": 1,
            "iam:ListAttachedRolePolicies": 1,
            "iam:ListRoles": 1,
        }
        assert snap.trust_source == "list-roles"
    assert stats["by_operation"] == expected
    assert stats["total"] == sum(expected.values())
    # Not a speed test (benchmarks/ times it): the emulator saw the reads overlap, so no more
    # than 3 of them ran one after another (round 1: the lists and GetRole; 2: the documents
    # and default versions; 3: the versions, or ListRoles after GetRole was denied).
    assert stats["rounds"] == (3 if emulator.scenario == "self-service" else 2)


def test_cache_hit_makes_no_request_and_refresh_rereads(emulator: Emulator, role_arn: str) -> None:
    session = emulator.studio_session()
    first = read_role(session, role_arn, refresh=True)
    emulator.counter.reset()
    assert read_role(session, role_arn) is first
    assert emulator.counter.snapshot()["total"] == 0
    again = read_role(session, role_arn, refresh=True)
    assert again == first and again is not first
    assert emulator.counter.snapshot()["by_operation"]["iam:ListRolePolicies"] == 1


def test_cache_expires(emulator: Emulator, role_arn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    session = emulator.studio_session()
    read_role(session, role_arn, refresh=True)
    emulator.counter.reset()
    monkeypatch.setattr(snapshot, "CACHE_SECONDS", 0.0)
    read_role(session, role_arn)
    assert emulator.counter.snapshot()["total"] > 0


def test_many_policies_are_read_concurrently(emulator: Emulator) -> None:
    """3 managed and 3 inline policies plus a boundary, read by the admin (all allowed)."""
    admin = emulator.admin_session()
    iam = admin.client("iam")
    name = f"snapshot-wide-{emulator.scenario}"
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    arns = [
        iam.create_policy(PolicyName=f"{name}-m{i}", PolicyDocument=json.dumps(document))["Policy"][
            "Arn"
        ]
        for i in range(4)
    ]
    role_arn = iam.create_role(
        RoleName=name,
        Path="/wide/",
        AssumeRolePolicyDocument=json.dumps(trust_policy()),
        PermissionsBoundary=arns[3],
    )["Role"]["Arn"]
    for arn in arns[:3]:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    for i in range(3):
        iam.put_role_policy(
            RoleName=name, PolicyName=f"inline{i}", PolicyDocument=json.dumps(document)
        )
    read_role(admin, role_arn, refresh=True)  # warm up outside the timing
    emulator.counter.reset()
    emulator.set_latency(parse_latency(f"{LATENCY_MS:g}"))
    try:
        snap = read_role(admin, role_arn, refresh=True)
    finally:
        emulator.set_latency(None)
    assert snap.denied_reads == ()
    assert snap.boundary_arn == arns[3] and snap.boundary == document
    assert snap.inline == {f"inline{i}": document for i in range(3)}
    assert snap.managed == {arn: document for arn in arns[:3]}
    assert emulator.counter.snapshot()["by_operation"] == {
        "iam:GetRole": 1,
        "iam:ListRolePolicies": 1,
        "iam:ListAttachedRolePolicies": 1,
        "iam:GetRolePolicy": 3,
        "iam:GetPolicy": 4,
        "iam:GetPolicyVersion": 4,
    }
    # 14 requests, one after another in 3 rounds only (benchmarks/ times them).
    assert emulator.counter.snapshot()["rounds"] == 3
