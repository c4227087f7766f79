"""Role trust policies: can a principal assume the role, and adding a service to the policy.

A trust policy is the resource-based policy of a role, evaluated for ``sts:AssumeRole``. "IAM
role trust policies ... must explicitly allow access for principals" even within one account
(IAM User Guide, "How AWS enforcement code logic evaluates requests to allow or deny access").
For a service principal such as ``codebuild.amazonaws.com`` the trust policy alone decides:
services have no identity policies and SCPs do not apply to them. For an IAM principal the
trust policy must allow, and -- unless it names that exact user or session -- so must the
principal's own identity policies, which ``can_assume`` accepts as ``identity_policies``.

``merge_trust`` adds a service principal without changing anything else: every existing
statement is kept as written and in order, so each request is decided as before except that
the service may now assume the role. It refuses (``TrustMergeError``) when an existing Deny
would still block the service, rather than silently rewriting someone's Deny.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .evaluate import Decision, PolicyInput, StatementRef, compile_policy, evaluate
from .model import ContextValue, Policy, Request

__all__ = [
    "TrustMergeError",
    "can_assume",
    "guard_condition",
    "merge_trust",
    "trust_statement_sid",
]


class TrustMergeError(ValueError):
    """The service cannot be added to the trust policy without changing existing statements."""

    def __init__(self, message: str, statements: Sequence[StatementRef] = ()) -> None:
        super().__init__(message)
        self.statements = tuple(statements)


def can_assume(
    trust_policy: PolicyInput,
    principal: str,
    context: Mapping[str, ContextValue] | None = None,
    *,
    role_arn: str | None = None,
    action: str = "sts:AssumeRole",
    identity_policies: Sequence[PolicyInput] = (),
    boundary: PolicyInput | None = None,
    scps: Sequence[Sequence[PolicyInput]] = (),
    session_policy: PolicyInput | None = None,
) -> Decision:
    """Decide whether ``principal`` may perform ``action`` (``sts:AssumeRole``) on the role.

    ``principal`` is a service principal (``"codebuild.amazonaws.com"``) or an ARN.
    ``context`` carries what the caller sends, e.g. ``aws:SourceAccount`` and
    ``aws:SourceArn`` for a service acting on behalf of a resource. ``role_arn`` is the
    resource (``"*"`` when unknown; trust statements rarely name it). For an IAM principal,
    pass its ``identity_policies`` (and boundary, SCPs, session policy): without them an Allow
    that names only the principal's account is reported as an implicit deny by the identity
    policies, because AWS then requires the caller's own policies to allow ``sts:AssumeRole``.
    """
    policy = compile_policy(trust_policy, "trust")
    request = Request(
        action=action,
        resource=role_arn or "*",
        principal=principal,
        context=dict(context or {}),
    )
    return evaluate(
        request,
        identity_policies,
        boundary=boundary,
        scps=scps,
        resource_policy=policy,
        session_policy=session_policy,
    )


_SERVICE_WORDS = {
    "codebuild": "CodeBuild",
    "sagemaker": "SageMaker",
    "codepipeline": "CodePipeline",
    "cloudformation": "CloudFormation",
    "lambda": "Lambda",
    "states": "StepFunctions",
    "events": "EventBridge",
    "ecs-tasks": "EcsTasks",
    "ec2": "EC2",
    "glue": "Glue",
}


def trust_statement_sid(service: str) -> str:
    """The Sid of the statement ``merge_trust`` adds, e.g. ``SmStudioSetupCodeBuildAssumeRole``.

    IAM allows only ASCII letters and digits in a Sid ("IAM JSON policy elements: Sid").
    """
    label = service.split(".", 1)[0].lower()
    word = _SERVICE_WORDS.get(label)
    if word is None:
        word = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", label) if part)
    return f"SmStudioSetup{word or 'Service'}AssumeRole"


def _document(policy: Policy) -> dict[str, Any]:
    if policy.source is None or not isinstance(policy.source, Mapping):
        raise TrustMergeError(
            "merge_trust needs the policy document as written; this Policy object does "
            "not keep its source (parse it from the JSON document instead)"
        )
    # A deep copy: the caller's document is never modified, and the result shares nothing.
    return copy.deepcopy(dict(policy.source))


def guard_condition(
    source_account: str | None, source_arn: str | None
) -> dict[str, dict[str, str]] | None:
    """The confused-deputy guard of an added service statement ("The confused deputy
    problem", IAM User Guide): ``StringEquals aws:SourceAccount``, ``ArnLike aws:SourceArn``
    (an ARN or an ARN pattern), either, both or none."""
    condition: dict[str, dict[str, str]] = {}
    if source_account is not None:
        condition["StringEquals"] = {"aws:SourceAccount": source_account}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return condition or None


def merge_trust(
    trust_policy: PolicyInput,
    service: str = "codebuild.amazonaws.com",
    *,
    source_account: str | None = None,
    source_arn: str | None = None,
) -> dict[str, Any]:
    """Return a new trust policy document that lets ``service`` assume the role.

    The new statement allows ``sts:AssumeRole`` to ``{"Service": service}``; with
    ``source_account`` it carries ``StringEquals aws:SourceAccount`` and with ``source_arn``
    ``ArnLike aws:SourceArn``, the confused-deputy guards AWS recommends ("The confused deputy
    problem", IAM User Guide), so it admits the service only for those. Existing statements
    are kept exactly as written and in the same order (a single statement object becomes the
    first element of a list). If the service can already assume the role with that context,
    the document is returned unchanged (as a copy). Raises ``TrustMergeError`` when an
    existing Deny still blocks the service, and ``PolicyValidationError`` for a document that
    is not a valid trust policy.
    """
    # Parsing first validates the document and reads JSON text (also URL-encoded, as
    # GetRole and ListRoles return it).
    policy = compile_policy(trust_policy, "trust")
    document = _document(policy)
    context: dict[str, ContextValue] = {}
    if source_account is not None:
        context["aws:SourceAccount"] = source_account
    if source_arn is not None:
        context["aws:SourceArn"] = source_arn

    before = can_assume(policy, service, context)
    if before.allowed:
        return document
    if before.result == "explicit_deny":
        which = "; ".join(ref.label() for ref in before.blocking)
        raise TrustMergeError(
            f"{which} explicitly denies {service} sts:AssumeRole. An added Allow cannot "
            "override an explicit Deny, and this tool does not rewrite existing statements: "
            "change or remove that statement first (or narrow it so it no longer covers "
            f"{service}).",
            before.blocking,
        )

    statements = document.get("Statement")
    existing = list(statements) if isinstance(statements, list) else [statements]
    sids = {s.get("Sid") for s in existing if isinstance(s, Mapping)}
    sid = base = trust_statement_sid(service)
    counter = 2
    while sid in sids:
        # IAM requires Sids to be unique within a policy ("IAM JSON policy elements: Sid").
        sid = f"{base}{counter}"
        counter += 1
    added: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    condition = guard_condition(source_account, source_arn)
    if condition is not None:
        added["Condition"] = condition
    document["Statement"] = [*existing, added]

    after = can_assume(compile_policy(document, "trust"), service, context)
    if not after.allowed:  # pragma: no cover - an added Allow with no Deny in force must allow
        raise TrustMergeError(
            f"adding {sid} did not let {service} assume the role:\n{after.explain()}",
            after.blocking,
        )
    return document
