"""The emulator's IAM decisions, made by the project's own engine from moto's IAM state.

Installed by the Emulator so enforcement and SimulatePrincipalPolicy both answer as AWS would
for the demo identity: the caller's inline and attached managed policies (default versions),
its group policies when it is a user, and its permissions boundary. Resource policies and SCPs
are not modelled by the emulator; the account root is never denied.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from typing import Any

from ...iam import PolicyValidationError, Request, evaluate
from . import access

_RESULTS: dict[str, access.Decision] = {
    "allowed": "allowed",
    "implicit_deny": "implicitDeny",
    "explicit_deny": "explicitDeny",
}


def _document(text: Any) -> Any:
    # moto keeps documents as given: JSON, sometimes URL-encoded as IAM returns them. Text is
    # handed to the engine as text, which it parses once and caches: every request of a role
    # with ten managed policies would otherwise parse all ten again.
    if not isinstance(text, str):
        return text
    return text if text.lstrip().startswith("{") else urllib.parse.unquote(text)


def _default_version(policy: Any) -> Any:
    for version in policy.versions:
        if version.is_default:
            return _document(version.document)
    return _document(policy.document)


def _entity(arn: str, account: str) -> tuple[str, Any] | None:
    """("role"|"user", moto entity) for a role, a role session or a user ARN."""
    from moto.iam.exceptions import IAMException
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    resource = arn.split(":", 5)[-1]
    try:
        if resource.startswith("assumed-role/"):
            return "role", backend.get_role(resource.split("/")[1])
        if resource.startswith("role/"):
            return "role", backend.get_role(resource.rsplit("/", 1)[-1])
        if resource.startswith("user/"):
            return "user", backend.get_user(resource.rsplit("/", 1)[-1])
    except IAMException:
        return None
    return None


def _identity_policies(kind: str, entity: Any, account: str) -> Iterable[Any]:
    from moto.iam.models import iam_backends

    yield from (_document(doc) for doc in entity.policies.values())
    yield from (_default_version(p) for p in entity.managed_policies.values())
    if kind == "user":
        for group in iam_backends[account]["aws"].get_groups_for_user(entity.name):
            yield from (_document(doc) for doc in group.policies.values())
            yield from (_default_version(p) for p in group.managed_policies.values())


def _boundary(entity: Any, account: str) -> Any:
    from moto.iam.models import iam_backends

    arn = getattr(entity, "permissions_boundary_arn", None) or getattr(
        entity, "permissions_boundary", None
    )
    if not arn:
        return None
    policy = iam_backends[account]["aws"].managed_policies.get(arn)
    if policy is None:
        # AWS refuses to attach a boundary that does not exist; treat a dangling one as
        # allowing nothing rather than everything.
        return {"Version": "2012-10-17", "Statement": []}
    return _default_version(policy)


def engine_decider(request: access.AccessRequest) -> access.Decision:
    parts = request.principal_arn.split(":")
    if len(parts) < 6:
        return "implicitDeny"
    account = parts[4]
    if parts[5] == "root":
        return "allowed"
    found = _entity(request.principal_arn, account)
    if found is None:
        return "implicitDeny"
    kind, entity = found
    context = dict(request.context)
    try:
        decision = evaluate(
            Request(
                action=request.action,
                resource=request.resource,
                principal=request.principal_arn,
                context=context,
            ),
            list(_identity_policies(kind, entity, account)),
            boundary=_boundary(entity, account),
        )
    except PolicyValidationError:
        # A document IAM would have refused cannot grant anything.
        return "implicitDeny"
    return _RESULTS[decision.result]
