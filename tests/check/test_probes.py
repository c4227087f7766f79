"""probe() against the emulator's managed scenario, and the AccessDenied message parser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest

from sm_studio_setup.aws.probes import ProbeResult, deny_kind, probe
from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.requirements.model import Requirement
from sm_studio_setup.requirements.policy import missing

from .test_simulator import image_build, role_documents, role_session

SESSION = "arn:aws:sts::123456789012:assumed-role/R/SageMaker"


@pytest.fixture(scope="module")
def managed() -> Iterator[Emulator]:
    with Emulator(seed="demo", scenario="managed") as running:
        yield running


def caller(emulator: Emulator, action: str) -> Requirement:
    return next(r for r in image_build(emulator) if r.who == "caller" and r.action == action)


def inventory(emulator: Emulator) -> dict[str, Any]:
    """What exists, read with admin credentials: a probe must leave all of it unchanged."""
    admin = emulator.admin_session()
    logs = admin.client("logs").describe_log_groups()["logGroups"]
    return {
        "projects": sorted(admin.client("codebuild").list_projects()["projects"]),
        "builds": sorted(admin.client("codebuild").list_builds()["ids"]),
        "repositories": sorted(
            r["repositoryName"] for r in admin.client("ecr").describe_repositories()["repositories"]
        ),
        "buckets": sorted(b["Name"] for b in admin.client("s3").list_buckets()["Buckets"]),
        "log_groups": sorted(g["logGroupName"] for g in logs),
    }


def test_managed_probes_and_nothing_is_left_behind(managed: Emulator) -> None:
    session = role_session(managed)
    before = inventory(managed)
    delete = probe(session, caller(managed, "codebuild:DeleteProject"))
    assert (delete.status, delete.deny_kind) == ("denied", "implicit")
    assert "AccessDeniedException" in delete.evidence
    assert "codebuild:DeleteProject" in delete.evidence
    builds = probe(session, caller(managed, "codebuild:BatchGetBuilds"))
    assert (builds.status, builds.deny_kind) == ("allowed", None)
    repos = probe(session, caller(managed, "ecr:DescribeRepositories"))
    assert repos.status == "allowed"
    assert inventory(managed) == before


def test_every_probe_agrees_with_the_engine(managed: Emulator) -> None:
    """Each definite probe answer equals the local engine's judgement of the same role, the
    build's requirements too: the build's service role is the Studio role itself."""
    info = managed.seed_info
    assert info is not None
    session = role_session(managed)
    before = inventory(managed)
    reqs = [r for r in image_build(managed) if r.who in ("caller", "build")]
    results = [(r, probe(session, r, build_is_caller=True)) for r in reqs]
    assert inventory(managed) == before
    policies, trust, boundary = role_documents(managed)
    lacking = missing(
        reqs,
        identity_policies=policies,
        trust_policy=trust,
        boundary=boundary,
        role_arn=info.role_arn,
    )
    definite = 0
    for req, result in results:
        if result.status == "unknown":
            continue
        definite += 1
        expected = "denied" if any(req is m for m in lacking) else "allowed"
        assert result.status == expected, (req.action, result)
    assert definite >= 20
    by_action = {r.action: result for r, result in results}
    for never in ("iam:PassRole", "s3:CreateBucket", "s3:DeleteObject", "ecr:InitiateLayerUpload"):
        assert by_action[never].status == "unknown"
        assert " is not probed: " in by_action[never].evidence
    # Creates asked with a part the service must refuse: definite, and nothing was made.
    assert by_action["codebuild:CreateProject"].status == "denied"
    # Asked only of a repository that exists: the managed role reads it first, and it is
    # allowed; before the first build it would stay unknown (test_probe_calls.py).
    assert by_action["ecr:CreateRepository"].status in ("allowed", "unknown")
    if by_action["ecr:CreateRepository"].status == "unknown":
        assert "does not exist yet" in by_action["ecr:CreateRepository"].evidence
    assert by_action["logs:CreateLogGroup"].status == "allowed"


def test_build_and_trust_requirements_are_not_probed(managed: Emulator) -> None:
    managed.counter.reset()
    for req in image_build(managed):
        if req.who != "caller":
            result = probe(role_session(managed), req)
            assert result.status == "unknown" and result.deny_kind is None
    assert managed.counter.snapshot()["total"] == 0


def test_an_exact_project_is_never_deleted_to_find_out(managed: Emulator) -> None:
    req = caller(managed, "codebuild:DeleteProject")
    exact = Requirement(
        req.who, req.action, req.resource.rstrip("*") + "existing", req.step, req.why, req.source
    )
    managed.counter.reset()
    assert probe(role_session(managed), exact).status == "unknown"
    assert managed.counter.snapshot()["total"] == 0


class _Failing:
    """A session whose every call fails with the given botocore error."""

    region_name = "us-east-1"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def client(self, service: str, **kwargs: Any) -> Any:
        error = self.error

        class _Client:
            def __getattr__(self, name: str) -> Any:
                def call(**kwargs: Any) -> Any:
                    raise error

                return call

        return _Client()


def test_unexpected_answers_are_unknown_with_evidence(managed: Emulator) -> None:
    req = caller(managed, "codebuild:BatchGetBuilds")
    throttled = botocore.exceptions.ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "BatchGetBuilds"
    )
    result = probe(_Failing(throttled), req)
    assert result == ProbeResult(
        "unknown", "codebuild.batch_get_builds -> ThrottlingException: Rate exceeded", None
    )
    offline = botocore.exceptions.EndpointConnectionError(endpoint_url="https://x")
    result = probe(_Failing(offline), req)
    assert result.status == "unknown" and "Could not connect" in result.evidence


def test_a_resource_in_another_region_is_not_probed(managed: Emulator) -> None:
    req = caller(managed, "codebuild:BatchGetBuilds")
    elsewhere = Requirement(
        req.who,
        req.action,
        req.resource.replace("us-east-1", "eu-west-1"),
        req.step,
        req.why,
        req.source,
    )
    session = boto3.Session(region_name="us-east-1")
    result = probe(session, elsewhere)
    assert result.status == "unknown" and "eu-west-1" in result.evidence


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        # The emulator's shapes (tests/emulator/test_enforcement.py), as AWS writes them.
        (
            f"User: {SESSION} is not authorized to perform: iam:GetRole on resource: role R "
            "with an explicit deny in an identity-based policy",
            "explicit-identity",
        ),
        (
            f"User: {SESSION} is not authorized to perform: ecr:CreateRepository on resource: "
            "arn:aws:ecr:us-east-1:123456789012:repository/x because no identity-based policy "
            "allows the ecr:CreateRepository action",
            "implicit",
        ),
        (
            f"User: {SESSION} is not authorized to perform: s3:PutObject on resource: "
            '"arn:aws:s3:::b/k" because no identity-based policy allows the s3:PutObject action',
            "implicit",
        ),
        # "Access denied error messages" (IAM User Guide).
        (
            "User: arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: "
            "codecommit:ListRepositories because no identity-based policy allows the "
            "codecommit:ListRepositories action",
            "implicit",
        ),
        (
            "User: arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: "
            "codecommit:ListRespositories with an explicit deny in a service control policy",
            "scp",
        ),
        (
            "User: arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: "
            "codecommit:ListRepositories with an explicit deny in a service control policy: "
            "arn:aws:organizations::777788889999:policy/o-abc/service_control_policy/p-1",
            "scp",
        ),
        (
            "User: arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: "
            "codecommit:ListRepositories because no service control policy allows the "
            "codecommit:ListRepositories action",
            "scp",
        ),
        (
            "User: arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: "
            "s3:GetObject on resource: arn:aws:s3:::b/k with an explicit deny in a resource "
            "control policy",
            "rcp",
        ),
        (
            f"User: {SESSION} is not authorized to perform: codebuild:CreateProject on resource: "
            "arn:aws:codebuild:us-east-1:123456789012:project/p because no permissions boundary "
            "allows the codebuild:CreateProject action",
            "boundary",
        ),
        (
            f"User: {SESSION} is not authorized to perform: codebuild:CreateProject with an "
            "explicit deny in a permissions boundary",
            "boundary",
        ),
        (
            f"User: {SESSION} is not authorized to perform: logs:GetLogEvents because no session "
            "policy allows the logs:GetLogEvents action",
            "session",
        ),
        (
            f"User: {SESSION} is not authorized to perform: s3:ListBucket on resource: "
            '"arn:aws:s3:::b" because no resource-based policy allows the s3:ListBucket action',
            "resource",
        ),
        (
            f"User: {SESSION} is not authorized to perform: s3:ListBucket on resource: "
            '"arn:aws:s3:::b" with an explicit deny in a resource-based policy',
            "explicit-resource",
        ),
        (
            f"User: {SESSION} is not authorized to perform: ecr:DescribeRepositories with an "
            "explicit deny in a VPC endpoint policy",
            "vpc-endpoint",
        ),
        # Messages that name no policy type: older services, cross-account S3.
        (
            f"User: {SESSION} is not authorized to perform: sts:AssumeRole on resource: "
            "arn:aws:iam::123456789012:role/R",
            None,
        ),
        ("Access Denied", None),
        ("", None),
    ],
)
def test_deny_kind(message: str, kind: str | None) -> None:
    assert deny_kind(message) == kind


def test_an_older_botocore_is_asked_the_same_question_without_what_it_lacks() -> None:
    """SageMaker Distribution 1.x pins botocore 1.31, whose ListBuckets has no MaxBuckets:
    the probe goes without it rather than fail validation and leave s3:ListAllMyBuckets
    unknown. What a call needs is never dropped."""
    import boto3

    from sm_studio_setup.aws import probes

    s3 = boto3.Session(region_name="us-east-1").client("s3")
    call = probes._Call("s3", "list_buckets", {"MaxBuckets": 1})
    assert probes._known(s3, call) == {"MaxBuckets": 1}
    members = s3.meta.service_model.operation_model("ListBuckets").input_shape.members
    old = dict(members)
    try:
        members.pop("MaxBuckets")
        assert probes._known(s3, call) == {}
        needed = probes._Call("s3", "list_buckets", {"Bucket": "b"})
        assert probes._known(s3, needed) == {"Bucket": "b"}
    finally:
        members.clear()
        members.update(old)
