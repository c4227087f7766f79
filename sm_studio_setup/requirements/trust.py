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
- SageMaker, for a Studio app, sends the app's ARN (Studio's metadata document names it);
  outside Studio the requirement names any SageMaker resource of the account and region.

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


def studio_resource(params: Params) -> str:
    """What SageMaker names when it assumes the role: the Studio app it runs (Studio's
    metadata says which), else any SageMaker resource of this account and region."""
    return params.studio_app_arn or params.arn("sagemaker", "*")


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
