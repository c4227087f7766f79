"""From requirements to verdicts and documents: what is missing, the policy that grants it, and
the trust change. Pure: no boto3, no I/O; every judgement is the IAM engine's.

- ``missing`` judges each requirement against a role's policies (``evaluate``) or its trust
  policy (``can_assume``) and returns those not allowed.
- ``policy_for`` writes the least-privilege identity policy for a set of requirements:
  deterministic, grouped into few statements, every statement scoped to the resources named
  (``"*"`` only for actions that take nothing else), ``iam:PassRole`` always in statements of
  its own restricted by ``iam:PassedToService``, and within IAM's size quota.
- ``trust_change`` adds each service principal the trust policy does not yet let in, with
  ``aws:SourceAccount`` (confused-deputy protection) unless turned off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sm_studio_setup.iam import Decision, can_assume, evaluate, merge_trust
from sm_studio_setup.iam import iamdata_index as ix
from sm_studio_setup.iam.evaluate import PolicyInput
from sm_studio_setup.iam.model import Request
from sm_studio_setup.iam.trust import guard_condition, trust_statement_sid

from .model import ContextValue, Requirement

__all__ = [
    "MAX_INLINE_POLICY_CHARS",
    "PolicyTooLargeError",
    "UnscopedRequirementError",
    "missing",
    "other_side_grants",
    "policy_for",
    "principal_for",
    "trust_change",
]

# "IAM and AWS STS quotas": the inline policies of a role together may hold 10,240 characters,
# counted without whitespace. The generated policy is one inline policy per profile
# (docs/ARCHITECTURE.md, "A fix"), so one policy alone must fit.
MAX_INLINE_POLICY_CHARS = 10_240

# The session names the two callers use: Studio kernels run as ".../SageMaker"; CodeBuild
# names its sessions "AWSCodeBuild-<build id>". Only the role part matters to the policies
# judged here, but a realistic session ARN keeps aws:PrincipalArn-style conditions honest.
_SESSION_NAMES = {"caller": "SageMaker", "build": "AWSCodeBuild"}

_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>[^:]+):iam::(?P<account>\d{12}):role/(?:.*/)?(?P<name>[^/]+)$"
)

# Readable Sid words for the services the profiles use; anything else is capitalised.
_SERVICE_WORDS = {
    "cloudformation": "CloudFormation",
    "codebuild": "CodeBuild",
    "codecommit": "CodeCommit",
    "codepipeline": "CodePipeline",
    "codestar-connections": "CodeStarConnections",
    "ec2": "EC2",
    "ecr": "ECR",
    "events": "EventBridge",
    "iam": "IAM",
    "kms": "KMS",
    "lambda": "Lambda",
    "logs": "Logs",
    "s3": "S3",
    "sagemaker": "SageMaker",
    "secretsmanager": "SecretsManager",
    "states": "StepFunctions",
    "sts": "STS",
}


class PolicyTooLargeError(ValueError):
    """The generated policy does not fit IAM's quota for a role's inline policies."""

    def __init__(self, size: int, limit: int = MAX_INLINE_POLICY_CHARS) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"the least-privilege policy is {size:,} characters without whitespace, more than "
            f"the {limit:,} IAM allows for a role's inline policies together. Generate it for "
            "fewer requirements at a time (one profile, or only the missing ones) and attach "
            "the parts as customer managed policies (6,144 characters each, 10 per role by "
            "default), or use fewer distinct resource names (e.g. a shared name prefix)."
        )


class UnscopedRequirementError(ValueError):
    """A requirement names resource ``*`` for an action that takes specific resources, or
    ``iam:PassRole`` without the service it is passed to; granting it would not be least
    privilege, so the requirement itself must be fixed."""


# ----------------------------------------------------------------------------- judging


def principal_for(who: str, role_arn: str | None) -> str | None:
    """The principal making ``who``'s requests: the role's session ARN (IAM evaluates
    requests of an assumed role as ``arn:...:sts::A:assumed-role/NAME/SESSION``; the role's
    path is not part of it), the ARN as given if it is not a role ARN, or None if unknown."""
    if role_arn is None:
        return None
    found = _ROLE_ARN.match(role_arn)
    if found is None:
        return role_arn
    session = _SESSION_NAMES.get(who, "session")
    return (
        f"arn:{found['partition']}:sts::{found['account']}:assumed-role/{found['name']}/{session}"
    )


def _account(arn: str | None) -> str | None:
    parts = arn.split(":", 5) if arn else []
    return parts[4] if len(parts) == 6 and re.fullmatch(r"\d{12}", parts[4]) else None


def other_side_grants(request: Request) -> dict[str, Any] | None:
    """For a request to another account's resource, a resource policy granting it; else None.

    A cross-account request needs the resource's own policy too ("Cross-account policy
    evaluation logic"), which this tool neither sees nor can change: AWS's Deep Learning
    Container registries grant pulls to everyone, another team's repository must be shared
    by them. What the role can be missing is its own side, so that is what is judged.
    """
    caller, owner = _account(request.principal), _account(request.resource)
    if caller is None or owner is None or caller == owner:
        # Same account (or unknown): a resource policy would wrongly allow on its own.
        return None
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": "*", "Action": request.action}
    if not request.action.lower().startswith("sts:"):
        # STS's only resource policy is a role's trust policy, which names no Resource.
        statement["Resource"] = request.resource
    return {"Version": "2012-10-17", "Statement": [statement]}


def missing(
    requirements: Iterable[Requirement],
    *,
    identity_policies: Sequence[PolicyInput],
    trust_policy: PolicyInput,
    boundary: PolicyInput | None = None,
    role_arn: str | None = None,
) -> list[Requirement]:
    """The requirements the role does not meet, in input order (optional ones included).

    Caller and build requirements are judged against the same ``identity_policies`` and
    ``boundary``: sm-docker runs the build with the role that starts it. Trust requirements
    are judged with ``can_assume`` on ``trust_policy`` (the service's policies do not count:
    for a service principal the trust policy alone decides). For another account's resource
    only the role's side is judged (``other_side_grants``).
    """
    return [
        req
        for req in requirements
        if not judge(
            req,
            identity_policies=identity_policies,
            trust_policy=trust_policy,
            boundary=boundary,
            role_arn=role_arn,
        ).allowed
    ]


def judge(
    req: Requirement,
    *,
    identity_policies: Sequence[PolicyInput],
    trust_policy: PolicyInput | None,
    boundary: PolicyInput | None = None,
    role_arn: str | None = None,
) -> Decision:
    """The engine's decision on one requirement, with its explanation (see ``missing``)."""
    if req.who == "trust":
        if not req.principal:
            raise ValueError(f"trust requirement without a principal: {req}")
        if trust_policy is None:
            raise ValueError("a trust requirement needs the trust policy")
        resource = req.resource if req.resource not in ("", "*") else role_arn
        return can_assume(
            trust_policy, req.principal, dict(req.context), role_arn=resource, action=req.action
        )
    request = Request(
        action=req.action,
        resource=req.resource,
        principal=principal_for(req.who, role_arn),
        context=dict(req.context),
    )
    return evaluate(
        request,
        identity_policies,
        boundary=boundary,
        resource_policy=other_side_grants(request),
    )


# ----------------------------------------------------------------------------- generating


def _context_key(context: Mapping[str, ContextValue]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    # Canonical, hashable and order-free: keys as written, sorted case-insensitively; values
    # sorted (a list of values in StringEquals matches any of them, so order carries nothing).
    items = []
    for key, value in context.items():
        values = (value,) if isinstance(value, str) else tuple(value)
        items.append((key, tuple(sorted(set(values)))))
    return tuple(sorted(items, key=lambda kv: (kv[0].lower(), kv[0])))


def _condition(context: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, Any]:
    return {
        "StringEquals": {
            key: values[0] if len(values) == 1 else list(values) for key, values in context
        }
    }


def _only_star(action: str) -> bool:
    service, _, name = action.partition(":")
    svc = ix.service(service)
    found = svc.action(name) if svc is not None else None
    return found is not None and not found.resource_types


def _word(service: str) -> str:
    return _SERVICE_WORDS.get(service) or "".join(
        part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", service) if part
    )


def _passed_to(context: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, ...]:
    for key, values in context:
        if key.lower() == "iam:passedtoservice":
            return values
    return ()


def _check(req: Requirement) -> None:
    if req.resource == "*" and not _only_star(req.action):
        raise UnscopedRequirementError(
            f"{req.action} on '*' (step: {req.step}; source: {req.source}): this action takes "
            "specific resources (or is unknown to the Service Authorization Reference); the "
            "requirement must name the resource ARN"
        )
    if req.action.lower() == "iam:passrole" and not _passed_to(_context_key(req.context)):
        raise UnscopedRequirementError(
            f"iam:PassRole on {req.resource} (step: {req.step}) has no iam:PassedToService "
            "in its context; say which service the role is passed to"
        )


Group = tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]


def _groups(requirements: Iterable[Requirement]) -> list[Group]:
    """(actions, resources, context) triples covering every requirement exactly."""
    # Actions are case-insensitive; one spelling per action, chosen independently of order.
    spelling: dict[str, str] = {}
    by_action: dict[tuple[str, Any], set[str]] = {}
    for req in requirements:
        lowered = req.action.lower()
        spelling[lowered] = min(spelling.get(lowered, req.action), req.action)
        by_action.setdefault((lowered, _context_key(req.context)), set()).add(req.resource)
    # Step 1 gave each (action, context) its resources; step 2 gathers the actions that share
    # exactly the same resources and context, so a statement never grants an action on a
    # resource no requirement asked for.
    by_resources: dict[tuple[tuple[str, ...], Any], set[str]] = {}
    for (lowered, context), resources in by_action.items():
        # "*" covers every resource: listing others beside it would only add length.
        scoped = ("*",) if "*" in resources else tuple(sorted(resources))
        by_resources.setdefault((scoped, context), set()).add(spelling[lowered])
    groups = [
        (tuple(sorted(actions, key=str.lower)), resources, context)
        for (resources, context), actions in by_resources.items()
    ]
    return sorted(groups, key=_group_order)


def _group_order(group: Group) -> tuple[Any, ...]:
    actions, resources, context = group
    return (tuple(a.lower() for a in actions), resources, context)


def _sid_base(actions: Sequence[str], context: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    if any(a.lower() == "iam:passrole" for a in actions):
        targets = "".join(_word(s.split(".", 1)[0].lower()) for s in _passed_to(context))
        return f"PassRoleTo{targets or 'Service'}"
    services = sorted({a.split(":", 1)[0].lower() for a in actions})
    return "".join(_word(s) for s in services) or "Statement"


def policy_for(requirements: Iterable[Requirement]) -> dict[str, Any]:
    """The least-privilege identity policy granting every non-trust requirement.

    Deterministic: the same requirements in any order give the identical document. Raises
    ``UnscopedRequirementError`` for a requirement that cannot be granted narrowly, and
    ``PolicyTooLargeError`` when the document exceeds ``MAX_INLINE_POLICY_CHARS``.
    """
    granted = [r for r in requirements if r.who != "trust"]
    for req in granted:
        _check(req)
    passrole = [r for r in granted if r.action.lower() == "iam:passrole"]
    others = [r for r in granted if r.action.lower() != "iam:passrole"]
    # PassRole is grouped on its own so its statements never share a PassedToService
    # condition with, or lend their role resources to, any other action.
    groups = _groups(others) + _groups(passrole)

    statements: list[dict[str, Any]] = []
    used: dict[str, int] = {}
    for actions, resources, context in groups:
        base = _sid_base(actions, context)
        used[base] = used.get(base, 0) + 1
        # Sids must be unique within a policy and contain only letters and digits.
        sid = base if used[base] == 1 else f"{base}{used[base]}"
        statement: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions[0] if len(actions) == 1 else list(actions),
            "Resource": resources[0] if len(resources) == 1 else list(resources),
        }
        if context:
            statement["Condition"] = _condition(context)
        statements.append(statement)

    document: dict[str, Any] = {"Version": "2012-10-17", "Statement": statements}
    size = len(json.dumps(document, separators=(",", ":")))
    if size > MAX_INLINE_POLICY_CHARS:
        # Sids only name statements: without them the document grants exactly the same, and a
        # policy near IAM's quota keeps fitting.
        bare = [{k: v for k, v in s.items() if k != "Sid"} for s in statements]
        document = {"Version": "2012-10-17", "Statement": bare}
        size = len(json.dumps(document, separators=(",", ":")))
    if size > MAX_INLINE_POLICY_CHARS:
        raise PolicyTooLargeError(size)
    return document


# ----------------------------------------------------------------------------- trust


def _as_document(trust_policy: PolicyInput) -> Any:
    # For the "did anything change" comparison: JSON text is compared as the document it holds.
    if isinstance(trust_policy, str):
        try:
            return json.loads(trust_policy)
        except ValueError:
            return trust_policy
    return trust_policy


def _sends_source_account(context: Mapping[str, ContextValue]) -> bool:
    return any(key.lower() == "aws:sourceaccount" for key in context)


def _source_arn(context: Mapping[str, ContextValue]) -> str | None:
    for key, value in context.items():
        if key.lower() == "aws:sourcearn" and isinstance(value, str):
            return value
    return None


def trust_change(
    trust_policy: PolicyInput,
    requirements: Iterable[Requirement],
    *,
    source_account: str | None,
) -> dict[str, Any] | None:
    """The new trust policy letting in every trust requirement's principal, or None when the
    policy already does.

    Each requirement is judged with the context it carries, which is what the service sends
    when it assumes the role (``requirements/trust.py``): a statement narrowed to this account
    or resource already admits it. Existing statements are kept as written (``merge_trust``).
    An added service statement is narrowed the same way: ``StringEquals aws:SourceAccount``
    when ``source_account`` is given and the requirement says the service sends the key (a
    condition on a key the service does not send would lock it out), and ``ArnLike
    aws:SourceArn`` on the requirement's ARN or pattern; ``source_account=None`` turns both
    off. So the
    change admits nothing the requirement does not name. Raises ``TrustMergeError`` when an
    existing Deny blocks a service, and ``ValueError`` when the added statement would still not
    admit the request the requirement describes (e.g. its aws:SourceAccount is another account).
    """
    current: PolicyInput = trust_policy
    changed = False
    for req in requirements:
        if req.who != "trust":
            continue
        if not req.principal:
            raise ValueError(f"trust requirement without a principal: {req}")
        context = dict(req.context)
        if can_assume(current, req.principal, context, action=req.action).allowed:
            continue
        guard = source_account if _sends_source_account(context) else None
        arn = _source_arn(context) if source_account is not None else None
        current = merge_trust(current, req.principal, source_account=guard, source_arn=arn)
        if not can_assume(current, req.principal, context, action=req.action).allowed:
            raise ValueError(
                f"the trust statement added for {req.principal} does not admit the request "
                f"the requirement describes (context {context}, source account "
                f"{source_account}); check the requirement's aws:SourceAccount"
            )
        changed = True
    if not changed or current == _as_document(trust_policy):
        return None
    assert isinstance(current, dict)
    return current


def fresh_trust(
    requirements: Iterable[Requirement], *, source_account: str | None
) -> dict[str, Any] | None:
    """The trust policy of a new role admitting every trust requirement's service, or None when
    the requirements name none.

    IAM refuses a trust policy without statements, so the first service's statement is written
    here (with the same aws:SourceAccount rule as ``trust_change``) and ``trust_change`` adds
    the others.
    """
    trust = [r for r in requirements if r.who == "trust" and r.principal]
    if not trust:
        return None
    first = trust[0]
    assert first.principal is not None
    statement: dict[str, Any] = {
        "Sid": trust_statement_sid(first.principal),
        "Effect": "Allow",
        "Principal": {"Service": first.principal},
        "Action": first.action,
    }
    condition = guard_condition(
        source_account if _sends_source_account(first.context) else None,
        _source_arn(first.context) if source_account is not None else None,
    )
    if condition is not None:
        statement["Condition"] = condition
    document: dict[str, Any] = {"Version": "2012-10-17", "Statement": [statement]}
    return trust_change(document, trust, source_account=source_account) or document
