"""Tests of repair.plan: the smallest change closing a check's gaps, judged by the IAM engine.

The plan must keep every existing trust decision but one (CodeBuild may now assume the role),
grant only what the profile needs, merge with our earlier policy rather than replace it, never
touch someone else's policy, and say when IAM's quotas or an explicit Deny stand in the way.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sm_studio_setup.iam import can_assume
from sm_studio_setup.iam import iamdata_index as ix
from sm_studio_setup.repair.plan import (
    TRUST_POLICY_DEFAULT_CHARS,
    TRUST_POLICY_MAX_CHARS,
    Assessed,
    Plan,
    RoleDocuments,
    Status,
    document_text,
    make_plan,
    merge_policy,
    policy_name,
    quota_size,
)
from sm_studio_setup.requirements.model import Requirement
from sm_studio_setup.requirements.params import Params
from sm_studio_setup.requirements.policy import MAX_INLINE_POLICY_CHARS, missing
from sm_studio_setup.requirements.profiles import PROFILES, requirements_for
from tests.iam.test_trust import ACCOUNT, ACTIONS, CALLERS, OTHER, hardened_trust_policies
from tests.openapi import validate
from tests.requirements.test_policy import (
    PROFILE_CASES,
    SAGEMAKER_TRUST,
    allowed,
    check_shape,
    justified,
    neighbours,
)

CODEBUILD = "codebuild.amazonaws.com"
SAGEMAKER = "sagemaker.amazonaws.com"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole-1"
APP_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:app/d-abc123/alice-space/jupyterlab/default"
# What Studio sends as aws:SourceArn (SageMaker's confused-deputy page): this, not the app's ARN.
STUDIO_SENDS = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:*"
PARAMS = Params(
    region=REGION,
    account=ACCOUNT,
    role_arn=ROLE_ARN,
    domain_id="d-abc123",
    user_profile="alice",
)
PROJECT = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{PARAMS.project_prefix}"
OURS = policy_name("image-build")
OTHERS_POLICY = "someone-elses-policy"
SOMEONE_ELSES: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TheirBucket",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::their-bucket/*",
        }
    ],
}


def role(
    trust: dict[str, Any] | None = SAGEMAKER_TRUST,
    inline: dict[str, dict[str, Any]] | None = None,
    *,
    role_arn: str = ROLE_ARN,
    fingerprint: str = "fp-1",
) -> RoleDocuments:
    return RoleDocuments(
        role_arn=role_arn,
        trust_policy=copy.deepcopy(trust),
        inline={} if inline is None else copy.deepcopy(inline),
        fingerprint=fingerprint,
    )


def assess(reqs: list[Requirement], status: str = "missing", **by_action: str) -> list[Assessed]:
    """Every requirement with ``status``, except those whose action (":" as "_") is named."""
    return [
        Assessed(r, by_action.get(r.action.replace(":", "_"), status), "evidence")  # type: ignore[arg-type]
        for r in reqs
    ]


def codebuild_trust(reqs: list[Requirement]) -> Requirement:
    (found,) = [r for r in reqs if r.who == "trust" and r.principal == CODEBUILD]
    return found


def listed(document: dict[str, Any]) -> list[Any]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def request_allowed(policy: dict[str, Any] | None, r: Requirement, **changes: Any) -> bool:
    if policy is None:
        return False
    return allowed(policy, r, ROLE_ARN, **changes)


IMAGE_BUILD = requirements_for("image-build", PARAMS)
CB_TRUST = codebuild_trust(IMAGE_BUILD)
CB_CONTEXT = dict(CB_TRUST.context)
(SM_TRUST,) = [r for r in IMAGE_BUILD if r.who == "trust" and r.principal == SAGEMAKER]


def test_the_trust_requirements_carry_what_the_services_send() -> None:
    assert CB_TRUST.action == "sts:AssumeRole"
    assert dict(CB_TRUST.context) == {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": f"{PROJECT}*"}
    assert dict(SM_TRUST.context) == {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": STUDIO_SENDS}
    assert not CB_TRUST.optional


# ----------------------------------------------------------------------------- trust property

# Requests to judge before and after: the services and IAM principals, with what each may send.
PROBE_PRINCIPALS = (*CALLERS, "ec2.amazonaws.com")
PROBE_CONTEXTS = [
    {
        k: v
        for k, v in (
            ("aws:SourceAccount", account),
            ("aws:SourceArn", arn),
            ("aws:PrincipalOrgID", org),
        )
        if v is not None
    }
    for account in (None, ACCOUNT, OTHER)
    for arn in (
        None,
        f"{PROJECT}ABCDEFGHIJKLMNOP",  # a project this build creates
        f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/someone-else",
        f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/{PARAMS.project_prefix}X",
        APP_ARN,
        STUDIO_SENDS,
        f"arn:aws:sagemaker:{REGION}:{OTHER}:*",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:app/d-abc123/bob-space/jupyterlab/default",
        f"arn:aws:sagemaker:{REGION}:{OTHER}:training-job/t",
    )
    for org in (None, "o-aaaaaaaaaa", "o-bbbbbbbbbb")
]


def named_by(req: Requirement, principal: str, action: str, context: dict[str, str]) -> bool:
    """The requests a trust requirement names: its service, for its account, and for the
    resources its aws:SourceArn covers (an ARN, or a pattern such as project/PREFIX*)."""
    if principal != req.principal or action != req.action:
        return False
    wanted = dict(req.context)
    if context.get("aws:SourceAccount") != wanted["aws:SourceAccount"]:
        return False
    arn = context.get("aws:SourceArn")
    return arn is not None and fnmatch.fnmatchcase(arn, str(wanted["aws:SourceArn"]))


def _status(policy: dict[str, Any], r: Requirement, asked: list[Requirement]) -> Status:
    if r.who != "trust" or all(r is not a for a in asked):
        return "allowed"
    admitted = can_assume(policy, r.principal or "", dict(r.context)).allowed
    return "allowed" if admitted else "missing"


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(policy=hardened_trust_policies(), which=st.sampled_from(("codebuild", "sagemaker", "both")))
def test_a_trust_change_admits_only_what_its_requirements_name(
    policy: dict[str, Any], which: str
) -> None:
    """Issue 11, item 1: after the fix, every request the original trust refused is still
    refused, except exactly those the added requirements name; a hardened trust that already
    admits a service for this account and resource is left as it is."""
    original = copy.deepcopy(policy)
    asked = {"codebuild": [CB_TRUST], "sagemaker": [SM_TRUST], "both": [CB_TRUST, SM_TRUST]}[which]
    assessed = [Assessed(r, _status(policy, r, asked)) for r in IMAGE_BUILD]
    plan = make_plan(role(policy), "image-build", assessed, source_account=ACCOUNT)
    assert policy == original, "the role's document must not be modified"
    after = plan.trust_after
    needed = [r for r in asked if _status(policy, r, asked) == "missing"]
    event(f"needed {len(needed)}; changed {after is not None}")
    if not needed:
        assert after is None and not plan.blocked
        return
    if after is None:
        # Only an explicit Deny stops it, and the plan says which.
        assert plan.blocked and all("explicitly denies" in b for b in plan.blocked), plan.blocked
        return
    # Every original statement byte for byte, in order; one statement per service added.
    old, new = listed(original), listed(after)
    assert [json.dumps(s) for s in new[: len(old)]] == [json.dumps(s) for s in old]
    assert len(new) == len(old) + len(plan.trusted)
    for r in plan.trusted:
        assert can_assume(after, r.principal or "", dict(r.context)).allowed
    for added in new[len(old) :]:
        assert added["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
        assert set(added["Condition"]["ArnLike"]) == {"aws:SourceArn"}

    for principal in PROBE_PRINCIPALS:
        for context in PROBE_CONTEXTS:
            for action in ACTIONS:
                was = can_assume(original, principal, context, action=action).allowed
                now = can_assume(after, principal, context, action=action).allowed
                if now and not was:
                    assert any(named_by(r, principal, action, context) for r in plan.trusted), (
                        principal,
                        action,
                        context,
                    )
                if was:
                    assert now, ("a fix never takes anything away", principal, context)

    # Idempotent: planning again from the result changes nothing.
    again = make_plan(
        role(after), "image-build", [Assessed(r, "missing") for r in asked], source_account=ACCOUNT
    )
    assert again.trust_after is None and not again.blocked


def test_a_hardened_studio_trust_is_left_alone_and_gets_a_narrow_codebuild_statement() -> None:
    """The issue's example: SageMaker trusted only for this account (or for its SageMaker
    resources). The check must find SageMaker admitted, and CodeBuild's statement must be as
    narrow: this account, this build's projects."""
    for condition in (
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:*"}},
    ):
        hardened = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": SAGEMAKER},
                    "Action": "sts:AssumeRole",
                    "Condition": condition,
                }
            ],
        }
        assert can_assume(hardened, SAGEMAKER, dict(SM_TRUST.context)).allowed
        assert not can_assume(hardened, CODEBUILD, CB_CONTEXT).allowed
        assessed = [Assessed(r, "missing" if r is CB_TRUST else "allowed") for r in IMAGE_BUILD]
        plan = make_plan(role(hardened), "image-build", assessed, source_account=ACCOUNT)
        assert plan.trusted == (CB_TRUST,)
        assert plan.trust_after is not None
        added = listed(plan.trust_after)[-1]
        assert added["Principal"] == {"Service": CODEBUILD}
        assert added["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"{PROJECT}*"},
        }
        # No SageMaker statement was added: SageMaker for another account stays refused.
        sagemaker = [
            s for s in listed(plan.trust_after) if s["Principal"] == {"Service": SAGEMAKER}
        ]
        assert sagemaker == [hardened["Statement"][0]]
        assert not can_assume(plan.trust_after, SAGEMAKER, {"aws:SourceAccount": OTHER}).allowed


def test_an_unjudgeable_trust_is_not_changed() -> None:
    plan = make_plan(
        role(SAGEMAKER_TRUST),
        "image-build",
        [Assessed(CB_TRUST, "unknown", "the trust policy could not be parsed (Sid)")],
        source_account=ACCOUNT,
    )
    assert plan.trust_after is None
    (sentence,) = plan.blocked
    assert "could not be established" in sentence and "left as it is" in sentence


def test_trust_plan_blocked_by_a_named_deny() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            *SAGEMAKER_TRUST["Statement"],
            {
                "Sid": "DenyEveryoneElse",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": {"StringNotEquals": {"aws:PrincipalServiceName": SAGEMAKER}},
            },
        ],
    }
    plan = make_plan(
        role(trust), "image-build", [Assessed(CB_TRUST, "missing")], source_account=ACCOUNT
    )
    assert plan.trust_after is None
    (sentence,) = plan.blocked
    assert "DenyEveryoneElse" in sentence
    assert "\n" not in sentence


# ----------------------------------------------------------------------------- least privilege


def _same_service_actions(service: str, taken: set[str], count: int = 6) -> list[str]:
    """A few actions of ``service`` that no requirement asks for, spread over the alphabet."""
    found = ix.service(service)
    assert found is not None, service
    names = sorted(a.full_name for a in found.actions.values() if a.full_name.lower() not in taken)
    step = max(1, len(names) // count)
    return names[::step][:count]


@pytest.mark.parametrize(("profile", "params"), PROFILE_CASES)
def test_plan_for_a_bare_role_is_least_privilege(profile: str, params: Params) -> None:
    reqs = requirements_for(profile, params)
    assert params.role_arn is not None
    plan = make_plan(
        role(SAGEMAKER_TRUST, {}, role_arn=params.role_arn),
        profile,
        assess(reqs),
        source_account=params.account,
    )
    policy = plan.policy_after
    expected = [r for r in reqs if r.who != "trust" and not r.optional]
    assert list(plan.granted) == expected
    assert plan.unverified == ()
    assert plan.blocked == ()
    assert plan.policy_before is None
    assert policy is not None
    assert set(plan.change.policies) == {policy_name(profile)}
    check_shape(policy)

    for r in expected:
        assert allowed(policy, r, params.role_arn), r
        for action, resource, context in neighbours(r):
            if justified(expected, action, resource, context):
                continue
            assert not allowed(
                policy, r, params.role_arn, action=action, resource=resource, context=context
            ), (action, resource, context)
    # Other actions of the same services, on the very resources granted.
    taken = {r.action.lower() for r in expected}
    for service in sorted({r.action.split(":", 1)[0].lower() for r in expected}):
        for action in _same_service_actions(service, taken):
            for r in expected:
                if r.action.split(":", 1)[0].lower() != service:
                    continue
                if justified(expected, action, r.resource, dict(r.context)):
                    continue
                assert not allowed(policy, r, params.role_arn, action=action), (action, r)
    # What is optional is not granted (unless a required grant covers it anyway).
    optional = [r for r in reqs if r.optional and r.who != "trust"]
    for r in optional:
        if not justified(expected, r.action, r.resource, dict(r.context)):
            assert not allowed(policy, r, params.role_arn), r

    for s in listed(policy):
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        lowered = [a.lower() for a in actions]
        assert "*" not in lowered and "s3:*" not in lowered
        assert not any(a.endswith(":*") for a in lowered), actions
        if "iam:passrole" in lowered:
            assert "iam:PassedToService" in s["Condition"]["StringEquals"], s

    # The trust change, when there is one, lets the profile's services in.
    if plan.trust_after is not None:
        for r in reqs:
            if r.who == "trust":
                assert can_assume(
                    plan.trust_after, r.principal or "", dict(r.context), action=r.action
                ).allowed
    # Repaired: the engine finds nothing required missing any more.
    trust = plan.trust_after or SAGEMAKER_TRUST
    left = missing(reqs, identity_policies=[policy], trust_policy=trust, role_arn=params.role_arn)
    assert all(r.optional for r in left), left


# ----------------------------------------------------------------------------- merging

OLD_REPO = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/old-model"
NEW_REPO = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/new-model"
PUSH = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]


def _build(action: str, resource: str) -> Requirement:
    return Requirement("build", action, resource, "push", "test", "test")


def test_plan_merges_with_our_earlier_policy_and_leaves_others_alone() -> None:
    old_params = replace(PARAMS, repository="old-model:v1")
    new_params = replace(PARAMS, repository="new-model:v2")
    earlier = make_plan(
        role(),
        "image-build",
        assess(requirements_for("image-build", old_params)),
        source_account=ACCOUNT,
    ).policy_after
    assert earlier is not None
    assert any(OLD_REPO in json.dumps(s) for s in listed(earlier))

    reqs = requirements_for("image-build", new_params)
    inline = {OURS: earlier, OTHERS_POLICY: SOMEONE_ELSES}
    plan = make_plan(
        role(SAGEMAKER_TRUST, inline), "image-build", assess(reqs), source_account=ACCOUNT
    )
    after = plan.policy_after
    assert plan.policy_before == earlier
    assert after is not None
    assert set(plan.change.policies) == {OURS}
    assert OTHERS_POLICY not in plan.change.policies

    # The old repository still, and the new one now.
    for action in PUSH:
        assert request_allowed(after, _build(action, OLD_REPO)), action
        assert request_allowed(after, _build(action, NEW_REPO)), action
    assert not request_allowed(after, _build("ecr:PutImage", OLD_REPO + "x"))
    # Earlier statements first, unchanged except for resources joined.
    old = listed(earlier)
    new = listed(after)
    assert [s["Sid"] for s in new[: len(old)]] == [s["Sid"] for s in old]
    for was, now in zip(old, new, strict=False):
        assert {k: v for k, v in was.items() if k != "Resource"} == {
            k: v for k, v in now.items() if k != "Resource"
        }
    # A repeated statement is not duplicated; Sids are unique.
    bare = [json.dumps({k: v for k, v in s.items() if k != "Sid"}, sort_keys=True) for s in new]
    assert len(bare) == len(set(bare))
    sids = [s["Sid"] for s in new]
    assert len(sids) == len(set(sids))
    check_shape(after)

    # Everything required is there, and a second plan from the result changes nothing.
    left = missing(
        reqs,
        identity_policies=[after, SOMEONE_ELSES],
        trust_policy=plan.trust_after or SAGEMAKER_TRUST,
        role_arn=ROLE_ARN,
    )
    assert all(r.optional for r in left)
    second = make_plan(
        role(plan.trust_after, {OURS: after, OTHERS_POLICY: SOMEONE_ELSES}),
        "image-build",
        assess(reqs),  # even when told everything is missing again
        source_account=ACCOUNT,
    )
    assert second.policy_after is None
    assert second.trust_after is None
    assert second.empty and not second.applicable
    assert second.granted == ()


def test_merge_policy_joins_resources_and_dedupes() -> None:
    existing = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ECR", "Effect": "Allow", "Action": PUSH, "Resource": OLD_REPO},
            {"Sid": "Logs", "Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": "*"},
        ],
    }
    addition = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ECR", "Effect": "Allow", "Action": list(reversed(PUSH)), "Resource": NEW_REPO},
            {"Sid": "Other", "Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": "*"},
            {
                "Sid": "ECR",
                "Effect": "Allow",
                "Action": "ecr:BatchGetImage",
                "Resource": NEW_REPO,
            },
        ],
    }
    snapshot = copy.deepcopy(existing)
    merged = merge_policy(existing, addition)
    assert existing == snapshot
    assert merged["Statement"] == [
        {"Sid": "ECR", "Effect": "Allow", "Action": PUSH, "Resource": [OLD_REPO, NEW_REPO]},
        {"Sid": "Logs", "Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": "*"},
        {"Sid": "ECR2", "Effect": "Allow", "Action": "ecr:BatchGetImage", "Resource": NEW_REPO},
    ]
    assert merge_policy(merged, addition) == merged
    # Never joined: a statement with another condition stays separate.
    conditional = {
        "Statement": [
            {
                "Sid": "ECR",
                "Effect": "Allow",
                "Action": PUSH,
                "Resource": NEW_REPO,
                "Condition": {"StringEquals": {"aws:ResourceTag/team": "ml"}},
            }
        ]
    }
    kept = merge_policy(existing, conditional)
    assert kept["Statement"][0]["Resource"] == OLD_REPO
    assert kept["Statement"][-1]["Sid"] == "ECR2"
    assert "Condition" in kept["Statement"][-1]
    # A repeated statement that cannot be joined (a Deny) is recognised and not added twice,
    # whatever its Sid.
    deny = {"Effect": "Deny", "Action": "ecr:DeleteRepository", "Resource": OLD_REPO}
    with_deny = merge_policy(existing, {"Statement": [{"Sid": "NoDelete", **deny}]})
    assert with_deny["Statement"][-1] == {"Sid": "NoDelete", **deny}
    again = merge_policy(with_deny, {"Statement": [{"Sid": "Other", **deny}]})
    assert again == with_deny


# ----------------------------------------------------------------------------- statuses


def _one(action: str) -> Requirement:
    (found,) = [r for r in IMAGE_BUILD if r.action == action and not r.optional]
    return found


def test_statuses_decide_what_is_granted() -> None:
    denied = _one("codebuild:CreateProject")
    unknown = _one("codebuild:DeleteProject")
    missing_req = _one("codebuild:StartBuild")
    optional = [r for r in IMAGE_BUILD if r.optional and r.who != "trust"]
    assert optional
    assessed = [
        Assessed(r, "allowed", "")
        for r in IMAGE_BUILD
        if r not in (denied, unknown, missing_req) and not r.optional
    ]
    assessed += [
        Assessed(denied, "blocked", "identity policy 'Guard'\n Statement[0] (Sid NoProjects)"),
        Assessed(unknown, "unknown", "the check could not read"),
        Assessed(missing_req, "missing", ""),
        *[Assessed(r, "missing", "") for r in optional],
    ]
    plan = make_plan(role(), "image-build", assessed, source_account=ACCOUNT)

    (sentence,) = plan.blocked
    assert "codebuild:CreateProject" in sentence
    assert "cannot override" in sentence
    assert "NoProjects" in sentence and "\n" not in sentence
    assert plan.granted == (unknown, missing_req)
    assert plan.unverified == (unknown,)
    assert any("could not be verified" in n for n in plan.notes)
    policy = plan.policy_after
    assert policy is not None
    assert request_allowed(policy, unknown) and request_allowed(policy, missing_req)
    assert not request_allowed(policy, denied)
    for r in optional:
        assert not request_allowed(policy, r), r
    assert plan.trust_after is None  # the CodeBuild trust was "allowed"
    assert plan.applicable


def test_all_allowed_is_an_empty_plan() -> None:
    plan = make_plan(role(), "image-build", assess(IMAGE_BUILD, "allowed"), source_account=ACCOUNT)
    assert plan.empty and not plan.applicable
    assert plan.trust_after is None and plan.policy_after is None
    assert plan.granted == plan.trusted == plan.unverified == ()
    assert plan.blocked == () and plan.quotas == () and plan.notes == ()
    assert plan.diff() == ""
    assert plan.change.policies == {}


def test_blocked_trust_is_not_merged() -> None:
    plan = make_plan(
        role(), "image-build", [Assessed(CB_TRUST, "blocked", "a Deny")], source_account=ACCOUNT
    )
    assert plan.trust_after is None
    (sentence,) = plan.blocked
    assert "sts:AssumeRole" in sentence and "cannot override" in sentence


# ----------------------------------------------------------------------------- quotas


def _padded_trust(pad: int) -> dict[str, Any]:
    """SageMaker's trust with an extra statement whose Sid is ``pad`` characters longer."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            *SAGEMAKER_TRUST["Statement"],
            {
                "Sid": "Pad" + "x" * pad,
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Admin"},
                "Action": "sts:AssumeRole",
            },
        ],
    }


def _trust_plan(pad: int) -> Plan:
    return make_plan(
        role(_padded_trust(pad)),
        "image-build",
        [Assessed(CB_TRUST, "missing")],
        source_account=ACCOUNT,
    )


def _pad_for(target: int) -> int:
    after = _trust_plan(0).trust_after
    assert after is not None
    return target - quota_size(after)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (TRUST_POLICY_DEFAULT_CHARS, None),
        (TRUST_POLICY_DEFAULT_CHARS + 1, False),
        (TRUST_POLICY_MAX_CHARS, False),
        (TRUST_POLICY_MAX_CHARS + 1, True),
    ],
)
def test_trust_policy_size_quota(size: int, expected: bool | None) -> None:
    plan = _trust_plan(_pad_for(size))
    assert plan.trust_after is not None
    assert quota_size(plan.trust_after) == size
    trust_quotas = [q for q in plan.quotas if q.quota == "trust-policy-size"]
    if expected is None:
        assert trust_quotas == []
        assert plan.applicable
        return
    (q,) = trust_quotas
    assert q.size == size and q.blocking is expected
    if expected:
        assert q.limit == TRUST_POLICY_MAX_CHARS
        assert not plan.applicable
        assert "Compact" in q.message
    else:
        assert q.limit == TRUST_POLICY_DEFAULT_CHARS
        assert plan.applicable
        assert "Service Quotas" in q.message


def _ecr_plan(inline: dict[str, dict[str, Any]]) -> Plan:
    return make_plan(
        role(SAGEMAKER_TRUST, inline),
        "image-build",
        assess(IMAGE_BUILD, "allowed", ecr_PutImage="missing"),
        source_account=ACCOUNT,
    )


def _other_policy(pad: int) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(SOMEONE_ELSES)
    doc["Statement"][0]["Sid"] += "x" * pad
    return doc


@pytest.mark.parametrize(("over", "blocking"), [(0, False), (1, True)])
def test_inline_policies_size_quota(over: int, blocking: bool) -> None:
    ours = _ecr_plan({}).policy_after
    assert ours is not None
    pad = MAX_INLINE_POLICY_CHARS - quota_size(ours) - quota_size(_other_policy(0)) + over
    other = _other_policy(pad)
    plan = _ecr_plan({OTHERS_POLICY: other})
    assert plan.policy_after == ours
    assert quota_size(ours) + quota_size(other) == MAX_INLINE_POLICY_CHARS + over
    found = [q for q in plan.quotas if q.quota == "inline-policies-size"]
    if not blocking:
        assert found == [] and plan.applicable
        return
    (q,) = found
    assert q.blocking and q.limit == MAX_INLINE_POLICY_CHARS
    assert q.size == MAX_INLINE_POLICY_CHARS + 1
    assert "customer managed policy" in q.message
    assert not plan.applicable
    assert OTHERS_POLICY not in plan.change.policies


def test_inline_quota_counts_our_earlier_policy_once() -> None:
    # Our earlier policy is replaced by the merged one, so it is not counted twice.
    ours = _ecr_plan({}).policy_after
    assert ours is not None
    earlier = copy.deepcopy(ours)
    earlier["Statement"][0]["Resource"] = OLD_REPO
    pad = (
        MAX_INLINE_POLICY_CHARS
        - quota_size(merge_policy(earlier, ours))
        - quota_size(_other_policy(0))
    )
    plan = _ecr_plan({OURS: earlier, OTHERS_POLICY: _other_policy(pad)})
    assert plan.policy_after == merge_policy(earlier, ours)
    assert plan.quotas == ()
    assert plan.applicable


def test_quota_size_ignores_whitespace() -> None:
    doc = _padded_trust(10)
    indented = json.dumps(doc, indent=4)
    compact = json.dumps(doc, separators=(",", ":"))
    assert quota_size(json.loads(indented)) == quota_size(json.loads(compact)) == len(compact)
    assert quota_size(doc) == len(re.sub(r"\s+", "", document_text(doc)))
    assert len(document_text(doc)) > quota_size(doc)


# ----------------------------------------------------------------------------- diff


def test_diff_adds_and_removes_nothing_existing() -> None:
    plan = make_plan(
        role(),
        "image-build",
        assess(IMAGE_BUILD, "allowed", ecr_PutImage="missing", sts_AssumeRole="missing"),
        source_account=ACCOUNT,
    )
    assert plan.trust_after is not None and plan.policy_after is not None
    diff = plan.diff()
    lines = diff.splitlines()
    assert '+      "Sid": "SmStudioSetupCodeBuildAssumeRole",' in lines
    assert any(line.startswith("+") and '"Sid": "ECR"' in line for line in lines)
    removed = [line for line in lines if line.startswith("-") and not line.startswith("---")]
    assert removed == [], removed
    assert "--- trust policy (before)" in lines and "+++ trust policy (after)" in lines
    assert "--- /dev/null" in lines and f"+++ {OURS} (after)" in lines
    # The new policy's diff is its whole text, added.
    policy_part = diff[diff.index("--- /dev/null") :]
    added = [line[1:] for line in policy_part.splitlines()[3:] if line.startswith("+")]
    assert "\n".join(added) == document_text(plan.policy_after)


def test_diff_against_our_earlier_policy_names_it() -> None:
    earlier = _ecr_plan({}).policy_after
    assert earlier is not None
    plan = make_plan(
        role(SAGEMAKER_TRUST, {OURS: earlier}),
        "image-build",
        assess(IMAGE_BUILD, "allowed", codebuild_StartBuild="missing"),
        source_account=ACCOUNT,
    )
    assert plan.policy_after is not None
    lines = plan.diff().splitlines()
    assert f"--- {OURS} (before)" in lines and "--- /dev/null" not in lines
    assert any(line.startswith("+") and "codebuild:StartBuild" in line for line in lines)
    assert not any(line.startswith("-") and not line.startswith("---") for line in lines)


# ----------------------------------------------------------------------------- unreadable


def test_unreadable_trust_policy_is_blocked() -> None:
    plan = make_plan(
        role(None),
        "image-build",
        assess(IMAGE_BUILD, "allowed", sts_AssumeRole="missing"),
        source_account=ACCOUNT,
    )
    assert plan.trust_after is None and plan.trust_before is None
    (sentence,) = plan.blocked
    assert "could not be read" in sentence
    assert CODEBUILD in sentence and SAGEMAKER in sentence
    assert plan.empty


def test_unreadable_inline_policies_note() -> None:
    documents = replace(role(), inline=None)
    plan = make_plan(
        documents,
        "image-build",
        assess(IMAGE_BUILD, "allowed", ecr_PutImage="missing"),
        source_account=ACCOUNT,
    )
    assert plan.policy_before is None and plan.policy_after is not None
    (note,) = plan.notes
    assert "could not be read" in note and OURS in note and "administrator should merge" in note
    assert plan.applicable
    # Nothing to grant: no note.
    quiet = make_plan(
        documents, "image-build", assess(IMAGE_BUILD, "allowed"), source_account=ACCOUNT
    )
    assert quiet.notes == ()


# ----------------------------------------------------------------------------- JSON and id


def _plans() -> list[Plan]:
    return [
        make_plan(role(), "image-build", assess(IMAGE_BUILD), source_account=ACCOUNT),
        make_plan(role(), "image-build", assess(IMAGE_BUILD, "allowed"), source_account=ACCOUNT),
        _trust_plan(_pad_for(TRUST_POLICY_MAX_CHARS + 1)),
        make_plan(
            role(None),
            "image-build",
            assess(IMAGE_BUILD, "unknown", codebuild_CreateProject="blocked"),
            source_account=ACCOUNT,
        ),
    ]


def test_to_json_validates_against_the_schema() -> None:
    for plan in _plans():
        body = plan.to_json()
        assert json.loads(json.dumps(body)) == body
        validate(body, "Plan")
        assert body["empty"] is plan.empty and body["applicable"] is plan.applicable
        assert body["diff"] == plan.diff()
        assert body["role_name"] == "AmazonSageMaker-ExecutionRole-1"
    full = _plans()[0].to_json()
    assert full["granted"] and full["trusted"] and full["inline_policy"]["after"]


def test_plan_id_is_deterministic() -> None:
    def plan(**changes: Any) -> Plan:
        return make_plan(
            role(**changes), "image-build", assess(IMAGE_BUILD), source_account=ACCOUNT
        )

    assert plan().id == plan().id
    assert re.fullmatch(r"[0-9a-f]{12}", plan().id)
    assert plan().id != plan(fingerprint="fp-2").id
    other = make_plan(
        role(),
        "image-build",
        assess(IMAGE_BUILD, "allowed", ecr_PutImage="missing"),
        source_account=ACCOUNT,
    )
    assert other.id != plan().id


def test_every_profile_gets_its_own_policy_name() -> None:
    for profile in PROFILES:
        assert policy_name(profile) == f"sm-studio-setup-{profile}"
