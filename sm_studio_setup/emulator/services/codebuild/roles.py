"""A CodeBuild project's service role: may CodeBuild assume it, and the session it takes.

CreateProject and UpdateProject ask the first question (``responses.py``), StartBuild asks it
again and takes the session each build runs as, with moto's own STS AssumeRole, so every
stand-in call is that session's and enforcement judges the role.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

from ....iam import PolicyValidationError, can_assume
from ...core.decider import seen_by
from .models import Credentials

CODEBUILD_PRINCIPAL = "codebuild.amazonaws.com"


def sends(account: str, partition: str, region: str, project: str | None) -> dict[str, str]:
    """What CodeBuild sends when it assumes a project's service role: the account and the
    project's ARN (AWS CodeBuild User Guide, "Cross-service confused deputy prevention", whose
    trust policy for a service role conditions on both; CreateProject validates the role with
    the same statement)."""
    context = {"aws:SourceAccount": account}
    if project:
        context["aws:SourceArn"] = f"arn:{partition}:codebuild:{region}:{account}:project/{project}"
    return context


def trusts_codebuild(
    policy_document: str | Mapping[str, Any], context: Mapping[str, str] | None = None
) -> bool:
    """Whether a role's trust policy lets CodeBuild assume it, judged by the project's IAM
    engine with what CodeBuild sends (conditions count: a trust narrowed to other projects or
    another account does not admit this one)."""
    document = _load_policy(policy_document)
    try:
        return can_assume(document, CODEBUILD_PRINCIPAL, dict(context or {})).allowed
    except PolicyValidationError:
        return False


def may_assume(account: str, partition: str, region: str, role: Any, project: str | None) -> bool:
    """Whether CodeBuild may assume ``role`` for ``project`` now, with the role's trust as
    CodeBuild sees it (an IAM change reaches it late: core/propagation.py)."""
    documents = seen_by("codebuild", account, role.name)
    trust = documents.trust if documents is not None else role.assume_role_policy_document
    return trusts_codebuild(trust, sends(account, partition, region, project))


def _load_policy(document: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(document, str):
        return document
    for text in (document, urllib.parse.unquote(document)):
        try:
            loaded = json.loads(text)
        except ValueError:
            continue
        if isinstance(loaded, dict):
            return loaded
    return {}


def resolve_role(account_id: str, partition: str, service_role: str) -> tuple[str, Any]:
    """(role ARN, moto Role or None). CodeBuild accepts a role name or ARN."""
    iam = iam_backends[account_id][partition]
    if service_role.startswith("arn:"):
        arn = service_role
    elif "/" in service_role:  # path/name
        arn = f"arn:{partition}:iam::{account_id}:role/{service_role}"
    else:
        try:
            role = iam.get_role(service_role)
        except NotFoundException:
            return f"arn:{partition}:iam::{account_id}:role/{service_role}", None
        return str(role.arn), role
    try:
        role = iam.get_role_by_arn(arn)
    except NotFoundException:
        return arn, None
    return arn, role


def assume_service_role(
    account: str, region: str, role_arn: str, build_uuid: str, project: str | None = None
) -> tuple[Credentials | None, str]:
    """The service role's session, as CodeBuild takes it for each build: moto's own
    AssumeRole (so every stand-in call is this session's and enforcement judges the role),
    session name ``AWSCodeBuild-<uuid>``. (None, why) when CodeBuild could not assume it."""
    from moto.sts.models import sts_backends

    partition = get_partition(region)
    _, role = resolve_role(account, partition, role_arn)
    if role is None or not may_assume(account, partition, region, role, project):
        return None, f"CodeBuild is not authorized to perform: sts:AssumeRole on {role_arn}"
    session_name = f"AWSCodeBuild-{build_uuid}"
    assumed = sts_backends[account][partition].assume_role(
        region_name=region,
        role_session_name=session_name,
        role_arn=str(role.arn),
        policy="",
        duration=3600,
        external_id="",
    )
    return (
        Credentials(
            access_key_id=assumed.access_key_id,
            secret_access_key=assumed.secret_access_key,
            session_token=assumed.session_token,
            session_arn=f"arn:{partition}:sts::{account}:assumed-role/{role.name}/{session_name}",
        ),
        "",
    )
