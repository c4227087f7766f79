"""parse_policy: every shape AWS accepts, every rejection with its JSON path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from sm_studio_setup.iam.model import Condition, Policy, PolicyKind, PolicyValidationError
from sm_studio_setup.iam.parse import parse_policy, valid_operator

from ..fixtures import MANAGED_POLICIES, managed_policy_files

FIXTURES = MANAGED_POLICIES


def managed_policies() -> list[Path]:
    return managed_policy_files()


def identity(*statements: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements), **top}


def allow(**fields: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    statement.update(fields)
    return {k: v for k, v in statement.items() if v is not None}


def trust(**fields: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "codebuild.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    statement.update(fields)
    return {
        "Version": "2012-10-17",
        "Statement": [{k: v for k, v in statement.items() if v is not None}],
    }


def problems(document: object, kind: PolicyKind = "identity") -> list[tuple[str, str]]:
    with pytest.raises(PolicyValidationError) as caught:
        parse_policy(document, kind=kind)  # type: ignore[arg-type]
    assert caught.value.problems, "a validation error must list its problems"
    return caught.value.problems


def paths(document: object, kind: PolicyKind = "identity") -> list[str]:
    return [path for path, _ in problems(document, kind)]


# ------------------------------------------------------------------- real documents


@pytest.mark.parametrize("path", managed_policies(), ids=lambda p: p.stem)
def test_every_managed_policy_parses(path: Path) -> None:
    document = json.loads(path.read_text())
    policy = parse_policy(document, name=path.stem)
    statements = document["Statement"]
    statements = statements if isinstance(statements, list) else [statements]
    assert len(policy.statements) == len(statements)
    assert policy.version == "2012-10-17"
    assert policy.name == path.stem
    assert policy.source is document
    for parsed, raw in zip(policy.statements, statements, strict=True):
        assert parsed.effect == raw["Effect"]
        assert parsed.sid == raw.get("Sid")
        assert (parsed.resources is None) == ("Resource" not in raw)
        assert (parsed.not_resources is None) == ("NotResource" not in raw)
        n_conditions = sum(len(block) for block in raw.get("Condition", {}).values())
        assert len(parsed.conditions) == n_conditions
    # The same document as JSON text, and URL-encoded as IAM's GetRole returns documents.
    assert parse_policy(path.read_text()).statements == policy.statements
    assert parse_policy(quote(path.read_text(), safe="")).statements == policy.statements


def test_sagemaker_full_access_details() -> None:
    document = json.loads((FIXTURES / "AmazonSageMakerFullAccess.json").read_text())
    policy = parse_policy(document)
    first = policy.statements[0]
    assert first.sid == "AllowAllNonAdminSageMakerActions"
    assert first.actions == ("sagemaker:*", "sagemaker-geospatial:*")
    assert (
        first.not_resources is not None and "arn:aws:sagemaker:*:*:domain/*" in first.not_resources
    )
    operators = {c.operator for s in policy.statements for c in s.conditions}
    assert {"StringEquals", "Null"} <= operators


# ----------------------------------------------------------------- accepted shapes


def test_single_statement_object_and_string_elements() -> None:
    policy = parse_policy(
        {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}
    )
    (statement,) = policy.statements
    assert statement.effect == "Deny"
    assert statement.actions == ("*",)
    assert statement.resources == ("*",)
    assert statement.index == 0
    assert statement.path == "Statement[0]"
    assert statement.sid is None
    assert statement.conditions == ()


def test_lists_and_not_elements() -> None:
    policy = parse_policy(
        identity(
            {
                "Effect": "Allow",
                "NotAction": ["iam:*", "s3:Get?bject"],
                "NotResource": ["arn:aws:s3:::b"],
            },
            allow(Action=["s3:GetObject", "s3:PutObject"], Resource=["arn:aws:s3:::a", "*"]),
        )
    )
    first, second = policy.statements
    assert first.actions is None and first.not_actions == ("iam:*", "s3:Get?bject")
    assert first.resources is None and first.not_resources == ("arn:aws:s3:::b",)
    assert second.actions == ("s3:GetObject", "s3:PutObject")
    assert second.resources == ("arn:aws:s3:::a", "*")
    assert second.index == 1


def test_version_is_recorded_and_defaults_to_2008() -> None:
    assert parse_policy(identity(allow())).version == "2012-10-17"
    assert parse_policy(identity(allow(), Version="2008-10-17")).version == "2008-10-17"
    # "If you do not include a Version element, the value defaults to 2008-10-17."
    assert parse_policy({"Statement": [allow()]}).version == "2008-10-17"


def test_id_kind_name_and_source() -> None:
    document = identity(allow(), Id="my-policy")
    policy = parse_policy(document, kind="boundary", name="Boundary")
    assert policy.id == "my-policy"
    assert policy.kind == "boundary"
    assert policy.name == "Boundary"
    assert policy.source is document


def test_policy_input_is_returned_as_is() -> None:
    policy = parse_policy(identity(allow()))
    assert parse_policy(policy) is policy
    assert parse_policy(policy, kind="boundary") is policy


def test_json_text_and_url_encoded_text() -> None:
    document = trust()
    text = json.dumps(document)
    for given in (text, "  \n" + text + "\n", quote(text, safe=""), quote(text)):
        policy = parse_policy(given, kind="trust")
        assert policy.statements[0].principal is not None
        assert policy.source == document


def test_url_encoded_plus_is_a_literal_plus() -> None:
    document = identity(allow(Resource="arn:aws:s3:::b/a+b"))
    policy = parse_policy(quote(json.dumps(document), safe=""))
    assert policy.statements[0].resources == ("arn:aws:s3:::b/a+b",)


@pytest.mark.parametrize(
    ("principal", "wildcard", "values"),
    [
        ("*", True, {}),
        ({"AWS": "*"}, False, {"AWS": ("*",)}),
        ({"AWS": "123456789012"}, False, {"AWS": ("123456789012",)}),
        (
            {"AWS": "arn:aws:iam::123456789012:root"},
            False,
            {"AWS": ("arn:aws:iam::123456789012:root",)},
        ),
        (
            {"AWS": ["arn:aws:iam::123456789012:role/R", "arn:aws:iam::123456789012:user/u"]},
            False,
            {"AWS": ("arn:aws:iam::123456789012:role/R", "arn:aws:iam::123456789012:user/u")},
        ),
        (
            {"AWS": "arn:aws:sts::123456789012:assumed-role/R/s"},
            False,
            {"AWS": ("arn:aws:sts::123456789012:assumed-role/R/s",)},
        ),
        ({"AWS": "AROAEXAMPLEEXAMPLE12"}, False, {"AWS": ("AROAEXAMPLEEXAMPLE12",)}),
        (
            {"Service": ["codebuild.amazonaws.com", "sagemaker.amazonaws.com"]},
            False,
            {"Service": ("codebuild.amazonaws.com", "sagemaker.amazonaws.com")},
        ),
        (
            {"Federated": "arn:aws:iam::123456789012:saml-provider/X"},
            False,
            {"Federated": ("arn:aws:iam::123456789012:saml-provider/X",)},
        ),
        (
            {"Federated": "cognito-identity.amazonaws.com"},
            False,
            {"Federated": ("cognito-identity.amazonaws.com",)},
        ),
        ({"CanonicalUser": "79a59df900b949e5"}, False, {"CanonicalUser": ("79a59df900b949e5",)}),
        (
            {"AWS": "123456789012", "Service": "codebuild.amazonaws.com"},
            False,
            {"AWS": ("123456789012",), "Service": ("codebuild.amazonaws.com",)},
        ),
    ],
)
def test_every_principal_form(principal: object, wildcard: bool, values: dict[str, Any]) -> None:
    policy = parse_policy(trust(Principal=principal), kind="trust")
    parsed = policy.statements[0].principal
    assert parsed is not None
    assert parsed.wildcard is wildcard
    assert dict(parsed.values) == values
    resource = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::b/*",
                }
            ]
        },
        kind="resource",
    )
    assert resource.statements[0].principal == parsed


def test_not_principal_with_deny_in_resource_policy() -> None:
    policy = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "NotPrincipal": {"AWS": "123456789012"},
                    "Action": "s3:*",
                    "Resource": "*",
                }
            ]
        },
        kind="resource",
    )
    statement = policy.statements[0]
    assert statement.principal is None
    assert statement.not_principal is not None
    assert statement.not_principal.values == {"AWS": ("123456789012",)}


def test_resource_policy_may_omit_resource() -> None:
    # ECR repository policies name no Resource: the repository is implied.
    policy = parse_policy(
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]},
        kind="resource",
    )
    assert policy.statements[0].resources is None


def test_condition_value_types_are_normalised_to_text() -> None:
    policy = parse_policy(
        identity(
            allow(
                Condition={
                    "StringEquals": {"aws:SourceAccount": "123456789012", "s3:prefix": ["a", "b"]},
                    "Bool": {"aws:SecureTransport": True, "aws:ViaAWSService": [False, "true"]},
                    "NumericLessThan": {"s3:max-keys": 10, "x:float": 1.5, "x:whole": 2.0},
                    "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": []},
                    "Null": {"aws:PrincipalTag/team": "false"},
                }
            )
        )
    )
    conditions = {(c.operator, c.key): c for c in policy.statements[0].conditions}
    assert conditions["StringEquals", "aws:SourceAccount"].values == ("123456789012",)
    assert conditions["StringEquals", "s3:prefix"].values == ("a", "b")
    assert conditions["Bool", "aws:SecureTransport"].values == ("true",)
    assert conditions["Bool", "aws:ViaAWSService"].values == ("false", "true")
    assert conditions["NumericLessThan", "s3:max-keys"].values == ("10",)
    assert conditions["NumericLessThan", "x:float"].values == ("1.5",)
    assert conditions["NumericLessThan", "x:whole"].values == ("2",)
    assert conditions["ForAnyValue:StringLikeIfExists", "aws:TagKeys"].values == ()
    null = conditions["Null", "aws:PrincipalTag/team"]
    assert null == Condition(
        operator="Null",
        key="aws:PrincipalTag/team",
        values=("false",),
        path="Statement[0].Condition.Null.aws:PrincipalTag/team",
    )


@pytest.mark.parametrize(
    "operator",
    [
        "StringEquals",
        "StringNotEqualsIgnoreCase",
        "StringLikeIfExists",
        "ForAllValues:StringEquals",
        "ForAnyValue:StringNotLikeIfExists",
        "NumericGreaterThanEquals",
        "DateLessThanIfExists",
        "Bool",
        "BoolIfExists",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddressIfExists",
        "ArnLike",
        "ArnNotEqualsIfExists",
        "Null",
        "ForAnyValue:ArnLike",
    ],
)
def test_known_operators(operator: str) -> None:
    assert valid_operator(operator)
    parse_policy(identity(allow(Condition={operator: {"aws:x": "v"}})))


@pytest.mark.parametrize(
    "operator",
    [
        "NullIfExists",
        "stringEquals",
        "STRINGEQUALS",
        "StringEqual",
        "forallvalues:StringEquals",
        "ForAll:StringEquals",
        "ForAnyValue:",
        "IfExists",
        "ForAnyValue:ForAllValues:StringEquals",
        "StringEqualsIfExistsIfExists",
        "",
    ],
)
def test_unknown_operators(operator: str) -> None:
    assert not valid_operator(operator)
    found = problems(identity(allow(Condition={operator: {"aws:x": "v"}})))
    assert found[0][0] == f"Statement[0].Condition.{operator}"
    assert "operator" in found[0][1]


def test_sids() -> None:
    policy = parse_policy(identity(allow(Sid="A1"), allow(Sid="B2"), allow(Sid="")))
    assert [s.sid for s in policy.statements] == ["A1", "B2", ""]
    # Resource policies allow other characters in Sids.
    parse_policy(
        {
            "Statement": [
                {
                    "Sid": "Allow read access",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/*",
                }
            ]
        },
        kind="resource",
    )


@pytest.mark.parametrize("kind", ["identity", "boundary", "session", "scp"])
def test_identity_like_kinds_accept_identity_documents(kind: PolicyKind) -> None:
    assert parse_policy(identity(allow()), kind=kind).kind == kind


# ----------------------------------------------------------------------- rejections


def test_every_problem_is_listed_with_its_path() -> None:
    document = {
        "Version": "2012-10-17",
        "Extra": 1,
        "Statement": [
            {"Effect": "allow", "Action": "s3", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject"},
            "not a statement",
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringLikes": {"k": "v"}, "StringEquals": {"k": {"nested": 1}}},
            },
        ],
    }
    assert paths(document) == [
        "Extra",
        "Statement[0].Effect",
        "Statement[0].Action",
        "Statement[1]",
        "Statement[2]",
        "Statement[3].Condition.StringLikes",
        "Statement[3].Condition.StringEquals.k",
    ]


def test_error_message_names_the_policy_and_every_problem() -> None:
    with pytest.raises(PolicyValidationError) as caught:
        parse_policy(identity({"Effect": "Maybe", "Action": "*"}), name="inline-x")
    message = str(caught.value)
    assert message.startswith("inline-x: ")
    assert "Statement[0].Effect" in message
    assert "Resource or NotResource is required" in message
    assert caught.value.policy_name == "inline-x"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        ({"Version": "2012-10-17"}, "", "Statement is required"),
        ({"Version": "2012-10-17", "Statement": []}, "Statement", "at least one"),
        ({"Version": "2012-10-17", "Statement": "x"}, "Statement", "object or a list"),
        ({"Version": "2012-10-18", "Statement": [allow()]}, "Version", "2012-10-17"),
        ({"Version": 2012, "Statement": [allow()]}, "Version", "2012-10-17"),
        ({"Version": None, "Statement": [allow()]}, "Version", "2012-10-17"),
        ({"Id": 5, "Statement": [allow()]}, "Id", "string"),
        ({"statement": [allow()]}, "statement", "case-sensitive"),
        (identity(allow(Effect=None)), "Statement[0]", "Effect is required"),
        (identity(allow(Effect="allow")), "Statement[0].Effect", "exactly"),
        (identity(allow(Effect=True)), "Statement[0].Effect", "exactly"),
        (identity(allow(Action=None)), "Statement[0]", "Action or NotAction is required"),
        (identity(allow(NotAction="s3:*")), "Statement[0]", "not both"),
        (identity(allow(Action=[])), "Statement[0].Action", "empty"),
        (identity(allow(Action=5)), "Statement[0].Action", "string or a list"),
        (identity(allow(Action=["s3:GetObject", 5])), "Statement[0].Action[1]", "string"),
        (identity(allow(Action="s3")), "Statement[0].Action", "service:ActionName"),
        (identity(allow(Action="s3:")), "Statement[0].Action", "service:ActionName"),
        (identity(allow(Action=":Get")), "Statement[0].Action", "service:ActionName"),
        (identity(allow(Action="s3:Get Object")), "Statement[0].Action", "service:ActionName"),
        (identity(allow(Action="s3*:Get")), "Statement[0].Action", "service:ActionName"),
        (identity(allow(Action="s3:Get:Object")), "Statement[0].Action", "service:ActionName"),
        (identity(allow(Action=["*", "bad"])), "Statement[0].Action[1]", "service:ActionName"),
        (identity(allow(Resource=None)), "Statement[0]", "Resource or NotResource is required"),
        (identity(allow(NotResource="*")), "Statement[0]", "not both"),
        (identity(allow(Resource=[])), "Statement[0].Resource", "empty"),
        (identity(allow(Resource="bucket")), "Statement[0].Resource", "ARN"),
        (identity(allow(Resource=["*", ""])), "Statement[0].Resource[1]", "ARN"),
        (identity(allow(Resource={"a": 1})), "Statement[0].Resource", "string or a list"),
        (identity(allow(Principal="*")), "Statement[0].Principal", "not allowed"),
        (identity(allow(NotPrincipal={"AWS": "1"})), "Statement[0].NotPrincipal", "not allowed"),
        (identity(allow(Sid=5)), "Statement[0].Sid", "string"),
        (identity(allow(Sid="has space")), "Statement[0].Sid", "letters"),
        (identity(allow(Sid="a-b")), "Statement[0].Sid", "letters"),
        (identity(allow(Sid="S"), allow(Sid="S")), "Statement[1].Sid", "unique"),
        (identity(allow(Unknown=1)), "Statement[0].Unknown", "unknown element"),
        (identity(allow(effect="Allow")), "Statement[0].effect", "unknown element"),
        (identity(allow(Condition=[])), "Statement[0].Condition", "object"),
        (identity(allow(Condition="x")), "Statement[0].Condition", "object"),
        (
            identity(allow(Condition={"StringEquals": "v"})),
            "Statement[0].Condition.StringEquals",
            "map",
        ),
        (
            identity(allow(Condition={"StringEquals": ["v"]})),
            "Statement[0].Condition.StringEquals",
            "map",
        ),
        (
            identity(allow(Condition={"StringEquals": {}})),
            "Statement[0].Condition.StringEquals",
            "at least one",
        ),
        (
            identity(allow(Condition={"StringEquals": {"": "v"}})),
            "Statement[0].Condition.StringEquals",
            "non-empty",
        ),
        (
            identity(allow(Condition={"NullIfExists": {"k": "true"}})),
            "Statement[0].Condition.NullIfExists",
            "Null cannot take IfExists",
        ),
        (
            identity(allow(Condition={"StringEquals": {"k": None}})),
            "Statement[0].Condition.StringEquals.k",
            "strings, numbers or booleans",
        ),
        (
            identity(allow(Condition={"StringEquals": {"k": {"a": "b"}}})),
            "Statement[0].Condition.StringEquals.k",
            "strings, numbers or booleans",
        ),
        (
            identity(allow(Condition={"StringEquals": {"k": ["a", ["b"]]}})),
            "Statement[0].Condition.StringEquals.k[1]",
            "strings, numbers or booleans",
        ),
        (
            identity(allow(Condition={"NumericEquals": {"k": float("nan")}})),
            "Statement[0].Condition.NumericEquals.k",
            "strings, numbers or booleans",
        ),
    ],
)
def test_identity_rejections(document: dict[str, Any], path: str, words: str) -> None:
    found = problems(document)
    assert path in [p for p, _ in found], found
    rule = next(rule for p, rule in found if p == path)
    assert words in rule, rule


@pytest.mark.parametrize(
    ("statement", "path", "words"),
    [
        ({"Principal": None}, "Statement[0]", "Principal is required"),
        ({"Resource": "*"}, "Statement[0].Resource", "not allowed in a role trust policy"),
        ({"NotResource": "*"}, "Statement[0].NotResource", "not allowed in a role trust policy"),
        (
            {"Principal": None, "NotPrincipal": {"AWS": "123456789012"}, "Effect": "Deny"},
            "Statement[0].NotPrincipal",
            "not allowed in a role trust policy",
        ),
        ({"NotPrincipal": {"AWS": "123456789012"}}, "Statement[0]", "not both"),
        ({"Principal": "AWS"}, "Statement[0].Principal", 'must be "*" or an object'),
        ({"Principal": ["*"]}, "Statement[0].Principal", 'must be "*" or an object'),
        ({"Principal": {}}, "Statement[0].Principal", "at least one"),
        (
            {"Principal": {"aws": "123456789012"}},
            "Statement[0].Principal.aws",
            "unknown principal type",
        ),
        ({"Principal": {"AWS": []}}, "Statement[0].Principal.AWS", "empty"),
        ({"Principal": {"AWS": 123456789012}}, "Statement[0].Principal.AWS", "string"),
        ({"Principal": {"AWS": "12345"}}, "Statement[0].Principal.AWS", "12-digit"),
        (
            {"Principal": {"AWS": ["123456789012", "alice"]}},
            "Statement[0].Principal.AWS[1]",
            "12-digit",
        ),
        (
            {"Principal": {"AWS": "arn:aws:iam::123456789012:role/*"}},
            "Statement[0].Principal.AWS",
            "wildcards",
        ),
        ({"Principal": {"Service": ""}}, "Statement[0].Principal.Service", "empty"),
        (
            {"Principal": {"Service": ["codebuild.amazonaws.com", None]}},
            "Statement[0].Principal.Service[1]",
            "string",
        ),
    ],
)
def test_trust_rejections(statement: dict[str, Any], path: str, words: str) -> None:
    found = problems(trust(**statement), kind="trust")
    assert path in [p for p, _ in found], found
    rule = next(rule for p, rule in found if p == path)
    assert words in rule, rule


def test_resource_policy_rules() -> None:
    base = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    assert paths({"Statement": [base]}, kind="resource") == ["Statement[0]"]
    assert paths(
        {"Statement": [{**base, "NotPrincipal": {"AWS": "123456789012"}}]}, kind="resource"
    ) == ["Statement[0].NotPrincipal"]
    assert paths(
        {"Statement": [{**base, "Principal": "*", "NotPrincipal": "*"}]}, kind="resource"
    ) == ["Statement[0]"]


def test_scp_and_session_reject_principal() -> None:
    for kind in ("scp", "session", "boundary"):
        assert paths(identity(allow(Principal="*")), kind=kind) == ["Statement[0].Principal"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "{",
        '{"Version": "2012-10-17", "Statement": [}',
        '{"Version": "2012-10-17", "Statement": NaN}',
        '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": '
        '{"NumericEquals": {"k": Infinity}}}]}',
        "[1, 2]",
        '"a string"',
        "%7B%22Version",
        "[" * 100_000 + "]" * 100_000,
        "%ZZ",
    ],
)
def test_bad_text(text: str) -> None:
    found = problems(text)
    assert found[0][0] == ""
    assert "JSON" in found[0][1] or "object" in found[0][1]


@pytest.mark.parametrize("value", [None, 5, 1.5, True, [], ["Statement"], b"{}", object()])
def test_bad_input_types(value: object) -> None:
    assert problems(value)[0][0] == ""


def test_unknown_kind_is_a_validation_error() -> None:
    assert "kind" in problems(identity(allow()), kind="nope")[0][1]  # type: ignore[arg-type]


def test_parse_does_not_mutate_or_copy_the_document() -> None:
    document = identity(allow(Condition={"Bool": {"aws:SecureTransport": True}}))
    snapshot = json.dumps(document, sort_keys=True)
    policy = parse_policy(document)
    assert json.dumps(document, sort_keys=True) == snapshot
    assert isinstance(policy, Policy)
    assert policy.source is document
