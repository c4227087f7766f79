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

from .models import Credentials

CODEBUILD_PRINCIPAL = "codebuild.amazonaws.com"


def trusts_codebuild(policy_document: str | Mapping[str, Any]) -> bool:
    """Whether a role's trust policy lets CodeBuild assume it. Deliberately simple (conditions
    are ignored); the project's IAM engine is meant to replace this one function."""
    document = _load_policy(policy_document)
    allowed = False
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or not _matches_assume_role(statement):
            continue
        if not _names_codebuild(statement.get("Principal")):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


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


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _matches_assume_role(statement: Mapping[str, Any]) -> bool:
    actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
    return any(a in ("sts:assumerole", "sts:*", "*") for a in actions)


def _names_codebuild(principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return CODEBUILD_PRINCIPAL in _as_list(principal.get("Service"))


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
    account: str, region: str, role_arn: str, build_uuid: str
) -> tuple[Credentials | None, str]:
    """The service role's session, as CodeBuild takes it for each build: moto's own
    AssumeRole (so every stand-in call is this session's and enforcement judges the role),
    session name ``AWSCodeBuild-<uuid>``. (None, why) when CodeBuild could not assume it."""
    from moto.sts.models import sts_backends

    partition = get_partition(region)
    _, role = resolve_role(account, partition, role_arn)
    if role is None or not trusts_codebuild(role.assume_role_policy_document):
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
