"""The emulator's IAM decisions, made by the project's own engine from moto's IAM state.

Installed by the Emulator so enforcement and SimulatePrincipalPolicy both answer as AWS would
for the demo identity: the caller's inline and attached managed policies (default versions),
its group policies when it is a user, its permissions boundary, and the account's SCPs
(``access.set_scps``). Resource policies are not modelled; the account root is never denied.

A role's documents as another service sees them are delayed by ``propagation.PROPAGATION``:
a request of any service but IAM is judged with what the role said ``seconds`` ago.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from typing import Any

from ...iam import PolicyValidationError, Request, evaluate
from . import access
from .propagation import PROPAGATION, RoleDocuments

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


def role_documents(account: str, role_name: str) -> RoleDocuments | None:
    """The role's documents now, as moto holds them (None: no such role)."""
    from moto.iam.exceptions import IAMException
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account]["aws"].get_role(role_name)
    except IAMException:
        return None
    return RoleDocuments(
        tuple(_identity_policies("role", role, account)),
        _boundary(role, account),
        _document(role.assume_role_policy_document),
    )


def seen_by(service: str, account: str, role_name: str) -> RoleDocuments | None:
    """The role's documents as ``service`` sees them: IAM now, any other service with the
    propagation delay."""
    if service != "iam":
        delayed = PROPAGATION.seen_elsewhere(account, role_name)
        if delayed is not None:
            return delayed
    return role_documents(account, role_name)


_ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
_BY: dict[str, Any] = {"boundary": "boundary", "scp": "scp"}


def engine_judge(request: access.AccessRequest) -> access.Judged:
    parts = request.principal_arn.split(":")
    if len(parts) < 6:
        return access.Judged("implicitDeny")
    account = parts[4]
    if parts[5] == "root":
        return access.Judged("allowed")
    found = _entity(request.principal_arn, account)
    if found is None:
        return access.Judged("implicitDeny")
    kind, entity = found
    if kind == "role":
        documents = seen_by(request.action.split(":", 1)[0].lower(), account, entity.name)
        if documents is None:
            return access.Judged("implicitDeny")
        identity, boundary = list(documents.identity), documents.boundary
    else:
        identity, boundary = (
            list(_identity_policies(kind, entity, account)),
            _boundary(entity, account),
        )
    scps = list(access.scps())
    engine_request = Request(
        action=request.action,
        resource=request.resource,
        principal=request.principal_arn,
        context=dict(request.context),
    )
    try:
        decision = evaluate(
            engine_request, identity, boundary=boundary, scps=[scps] if scps else ()
        )
        boundary_allowed = (
            evaluate(engine_request, [boundary]).result == "allowed"
            if boundary is not None
            else None
        )
        organizations_allowed = (
            evaluate(engine_request, [_ALLOW_ALL], scps=[scps]).result == "allowed"
            if scps
            else None
        )
    except PolicyValidationError:
        # A document IAM would have refused cannot grant anything.
        return access.Judged("implicitDeny")
    return access.Judged(
        _RESULTS[decision.result],
        _BY.get(decision.decided_by, "identity"),
        boundary_allowed,
        organizations_allowed,
    )


def engine_decider(request: access.AccessRequest) -> access.Decision:
    return engine_judge(request).decision
