"""image-build with engine local: a build on Studio's own Docker needs the caller's ECR push,
pull and login, and the repository's creation; no CodeBuild, no S3, no PassRole, no trust
change. With engine codebuild the requirements are exactly what they were."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sm_studio_setup.requirements.image_build import ECR_PULL, ECR_PUSH, image_build
from sm_studio_setup.requirements.model import ParamError
from sm_studio_setup.requirements.params import Params
from sm_studio_setup.requirements.policy import policy_for
from sm_studio_setup.requirements.profiles import requirements_for

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/R"
CODEBUILD = Params(
    region="us-east-1", account=ACCOUNT, domain_id="d-abc", user_profile="alice", role_arn=ROLE
)
LOCAL = replace(CODEBUILD, engine="local")
REPOSITORY = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/sagemaker-studio-d-abc"


def test_a_local_build_needs_no_codebuild_s3_passrole_or_trust() -> None:
    reqs = requirements_for("image-build", LOCAL)
    actions = {r.action for r in reqs}
    assert not any(a.startswith(("codebuild:", "s3:", "logs:", "ssm:")) for a in actions)
    assert "iam:PassRole" not in actions
    assert all(r.who == "caller" for r in reqs)  # no trust, no build-time role
    required = {(r.action, r.resource) for r in reqs if not r.optional}
    for action in (*ECR_PUSH, *ECR_PULL, "ecr:CreateRepository"):
        assert (action, REPOSITORY) in required, action
    assert ("ecr:GetAuthorizationToken", "*") in required


def test_a_local_build_pulls_its_ecr_base_images_and_encrypts_with_the_key() -> None:
    base = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3-cpu"
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    reqs = requirements_for(
        "image-build",
        replace(LOCAL, base_images=(base, "python:3.12"), kms_key_arn=key),
    )
    pulled = {r.resource for r in reqs if r.step == "pull the base image"}
    assert pulled == {"arn:aws:ecr:us-east-1:763104351884:repository/pytorch-training"}
    assert {r.action for r in reqs if r.resource == key} == {
        "kms:CreateGrant",
        "kms:DescribeKey",
        "kms:RetireGrant",
    }
    # What the fix would grant is a valid policy of exactly these statements.
    document = policy_for([r for r in reqs if not r.optional])
    assert document["Statement"]


def test_codebuild_requirements_are_unchanged_by_the_engine_parameter() -> None:
    assert image_build(CODEBUILD) == image_build(replace(CODEBUILD, engine="codebuild"))
    actions = {r.action for r in image_build(CODEBUILD)}
    assert {"codebuild:CreateProject", "iam:PassRole", "s3:PutObject"} <= actions
    assert any(r.who == "trust" for r in image_build(CODEBUILD))


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ParamError) as refused:
        replace(CODEBUILD, engine="docker")
    assert refused.value.field == "engine"
