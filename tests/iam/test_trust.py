"""Trust policies: who may assume a role, and adding a service without changing anything else."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sm_studio_setup.iam import (
    PolicyValidationError,
    TrustMergeError,
    can_assume,
    merge_trust,
    parse_policy,
)
from sm_studio_setup.iam.trust import trust_statement_sid

ACCOUNT = "123456789012"
OTHER = "210987654321"
CODEBUILD = "codebuild.amazonaws.com"
SAGEMAKER = "sagemaker.amazonaws.com"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole-1"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice"
PROJECT_ARN = f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/sagemaker-studio-x"

SAGEMAKER_TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": SAGEMAKER},
            "Action": "sts:AssumeRole",
        }
    ],
}


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def service_allow(service: str, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
        **extra,
    }


# ----------------------------------------------------------------------------- can_assume


def test_service_in_trust_policy_can_assume() -> None:
    d = can_assume(trust(service_allow(CODEBUILD)), CODEBUILD)
    assert d.allowed
    assert d.decided_by == "trust"
    assert d.request.action == "sts:AssumeRole"
    assert d.request.resource == "*"


def test_service_missing_from_trust_policy_cannot_assume() -> None:
    d = can_assume(SAGEMAKER_TRUST, CODEBUILD)
    assert d.result == "implicit_deny"
    assert d.decided_by == "trust"
    assert SAGEMAKER in d.explain()


def test_service_principal_names_compare_case_insensitively() -> None:
    assert can_assume(trust(service_allow("CodeBuild.amazonaws.com")), CODEBUILD).allowed


def test_source_account_condition() -> None:
    policy = trust(
        service_allow(CODEBUILD, Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}})
    )
    assert can_assume(policy, CODEBUILD, {"aws:SourceAccount": ACCOUNT}).allowed
    assert not can_assume(policy, CODEBUILD, {"aws:SourceAccount": OTHER}).allowed
    d = can_assume(policy, CODEBUILD)
    assert d.result == "implicit_deny"
    assert "aws:SourceAccount" in d.explain()


def test_source_arn_condition() -> None:
    policy = trust(
        service_allow(
            CODEBUILD,
            Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:codebuild:*:{ACCOUNT}:project/*"}},
        )
    )
    assert can_assume(policy, CODEBUILD, {"aws:SourceArn": PROJECT_ARN}).allowed
    other = PROJECT_ARN.replace(ACCOUNT, OTHER)
    assert not can_assume(policy, CODEBUILD, {"aws:SourceArn": other}).allowed


def test_deny_in_trust_policy_is_explicit() -> None:
    policy = trust(
        service_allow(CODEBUILD),
        {
            "Sid": "NoCodeBuild",
            "Effect": "Deny",
            "Principal": {"Service": CODEBUILD},
            "Action": "sts:*",
        },
    )
    d = can_assume(policy, CODEBUILD)
    assert d.result == "explicit_deny"
    assert [ref.statement.sid for ref in d.blocking] == ["NoCodeBuild"]


def test_iam_principals() -> None:
    # Naming the session itself grants within the account; naming the account delegates to
    # the caller's identity policies, which must then allow sts:AssumeRole.
    named = trust({"Effect": "Allow", "Principal": {"AWS": SESSION}, "Action": "sts:AssumeRole"})
    assert can_assume(named, SESSION, role_arn=ROLE_ARN).allowed
    account = trust(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
        }
    )
    d = can_assume(account, SESSION, role_arn=ROLE_ARN)
    assert d.result == "implicit_deny"
    assert d.decided_by == "identity"
    may_assume = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE_ARN}],
    }
    assert can_assume(account, SESSION, role_arn=ROLE_ARN, identity_policies=[may_assume]).allowed
    other_role = ROLE_ARN.replace("ExecutionRole-1", "ExecutionRole-2")
    assert not can_assume(
        account, SESSION, role_arn=other_role, identity_policies=[may_assume]
    ).allowed


def test_trust_policy_text_as_get_role_returns_it() -> None:
    from urllib.parse import quote

    encoded = quote(json.dumps(trust(service_allow(CODEBUILD))))
    assert can_assume(encoded, CODEBUILD).allowed


def test_invalid_trust_policy_raises_validation_error() -> None:
    with pytest.raises(PolicyValidationError):
        can_assume({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}, CODEBUILD)


# ----------------------------------------------------------------------------- merge_trust


def test_merge_adds_the_service_and_keeps_existing_statements() -> None:
    original = copy.deepcopy(SAGEMAKER_TRUST)
    merged = merge_trust(SAGEMAKER_TRUST, CODEBUILD, source_account=ACCOUNT)
    assert original == SAGEMAKER_TRUST, "the input must not be modified"
    assert merged is not SAGEMAKER_TRUST
    assert merged["Version"] == "2012-10-17"
    assert json.dumps(merged["Statement"][0]) == json.dumps(original["Statement"][0])
    assert merged["Statement"][1] == {
        "Sid": "SmStudioSetupCodeBuildAssumeRole",
        "Effect": "Allow",
        "Principal": {"Service": CODEBUILD},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    }
    assert can_assume(merged, CODEBUILD, {"aws:SourceAccount": ACCOUNT}).allowed
    assert not can_assume(merged, CODEBUILD, {"aws:SourceAccount": OTHER}).allowed
    assert can_assume(merged, SAGEMAKER).allowed
    parse_policy(merged, kind="trust")


def test_merge_without_source_account_adds_no_condition() -> None:
    merged = merge_trust(SAGEMAKER_TRUST)
    assert "Condition" not in merged["Statement"][-1]
    assert can_assume(merged, CODEBUILD).allowed


def test_merge_is_idempotent() -> None:
    once = merge_trust(SAGEMAKER_TRUST, CODEBUILD, source_account=ACCOUNT)
    twice = merge_trust(once, CODEBUILD, source_account=ACCOUNT)
    assert twice == once
    assert twice is not once


def test_merge_leaves_a_policy_that_already_allows_the_service_unchanged() -> None:
    already = trust(service_allow(SAGEMAKER), service_allow(CODEBUILD, Sid="Mine"))
    assert merge_trust(already, CODEBUILD, source_account=ACCOUNT) == already


def test_merge_keeps_a_single_statement_object_first() -> None:
    single = {"Version": "2012-10-17", "Statement": SAGEMAKER_TRUST["Statement"][0]}
    merged = merge_trust(single, CODEBUILD)
    assert isinstance(merged["Statement"], list)
    assert merged["Statement"][0] == single["Statement"]
    assert len(merged["Statement"]) == 2


def test_merge_accepts_json_text_and_keeps_key_order() -> None:
    text = json.dumps(
        {"Statement": SAGEMAKER_TRUST["Statement"], "Version": "2012-10-17", "Id": "keep-me"}
    )
    merged = merge_trust(text, CODEBUILD)
    assert list(merged) == ["Statement", "Version", "Id"]


def test_merge_picks_a_sid_that_is_not_taken() -> None:
    taken = trust(
        service_allow(
            CODEBUILD,
            Sid="SmStudioSetupCodeBuildAssumeRole",
            Condition={"StringEquals": {"aws:SourceAccount": OTHER}},
        )
    )
    merged = merge_trust(taken, CODEBUILD, source_account=ACCOUNT)
    assert [s["Sid"] for s in merged["Statement"]] == [
        "SmStudioSetupCodeBuildAssumeRole",
        "SmStudioSetupCodeBuildAssumeRole2",
    ]
    parse_policy(merged, kind="trust")


def test_merge_refuses_to_work_around_a_deny() -> None:
    blocked = trust(
        service_allow(SAGEMAKER),
        {
            "Sid": "DenyOutsideOrg",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRole",
            "Condition": {"StringNotEquals": {"aws:SourceAccount": OTHER}},
        },
    )
    with pytest.raises(TrustMergeError, match="DenyOutsideOrg") as caught:
        merge_trust(blocked, CODEBUILD, source_account=ACCOUNT)
    assert [ref.statement.sid for ref in caught.value.statements] == ["DenyOutsideOrg"]
    # With the context the Deny exempts, the merge goes ahead.
    merged = merge_trust(blocked, CODEBUILD, source_account=OTHER)
    assert can_assume(merged, CODEBUILD, {"aws:SourceAccount": OTHER}).allowed


def test_merge_rejects_an_invalid_document() -> None:
    with pytest.raises(PolicyValidationError):
        merge_trust({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})


@pytest.mark.parametrize(
    ("service", "sid"),
    [
        (CODEBUILD, "SmStudioSetupCodeBuildAssumeRole"),
        (SAGEMAKER, "SmStudioSetupSageMakerAssumeRole"),
        ("ecs-tasks.amazonaws.com", "SmStudioSetupEcsTasksAssumeRole"),
        ("some-new_service.amazonaws.com", "SmStudioSetupSomeNewServiceAssumeRole"),
    ],
)
def test_sids_are_alphanumeric(service: str, sid: str) -> None:
    assert trust_statement_sid(service) == sid
    assert sid.isalnum()


# ----------------------------------------------------------------------------- property

SERVICES = (CODEBUILD, SAGEMAKER, "lambda.amazonaws.com")
AWS_PRINCIPALS = (
    ACCOUNT,
    f"arn:aws:iam::{ACCOUNT}:root",
    f"arn:aws:iam::{OTHER}:root",
    f"arn:aws:iam::{ACCOUNT}:role/Admin",
    SESSION,
    f"arn:aws:iam::{ACCOUNT}:user/bob",
    "*",
)
CALLERS = (
    *SERVICES,
    "states.amazonaws.com",
    SESSION,
    f"arn:aws:sts::{ACCOUNT}:assumed-role/Other/x",
    f"arn:aws:iam::{ACCOUNT}:user/bob",
    f"arn:aws:sts::{OTHER}:assumed-role/Admin/alice",
)
SOURCE_ARNS = (
    PROJECT_ARN,
    PROJECT_ARN.replace(ACCOUNT, OTHER),
    f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:domain/d-1",
)
ACTIONS = ("sts:AssumeRole", "sts:TagSession")

conditions = st.one_of(
    st.just({}),
    st.builds(
        lambda a: {"StringEquals": {"aws:SourceAccount": a}}, st.sampled_from((ACCOUNT, OTHER))
    ),
    st.builds(
        lambda a: {"StringNotEquals": {"aws:SourceAccount": a}}, st.sampled_from((ACCOUNT, OTHER))
    ),
    st.builds(
        lambda a: {"ArnLike": {"aws:SourceArn": a}},
        st.sampled_from(
            (f"arn:aws:codebuild:*:{ACCOUNT}:project/*", "arn:aws:sagemaker:*:*:*", *SOURCE_ARNS)
        ),
    ),
    st.builds(lambda b: {"Null": {"aws:SourceArn": b}}, st.sampled_from(("true", "false"))),
    st.builds(
        lambda a: {"StringEqualsIfExists": {"aws:SourceAccount": a}},
        st.sampled_from((ACCOUNT, OTHER)),
    ),
)

principals = st.one_of(
    st.just("*"),
    st.builds(
        lambda s: {"Service": s if len(s) > 1 else s[0]},
        st.lists(st.sampled_from(SERVICES), min_size=1, max_size=2, unique=True),
    ),
    st.builds(
        lambda a: {"AWS": a if len(a) > 1 else a[0]},
        st.lists(st.sampled_from(AWS_PRINCIPALS), min_size=1, max_size=2, unique=True),
    ),
    st.builds(
        lambda s, a: {"Service": s, "AWS": a},
        st.sampled_from(SERVICES),
        st.sampled_from(AWS_PRINCIPALS),
    ),
)


@st.composite
def statements(draw: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(("Allow", "Allow", "Deny")))}
    if draw(st.booleans()):
        statement["Sid"] = draw(st.sampled_from(("A", "B", "SmStudioSetupCodeBuildAssumeRole")))
    # No NotPrincipal: IAM rejects it in role trust policies.
    statement["Principal"] = draw(principals)
    action = draw(
        st.sampled_from(
            ("sts:AssumeRole", "sts:TagSession", "sts:*", ["sts:AssumeRole", "sts:TagSession"])
        )
    )
    if draw(st.integers(0, 6)) == 0:
        statement["NotAction"] = action
    else:
        statement["Action"] = action
    condition = draw(conditions)
    if condition:
        statement["Condition"] = condition
    return statement


@st.composite
def trust_policies(draw: Any) -> dict[str, Any]:
    items = draw(st.lists(statements(), min_size=1, max_size=4))
    sids = [s.get("Sid") for s in items if "Sid" in s]
    if len(sids) != len(set(sids)):
        # IAM rejects duplicate Sids; drop them rather than generate invalid documents.
        for s in items:
            s.pop("Sid", None)
    document: dict[str, Any] = {"Version": "2012-10-17"}
    document["Statement"] = items if len(items) > 1 or draw(st.booleans()) else items[0]
    return document


# Trust policies as security teams harden them against the confused deputy: conditions on
# aws:SourceAccount, aws:SourceArn (this build's projects, other projects, SageMaker resources)
# and aws:PrincipalOrgID, several principals per statement, Denies among them.
HARDENING_ARNS = (
    f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/*",
    f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/sagemaker-studio-*",
    f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/sagemaker-studio-d-abc123-alice-*",
    f"arn:aws:codebuild:*:{ACCOUNT}:project/other-*",
    f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:*",
    f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:app/d-abc123/*",
    f"arn:aws:sagemaker:*:{OTHER}:*",
    "arn:aws:*:us-east-1:*:*",
)
hardening = st.one_of(
    st.builds(
        lambda op, a: {op: {"aws:SourceAccount": a}},
        st.sampled_from(("StringEquals", "StringNotEquals", "StringLike", "StringEqualsIfExists")),
        st.sampled_from((ACCOUNT, OTHER, [ACCOUNT, OTHER], "1234*")),
    ),
    st.builds(
        lambda op, arn: {op: {"aws:SourceArn": arn}},
        st.sampled_from(("ArnLike", "ArnEquals", "ArnNotLike", "ArnLikeIfExists", "StringLike")),
        st.sampled_from(HARDENING_ARNS),
    ),
    st.builds(
        lambda op, org: {op: {"aws:PrincipalOrgID": org}},
        st.sampled_from(("StringEquals", "StringNotEquals")),
        st.sampled_from(("o-aaaaaaaaaa", "o-bbbbbbbbbb")),
    ),
    st.builds(lambda b: {"Null": {"aws:SourceArn": b}}, st.sampled_from(("true", "false"))),
)


def _joined(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    # Several blocks of one statement: operators merge, and one key per operator is kept.
    joined: dict[str, Any] = {}
    for block in blocks:
        for op, keys in block.items():
            joined.setdefault(op, {}).update(keys)
    return joined


@st.composite
def hardened_statements(draw: Any) -> dict[str, Any]:
    statement = draw(statements())
    blocks = draw(st.lists(hardening, max_size=3))
    if blocks:
        statement["Condition"] = _joined([statement.get("Condition", {}), *blocks])
    return statement


@st.composite
def hardened_trust_policies(draw: Any) -> dict[str, Any]:
    items = draw(st.lists(hardened_statements(), min_size=1, max_size=4))
    sids = [s.get("Sid") for s in items if "Sid" in s]
    if len(sids) != len(set(sids)):
        for s in items:
            s.pop("Sid", None)
    return {"Version": "2012-10-17", "Statement": items}


contexts = st.builds(
    lambda account, arn: {
        **({"aws:SourceAccount": account} if account else {}),
        **({"aws:SourceArn": arn} if arn else {}),
    },
    st.sampled_from((None, ACCOUNT, OTHER)),
    st.sampled_from((None, *SOURCE_ARNS)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policy=trust_policies(),
    service=st.sampled_from((CODEBUILD, SAGEMAKER)),
    source_account=st.sampled_from((None, ACCOUNT, OTHER)),
    probes=st.lists(
        st.tuples(st.sampled_from(CALLERS), st.sampled_from(ACTIONS), contexts),
        min_size=1,
        max_size=12,
    ),
)
def test_merge_keeps_every_decision_and_adds_the_service(
    policy: dict[str, Any],
    service: str,
    source_account: str | None,
    probes: list[tuple[str, str, dict[str, str]]],
) -> None:
    original = copy.deepcopy(policy)
    target_context = {"aws:SourceAccount": source_account} if source_account else {}
    before_target = can_assume(policy, service, target_context)
    try:
        merged = merge_trust(policy, service, source_account=source_account)
    except TrustMergeError:
        assert before_target.result == "explicit_deny"
        assert policy == original
        return
    assert before_target.result != "explicit_deny"
    assert policy == original

    # Every existing statement is kept byte for byte, in order.
    def listed(document: dict[str, Any]) -> list[Any]:
        found = document["Statement"]
        return found if isinstance(found, list) else [found]

    old, new = listed(original), listed(merged)
    assert [json.dumps(s) for s in new[: len(old)]] == [json.dumps(s) for s in old]
    assert len(new) in (len(old), len(old) + 1)
    if len(new) == len(old):
        assert merged == original
    assert can_assume(merged, service, target_context).allowed

    for caller, action, context in probes:
        before = can_assume(original, caller, context, action=action).result
        after = can_assume(merged, caller, context, action=action).result
        if caller.lower() == service and action == "sts:AssumeRole" and before == "implicit_deny":
            # The only change allowed: the service may now assume the role when the added
            # statement's condition holds.
            covered = source_account is None or context.get("aws:SourceAccount") == source_account
            assert after == ("allowed" if covered else "implicit_deny") or (
                len(new) == len(old) and after == before
            )
        else:
            assert after == before, (caller, action, context)
