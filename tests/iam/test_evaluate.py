"""The evaluation order, step by step, as AWS documents it ("Policy evaluation logic")."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from sm_studio_setup.iam import (
    Decision,
    Policy,
    PolicyValidationError,
    Request,
    compile_policies,
    compile_policy,
    derived_context,
    evaluate,
    parse_policy,
)

# The package exports the function ``evaluate``, which shadows the submodule's name.
evaluate_module = importlib.import_module("sm_studio_setup.iam.evaluate")

ACCOUNT = "123456789012"
OTHER = "210987654321"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/StudioRole/SageMaker"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/StudioRole"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
PROJECT = f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/sagemaker-studio-x"
BUCKET_OBJECT = "arn:aws:s3:::sagemaker-bucket/key"


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document = {"Version": version, **document}
    return document


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def res_allow(principal: Any, action: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


def res_deny(principal: Any, action: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": action, **extra}


def req(
    action: str = "codebuild:CreateProject",
    resource: str = PROJECT,
    principal: str | None = SESSION,
    **context: Any,
) -> Request:
    return Request(action=action, resource=resource, principal=principal, context=context)


ALLOW_ALL = doc(allow())
FULL_SCP = doc(allow())


# ----------------------------------------------------------------------------- identity


def test_identity_allow_grants() -> None:
    d = evaluate(req(), [doc(allow("codebuild:CreateProject", PROJECT, Sid="Build"))])
    assert d.result == "allowed"
    assert d.allowed
    assert d.decided_by == "identity"
    assert [ref.statement.sid for ref in d.matched] == ["Build"]
    assert d.blocking == ()


def test_no_identity_policy_is_an_implicit_deny_that_names_the_request() -> None:
    d = evaluate(req(), [doc(allow("s3:GetObject", "*"))])
    assert d.result == "implicit_deny"
    assert not d.allowed
    assert d.decided_by == "identity"
    text = d.explain()
    assert "IMPLICIT_DENY" in text
    assert f"no identity-based policy allows codebuild:CreateProject on {PROJECT}" in text


def test_nothing_given_is_denied_by_default() -> None:
    d = evaluate(req())
    assert d.result == "implicit_deny"
    assert d.decided_by == "default"


def test_actions_compare_case_insensitively() -> None:
    d = evaluate(req(action="CodeBuild:createproject"), [doc(allow("codebuild:CreateProject"))])
    assert d.allowed


def test_resource_part_is_case_sensitive() -> None:
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::SageMaker-bucket/*"))
    assert evaluate(req("s3:GetObject", "arn:aws:s3:::SageMaker-bucket/k"), [policy]).allowed
    assert not evaluate(req("s3:GetObject", "arn:aws:s3:::sagemaker-bucket/k"), [policy]).allowed


def test_allow_in_any_identity_policy_is_enough() -> None:
    policies = [doc(allow("s3:*", "*")), doc(allow("codebuild:*", PROJECT))]
    assert evaluate(req(), policies).allowed


def test_not_action_grants_nothing_by_itself() -> None:
    # "Allow NotAction iam:*" allows everything except IAM -- it is not a grant of IAM.
    policy = doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate(req("s3:GetObject", BUCKET_OBJECT), [policy]).allowed
    d = evaluate(req("iam:PassRole", ROLE), [policy])
    assert d.result == "implicit_deny"
    assert d.decided_by == "identity"


def test_deny_with_not_action_denies_every_other_action() -> None:
    policies = [
        ALLOW_ALL,
        doc({"Effect": "Deny", "NotAction": ["s3:*", "ecr:*"], "Resource": "*"}),
    ]
    assert evaluate(req("ecr:PutImage", "*"), policies).allowed
    d = evaluate(req(), policies)
    assert d.result == "explicit_deny"


def test_not_resource_is_the_complement() -> None:
    policy = doc(
        {
            "Effect": "Allow",
            "Action": "sagemaker:*",
            "NotResource": "arn:aws:sagemaker:*:*:domain/*",
        }
    )
    domain = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:domain/d-1"
    job = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/j"
    assert evaluate(req("sagemaker:CreateTrainingJob", job), [policy]).allowed
    assert not evaluate(req("sagemaker:DeleteDomain", domain), [policy]).allowed


def test_conditions_must_all_match_and_the_explanation_names_the_failing_one() -> None:
    policy = doc(
        allow(
            "iam:PassRole",
            "*",
            Sid="PassToSageMaker",
            Condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
    )
    ok = req("iam:PassRole", ROLE, **{"iam:PassedToService": "sagemaker.amazonaws.com"})
    bad = req("iam:PassRole", ROLE, **{"iam:PassedToService": "codebuild.amazonaws.com"})
    assert evaluate(ok, [policy]).allowed
    d = evaluate(bad, [policy])
    assert d.result == "implicit_deny"
    text = d.explain()
    assert "PassToSageMaker" in text
    assert "StringEquals iam:PassedToService" in text
    assert "codebuild.amazonaws.com" in text


def test_explanation_of_a_resource_mismatch_names_the_statement_and_its_resources() -> None:
    policy = parse_policy(
        doc(allow("codebuild:StartBuild", "arn:aws:codebuild:*:*:project/sagemaker*", Sid="CB")),
        name="Inline",
    )
    d = evaluate(
        req("codebuild:StartBuild", PROJECT.replace("sagemaker-studio-x", "other")), [policy]
    )
    assert not d.allowed
    text = d.explain()
    assert "'Inline' Statement[0] (Sid CB)" in text
    assert "project/sagemaker*" in text


# ----------------------------------------------------------------------------- explicit deny


@pytest.mark.parametrize("where", ["identity", "boundary", "session", "scp", "resource"])
def test_explicit_deny_in_any_policy_type_beats_every_allow(where: str) -> None:
    denial = doc(allow(), deny("codebuild:CreateProject", PROJECT, Sid="NoCreate"))
    kwargs: dict[str, Any] = {
        "boundary": ALLOW_ALL,
        "session_policy": ALLOW_ALL,
        "scps": [[FULL_SCP], [FULL_SCP]],
        "resource_policy": doc(res_allow("*")),
    }
    identity = [ALLOW_ALL]
    if where == "identity":
        identity = [ALLOW_ALL, denial]
    elif where == "boundary":
        kwargs["boundary"] = denial
    elif where == "session":
        kwargs["session_policy"] = denial
    elif where == "scp":
        kwargs["scps"] = [[FULL_SCP], [FULL_SCP, denial]]
    else:
        kwargs["resource_policy"] = doc(
            res_allow("*"), res_deny({"AWS": ROLE}, "codebuild:CreateProject", Sid="NoCreate")
        )
    d = evaluate(req(), identity, **kwargs)
    assert d.result == "explicit_deny"
    assert d.decided_by == where
    assert [ref.statement.sid for ref in d.blocking] == ["NoCreate"]
    assert all(ref.statement.effect == "Deny" for ref in d.blocking)
    assert "NoCreate" in d.explain()
    assert "Deny" in d.explain()


def test_explicit_deny_comes_before_an_scp_implicit_deny() -> None:
    d = evaluate(req(), [doc(deny("codebuild:*"))], scps=[[doc(allow("s3:*"))]])
    assert d.result == "explicit_deny"
    assert d.decided_by == "identity"


def test_explicit_deny_beats_a_resource_policy_that_names_the_session() -> None:
    d = evaluate(
        req(),
        [doc(deny("codebuild:CreateProject"))],
        resource_policy=doc(res_allow({"AWS": SESSION})),
    )
    assert d.result == "explicit_deny"


# ----------------------------------------------------------------------------- SCPs


def test_every_scp_level_must_allow() -> None:
    ok = evaluate(req(), [ALLOW_ALL], scps=[[FULL_SCP], [FULL_SCP], [FULL_SCP]])
    assert ok.allowed
    d = evaluate(req(), [ALLOW_ALL], scps=[[FULL_SCP], [doc(allow("s3:*"))], [FULL_SCP]])
    assert d.result == "implicit_deny"
    assert d.decided_by == "scp"
    assert "OU 1" in d.explain()


def test_an_scp_level_with_no_policies_allows_nothing() -> None:
    d = evaluate(req(), [ALLOW_ALL], scps=[[FULL_SCP], []])
    assert d.result == "implicit_deny"
    assert d.decided_by == "scp"


def test_scps_grant_nothing_by_themselves() -> None:
    d = evaluate(req(), [], scps=[[FULL_SCP]])
    assert d.result == "implicit_deny"
    assert d.decided_by == "identity"


def test_scp_allow_in_any_policy_of_a_level_is_enough() -> None:
    level = [doc(allow("s3:*")), doc(allow("codebuild:*"))]
    assert evaluate(req(), [ALLOW_ALL], scps=[level]).allowed


def test_scps_do_not_apply_to_service_principals() -> None:
    d = evaluate(
        req("sns:Publish", f"arn:aws:sns:us-east-1:{ACCOUNT}:topic", "events.amazonaws.com"),
        scps=[[doc(allow("s3:*"))]],
        resource_policy=doc(res_allow({"Service": "events.amazonaws.com"}, "sns:Publish")),
    )
    assert d.allowed
    assert d.decided_by == "resource"


# ------------------------------------------------------------------------ boundary and session


def test_permissions_boundary_intersects() -> None:
    boundary = doc(allow("s3:*"))
    d = evaluate(req(), [ALLOW_ALL], boundary=boundary)
    assert d.result == "implicit_deny"
    assert d.decided_by == "boundary"
    assert evaluate(req(), [ALLOW_ALL], boundary=doc(allow("codebuild:*"))).allowed


def test_permissions_boundary_grants_nothing_by_itself() -> None:
    d = evaluate(req(), [doc(allow("s3:*"))], boundary=ALLOW_ALL)
    assert d.result == "implicit_deny"
    assert d.decided_by == "identity"


def test_session_policy_intersects_and_grants_nothing_by_itself() -> None:
    d = evaluate(req(), [ALLOW_ALL], session_policy=doc(allow("s3:*")))
    assert d.result == "implicit_deny"
    assert d.decided_by == "session"
    d = evaluate(req(), [doc(allow("s3:*"))], session_policy=ALLOW_ALL)
    assert d.decided_by == "identity"
    assert evaluate(req(), [ALLOW_ALL], session_policy=ALLOW_ALL, boundary=ALLOW_ALL).allowed


# ----------------------------------------------------------------------------- resource policies


def test_resource_policy_alone_grants_an_iam_user_in_the_same_account() -> None:
    bucket_policy = doc(res_allow({"AWS": USER}, "s3:GetObject", Resource="arn:aws:s3:::b/*"))
    d = evaluate(
        req("s3:GetObject", "arn:aws:s3:::b/k", USER),
        [],
        resource_policy=bucket_policy,
        resource_account=ACCOUNT,
    )
    assert d.allowed
    assert d.decided_by == "resource"
    # ... and is not limited by the user's permissions boundary ("IAM user" row).
    d = evaluate(
        req("s3:GetObject", "arn:aws:s3:::b/k", USER),
        [],
        resource_policy=bucket_policy,
        boundary=doc(allow("ec2:*")),
        resource_account=ACCOUNT,
    )
    assert d.allowed


def test_resource_policy_naming_the_session_grants_despite_boundary_and_session_policy() -> None:
    d = evaluate(
        req(),
        [],
        resource_policy=doc(res_allow({"AWS": SESSION})),
        boundary=doc(allow("s3:*")),
        session_policy=doc(allow("s3:*")),
    )
    assert d.allowed
    assert d.decided_by == "resource"


def test_resource_policy_naming_the_role_is_limited_by_boundary_and_session_policy() -> None:
    resource_policy = doc(res_allow({"AWS": ROLE}))
    # Documented: a role-ARN grant needs no identity policy within one account ...
    assert evaluate(req(), [], resource_policy=resource_policy).allowed
    # ... but "is limited by an implicit deny in a permissions boundary or session policy".
    d = evaluate(req(), [], resource_policy=resource_policy, boundary=doc(allow("s3:*")))
    assert d.result == "implicit_deny"
    assert d.decided_by == "boundary"
    d = evaluate(req(), [], resource_policy=resource_policy, session_policy=doc(allow("s3:*")))
    assert d.result == "implicit_deny"
    assert d.decided_by == "session"
    assert evaluate(
        req(), [], resource_policy=resource_policy, boundary=ALLOW_ALL, session_policy=ALLOW_ALL
    ).allowed


def test_resource_policy_naming_the_account_delegates_to_identity_policies() -> None:
    for principal in (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root"):
        resource_policy = doc(res_allow({"AWS": principal}))
        d = evaluate(req(), [], resource_policy=resource_policy)
        assert d.result == "implicit_deny"
        assert d.decided_by == "identity"
        assert evaluate(req(), [ALLOW_ALL], resource_policy=resource_policy).allowed


def test_resource_policy_silent_in_same_account_leaves_identity_to_decide() -> None:
    other_user = f"arn:aws:iam::{ACCOUNT}:user/bob"
    resource_policy = doc(res_allow({"AWS": other_user}))
    assert evaluate(req(), [ALLOW_ALL], resource_policy=resource_policy).allowed
    assert evaluate(req(), [], resource_policy=resource_policy).decided_by == "identity"


def test_cross_account_needs_both_sides() -> None:
    resource = f"arn:aws:codebuild:us-east-1:{OTHER}:project/p"
    resource_policy = doc(res_allow({"AWS": SESSION}))
    d = evaluate(req(resource=resource), [], resource_policy=resource_policy)
    assert d.result == "implicit_deny"
    assert d.decided_by == "identity"
    d = evaluate(req(resource=resource), [ALLOW_ALL])
    assert d.result == "implicit_deny"
    assert d.decided_by == "resource"
    d = evaluate(req(resource=resource), [ALLOW_ALL], resource_policy=doc(res_allow({"AWS": USER})))
    assert d.decided_by == "resource"
    assert evaluate(req(resource=resource), [ALLOW_ALL], resource_policy=resource_policy).allowed
    account_grant = doc(res_allow({"AWS": ACCOUNT}))
    assert evaluate(req(resource=resource), [ALLOW_ALL], resource_policy=account_grant).allowed


def test_resource_account_argument_overrides_the_arn() -> None:
    # S3 ARNs carry no account: the caller says where the bucket lives.
    d = evaluate(req("s3:GetObject", BUCKET_OBJECT), [ALLOW_ALL], resource_account=OTHER)
    assert d.result == "implicit_deny"
    assert d.decided_by == "resource"
    assert evaluate(
        req("s3:GetObject", BUCKET_OBJECT), [ALLOW_ALL], resource_account=ACCOUNT
    ).allowed


def test_resource_statement_without_resource_applies_to_the_attached_resource() -> None:
    resource_policy = doc(res_allow({"AWS": SESSION}, "codebuild:CreateProject"))
    assert evaluate(req(), [], resource_policy=resource_policy).allowed
    scoped = doc(res_allow({"AWS": SESSION}, "codebuild:*", Resource=f"{PROJECT}-other"))
    assert not evaluate(req(), [], resource_policy=scoped).allowed


def test_service_principal_needs_a_resource_policy() -> None:
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:builds"
    d = evaluate(req("sns:Publish", topic, "events.amazonaws.com"), [ALLOW_ALL])
    assert d.result == "implicit_deny"
    d = evaluate(
        req("sns:Publish", topic, "events.amazonaws.com"),
        resource_policy=doc(res_allow({"Service": "lambda.amazonaws.com"})),
    )
    assert d.result == "implicit_deny"
    assert d.decided_by == "resource"
    assert "lambda.amazonaws.com" in d.explain()


def test_not_principal_allow_and_deny() -> None:
    resource_policy = doc(
        res_allow("*"),
        {"Effect": "Deny", "NotPrincipal": {"AWS": USER}, "Action": "s3:DeleteObject"},
    )
    bucket = "arn:aws:s3:::b/k"
    assert evaluate(
        req("s3:DeleteObject", bucket, USER),
        [],
        resource_policy=resource_policy,
        resource_account=ACCOUNT,
    ).allowed
    d = evaluate(
        req("s3:DeleteObject", bucket, SESSION),
        [ALLOW_ALL],
        resource_policy=resource_policy,
        resource_account=ACCOUNT,
    )
    assert d.result == "explicit_deny"
    assert d.decided_by == "resource"


def test_not_principal_deny_always_denies_a_principal_with_a_boundary() -> None:
    # "The NotPrincipal element with a Deny effect will always deny any IAM principal that has
    # a permissions boundary policy attached" (Permissions boundaries for IAM entities).
    resource_policy = doc(
        res_allow("*"),
        {"Effect": "Deny", "NotPrincipal": {"AWS": USER}, "Action": "s3:DeleteObject"},
    )
    d = evaluate(
        req("s3:DeleteObject", "arn:aws:s3:::b/k", USER),
        [ALLOW_ALL],
        boundary=ALLOW_ALL,
        resource_policy=resource_policy,
        resource_account=ACCOUNT,
    )
    assert d.result == "explicit_deny"


def test_anonymous_caller_is_covered_only_by_a_wildcard_principal() -> None:
    anonymous = req("s3:GetObject", BUCKET_OBJECT, None)
    assert evaluate(anonymous, resource_policy=doc(res_allow("*"))).allowed
    assert evaluate(anonymous, resource_policy=doc(res_allow({"AWS": "*"}))).allowed
    assert not evaluate(anonymous, resource_policy=doc(res_allow({"AWS": ACCOUNT}))).allowed


# ----------------------------------------------------------------------------- trust policies


def test_trust_policy_must_allow_even_in_the_same_account() -> None:
    target = f"arn:aws:iam::{ACCOUNT}:role/Target"
    trust = doc(res_allow({"Service": "sagemaker.amazonaws.com"}, "sts:AssumeRole"))
    d = evaluate(req("sts:AssumeRole", target), [ALLOW_ALL], resource_policy=trust)
    assert d.result == "implicit_deny"
    assert d.decided_by == "trust"
    account_trust = doc(res_allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "sts:AssumeRole"))
    assert evaluate(
        req("sts:AssumeRole", target), [ALLOW_ALL], resource_policy=account_trust
    ).allowed
    d = evaluate(req("sts:AssumeRole", target), [], resource_policy=account_trust)
    assert d.decided_by == "identity"


# ------------------------------------------------------------------------ variables and context


def test_variables_are_substituted_only_in_version_2012_10_17() -> None:
    statement = allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*")
    request = req("s3:GetObject", "arn:aws:s3:::home/alice/notes.txt", USER)
    assert evaluate(request, [doc(statement)]).allowed
    assert not evaluate(request, [doc(statement, version="2008-10-17")]).allowed
    assert not evaluate(request, [doc(statement, version=None)]).allowed
    literal = req("s3:GetObject", "arn:aws:s3:::home/${aws:username}/notes.txt", USER)
    assert evaluate(literal, [doc(statement, version=None)]).allowed


def test_variables_are_substituted_only_after_the_fifth_colon() -> None:
    # "You can use a policy variable in the Resource element, but only in the resource portion
    # of the ARN ... You can't use a variable to replace parts of the ARN before the fifth
    # colon, such as the service or account" (IAM policy elements: Variables and tags).
    role = f"arn:aws:iam::{ACCOUNT}:role/x"
    get_role = req("iam:GetRole", role, **{"aws:PrincipalAccount": ACCOUNT})
    account = doc(allow("iam:GetRole", "arn:aws:iam::${aws:PrincipalAccount}:role/*"))
    assert evaluate(get_role, [account]).result == "implicit_deny"
    repository = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/r"
    put_image = req("ecr:PutImage", repository, **{"aws:RequestedRegion": "us-east-1"})
    region = doc(allow("ecr:PutImage", f"arn:aws:ecr:${{aws:RequestedRegion}}:{ACCOUNT}:*"))
    assert evaluate(put_image, [region]).result == "implicit_deny"
    # After the fifth colon the variable is substituted.
    home = doc(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))
    assert evaluate(req("s3:GetObject", "arn:aws:s3:::bucket/alice/x", USER), [home]).allowed
    assert not evaluate(req("s3:GetObject", "arn:aws:s3:::bucket/bob/x", USER), [home]).allowed


def test_not_resource_with_a_variable_before_the_fifth_colon_excludes_nothing() -> None:
    # The literal entry matches no real ARN, so NotResource covers the request.
    policy = doc(
        {
            "Effect": "Deny",
            "Action": "iam:GetRole",
            "NotResource": "arn:aws:iam::${aws:PrincipalAccount}:role/*",
        }
    )
    request = req(
        "iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/x", **{"aws:PrincipalAccount": ACCOUNT}
    )
    assert evaluate(request, [ALLOW_ALL, policy]).result == "explicit_deny"
    # Written with the account id, the same entry excludes the role.
    own = json.loads(json.dumps(policy).replace("${aws:PrincipalAccount}", ACCOUNT))
    assert evaluate(request, [ALLOW_ALL, own]).result == "allowed"


def test_derived_context_keys_come_only_from_the_request() -> None:
    def allowed_when(condition: dict[str, Any], request: Request) -> bool:
        return evaluate(request, [doc(allow(Condition=condition))]).allowed

    # aws:PrincipalAccount is what the session ARN shows.
    assert allowed_when({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}, req())
    assert allowed_when({"StringEquals": {"aws:PrincipalType": "AssumedRole"}}, req())
    # A session's aws:PrincipalArn is the role ARN with its path, which the session ARN does
    # not show: it is not invented.
    assert allowed_when({"Null": {"aws:PrincipalArn": "true"}}, req())
    assert allowed_when(
        {"StringEquals": {"aws:PrincipalArn": ROLE}}, req(**{"aws:PrincipalArn": ROLE})
    )
    # An IAM user: its ARN and name are certain.
    assert allowed_when({"StringEquals": {"aws:PrincipalArn": USER}}, req(principal=USER))
    assert allowed_when({"StringEquals": {"aws:username": "alice"}}, req(principal=USER))
    # The caller's own value wins over the derived one, whatever the key's letter case.
    assert not allowed_when(
        {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
        req(**{"AWS:PRINCIPALACCOUNT": OTHER}),
    )
    # The resource account comes from the ARN.
    assert allowed_when({"StringEquals": {"aws:ResourceAccount": ACCOUNT}}, req())
    # No principal: nothing derived from it.
    assert allowed_when({"Null": {"aws:PrincipalAccount": "true"}}, req(principal=None))


def test_derived_context_lists_what_evaluate_adds() -> None:
    assert derived_context(req()) == {
        "aws:PrincipalIsAWSService": False,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalType": "AssumedRole",
        "aws:ResourceAccount": ACCOUNT,
    }
    assert derived_context(req(principal=USER, **{"AWS:USERNAME": "x"})) == {
        "aws:PrincipalIsAWSService": False,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalType": "User",
        "aws:PrincipalArn": USER,
        "aws:ResourceAccount": ACCOUNT,
    }
    assert derived_context(req(principal="codebuild.amazonaws.com", resource="*")) == {
        "aws:PrincipalIsAWSService": True,
        "aws:PrincipalServiceName": "codebuild.amazonaws.com",
    }
    assert derived_context(req("s3:GetObject", BUCKET_OBJECT, None), resource_account=OTHER) == {
        "aws:ResourceAccount": OTHER
    }


def test_root_user_has_full_access_in_its_account_but_not_past_denies() -> None:
    root = f"arn:aws:iam::{ACCOUNT}:root"
    assert evaluate(req(principal=root)).allowed
    assert evaluate(req(principal=root), [doc(deny())]).result == "explicit_deny"
    assert evaluate(req(principal=root), scps=[[doc(allow("s3:*"))]]).decided_by == "scp"


# ----------------------------------------------------------------------------- inputs


def test_json_text_dicts_and_policy_objects_are_accepted() -> None:
    policy = doc(allow("codebuild:*"))
    for given in (policy, json.dumps(policy), parse_policy(policy), compile_policy(policy)):
        assert evaluate(req(), [given]).allowed


def test_invalid_documents_raise_policy_validation_error() -> None:
    with pytest.raises(PolicyValidationError):
        evaluate(req(), [{"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}])
    with pytest.raises(PolicyValidationError):
        evaluate(req(), ["{not json"])


def test_a_single_document_where_a_list_belongs_is_a_clear_error() -> None:
    with pytest.raises(PolicyValidationError, match="identity_policies must be a list"):
        evaluate(req(), ALLOW_ALL)  # type: ignore[arg-type]
    with pytest.raises(PolicyValidationError, match="scps must be a list of levels"):
        evaluate(req(), [ALLOW_ALL], scps=[FULL_SCP])  # type: ignore[list-item]


def test_json_text_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = evaluate_module.parse_policy

    def counting(document: Any, **kwargs: Any) -> Policy:
        calls.append(kwargs.get("kind", "identity"))
        return real(document, **kwargs)

    monkeypatch.setattr(evaluate_module, "parse_policy", counting)
    text = json.dumps({"Id": "parsed-once-check", **doc(allow("codebuild:*"))})
    for _ in range(5):
        assert evaluate(req(), [text]).allowed
    assert calls == ["identity"]


def test_compiled_policies_keep_their_names_and_give_the_same_answers() -> None:
    policies = compile_policies({"A": doc(allow("s3:*")), "B": doc(allow("codebuild:*"))})
    assert [p.name for p in policies] == ["A", "B"]
    first = evaluate(req(), policies)
    second = evaluate(req(), policies)
    assert first == second
    assert first.matched[0].policy_name == "B"
    assert "'B'" in first.explain()


def test_unnamed_policies_are_told_apart_by_position() -> None:
    d = evaluate(req(), [doc(allow("s3:*")), doc(allow("codebuild:*"))])
    assert "identity-based policy #2 Statement[0]" in d.explain()


def test_a_policy_object_must_fit_the_slot_it_is_used_in() -> None:
    # resource and trust policies share their rules; a resource policy can be a trust policy.
    resource_policy = parse_policy(doc(res_allow({"AWS": SESSION})), kind="resource")
    assert evaluate(req(), [], resource_policy=resource_policy).allowed
    target = f"arn:aws:iam::{ACCOUNT}:role/Target"
    d = evaluate(req("sts:AssumeRole", target), [], resource_policy=resource_policy)
    assert d.allowed
    assert d.decided_by == "trust"
    # An identity policy has no Principal: re-read as a resource policy it is invalid.
    identity_policy = parse_policy(doc(allow()), kind="identity")
    with pytest.raises(PolicyValidationError, match="Principal"):
        evaluate(req(), [], resource_policy=identity_policy)


def test_decision_is_a_value() -> None:
    d = evaluate(req(), [ALLOW_ALL])
    assert isinstance(d, Decision)
    assert d.request == req()
    assert d.reasons and all(isinstance(line, str) for line in d.reasons)
