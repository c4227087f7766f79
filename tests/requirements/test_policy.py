"""Tests of requirements.policy: judging requirements, generating the least-privilege policy and
the trust change. Every property is checked with the IAM engine itself."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sm_studio_setup.iam import Request, can_assume, evaluate, lint
from sm_studio_setup.iam import iamdata_index as ix
from sm_studio_setup.requirements.model import Requirement
from sm_studio_setup.requirements.params import Params
from sm_studio_setup.requirements.policy import (
    MAX_INLINE_POLICY_CHARS,
    PolicyTooLargeError,
    UnscopedRequirementError,
    missing,
    other_side_grants,
    policy_for,
    principal_for,
    trust_change,
)
from sm_studio_setup.requirements.profiles import PROFILES, requirements_for

FULL_ACCESS = (
    Path(__file__).parents[2] / "sm_studio_setup/emulator/data/AmazonSageMakerFullAccess.json"
)
A = "111122223333"
OTHER_ACCOUNT = "999988887777"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
ROLE = f"arn:aws:iam::{A}:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000"
PROJECT = f"arn:aws:codebuild:{REGION}:{A}:project/sagemaker-studio-d-abc123-alice"
REPO = f"arn:aws:ecr:{REGION}:{A}:repository/sagemaker-studio-d-abc123"
DLC_REPO = f"arn:aws:ecr:{REGION}:763104351884:repository/pytorch-training"
BUCKET = f"sagemaker-{REGION}-{A}"
LOG_STREAM = (
    f"arn:aws:logs:{REGION}:{A}:log-group:/aws/codebuild/sagemaker-studio-d-abc123-alice"
    ":log-stream:*"
)
LOG_GROUP = f"arn:aws:logs:{REGION}:{A}:log-group:/aws/codebuild/sagemaker-studio-d-abc123-alice"


def req(
    who: str,
    action: str,
    resource: str,
    context: dict[str, Any] | None = None,
    *,
    optional: bool = False,
    principal: str | None = None,
) -> Requirement:
    return Requirement(
        who=who,  # type: ignore[arg-type]
        action=action,
        resource=resource,
        step=f"test step for {action}",
        why="needed by the test",
        source="test",
        context=context or {},
        optional=optional,
        principal=principal,
    )


TO_CODEBUILD = {"iam:PassedToService": "codebuild.amazonaws.com"}
TO_SAGEMAKER = {"iam:PassedToService": "sagemaker.amazonaws.com"}

# A spread like the image-build, image-use and studio-kernel profiles: caller, build and trust
# requirements; resources with wildcards, another account's repository, "*"-only actions,
# PassRole to two services, an optional requirement and a non-PassRole context key.
POOL: tuple[Requirement, ...] = (
    req("caller", "codebuild:CreateProject", PROJECT),
    req("caller", "codebuild:DeleteProject", PROJECT),
    req("caller", "codebuild:StartBuild", PROJECT),
    req("caller", "codebuild:BatchGetBuilds", PROJECT),
    req("caller", "iam:PassRole", ROLE, TO_CODEBUILD),
    req("caller", "iam:PassRole", ROLE, TO_SAGEMAKER),
    req("caller", "s3:PutObject", f"arn:aws:s3:::{BUCKET}/codebuild-sagemaker-container-*"),
    req("caller", "s3:CreateBucket", f"arn:aws:s3:::{BUCKET}", optional=True),
    req("caller", "logs:GetLogEvents", LOG_STREAM),
    req("caller", "sagemaker:CreateImage", f"arn:aws:sagemaker:{REGION}:{A}:image/my-image"),
    req("caller", "sagemaker:DescribeImage", f"arn:aws:sagemaker:{REGION}:{A}:image/my-image"),
    req("caller", "sagemaker:UpdateDomain", f"arn:aws:sagemaker:{REGION}:{A}:domain/d-abc123"),
    req("caller", "sagemaker:ListImages", "*"),
    req("build", "ecr:GetAuthorizationToken", "*"),
    req("build", "ecr:CreateRepository", REPO),
    req("build", "ecr:BatchCheckLayerAvailability", REPO),
    req("build", "ecr:InitiateLayerUpload", REPO),
    req("build", "ecr:UploadLayerPart", REPO),
    req("build", "ecr:CompleteLayerUpload", REPO),
    req("build", "ecr:PutImage", REPO),
    req("build", "ecr:BatchGetImage", REPO),
    req("build", "ecr:BatchGetImage", DLC_REPO),
    req("build", "ecr:GetDownloadUrlForLayer", DLC_REPO),
    req("build", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/codebuild-sagemaker-container-*"),
    req("build", "logs:CreateLogGroup", LOG_GROUP),
    req("build", "logs:CreateLogStream", LOG_STREAM),
    req("build", "logs:PutLogEvents", LOG_STREAM),
    req("build", "ec2:DescribeSubnets", "*", optional=True),
    req(
        "build",
        "ec2:CreateNetworkInterfacePermission",
        f"arn:aws:ec2:{REGION}:{A}:network-interface/*",
        {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
        optional=True,
    ),
    req(
        "trust",
        "sts:AssumeRole",
        ROLE,
        {"aws:SourceAccount": A},
        principal="codebuild.amazonaws.com",
    ),
)
TRUSTS = tuple(r for r in POOL if r.who == "trust")

SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

# Actions no requirement asks for: powerful neighbours in the same and other services.
OTHER_ACTIONS = (
    "ecr:DeleteRepository",
    "ecr:SetRepositoryPolicy",
    "s3:DeleteBucket",
    "s3:PutBucketPolicy",
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "codebuild:UpdateProject",
    "sagemaker:DeleteDomain",
    "sagemaker:CreatePresignedDomainUrl",
    "lambda:InvokeFunction",
    "ec2:TerminateInstances",
    "sts:AssumeRole",
)


def allowed(policy: dict[str, Any], r: Requirement, role: str = ROLE, **changes: Any) -> bool:
    request = Request(
        action=changes.get("action", r.action),
        resource=changes.get("resource", r.resource),
        principal=principal_for(r.who, role),
        context=changes.get("context", dict(r.context)),
    )
    # Another account's resource must grant too; the role's side is what is under test.
    return evaluate(request, [policy], resource_policy=other_side_grants(request)).allowed


def _split(arn: str) -> list[str]:
    return arn.split(":", 5)


def _renamed(arn: str) -> str:
    """The same ARN with another resource name: another bucket, repository, project, role..."""
    parts = _split(arn)
    resource = parts[5]
    if parts[2] == "s3":
        parts[5] = "zz" + resource  # another bucket
    elif "/" in resource:
        kind, _, name = resource.partition("/")
        parts[5] = f"{kind}/zz{name}"
    else:
        parts[5] = resource + "zz"
    return ":".join(parts)


def neighbours(r: Requirement) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, resource, context) requests next to ``r`` that ``r`` does not justify."""
    context = dict(r.context)
    out: list[tuple[str, str, dict[str, Any]]] = []
    if r.resource != "*":
        parts = _split(r.resource)
        out.append((r.action, _renamed(r.resource), context))
        if parts[4]:
            out.append((r.action, ":".join([*parts[:4], OTHER_ACCOUNT, parts[5]]), context))
        if parts[3]:
            out.append((r.action, ":".join([*parts[:3], OTHER_REGION, *parts[4:]]), context))
    for action in OTHER_ACTIONS:
        out.append((action, r.resource, context))
    if r.action.lower() == "iam:passrole":
        out.append((r.action, r.resource, {"iam:PassedToService": "lambda.amazonaws.com"}))
        out.append((r.action, r.resource, {}))
        out.append((r.action, _renamed(r.resource), context))
        out.append((r.action, ":".join([*_split(r.resource)[:5], "role/Admin"]), context))
    return out


def justified(
    reqs: Sequence[Requirement], action: str, resource: str, context: dict[str, Any]
) -> bool:
    """Whether some requirement itself asks for this request (a neighbour of one requirement
    may be another requirement, e.g. ecr:BatchGetImage on two repositories)."""
    return any(
        r.who != "trust"
        and r.action.lower() == action.lower()
        and fnmatchcase(resource, r.resource)
        and all(context.get(k) == v for k, v in r.context.items())
        for r in reqs
    )


def check_least_privilege(reqs: Sequence[Requirement], role: str = ROLE) -> dict[str, Any]:
    policy = policy_for(reqs)
    for r in reqs:
        if r.who == "trust":
            continue
        assert allowed(policy, r, role), (r, json.dumps(policy, indent=1))
        for action, resource, context in neighbours(r):
            if justified(reqs, action, resource, context):
                continue
            denied = not allowed(policy, r, role, action=action, resource=resource, context=context)
            assert denied, (
                action,
                resource,
                context,
                json.dumps(policy, indent=1),
            )
    check_shape(policy)
    return policy


def check_shape(policy: dict[str, Any]) -> None:
    statements = policy["Statement"]
    if not statements:
        # Nothing to grant; IAM would reject an empty Statement list, so it is never attached.
        return
    sids = [s["Sid"] for s in statements if "Sid" in s]
    # Every statement named, or (a policy near IAM's quota) none.
    assert len(sids) in (0, len(statements))
    assert len(sids) == len(set(sids))
    assert all(sid.isalnum() and sid.isascii() for sid in sids)
    for s in statements:
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        resources = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
        assert s["Effect"] == "Allow"
        assert not any("*" in a for a in actions), actions  # never an action wildcard
        if any(a.lower() == "iam:passrole" for a in actions):
            # PassRole alone, and only to the services named.
            assert actions == ["iam:PassRole"] or actions == "iam:PassRole"
            assert [a.lower() for a in actions] == ["iam:passrole"]
            assert "iam:PassedToService" in s["Condition"]["StringEquals"]
            assert "*" not in resources
        if "*" in resources:
            # "*" only for actions that take nothing else (Service Authorization Reference).
            assert resources == ["*"]
            for action in actions:
                service, _, name = action.partition(":")
                found = ix.service(service)
                assert found is not None
                known = found.action(name)
                assert known is not None and not known.resource_types, action
    codes = {f.code for f in lint(policy)}
    assert not codes & {"passrole-without-passedtoservice", "service-wildcard", "full-admin"}
    assert not codes & {"unknown-action", "action-resource-mismatch", "invalid-policy"}, codes
    assert len(json.dumps(policy, separators=(",", ":"))) <= MAX_INLINE_POLICY_CHARS


# ----------------------------------------------------------------------------- policy_for


def test_policy_for_pool_is_least_privilege() -> None:
    policy = check_least_privilege(POOL)
    # Grouping keeps the document short: at most half as many statements as requirements.
    granted = [r for r in POOL if r.who != "trust"]
    assert len(policy["Statement"]) <= len(granted) // 2


def test_policy_for_groups_and_scopes() -> None:
    policy = policy_for(POOL)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    # The five push actions share one statement on exactly the Studio repository.
    push = [s for s in policy["Statement"] if "ecr:PutImage" in s["Action"]]
    assert len(push) == 1 and push[0]["Resource"] == REPO
    assert {"ecr:UploadLayerPart", "ecr:CompleteLayerUpload"} <= set(push[0]["Action"])
    # "*" only for the actions that take nothing else.
    star = [s for s in policy["Statement"] if s["Resource"] == "*"]
    assert len(star) == 1
    assert set(star[0]["Action"]) == {
        "ec2:DescribeSubnets",
        "ecr:GetAuthorizationToken",
        "sagemaker:ListImages",
    }
    # One PassRole statement per service it is passed to, with stable Sids.
    assert by_sid["PassRoleToCodeBuild"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "codebuild.amazonaws.com"}
    }
    assert by_sid["PassRoleToSageMaker"]["Resource"] == ROLE
    # Another context key becomes a StringEquals condition of its own statement.
    eni = [s for s in policy["Statement"] if "Condition" in s and "ec2:AuthorizedService" in str(s)]
    assert len(eni) == 1
    assert eni[0]["Condition"] == {
        "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"}
    }
    # Trust requirements are not identity permissions.
    assert "sts:AssumeRole" not in json.dumps(policy)


def test_policy_for_one_action_on_several_resources_sorted() -> None:
    reqs = [
        req("build", "ecr:BatchGetImage", DLC_REPO),
        req("build", "ecr:BatchGetImage", REPO),
    ]
    policy = policy_for(reqs)
    assert policy["Statement"] == [
        {
            "Sid": "ECR",
            "Effect": "Allow",
            "Action": "ecr:BatchGetImage",
            "Resource": sorted([DLC_REPO, REPO]),
        }
    ]


def test_policy_for_does_not_cross_grant() -> None:
    # A on r1 and B on r2 must not become {A, B} on {r1, r2}.
    reqs = [
        req("build", "ecr:PutImage", REPO),
        req("build", "ecr:BatchGetImage", DLC_REPO),
    ]
    policy = check_least_privilege(reqs)
    assert not allowed(policy, reqs[0], resource=DLC_REPO)
    assert not allowed(policy, reqs[1], resource=REPO)
    assert [s["Sid"] for s in policy["Statement"]] == ["ECR", "ECR2"]


def test_policy_for_star_subsumes_specific_resources() -> None:
    reqs = [
        req("caller", "sagemaker:ListImages", "*"),
        req("caller", "sagemaker:ListImages", "*"),
    ]
    assert policy_for(reqs)["Statement"][0]["Resource"] == "*"


def test_policy_for_duplicates_and_action_case() -> None:
    one = policy_for([req("build", "ecr:PutImage", REPO)])
    assert (
        policy_for([req("build", "ECR:putimage", REPO), req("build", "ecr:PutImage", REPO)])[
            "Statement"
        ][0]["Resource"]
        == one["Statement"][0]["Resource"]
    )
    assert len(policy_for([req("build", "ecr:PutImage", REPO)] * 3)["Statement"]) == 1


def test_policy_for_empty() -> None:
    assert policy_for([]) == {"Version": "2012-10-17", "Statement": []}
    assert policy_for(TRUSTS) == {"Version": "2012-10-17", "Statement": []}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(POOL), min_size=1, max_size=len(POOL)), st.randoms())
def test_policy_for_property(reqs: list[Requirement], rnd: random.Random) -> None:
    policy = check_least_privilege(reqs)
    shuffled = list(reqs)
    rnd.shuffle(shuffled)
    # Deterministic: the same requirements in another order give the identical JSON.
    assert json.dumps(policy_for(shuffled)) == json.dumps(policy)


def test_policy_for_multi_valued_context() -> None:
    r = req("caller", "iam:PassRole", ROLE, {"iam:PassedToService": ("sagemaker.amazonaws.com",)})
    r2 = req(
        "caller",
        "iam:PassRole",
        ROLE,
        {"iam:PassedToService": ("sagemaker.amazonaws.com", "codebuild.amazonaws.com")},
    )
    policy = policy_for([r2, r])
    condition = [s["Condition"]["StringEquals"]["iam:PassedToService"] for s in policy["Statement"]]
    assert ["codebuild.amazonaws.com", "sagemaker.amazonaws.com"] in condition
    assert "sagemaker.amazonaws.com" in condition
    for to in ("codebuild.amazonaws.com", "sagemaker.amazonaws.com"):
        assert allowed(policy, r, context={"iam:PassedToService": to})
    assert not allowed(policy, r, context={"iam:PassedToService": "lambda.amazonaws.com"})


def test_policy_for_refuses_unscoped_star() -> None:
    with pytest.raises(UnscopedRequirementError, match="ecr:PutImage on '\\*'"):
        policy_for([req("build", "ecr:PutImage", "*")])
    with pytest.raises(UnscopedRequirementError, match="unknown"):
        policy_for([req("build", "ecr:DescribeGitRepositories", "*")])


def test_policy_for_refuses_passrole_without_service() -> None:
    with pytest.raises(UnscopedRequirementError, match="iam:PassedToService"):
        policy_for([req("caller", "iam:PassRole", ROLE)])


def test_policy_for_quota() -> None:
    def buckets(n: int) -> list[Requirement]:
        return [req("build", "s3:GetObject", f"arn:aws:s3:::bucket-{i:04d}/*") for i in range(n)]

    fits = policy_for(buckets(300))
    assert len(json.dumps(fits, separators=(",", ":"))) <= MAX_INLINE_POLICY_CHARS
    with pytest.raises(PolicyTooLargeError) as raised:
        policy_for(buckets(500))
    assert isinstance(raised.value, ValueError)
    assert raised.value.size > MAX_INLINE_POLICY_CHARS
    message = str(raised.value)
    assert "10,240" in message and "managed policies" in message


# ----------------------------------------------------------------------------- missing


def test_principal_for_uses_the_role_session() -> None:
    assert principal_for("caller", ROLE) == (
        f"arn:aws:sts::{A}:assumed-role/AmazonSageMaker-ExecutionRole-20240101T000000/SageMaker"
    )
    assert principal_for("build", None) is None
    assert principal_for("build", f"arn:aws:iam::{A}:user/bob") == f"arn:aws:iam::{A}:user/bob"


def test_missing_in_input_order_including_optional() -> None:
    have = policy_for([r for r in POOL if r.action.startswith("ecr:")])
    result = missing(POOL, identity_policies=[have], trust_policy=SAGEMAKER_TRUST, role_arn=ROLE)
    expected = [r for r in POOL if not r.action.startswith("ecr:")]
    assert result == expected  # order kept; optional and trust requirements reported
    assert any(r.optional for r in result)
    assert TRUSTS[0] in result


def test_missing_nothing_after_repair() -> None:
    trust = trust_change(SAGEMAKER_TRUST, POOL, source_account=A)
    assert trust is not None
    assert (
        missing(POOL, identity_policies=[policy_for(POOL)], trust_policy=trust, role_arn=ROLE) == []
    )


def test_missing_respects_boundary_and_passrole_service() -> None:
    policy = policy_for(POOL)
    boundary = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}],
    }
    result = missing(
        POOL,
        identity_policies=[policy],
        trust_policy=SAGEMAKER_TRUST,
        boundary=boundary,
        role_arn=ROLE,
    )
    assert {r.action.split(":")[0] for r in result} == {
        "codebuild",
        "iam",
        "s3",
        "logs",
        "sagemaker",
        "ec2",
        "sts",
    }
    only_sagemaker = policy_for([r for r in POOL if r.context != TO_CODEBUILD])
    gone = missing(POOL, identity_policies=[only_sagemaker], trust_policy=SAGEMAKER_TRUST)
    assert [r for r in gone if r.who != "trust"] == [r for r in POOL if r.context == TO_CODEBUILD]


def test_missing_explicit_deny() -> None:
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "codebuild:DeleteProject", "Resource": "*"}],
    }
    result = missing(
        POOL,
        identity_policies=[policy_for(POOL), deny],
        trust_policy=SAGEMAKER_TRUST,
        role_arn=ROLE,
    )
    assert [r.action for r in result] == ["codebuild:DeleteProject", "sts:AssumeRole"]


# ----------------------------------------------------------------------------- trust_change


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    s = doc["Statement"]
    return list(s) if isinstance(s, list) else [s]


def test_trust_change_adds_codebuild_keeps_sagemaker() -> None:
    original = json.loads(json.dumps(SAGEMAKER_TRUST))
    new = trust_change(SAGEMAKER_TRUST, POOL, source_account=A)
    assert original == SAGEMAKER_TRUST  # the caller's document is not modified
    assert new is not None
    statements = _statements(new)
    assert statements[0] == SAGEMAKER_TRUST["Statement"][0]
    assert len(statements) == 2
    added = statements[1]
    assert added["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert added["Condition"] == {"StringEquals": {"aws:SourceAccount": A}}
    assert can_assume(new, "codebuild.amazonaws.com", {"aws:SourceAccount": A}).allowed
    assert not can_assume(
        new, "codebuild.amazonaws.com", {"aws:SourceAccount": OTHER_ACCOUNT}
    ).allowed
    assert can_assume(new, "sagemaker.amazonaws.com").allowed


def test_trust_change_without_source_account() -> None:
    new = trust_change(SAGEMAKER_TRUST, TRUSTS, source_account=None)
    assert new is not None
    assert "Condition" not in _statements(new)[1]
    assert can_assume(new, "codebuild.amazonaws.com", {"aws:SourceAccount": OTHER_ACCOUNT}).allowed


def test_trust_change_none_when_trusted() -> None:
    once = trust_change(SAGEMAKER_TRUST, POOL, source_account=A)
    assert once is not None
    assert trust_change(once, POOL, source_account=A) is None
    assert trust_change(json.dumps(once), POOL, source_account=A) is None
    assert (
        trust_change(SAGEMAKER_TRUST, [r for r in POOL if r.who != "trust"], source_account=A)
        is None
    )


def test_trust_change_condition_only_for_services_sending_source_account() -> None:
    # A service that does not send aws:SourceAccount would be locked out by the condition,
    # so its statement goes without; one that does (CodeBuild) gets it.
    bare = req("trust", "sts:AssumeRole", ROLE, principal="codepipeline.amazonaws.com")
    new = trust_change(SAGEMAKER_TRUST, [bare, *TRUSTS], source_account=A)
    assert new is not None
    added = {s["Principal"]["Service"]: s for s in _statements(new)[1:]}
    assert "Condition" not in added["codepipeline.amazonaws.com"]
    assert added["codebuild.amazonaws.com"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": A}
    }
    assert can_assume(new, "codepipeline.amazonaws.com").allowed
    # A conditional statement does not satisfy a requirement without the key: one is added.
    trusted = trust_change(SAGEMAKER_TRUST, TRUSTS, source_account=A)
    assert trusted is not None
    cb_bare = req("trust", "sts:AssumeRole", ROLE, principal="codebuild.amazonaws.com")
    again = trust_change(trusted, [cb_bare], source_account=A)
    assert again is not None and len(_statements(again)) == 3
    assert trust_change(again, [cb_bare, *TRUSTS], source_account=A) is None


def test_trust_change_refuses_other_source_account() -> None:
    other = req(
        "trust",
        "sts:AssumeRole",
        ROLE,
        {"aws:SourceAccount": OTHER_ACCOUNT},
        principal="codebuild.amazonaws.com",
    )
    with pytest.raises(ValueError, match="aws:SourceAccount"):
        trust_change(SAGEMAKER_TRUST, [other], source_account=A)


def test_trust_change_several_services_once_each() -> None:
    reqs: Iterable[Requirement] = [
        *TRUSTS,
        *TRUSTS,  # the same service twice: added once
        req("trust", "sts:AssumeRole", ROLE, principal="cloudformation.amazonaws.com"),
    ]
    new = trust_change(SAGEMAKER_TRUST, reqs, source_account=A)
    assert new is not None
    services = [s["Principal"]["Service"] for s in _statements(new)]
    assert services == [
        "sagemaker.amazonaws.com",
        "codebuild.amazonaws.com",
        "cloudformation.amazonaws.com",
    ]


# ----------------------------------------------------------------------------- profiles

ROLE_B = "arn:aws:iam::444455556666:role/teams/ml/StudioRole"
DLC = "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-training:2.1.0-gpu-py310"
SPREAD = (
    Params(region=REGION, account=A, role_arn=ROLE, domain_id="d-abc123", user_profile="alice"),
    Params(
        region=OTHER_REGION,
        account="444455556666",
        role_arn=ROLE_B,
        domain_id="d-xyz789",
        user_profile="bob",
        space="shared-space",
        repository="my-model:v2",
        bucket="team-ml-artifacts",
        compute_type="BUILD_GENERAL1_LARGE",
        vpc_id="vpc-0123456789abcdef0",
        subnet_ids=("subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"),
        security_group_ids=("sg-0123456789abcdef0",),
        kms_key_arn=f"arn:aws:kms:{OTHER_REGION}:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        base_images=(
            DLC.format(region=OTHER_REGION),
            f"{OTHER_ACCOUNT}.dkr.ecr.{OTHER_REGION}.amazonaws.com/base/python:3.11",
            "python:3.11-slim",
        ),
    ),
    Params(
        region="ap-southeast-2",
        account=A,
        role_arn=f"arn:aws:iam::{A}:role/MLOpsRole",
        domain_id="d-abc123",
        user_profile="carol",
        repository="team/images/trainer",
    ),
)
SPREAD_IDS = ("defaults", "everything", "nested-repository")
PROFILE_CASES = [
    pytest.param(name, params, id=f"{name}-{pid}")
    for name in sorted(PROFILES)
    for params, pid in zip(SPREAD, SPREAD_IDS, strict=True)
]


def _role(params: Params) -> str:
    assert params.role_arn is not None
    return params.role_arn


@pytest.mark.parametrize(("profile", "params"), PROFILE_CASES)
def test_profile_policy_is_least_privilege(profile: str, params: Params) -> None:
    reqs = requirements_for(profile, params)
    assert reqs
    policy = check_least_privilege(reqs, _role(params))
    # Deterministic over the profile's own requirements in another order.
    shuffled = list(reqs)
    random.Random(4).shuffle(shuffled)
    assert json.dumps(policy_for(shuffled)) == json.dumps(policy)
    assert json.dumps(policy_for(reversed(reqs))) == json.dumps(policy)


@pytest.mark.parametrize(("profile", "params"), PROFILE_CASES)
def test_profile_repaired_role_misses_nothing(profile: str, params: Params) -> None:
    reqs = requirements_for(profile, params)
    role = _role(params)
    before = missing(reqs, identity_policies=[], trust_policy=SAGEMAKER_TRUST, role_arn=role)
    granted = [r for r in reqs if r.who != "trust"]
    # A role with no permissions misses every permission (trust may already hold).
    assert [r for r in before if r.who != "trust"] == granted
    trust = trust_change(SAGEMAKER_TRUST, reqs, source_account=params.account) or SAGEMAKER_TRUST
    after = missing(reqs, identity_policies=[policy_for(reqs)], trust_policy=trust, role_arn=role)
    assert after == []


def test_all_profiles_together_fit_and_stay_least_privilege() -> None:
    params = SPREAD[1]
    reqs = [r for name in sorted(PROFILES) for r in requirements_for(name, params)]
    check_least_privilege(reqs, _role(params))


def test_sagemaker_full_access_lacks_exactly_the_build_permissions() -> None:
    # Issue 4's acceptance: a role with only AmazonSageMakerFullAccess, trusting only SageMaker.
    full = json.loads(FULL_ACCESS.read_text())
    base = SPREAD[0]

    def lacking(params: Params) -> set[tuple[str, str, str]]:
        reqs = requirements_for("image-build", params)
        found = missing(reqs, identity_policies=[full], trust_policy=SAGEMAKER_TRUST, role_arn=ROLE)
        return {
            (
                r.action,
                r.resource.rsplit(":", 1)[-1],
                str(r.context.get("iam:PassedToService", r.principal or "")),
            )
            for r in found
            if not r.optional
        }

    project = "project/sagemaker-studio-d-abc123-alice-*"
    expected = {
        ("codebuild:CreateProject", project, ""),
        ("codebuild:DeleteProject", project, ""),
        ("codebuild:StopBuild", project, ""),
        ("iam:PassRole", ROLE.rsplit(":", 1)[-1], "codebuild.amazonaws.com"),
        ("sts:AssumeRole", ROLE.rsplit(":", 1)[-1], "codebuild.amazonaws.com"),
    }
    assert lacking(base) == expected
    push = {
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
    }
    mine = lacking(replace(base, repository="my-model:latest")) - expected
    assert {action for action, _, _ in mine} == push
    assert {resource for _, resource, _ in mine} == {"repository/my-model"}
