"""Each probe against the emulator (managed scenario, with the bucket and repository in
place): allowed when the role has exactly the permission, denied with the policy type AWS
names when it has not, unknown with evidence when the answer tells nothing, and nothing left
behind whatever the answer. The check turns the answers into findings, the build's ones with
what a probe made as the caller cannot cover."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import botocore.exceptions
import pytest

from sm_studio_setup.aws.probes import BUILD_SCOPE, PREMISES, ProbeResult, probe
from sm_studio_setup.aws.snapshot import RoleSnapshot
from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.requirements.model import Requirement
from sm_studio_setup.requirements.policy import policy_for
from sm_studio_setup.service.check import judge_requirements

from ..role_sessions import session_allowed
from .test_simulator import image_build

ACCOUNT = "123456789012"
REGION = "us-east-1"

# Every probe an action of image-build gets, and what else its premise needs granted to
# answer "allowed" (GetObject of a missing key is NoSuchKey only with s3:ListBucket).
# CreateRepository is asked only of a repository a read finds (aws/probe_calls.py).
PRE_READ = {"ecr:CreateRepository": "ecr:DescribeRepositories"}
PROBED = {
    "codebuild:CreateProject": (),
    "ecr:BatchCheckLayerAvailability": (),
    "ecr:BatchGetImage": (),
    "ecr:CompleteLayerUpload": (),
    "ecr:CreateRepository": (),
    "ecr:GetAuthorizationToken": (),
    "ecr:GetDownloadUrlForLayer": (),
    "ecr:PutImage": (),
    "ecr:UploadLayerPart": (),
    "logs:CreateLogGroup": (),
    "logs:CreateLogStream": (),
    "logs:PutLogEvents": (),
    "s3:GetObject": ("s3:ListBucket",),
    "s3:GetObjectVersion": ("s3:ListBucket",),
    "s3:ListBucketMultipartUploads": (),
    "s3:PutObject": (),
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(seed="demo", scenario="managed") as running:
        reqs = image_build(running)
        bucket = next(r for r in reqs if r.action == "s3:ListBucket").resource.split(":::")[1]
        repository = next(r for r in reqs if r.action == "ecr:PutImage").resource
        admin = running.admin_session()
        admin.client("s3").create_bucket(Bucket=bucket)
        admin.client("ecr").create_repository(repositoryName=repository.rsplit("/", 1)[1])
        yield running


def requirement(emulator: Emulator, action: str) -> Requirement:
    return next(r for r in image_build(emulator) if r.action == action)


def role_session(emulator: Emulator, statements: list[dict[str, Any]]) -> boto3.Session:
    """A fresh role with exactly ``statements``, as a session of its own."""
    return session_allowed(emulator, *statements)


def granted(emulator: Emulator, action: str, *, deny: bool = False) -> boto3.Session:
    """A role granted exactly what ``action``'s probe needs; ``deny`` adds an explicit Deny of
    the action itself."""
    reqs = [requirement(emulator, a) for a in (action, *PROBED[action])]
    if action in PRE_READ:
        reqs.append(requirement(emulator, PRE_READ[action]))
    statements = list(policy_for(reqs)["Statement"])
    if deny:
        statements.append({"Effect": "Deny", "Action": action, "Resource": "*"})
    return role_session(emulator, statements)


def bare(emulator: Emulator) -> boto3.Session:
    return role_session(
        emulator, [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]
    )


def inventory(emulator: Emulator) -> dict[str, Any]:
    """What exists, read with admin credentials, down to object versions, delete markers,
    unfinished uploads and images: a probe must leave all of it unchanged."""
    admin = emulator.admin_session()
    s3 = admin.client("s3")
    ecr = admin.client("ecr")
    buckets = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
    repositories = sorted(r["repositoryName"] for r in ecr.describe_repositories()["repositories"])
    return {
        "projects": sorted(admin.client("codebuild").list_projects()["projects"]),
        "builds": sorted(admin.client("codebuild").list_builds()["ids"]),
        "repositories": repositories,
        "images": {r: ecr.list_images(repositoryName=r)["imageIds"] for r in repositories},
        "buckets": buckets,
        "objects": {
            b: (
                s3.list_object_versions(Bucket=b).get("Versions", []),
                s3.list_object_versions(Bucket=b).get("DeleteMarkers", []),
                s3.list_multipart_uploads(Bucket=b).get("Uploads", []),
            )
            for b in buckets
        },
        "log_groups": sorted(
            g["logGroupName"] for g in admin.client("logs").describe_log_groups()["logGroups"]
        ),
    }


@pytest.fixture(scope="module")
def nothing_allowed(emulator: Emulator) -> boto3.Session:
    return bare(emulator)


@pytest.mark.parametrize("action", sorted(PROBED))
def test_allowed_denied_and_nothing_left_behind(
    emulator: Emulator, nothing_allowed: boto3.Session, action: str
) -> None:
    """The probe's answer with exactly the permission, without it, and with an explicit Deny;
    and the finding the check makes of each (the role's documents unreadable and the simulator
    denied, as in a managed domain): allowed, missing, blocked by the Deny."""
    req = requirement(emulator, action)
    build = req.who == "build"
    before = inventory(emulator)
    without = nothing_allowed
    if action in PRE_READ:
        # The read it needs first, and not the action.
        read = requirement(emulator, PRE_READ[action])
        without = role_session(emulator, list(policy_for([read])["Statement"]))
    sessions = {
        "allowed": granted(emulator, action),
        "missing": without,
        "blocked": granted(emulator, action, deny=True),
    }

    allowed = probe(sessions["allowed"], req, build_is_caller=True)
    assert allowed.status == "allowed", allowed
    assert allowed.premise.startswith(("Unconfirmed: ", PREMISES[action.lower()][0]))
    assert (BUILD_SCOPE in allowed.premise) == build
    missing = probe(sessions["missing"], req, build_is_caller=True)
    assert (missing.status, missing.deny_kind) == ("denied", "implicit"), missing
    assert action in missing.evidence
    explicit = probe(sessions["blocked"], req, build_is_caller=True)
    assert (explicit.status, explicit.deny_kind) == ("denied", "explicit-identity"), explicit

    for status, session in sessions.items():
        caller = session.client("sts").get_caller_identity()["Arn"]
        role_arn = f"arn:aws:iam::{ACCOUNT}:role/{caller.split('/')[1]}"
        [finding] = judge_requirements(
            session, [req], unreadable(role_arn), role_arn, "image-build", caller_arn=caller
        )
        blocked_by = "explicit-deny" if status == "blocked" else None
        assert (finding.status, finding.blocked_by) == (status, blocked_by), finding
        assert finding.source == "probe" and finding.premise
        assert ("aws:CalledVia" in finding.premise) == build
        assert bool(finding.fix) == (status != "allowed")

    assert inventory(emulator) == before


def unreadable(role_arn: str) -> RoleSnapshot:
    return RoleSnapshot(
        role_arn=role_arn,
        trust_policy=None,
        trust_source=None,
        boundary_arn=None,
        boundary=None,
        inline=None,
        managed=None,
        denied_reads=("iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"),
    )


class _Answering:
    """A session whose every call raises ``error`` (or, with None, answers OK), recording the
    calls it got."""

    region_name = REGION

    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.calls: list[str] = []

    def client(self, service: str, **kwargs: Any) -> Any:
        session = self

        class _Client:
            def __getattr__(self, name: str) -> Any:
                def call(**kwargs: Any) -> Any:
                    session.calls.append(name)
                    if session.error is not None:
                        raise session.error
                    return {}

                return call

        return _Client()


@pytest.mark.parametrize("action", sorted(PROBED))
def test_an_answer_that_tells_nothing_is_unknown_with_evidence(
    emulator: Emulator, action: str
) -> None:
    req = requirement(emulator, action)
    throttled = botocore.exceptions.ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "Op"
    )
    result = probe(_Answering(throttled), req, build_is_caller=True)
    assert result.status == "unknown"
    if action in PRE_READ:
        # The read before it met the throttling: the call itself was never made.
        assert "-> ThrottlingException: whether it exists is not known" in result.evidence
        return
    assert result.evidence.endswith("-> ThrottlingException: Rate exceeded"), result
    # A denial of another action than the one asked (and not one checked only after it).
    other = botocore.exceptions.ClientError(
        {
            "Error": {
                "Code": "AccessDenied",
                "Message": "User: x is not authorized to perform: sqs:SendMessage on resource: y",
            }
        },
        "Op",
    )
    result = probe(_Answering(other), req, build_is_caller=True)
    assert result.status == "unknown" and "sqs:sendmessage" in result.evidence, result


@pytest.mark.parametrize(
    "action",
    ["codebuild:CreateProject", "ecr:CreateRepository", "ecr:PutImage", "logs:CreateLogGroup"],
)
def test_a_create_the_service_accepted_after_all_is_undone_and_unknown(
    emulator: Emulator, action: str
) -> None:
    """Should a service accept the made-up part (the premise was wrong), what it made is
    removed at once and nothing is concluded."""
    session = _Answering(None)
    result = probe(session, requirement(emulator, action), build_is_caller=True)
    assert result.status == "unknown"
    assert "accepted what it should have refused" in result.evidence
    first = 1 if action in PRE_READ else 0  # the read that found the resource
    assert len(session.calls) == first + 2
    assert session.calls[-1].startswith(("delete", "batch_delete"))


def test_the_s3_probes_say_a_missing_key_without_list_bucket_tells_nothing(
    emulator: Emulator,
) -> None:
    # GetObject allowed, ListBucket not: S3's bare 403 for a missing key is not a denial.
    req = requirement(emulator, "s3:GetObject")
    session = role_session(emulator, list(policy_for([req])["Statement"]))
    result = probe(session, req, build_is_caller=True)
    assert result.status == "unknown", result
    assert "names no action" in result.evidence


def test_the_authorization_token_is_never_seen(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    req = requirement(emulator, "ecr:GetAuthorizationToken")
    session = granted(emulator, "ecr:GetAuthorizationToken")
    with caplog.at_level(logging.DEBUG, logger="botocore"):
        result = probe(session, req, build_is_caller=True)
    assert result.status == "allowed"
    assert result.evidence == "ecr.get_authorization_token -> OK (the answer was dropped unread)"
    assert "authorizationToken" not in caplog.text
    # The same cached client still gives the token to whoever needs it (aws/ecr_login.py).
    from sm_studio_setup.aws.session import client

    data = client(session, "ecr").get_authorization_token()["authorizationData"]
    assert data and data[0]["authorizationToken"]


def test_build_requirements_of_another_role_are_not_probed(emulator: Emulator) -> None:
    emulator.counter.reset()
    for req in image_build(emulator):
        if req.who == "build":
            result = probe(emulator.studio_session(), req)
            assert result == ProbeResult(
                "unknown",
                "build requirements cannot be probed: probes run as the caller, and the build "
                "runs as another role",
            )
    assert emulator.counter.snapshot()["total"] == 0


def test_a_repository_that_does_not_exist_yet_is_never_created_by_a_probe(
    emulator: Emulator,
) -> None:
    """CreateRepository names the user's own repository: were it missing and ECR to accept
    the made-up key, the probe would make it, so it is not asked at all."""
    req = requirement(emulator, "ecr:CreateRepository")
    missing = replace(req, resource=req.resource.rsplit("/", 1)[0] + "/not-there-yet")
    session = _Answering(
        botocore.exceptions.ClientError(
            {"Error": {"Code": "RepositoryNotFoundException", "Message": "no"}}, "Op"
        )
    )
    result = probe(session, missing, build_is_caller=True)
    assert result.status == "unknown"
    assert "does not exist yet" in result.evidence and "the build makes it" in result.evidence
    assert session.calls == ["describe_repositories"]
