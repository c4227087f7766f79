"""The engine against real AWS managed policies, as AWS publishes them.

The documents are in ``tests/fixtures/aws-managed-policies`` (see the README there). A missing
document is a failure, never a skip.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from sm_studio_setup.iam import Policy, Request, compile_policy, evaluate, parse_policy

from ..fixtures import MANAGED_POLICIES, managed_policy_files

FIXTURES = MANAGED_POLICIES
EXPECTED = {
    "AWSCodeBuildAdminAccess",
    "AWSCodeBuildDeveloperAccess",
    "AmazonEC2ContainerRegistryFullAccess",
    "AmazonEC2ContainerRegistryPowerUser",
    "AmazonS3FullAccess",
    "AmazonSageMakerFullAccess",
    "AmazonSageMakerPipelinesIntegrations",
    "AmazonSageMakerReadOnly",
    "AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy",
}

ACCOUNT = "123456789012"
OTHER = "210987654321"
REGION = "us-east-1"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/AmazonSageMaker-ExecutionRole-1/SageMaker"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole-1"


def fixture_files() -> list[Path]:
    return managed_policy_files()


@cache
def managed(name: str) -> Policy:
    path = FIXTURES / f"{name}.json"
    assert path.is_file(), f"missing fixture {path}"
    return compile_policy(json.loads(path.read_text()), "identity", name=name)


def decide(policy: str, action: str, resource: str, **context: Any) -> str:
    request = Request(action=action, resource=resource, principal=SESSION, context=context)
    return evaluate(request, [managed(policy)]).result


def allows(policy: str, action: str, resource: str, **context: Any) -> bool:
    return decide(policy, action, resource, **context) == "allowed"


def arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def test_every_expected_fixture_is_present() -> None:
    names = {path.stem for path in fixture_files()}
    assert names >= EXPECTED, f"missing: {sorted(EXPECTED - names)}"


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.stem)
def test_every_fixture_parses(path: Path) -> None:
    document = json.loads(path.read_text())
    policy = parse_policy(document, kind="identity", name=path.stem)
    statements = document["Statement"]
    assert len(policy.statements) == (len(statements) if isinstance(statements, list) else 1)
    assert policy.version == "2012-10-17"
    # Parsing the text gives the same policy as parsing the mapping.
    assert parse_policy(path.read_text(), name=path.stem).statements == policy.statements


# ----------------------------------------------------------------------------- SageMakerFullAccess

FULL = "AmazonSageMakerFullAccess"


def test_full_access_ecr_push_only_to_sagemaker_repositories() -> None:
    assert allows(FULL, "ecr:PutImage", arn("ecr", "repository/sagemaker-studio-d-x"))
    assert not allows(FULL, "ecr:PutImage", arn("ecr", "repository/my-model"))
    # "*sagemaker*" is case-sensitive in the resource part.
    assert not allows(FULL, "ecr:PutImage", arn("ecr", "repository/SageMaker-images"))
    # Describe* and CreateRepository are granted on "*".
    assert allows(FULL, "ecr:CreateRepository", arn("ecr", "repository/my-model"))
    assert allows(FULL, "ecr:DescribeImages", arn("ecr", "repository/my-model"))


def test_full_access_pass_role_only_to_listed_services() -> None:
    to = "iam:PassedToService"
    assert allows(FULL, "iam:PassRole", EXECUTION_ROLE, **{to: "sagemaker.amazonaws.com"})
    assert not allows(FULL, "iam:PassRole", EXECUTION_ROLE, **{to: "codebuild.amazonaws.com"})
    assert not allows(FULL, "iam:PassRole", EXECUTION_ROLE)
    # glue/robomaker/states only for roles whose name contains AmazonSageMaker.
    assert allows(FULL, "iam:PassRole", EXECUTION_ROLE, **{to: "glue.amazonaws.com"})
    other_role = f"arn:aws:iam::{ACCOUNT}:role/GlueJobs"
    assert not allows(FULL, "iam:PassRole", other_role, **{to: "glue.amazonaws.com"})


def test_full_access_codebuild_start_but_not_create() -> None:
    project = arn("codebuild", "project/sagemaker-x")
    assert allows(FULL, "codebuild:StartBuild", project)
    assert allows(FULL, "codebuild:BatchGetBuilds", arn("codebuild", "build/sagemaker-x:1"))
    assert not allows(FULL, "codebuild:CreateProject", project)
    assert not allows(FULL, "codebuild:DeleteProject", project)
    assert not allows(FULL, "codebuild:StartBuild", arn("codebuild", "project/my-build"))


def test_full_access_iam_reads_as_the_facts_say() -> None:
    assert allows(FULL, "iam:ListRoles", "*")
    for action in ("iam:GetRole", "iam:GetRolePolicy", "iam:SimulatePrincipalPolicy"):
        assert not allows(FULL, action, EXECUTION_ROLE), action


def test_full_access_not_resource_excludes_studio_admin_resources() -> None:
    # AllowAllNonAdminSageMakerActions: sagemaker:* with NotResource domain/*, user-profile/*...
    assert allows(FULL, "sagemaker:CreateTrainingJob", arn("sagemaker", "training-job/j"))
    assert allows(FULL, "sagemaker:CreateImage", arn("sagemaker", "image/my-image"))
    assert not allows(FULL, "sagemaker:UpdateDomain", arn("sagemaker", "domain/d-1"))
    assert not allows(FULL, "sagemaker:DeleteUserProfile", arn("sagemaker", "user-profile/d-1/u"))
    # ... but AllowStudioActions grants the read-only Studio calls on "*".
    assert allows(FULL, "sagemaker:DescribeDomain", arn("sagemaker", "domain/d-1"))
    assert allows(FULL, "sagemaker:ListTags", arn("sagemaker", "user-profile/d-1/u"))


def test_full_access_apps_with_null_and_arn_like_and_domain_variables() -> None:
    app = arn("sagemaker", "app/d-1/alice/JupyterLab/default")
    # AllowAppActionsForUserProfile: Null sagemaker:OwnerUserProfileArn = true.
    assert allows(FULL, "sagemaker:CreateApp", app)
    owner = "sagemaker:OwnerUserProfileArn"
    private = {"sagemaker:SpaceSharingType": "Private", "sagemaker:DomainId": "d-1"}
    mine = arn("sagemaker", "user-profile/d-1/alice")
    theirs = arn("sagemaker", "user-profile/d-1/bob")
    # RestrictMutatingActionsOnPrivateSpaceAppsToOwnerUserProfile: ArnLike with variables.
    assert allows(
        FULL,
        "sagemaker:CreateApp",
        app,
        **private,
        **{owner: mine},
        **{"sagemaker:UserProfileName": "alice"},
    )
    assert not allows(
        FULL,
        "sagemaker:CreateApp",
        app,
        **private,
        **{owner: theirs},
        **{"sagemaker:UserProfileName": "alice"},
    )
    # Without the variables' keys the ArnLike pattern cannot resolve: no match.
    assert not allows(FULL, "sagemaker:CreateApp", app, **private, **{owner: mine})
    # The app must live in the request's domain: ${sagemaker:DomainId} in the Resource.
    other_domain = arn("sagemaker", "app/d-2/alice/JupyterLab/default")
    assert not allows(
        FULL,
        "sagemaker:CreateApp",
        other_domain,
        **private,
        **{owner: mine},
        **{"sagemaker:UserProfileName": "alice"},
    )
    # AllowAppActionsForSharedSpaces: shared spaces in the domain, whoever owns them.
    shared = {"sagemaker:SpaceSharingType": "Shared", "sagemaker:DomainId": "d-1"}
    assert allows(FULL, "sagemaker:DeleteApp", app, **shared, **{owner: theirs})


def test_full_access_spaces_need_the_domain_id_variable() -> None:
    space = arn("sagemaker", "space/d-1/team-space")
    # Without an owner (Null true), the space must be in ${sagemaker:DomainId}.
    assert allows(FULL, "sagemaker:CreateSpace", space, **{"sagemaker:DomainId": "d-1"})
    assert not allows(FULL, "sagemaker:CreateSpace", space, **{"sagemaker:DomainId": "d-2"})
    assert not allows(FULL, "sagemaker:CreateSpace", space)
    # AddTags on spaces only while creating them.
    assert allows(FULL, "sagemaker:AddTags", space, **{"sagemaker:TaggingAction": "CreateSpace"})
    assert not allows(FULL, "sagemaker:AddTags", space)


def test_full_access_flow_definitions_with_string_equals_if_exists() -> None:
    flow = arn("sagemaker", "flow-definition/review")
    key = "sagemaker:WorkteamType"
    assert allows(FULL, "sagemaker:CreateFlowDefinition", flow)
    assert allows(FULL, "sagemaker:CreateFlowDefinition", flow, **{key: "private-crowd"})
    assert not allows(FULL, "sagemaker:CreateFlowDefinition", flow, **{key: "public-crowd"})


def test_full_access_s3_objects_by_name_or_by_tag() -> None:
    assert allows(FULL, "s3:PutObject", "arn:aws:s3:::sagemaker-us-east-1-123/k")
    assert allows(FULL, "s3:PutObject", "arn:aws:s3:::my-SageMaker-data/k")
    assert not allows(FULL, "s3:PutObject", "arn:aws:s3:::my-data/k")
    # StringEqualsIgnoreCase on the object tag.
    tag = "s3:ExistingObjectTag/SageMaker"
    assert allows(FULL, "s3:GetObject", "arn:aws:s3:::my-data/k", **{tag: "TRUE"})
    assert not allows(FULL, "s3:GetObject", "arn:aws:s3:::my-data/k", **{tag: "no"})
    assert not allows(FULL, "s3:GetObject", "arn:aws:s3:::my-data/k")


def test_full_access_s3_express_requires_own_account_via_principal_account_variable() -> None:
    bucket = arn("s3express", "bucket/sagemaker--use1-az4--x-s3")
    # aws:ResourceAccount (from the ARN) must equal ${aws:PrincipalAccount} (from the caller).
    assert allows(FULL, "s3express:CreateSession", bucket)
    assert not allows(
        FULL,
        "s3express:CreateSession",
        arn("s3express", "bucket/sagemaker--use1-az4--x-s3", account=OTHER),
    )


def test_full_access_secrets_by_name_or_by_resource_tag() -> None:
    assert allows(
        FULL, "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:AmazonSageMaker-git")
    )
    other = arn("secretsmanager", "secret:prod-db")
    assert not allows(FULL, "secretsmanager:GetSecretValue", other)
    assert allows(
        FULL,
        "secretsmanager:GetSecretValue",
        other,
        **{"secretsmanager:ResourceTag/SageMaker": "true"},
    )
    assert not allows(FULL, "secretsmanager:CreateSecret", other)


def test_full_access_service_linked_role_by_service_name() -> None:
    key = "iam:AWSServiceName"
    assert allows(FULL, "iam:CreateServiceLinkedRole", "*", **{key: "robomaker.amazonaws.com"})
    assert not allows(FULL, "iam:CreateServiceLinkedRole", "*", **{key: "ecs.amazonaws.com"})


def test_full_access_explanation_names_the_statement_that_almost_applied() -> None:
    request = Request(
        action="ecr:PutImage",
        resource=arn("ecr", "repository/my-model"),
        principal=SESSION,
    )
    text = evaluate(request, [managed(FULL)]).explain()
    assert "AllowECRActions" in text
    assert "repository/*sagemaker*" in text


# ----------------------------------------------------------------------------- other fixtures


def test_codebuild_admin_access() -> None:
    name = "AWSCodeBuildAdminAccess"
    assert allows(name, "codebuild:CreateProject", arn("codebuild", "project/anything"))
    assert allows(name, "codebuild:DeleteProject", arn("codebuild", "project/anything"))
    assert not allows(name, "iam:PassRole", EXECUTION_ROLE)
    assert not allows(name, "ecr:PutImage", arn("ecr", "repository/x"))
    # ArnLike on codestar-notifications:NotificationsForResource.
    key = "codestar-notifications:NotificationsForResource"
    rule = arn("codestar-notifications", "notificationrule/r")
    assert allows(
        name,
        "codestar-notifications:CreateNotificationRule",
        rule,
        **{key: arn("codebuild", "project/p")},
    )
    assert not allows(
        name,
        "codestar-notifications:CreateNotificationRule",
        rule,
        **{key: arn("codepipeline", "pipeline-x")},
    )
    assert not allows(name, "codestar-notifications:CreateNotificationRule", rule)
    # Log groups: only CodeBuild's, and a wildcard that spans the ':log-stream:' part.
    codebuild_stream = arn("logs", "log-group:/aws/codebuild/p:log-stream:s")
    assert allows(name, "logs:DeleteLogGroup", codebuild_stream)
    assert not allows(
        name, "logs:DeleteLogGroup", arn("logs", "log-group:/aws/lambda/f:log-stream:s")
    )


def test_codebuild_developer_access() -> None:
    name = "AWSCodeBuildDeveloperAccess"
    project = arn("codebuild", "project/p")
    assert allows(name, "codebuild:StartBuild", project)
    assert allows(name, "codebuild:BatchGetProjects", project)  # BatchGet*
    assert allows(name, "codebuild:ListProjects", "*")  # List*
    assert not allows(name, "codebuild:CreateProject", project)
    assert not allows(name, "codebuild:DeleteProject", project)
    assert allows(name, "ssm:PutParameter", arn("ssm", "parameter/CodeBuild/token"))
    assert not allows(name, "ssm:PutParameter", arn("ssm", "parameter/app/token"))


def test_ecr_full_access() -> None:
    name = "AmazonEC2ContainerRegistryFullAccess"
    assert allows(name, "ecr:CreateRepository", arn("ecr", "repository/my-model"))
    assert allows(name, "ECR:putimage", arn("ecr", "repository/my-model"))
    key = "iam:AWSServiceName"
    assert allows(
        name, "iam:CreateServiceLinkedRole", "*", **{key: "replication.ecr.amazonaws.com"}
    )
    assert not allows(name, "iam:CreateServiceLinkedRole", "*", **{key: "ecs.amazonaws.com"})
    assert not allows(name, "iam:CreateServiceLinkedRole", "*")
    assert not allows(name, "s3:GetObject", "arn:aws:s3:::b/k")


def test_ecr_power_user() -> None:
    name = "AmazonEC2ContainerRegistryPowerUser"
    repo = arn("ecr", "repository/my-model")
    for action in ("ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:GetAuthorizationToken"):
        assert allows(name, action, repo), action
    for action in ("ecr:CreateRepository", "ecr:DeleteRepository", "ecr:SetRepositoryPolicy"):
        assert not allows(name, action, repo), action


def test_s3_full_access() -> None:
    name = "AmazonS3FullAccess"
    assert allows(name, "s3:PutObject", "arn:aws:s3:::any-bucket/key")
    assert allows(name, "s3-object-lambda:GetObject", arn("s3-object-lambda", "accesspoint/ap"))
    assert not allows(name, "s3express:CreateSession", arn("s3express", "bucket/b--x-s3"))
    assert not allows(name, "ec2:RunInstances", "*")


def test_pipelines_integrations() -> None:
    name = "AmazonSageMakerPipelinesIntegrations"
    assert allows(name, "lambda:InvokeFunction", arn("lambda", "function:my-sagemaker-step"))
    assert allows(name, "lambda:InvokeFunction", arn("lambda", "function:MySageMakerStep"))
    assert not allows(name, "lambda:InvokeFunction", arn("lambda", "function:mySAGEMAKERstep"))
    assert not allows(name, "lambda:InvokeFunction", arn("lambda", "function:other"))
    to = "iam:PassedToService"
    assert allows(name, "iam:PassRole", EXECUTION_ROLE, **{to: "lambda.amazonaws.com"})
    assert not allows(name, "iam:PassRole", EXECUTION_ROLE, **{to: "sagemaker.amazonaws.com"})
    rule = "rule/SageMakerPipelineExecutionEMRStepStatusUpdateRule"
    assert allows(name, "events:PutRule", arn("events", rule))
    assert not allows(name, "events:PutRule", arn("events", "rule/AnotherRule"))
    assert allows(name, "elasticmapreduce:RunJobFlow", arn("elasticmapreduce", "cluster/j-1"))


def test_sagemaker_read_only() -> None:
    name = "AmazonSageMakerReadOnly"
    assert allows(name, "sagemaker:DescribeDomain", arn("sagemaker", "domain/d-1"))
    assert allows(name, "sagemaker:ListModels", "*")
    assert allows(name, "ecr:DescribeRepositories", arn("ecr", "repository/x"))
    assert not allows(name, "sagemaker:CreateModel", arn("sagemaker", "model/m"))
    assert not allows(name, "ecr:PutImage", arn("ecr", "repository/x"))


def test_service_catalog_codebuild_service_role_policy() -> None:
    name = "AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy"
    assert allows(name, "ecr:PutImage", arn("ecr", "repository/sagemaker-x"))
    assert not allows(name, "ecr:PutImage", arn("ecr", "repository/sagemaker"))
    assert not allows(name, "ecr:PutImage", arn("ecr", "repository/my-model"))
    codebuild_role = (
        f"arn:aws:iam::{ACCOUNT}:role/service-role/"
        "AmazonSageMakerServiceCatalogProductsCodeBuildRole"
    )
    to = "iam:PassedToService"
    assert allows(name, "iam:PassRole", codebuild_role, **{to: "codebuild.amazonaws.com"})
    assert not allows(name, "iam:PassRole", codebuild_role, **{to: "lambda.amazonaws.com"})
    assert not allows(name, "iam:PassRole", EXECUTION_ROLE, **{to: "codebuild.amazonaws.com"})
    connection = arn("codestar-connections", "connection/c-1")
    tag = "aws:ResourceTag/sagemaker"
    assert allows(name, "codestar-connections:UseConnection", connection, **{tag: "True"})
    assert not allows(name, "codestar-connections:UseConnection", connection, **{tag: "false"})
    assert not allows(name, "codestar-connections:UseConnection", connection)
    assert allows(name, "s3:PutObject", "arn:aws:s3:::sagemaker-artifacts/key")
    assert not allows(name, "s3:PutObject", "arn:aws:s3:::artifacts/key")
    assert allows(name, "logs:PutLogEvents", arn("logs", "log-group:/aws/codebuild/p"))
    assert not allows(name, "logs:PutLogEvents", arn("logs", "log-group:/aws/lambda/p"))


def test_studio_role_with_several_managed_policies_and_a_boundary() -> None:
    # A typical Studio role: SageMakerFullAccess plus CodeBuild developer access, bounded to
    # sagemaker/ecr/codebuild/s3.
    policies = [managed(FULL), managed("AWSCodeBuildDeveloperAccess")]
    boundary = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sagemaker:*", "ecr:*", "codebuild:*", "s3:*"],
                "Resource": "*",
            }
        ],
    }

    def result(action: str, resource: str, **context: Any) -> tuple[str, str]:
        request = Request(action=action, resource=resource, principal=SESSION, context=context)
        d = evaluate(request, policies, boundary=boundary)
        return d.result, d.decided_by

    assert result("codebuild:StartBuild", arn("codebuild", "project/p")) == ("allowed", "identity")
    assert result("codebuild:CreateProject", arn("codebuild", "project/p")) == (
        "implicit_deny",
        "identity",
    )
    assert result(
        "iam:PassRole", EXECUTION_ROLE, **{"iam:PassedToService": "sagemaker.amazonaws.com"}
    ) == ("implicit_deny", "boundary")
