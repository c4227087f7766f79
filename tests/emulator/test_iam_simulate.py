"""SimulatePrincipalPolicy: AWS's shapes, errors and pagination, decisions from the decider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from sm_studio_setup.emulator.core import access
from sm_studio_setup.emulator.services import iam

from .support import error_of

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/team/Builder"
TRUST = '{"Version":"2012-10-17","Statement":[]}'


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    iam.install()
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_role(RoleName="Builder", Path="/team/", AssumeRolePolicyDocument=TRUST)
        try:
            yield client
        finally:
            access.set_decider(None)


def test_one_result_per_action_and_resource_in_aws_shape(client: Any) -> None:
    response = client.simulate_principal_policy(
        PolicySourceArn=ROLE_ARN,
        ActionNames=["s3:GetObject", "iam:PassRole"],
        ResourceArns=["arn:aws:s3:::b/k", ROLE_ARN],
    )
    results = response["EvaluationResults"]
    assert [(r["EvalActionName"], r["EvalResourceName"]) for r in results] == [
        ("s3:GetObject", "arn:aws:s3:::b/k"),
        ("s3:GetObject", ROLE_ARN),
        ("iam:PassRole", "arn:aws:s3:::b/k"),
        ("iam:PassRole", ROLE_ARN),
    ]
    first = results[0]
    # No decider installed: the emulator would allow the call, so the simulator says so.
    assert first["EvalDecision"] == "allowed"
    assert first["MatchedStatements"] == []
    assert first["MissingContextValues"] == []
    assert first["ResourceSpecificResults"] == [
        {
            "EvalResourceName": "arn:aws:s3:::b/k",
            "EvalResourceDecision": "allowed",
            "MatchedStatements": [],
            "MissingContextValues": [],
        }
    ]
    assert "EvalDecisionDetails" not in first  # same-account simulation
    assert response["IsTruncated"] is False
    assert "Marker" not in response


def test_resource_defaults_to_star_without_resource_specific_results(client: Any) -> None:
    results = client.simulate_principal_policy(
        PolicySourceArn=ROLE_ARN, ActionNames=["ecr:GetAuthorizationToken"]
    )["EvaluationResults"]
    assert len(results) == 1
    assert results[0]["EvalResourceName"] == "*"
    assert "ResourceSpecificResults" not in results[0]


def test_cross_account_resource_has_decision_details(client: Any) -> None:
    other = "arn:aws:ecr:us-east-1:210987654321:repository/shared"
    result = client.simulate_principal_policy(
        PolicySourceArn=ROLE_ARN, ActionNames=["ecr:BatchGetImage"], ResourceArns=[other]
    )["EvaluationResults"][0]
    assert result["EvalDecisionDetails"] == {"IAM Policy": "allowed"}


def test_decisions_and_context_come_from_the_decider(client: Any) -> None:
    seen: list[access.AccessRequest] = []

    def decider(request: access.AccessRequest) -> access.Decision:
        seen.append(request)
        if request.action == "iam:PutRolePolicy":
            return "explicitDeny"
        if request.resource.endswith("repository/private"):
            return "implicitDeny"
        return "allowed"

    access.set_decider(decider)
    results = client.simulate_principal_policy(
        PolicySourceArn=ROLE_ARN,
        ActionNames=["iam:PutRolePolicy", "ecr:PutImage"],
        ResourceArns=[
            "arn:aws:ecr:us-east-1:123456789012:repository/private",
            "arn:aws:ecr:us-east-1:123456789012:repository/public",
        ],
        ContextEntries=[
            {
                "ContextKeyName": "iam:PassedToService",
                "ContextKeyValues": ["codebuild.amazonaws.com"],
                "ContextKeyType": "string",
            },
            {
                "ContextKeyName": "aws:TagKeys",
                "ContextKeyValues": ["a", "b"],
                "ContextKeyType": "stringList",
            },
        ],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == [
        "explicitDeny",
        "explicitDeny",
        "implicitDeny",
        "allowed",
    ]
    assert results[2]["ResourceSpecificResults"][0]["EvalResourceDecision"] == "implicitDeny"
    assert {r.principal_arn for r in seen} == {ROLE_ARN}
    assert seen[0].context == {
        "iam:PassedToService": "codebuild.amazonaws.com",
        "aws:TagKeys": ("a", "b"),
    }


def test_paginator_returns_every_result_across_pages(client: Any) -> None:
    actions = [f"sagemaker:Action{i}" for i in range(5)]
    resources = ["arn:aws:s3:::one", "arn:aws:s3:::two"]
    pages = list(
        client.get_paginator("simulate_principal_policy").paginate(
            PolicySourceArn=ROLE_ARN,
            ActionNames=actions,
            ResourceArns=resources,
            PaginationConfig={"PageSize": 4},
        )
    )
    assert [len(p["EvaluationResults"]) for p in pages] == [4, 4, 2]
    assert [p["IsTruncated"] for p in pages] == [True, True, False]
    pairs = [
        (r["EvalActionName"], r["EvalResourceName"]) for p in pages for r in p["EvaluationResults"]
    ]
    assert pairs == [(a, r) for a in actions for r in resources]


def test_a_client_ignoring_the_marker_misses_results(client: Any) -> None:
    actions = [f"logs:Action{i:03d}" for i in range(101)]
    first = client.simulate_principal_policy(PolicySourceArn=ROLE_ARN, ActionNames=actions)
    assert len(first["EvaluationResults"]) == 100  # AWS's default MaxItems
    assert first["IsTruncated"] is True
    rest = client.simulate_principal_policy(
        PolicySourceArn=ROLE_ARN, ActionNames=actions, Marker=first["Marker"]
    )
    assert [r["EvalActionName"] for r in rest["EvaluationResults"]] == ["logs:Action100"]
    assert rest["IsTruncated"] is False


def test_marker_of_another_request_is_invalid_input(client: Any) -> None:
    first = client.simulate_principal_policy(
        PolicySourceArn=ROLE_ARN, ActionNames=["s3:GetObject", "s3:PutObject"], MaxItems=1
    )
    for marker in (first["Marker"], "not-a-marker"):
        with pytest.raises(ClientError) as excinfo:
            client.simulate_principal_policy(
                PolicySourceArn=ROLE_ARN, ActionNames=["s3:ListBucket"], Marker=marker
            )
        assert error_of(excinfo)[0::2] == ("InvalidInput", 400)


def test_assumed_role_session_arn_is_rejected(client: Any) -> None:
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/Builder/SageMaker"
    with pytest.raises(ClientError) as excinfo:
        client.simulate_principal_policy(PolicySourceArn=session, ActionNames=["s3:GetObject"])
    assert error_of(excinfo) == (
        "InvalidInput",
        f"Invalid Entity Arn: {session} does not clearly define entity type and name.",
        400,
    )


@pytest.mark.parametrize(
    ("arn", "message"),
    [
        (f"arn:aws:iam::{ACCOUNT}:role/Missing", "The role with name Missing cannot be found."),
        # The right name under the wrong path is another role.
        (f"arn:aws:iam::{ACCOUNT}:role/Builder", "The role with name Builder cannot be found."),
        (f"arn:aws:iam::{ACCOUNT}:user/nobody", "The user with name nobody cannot be found."),
        (f"arn:aws:iam::{ACCOUNT}:group/none", "The group with name none cannot be found."),
    ],
)
def test_missing_entity_is_no_such_entity(client: Any, arn: str, message: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject"])
    assert error_of(excinfo) == ("NoSuchEntity", message, 404)


def test_users_and_groups_are_valid_sources(client: Any) -> None:
    client.create_user(UserName="dev")
    client.create_group(GroupName="devs")
    for arn in (f"arn:aws:iam::{ACCOUNT}:user/dev", f"arn:aws:iam::{ACCOUNT}:group/devs"):
        result = client.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject"])
        assert result["EvaluationResults"][0]["EvalDecision"] == "allowed"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ActionNames": ["GetObject"]}, "The action is invalid since it is missing names"),
        (
            {"ActionNames": ["s3:GetObject"], "ResourceArns": ["bucket"]},
            "ResourceNames are not in a valid ARN format: bucket.",
        ),
        (
            {"ActionNames": ["s3:GetObject"], "ResourceArns": ["*", "arn:aws:s3:::b"]},
            "ResourceNames are not in a valid ARN format: *.",
        ),
    ],
)
def test_invalid_actions_and_resources_are_invalid_input(
    client: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.simulate_principal_policy(PolicySourceArn=ROLE_ARN, **kwargs)
    assert error_of(excinfo) == ("InvalidInput", message, 400)


@pytest.mark.parametrize(
    ("value", "rule"), [(0, "greater than or equal to 1"), (1001, "less than or equal to 1000")]
)
def test_max_items_out_of_range_is_validation_error(client: Any, value: int, rule: str) -> None:
    # boto3 itself refuses these, so send them unvalidated as another SDK could.
    raw = boto3.client("iam", region_name="us-east-1", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        raw.simulate_principal_policy(
            PolicySourceArn=ROLE_ARN, ActionNames=["s3:GetObject"], MaxItems=value
        )
    assert error_of(excinfo) == (
        "ValidationError",
        f"1 validation error detected: Value '{value}' at 'maxItems' failed to satisfy "
        f"constraint: Member must have value {rule}",
        400,
    )


def test_install_is_idempotent(client: Any) -> None:
    iam.install()
    iam.install()
    result = client.simulate_principal_policy(
        PolicySourceArn=ROLE_ARN, ActionNames=["s3:GetObject"]
    )
    assert len(result["EvaluationResults"]) == 1
