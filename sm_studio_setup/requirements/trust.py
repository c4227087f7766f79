"""Trust requirements: a service must be able to assume the role, judged with what it sends.

When a service assumes a role on behalf of one of its resources it sends ``aws:SourceAccount``
(the resource's account) and ``aws:SourceArn`` (the resource) with the request ("AWS global
condition context keys"; the confused-deputy guidance of CodeBuild and SageMaker). Security
teams narrow trust statements with exactly those keys, so a requirement that left them out
would be judged unmet by a hardened trust policy, and the fix would then add a statement
looser than the one already there. Every trust requirement therefore carries the account, and
the resource when the service names one:

- CodeBuild sends ``arn:…:codebuild:{region}:{account}:project/{name}``. sm-docker's projects
  are ``{project_prefix}`` + 16 random letters, so the requirement names them as the pattern
  ``project/{project_prefix}*``: a trust policy admits it when its own pattern covers that
  pattern (the literal ``*`` is matched as a character), and the statement the fix adds is
  ``ArnLike`` on it.
- SageMaker sends, for each feature, what AWS's SageMaker Developer Guide ("Cross-service
  confused deputy prevention") documents for it (``SAGEMAKER_SOURCE_ARNS``). For Studio that
  is ``arn:…:sagemaker:{region}:{account}:*`` itself: the page says not to replace it with the
  ARN of a Studio app, user profile or domain, so the ``*`` is what Studio sends, not a
  wildcard to narrow. A trust statement narrowed to an app's ARN (what this module used to
  write) does not admit Studio, and is judged so. Jobs send their own ARN (the documented
  patterns ``training-job/*``, ``processing-job/*``, ``transform-job/*``), a pipeline its own
  (``pipeline/{name}/*``), inference the account's (``*``, not a model or an endpoint). Where
  the feature is not known, only ``aws:SourceAccount`` is required and written.

Pure: no boto3, no I/O.
"""

from __future__ import annotations

from .model import ContextValue, Requirement
from .params import Params

CODEBUILD = "codebuild.amazonaws.com"
SAGEMAKER = "sagemaker.amazonaws.com"


def codebuild_projects(params: Params) -> str:
    """Every CodeBuild project a build of these parameters may create, as an ARN pattern."""
    return params.arn("codebuild", f"project/{params.project_prefix}*")


# The resource part of what SageMaker sends as aws:SourceArn, by feature, as AWS documents the
# pattern to trust (docs/aws-behaviours.md, "What services send when they assume a role").
SAGEMAKER_SOURCE_ARNS = {
    "studio": "*",  # sent as it is: the * is not a wildcard
    "training-job": "training-job/*",
    "processing-job": "processing-job/*",
    "transform-job": "transform-job/*",
    "inference": "*",  # models and endpoints: not one model or endpoint
}


def sagemaker_source(params: Params, feature: str, pipeline: str | None = None) -> str:
    """What SageMaker names when it assumes the role for ``feature`` (a key of
    SAGEMAKER_SOURCE_ARNS, or "pipeline" with the pipeline's name)."""
    if feature == "pipeline":
        if not pipeline:
            raise ValueError("a pipeline's aws:SourceArn names the pipeline")
        return params.arn("sagemaker", f"pipeline/{pipeline.lower()}/*")
    return params.arn("sagemaker", SAGEMAKER_SOURCE_ARNS[feature])


def assumed_by(
    params: Params,
    service: str,
    role_arn: str,
    *,
    step: str,
    why: str,
    source: str,
    source_arn: str | None = None,
) -> Requirement:
    """The role's trust policy must let ``service`` assume it, for this account (and, when
    given, for ``source_arn``: an ARN or an ARN pattern of the resources acting)."""
    context: dict[str, ContextValue] = {"aws:SourceAccount": params.account}
    if source_arn is not None:
        context["aws:SourceArn"] = source_arn
    return Requirement(
        "trust",
        "sts:AssumeRole",
        role_arn,
        step,
        why,
        source,
        context=context,
        principal=service,
    )
