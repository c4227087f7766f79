"""What each service sends as aws:SourceArn when it assumes a role, as AWS documents it
(docs/aws-behaviours.md): judged with that, and written only in AWS's documented forms.

SageMaker's "Cross-service confused deputy prevention" page gives, for Studio, ArnLike
aws:SourceArn arn:aws:sagemaker:<region>:<account>:* and says not to replace it with the ARN of a
specific Studio application, user profile or domain. A trust narrowed to the app's ARN (what the
fix once wrote) does not admit Studio; one with that value (even as StringEquals) does.
"""

from __future__ import annotations

import pytest

from sm_studio_setup.iam import can_assume
from sm_studio_setup.requirements.params import Params
from sm_studio_setup.requirements.pipelines import PipelinesOptions
from sm_studio_setup.requirements.pipelines import requirements as pipeline_requirements
from sm_studio_setup.requirements.policy import missing, trust_change
from sm_studio_setup.requirements.profiles import requirements_for

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/AmazonSageMaker-ExecutionRole-20261122T000000"
PARAMS = Params(
    region=REGION,
    account=ACCOUNT,
    role_arn=ROLE,
    domain_id="d-studio-demo",
    user_profile="data-scientist",
    space="data-scientist-space",
)
APP = (
    f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:"
    "app/d-studio-demo/data-scientist-space/jupyterlab/default"
)
STUDIO = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:*"


def trust(condition: dict[str, dict[str, str]]) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ],
    }


def sagemaker_gaps(trust_policy: dict[str, object]) -> list[str]:
    reqs = [r for r in requirements_for("image-build", PARAMS) if r.who == "trust"]
    gone = missing(reqs, identity_policies=[], trust_policy=trust_policy, role_arn=ROLE)
    return [r.principal or "" for r in gone if r.principal == "sagemaker.amazonaws.com"]


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": STUDIO}},
        {"ArnLike": {"aws:SourceArn": STUDIO}, "StringEquals": {"aws:SourceAccount": ACCOUNT}},
        {"ArnEquals": {"aws:SourceArn": STUDIO}},
    ],
    ids=["StringEquals (the issue's trust)", "ArnLike (AWS's form)", "ArnEquals"],
)
def test_a_trust_that_works_in_studio_is_judged_to_work(
    condition: dict[str, dict[str, str]],
) -> None:
    assert sagemaker_gaps(trust(condition)) == []
    reqs = requirements_for("image-build", PARAMS)
    changed = trust_change(trust(condition), reqs, source_account=ACCOUNT)
    # The fix adds CodeBuild only; it never adds an app-ARN statement for SageMaker.
    assert changed is not None
    assert APP not in str(changed)
    assert [s["Principal"] for s in changed["Statement"]][1:] == [
        {"Service": "codebuild.amazonaws.com"}
    ]


def test_a_trust_narrowed_to_the_app_is_judged_not_to_admit_studio_and_fixed_as_aws_writes_it() -> (
    None
):
    narrowed = trust({"ArnLike": {"aws:SourceArn": APP}})
    assert sagemaker_gaps(narrowed) == ["sagemaker.amazonaws.com"]
    changed = trust_change(
        narrowed, requirements_for("image-build", PARAMS), source_account=ACCOUNT
    )
    assert changed is not None
    added = [
        s
        for s in changed["Statement"][1:]
        if s["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    ]
    assert [s["Condition"]["ArnLike"] for s in added] == [{"aws:SourceArn": STUDIO}]
    assert can_assume(
        changed, "sagemaker.amazonaws.com", {"aws:SourceArn": STUDIO, "aws:SourceAccount": ACCOUNT}
    ).allowed


@pytest.mark.parametrize(
    ("step_types", "features"),
    [
        (("processing",), ["processing-job/*"]),
        (("training", "tuning"), ["training-job/*"]),
        (("transform",), ["transform-job/*"]),
        (("automl",), ["processing-job/*", "training-job/*"]),
        (("model", "register"), []),
    ],
)
def test_pipeline_jobs_are_trusted_in_aws_documented_forms(
    step_types: tuple[str, ...], features: list[str]
) -> None:
    reqs = pipeline_requirements(PARAMS, PipelinesOptions(step_types=step_types))  # type: ignore[arg-type]
    arns = [
        str(r.context["aws:SourceArn"])
        for r in reqs
        if r.who == "trust" and "aws:SourceArn" in r.context
    ]
    assert arns == [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{f}" for f in features]
    named = pipeline_requirements(PARAMS, PipelinesOptions(pipeline_name="Churn"))
    assert f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/churn/*" in [
        r.context.get("aws:SourceArn") for r in named if r.who == "trust"
    ]


def test_inference_is_trusted_for_the_account_not_one_model() -> None:
    (trusted,) = [r for r in requirements_for("mlflow-deploy", PARAMS) if r.who == "trust"]
    assert trusted.context["aws:SourceArn"] == STUDIO  # the same account-wide form as Studio's
