"""Evaluate a request against identity, boundary, SCP, resource (or trust) and session policies.

The order is AWS's documented one (IAM User Guide, "Policy evaluation logic" and "How AWS
enforcement code logic evaluates requests to allow or deny access",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html):

1. **Explicit deny** -- a ``Deny`` that applies in any policy (SCP, resource-based, identity,
   permissions boundary, session) decides the request, before anything else.
2. **SCPs** -- "If the enforcement code does not find any applicable Allow statements in the
   SCPs ... Deny". ``scps`` is one list of policies per level of the organization (root first);
   every level must allow ("Service control policies (SCPs)": "permissions must be allowed by
   every parent from the root through each OU in the direct path to the account"). SCPs apply
   to principals of the account, not to service principals ("SCPs don't affect ... service
   principals"), so they are skipped for those.
3. **Resource-based policy** (``resource_policy``; a role's trust policy for ``sts:`` actions).
   Within one account an Allow there can grant on its own, depending on whom it names
   (same page, "Resource-based policies"):

   - the caller itself -- an IAM user ARN, the role *session* ARN, a federated-user session
     ARN, ``"*"`` (also ``"AWS": "*"``) or a ``NotPrincipal`` Allow: "an implicit deny in an
     identity-based policy, a permissions boundary, or a session policy does not impact the
     final decision" -> allowed;
   - the *role* ARN of an assumed-role caller (or the IAM user ARN behind a federated-user
     session): "Resource-based policies that grant permissions to an IAM role ARN are limited
     by an implicit deny in a permissions boundary or session policy" -> the boundary and the
     session policy must still allow; the identity policies need not. This is the documented
     rule (the page's table has "Identity-based policy: implicit deny -> ALLOW" for the role
     ARN row); it is the engine's choice where it differs from folklore that a role-ARN grant
     "still needs the identity policy";
   - the account (``"123456789012"`` or ``arn:aws:iam::123456789012:root``): the account
     delegates to its IAM policies ("IAM JSON policy elements: Principal", AWS account
     principals), so evaluation continues and the identity policies must allow.

   Across accounts the resource policy *and* the caller's own policies must allow ("Cross-
   account policy evaluation logic"). Role trust policies "must explicitly allow access for
   principals" even within one account, so a trust policy without a matching Allow denies.
   Service principals have no identity policies: only the resource/trust policy can grant.
4. **Identity-based policies** must allow.
5. **Permissions boundary** -- if given, it must allow as well (intersection).
6. **Session policy** -- if given, it must allow as well (intersection).

A statement applies when its Action matches (or NotAction does not), its Resource matches (or
NotResource does not; a resource-policy statement without either applies to the resource it
is attached to), its Principal matches (or NotPrincipal does not; resource/trust policies
only) and every condition matches. Policy variables are substituted only in
``"Version": "2012-10-17"`` documents ("IAM JSON policy elements: Version").

Context keys AWS derives from the request are added when the caller has not set them, and only
from what the request really carries (never guessed): ``aws:PrincipalAccount``,
``aws:PrincipalType``, ``aws:username`` and ``aws:PrincipalArn`` (IAM users and roles given by
ARN -- not for role sessions, whose role path the session ARN does not show),
``aws:PrincipalIsAWSService``/``aws:PrincipalServiceName`` (service principals) and
``aws:ResourceAccount`` (from ``resource_account`` or the resource ARN). ``derived_context``
returns exactly those keys, so another simulator can be given the same context.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from .conditions import conditions_match
from .context import RequestContext
from .matching import action_matches, principal_matches, resource_matches
from .model import (
    ContextValue,
    Policy,
    PolicyKind,
    PolicyValidationError,
    Principal,
    Request,
    Result,
    Statement,
)
from .parse import parse_policy
from .variables import has_variables

PolicyInput = Mapping[str, Any] | str | Policy
DecidedBy = PolicyKind | Literal["default"]

__all__ = [
    "Decision",
    "PolicyInput",
    "StatementRef",
    "compile_policies",
    "compile_policy",
    "derived_context",
    "evaluate",
]

_KIND_WORDS: dict[str, str] = {
    "identity": "identity-based policy",
    "boundary": "permissions boundary",
    "scp": "service control policy",
    "resource": "resource-based policy",
    "trust": "role trust policy",
    "session": "session policy",
    "default": "default (no policy)",
}

# Kinds that share validation rules: a Policy parsed as one may serve as another.
_PRINCIPAL_KINDS = frozenset({"resource", "trust"})


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class StatementRef:
    """One statement of one policy, as cited in a decision."""

    policy_name: str | None
    policy_kind: PolicyKind
    statement: Statement
    # Position of the policy in its list (identity policies, SCPs of a level), for naming
    # unnamed policies in explanations ("identity-based policy #2").
    policy_index: int | None = None

    def label(self) -> str:
        if self.policy_name:
            where = f"{_KIND_WORDS[self.policy_kind]} '{self.policy_name}'"
        elif self.policy_index is not None:
            where = f"{_KIND_WORDS[self.policy_kind]} #{self.policy_index + 1}"
        else:
            where = _KIND_WORDS[self.policy_kind]
        sid = f" (Sid {self.statement.sid})" if self.statement.sid else ""
        return f"{where} {self.statement.path}{sid}"


@dataclass(frozen=True)
class Decision:
    """The verdict on one request, with what decided it."""

    result: Result
    request: Request
    decided_by: DecidedBy
    matched: tuple[StatementRef, ...]  # statements that applied (allows and denies)
    blocking: tuple[StatementRef, ...]  # explicit denies that decided, if any
    reasons: tuple[str, ...]  # step-by-step readable lines

    @property
    def allowed(self) -> bool:
        return self.result == "allowed"

    def explain(self) -> str:
        req = self.request
        who = f" by {req.principal}" if req.principal else ""
        lines = [
            f"{self.result.upper()}: {req.action} on {req.resource}{who}",
            f"Decided by: {_KIND_WORDS[self.decided_by]}",
        ]
        if self.blocking:
            lines.append("Blocked by:")
            lines.extend(f"  - Deny  {ref.label()}" for ref in self.blocking)
        if self.matched:
            lines.append("Statements that applied:")
            lines.extend(f"  - {ref.statement.effect:<5} {ref.label()}" for ref in self.matched)
        else:
            lines.append("No statement applied to this request.")
        if self.reasons:
            lines.append("Why:")
            lines.extend(f"  - {reason}" for reason in self.reasons)
        return "\n".join(lines)


# ----------------------------------------------------------------------------- compiling


class _Compiled:
    """A parsed policy prepared for repeated evaluation; kept on the Policy object.

    Two memos make repeated requests cheap without changing any result: the statements whose
    Action/NotAction covers an action (actions are case-insensitive, so keyed by the
    lower-cased action), and whether a statement's Resource/NotResource covers a resource
    when those hold no policy variable (the answer then does not depend on the context).
    """

    __slots__ = ("_by_action", "_by_resource", "policy", "static", "variables")

    _MEMO_LIMIT = 4096

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        # "If you do not include a Version element, the value defaults to 2008-10-17 ...
        # policy variables are treated as literal strings" (IAM JSON policy elements: Version).
        self.variables = policy.version == "2012-10-17"
        self.static = tuple(
            not self.variables
            or not any(has_variables(p) for p in (s.resources or ()) + (s.not_resources or ()))
            for s in policy.statements
        )
        self._by_action: dict[str, tuple[tuple[int, Statement], ...]] = {}
        self._by_resource: dict[tuple[int, str], bool] = {}

    def for_action(self, action: str) -> tuple[tuple[int, Statement], ...]:
        key = action.lower()
        found = self._by_action.get(key)
        if found is None:
            found = tuple(
                (i, s) for i, s in enumerate(self.policy.statements) if _action_ok(s, action)
            )
            if len(self._by_action) >= self._MEMO_LIMIT:
                self._by_action.clear()
            self._by_action[key] = found
        return found

    def resource_ok(
        self,
        position: int,
        statement: Statement,
        resource: str,
        context: RequestContext,
        attached: bool,
    ) -> bool:
        if not self.static[position]:
            return _resource_ok(statement, resource, context, self.variables, attached)
        key = (position, resource)
        found = self._by_resource.get(key)
        if found is None:
            found = _resource_ok(statement, resource, context, self.variables, attached)
            if len(self._by_resource) >= self._MEMO_LIMIT:
                self._by_resource.clear()
            self._by_resource[key] = found
        return found


def _action_ok(statement: Statement, action: str) -> bool:
    if statement.actions is not None:
        return any(action_matches(p, action) for p in statement.actions)
    if statement.not_actions is not None:
        # NotAction: "matches everything except the specified list of actions".
        return not any(action_matches(p, action) for p in statement.not_actions)
    return False


_STRING_CACHE: dict[tuple[str, str | None, str], Policy] = {}
_STRING_CACHE_LIMIT = 256


def _kinds_compatible(have: PolicyKind, want: PolicyKind) -> bool:
    return (have in _PRINCIPAL_KINDS) == (want in _PRINCIPAL_KINDS)


def compile_policy(
    document: PolicyInput, kind: PolicyKind = "identity", *, name: str | None = None
) -> Policy:
    """Parse (if needed) and prepare one policy for repeated evaluation.

    A ``Policy`` is returned as is when its kind fits ``kind``; JSON text is parsed once and
    cached; a mapping is parsed on each call (it may have been mutated), so pass the
    returned ``Policy`` to ``evaluate`` to parse only once.
    """
    if isinstance(document, Policy):
        policy = document
        if not _kinds_compatible(policy.kind, kind):
            if policy.source is None:
                raise PolicyValidationError(
                    [
                        (
                            "",
                            f"this policy was parsed as a {_KIND_WORDS[policy.kind]} and cannot "
                            f"be used as a {_KIND_WORDS[kind]}; parse it with kind={kind!r}",
                        )
                    ],
                    policy_name=policy.name,
                )
            policy = parse_policy(policy.source, kind=kind, name=policy.name)
    elif isinstance(document, str):
        key = (kind, name, document)
        cached = _STRING_CACHE.get(key)
        if cached is None:
            cached = parse_policy(document, kind=kind, name=name)
            if len(_STRING_CACHE) >= _STRING_CACHE_LIMIT:
                _STRING_CACHE.clear()
            _STRING_CACHE[key] = cached
        policy = cached
    else:
        policy = parse_policy(document, kind=kind, name=name)
    _compiled(policy)
    return policy


def compile_policies(
    documents: Mapping[str, PolicyInput] | Sequence[PolicyInput], kind: PolicyKind = "identity"
) -> list[Policy]:
    """Compile several policies at once; a mapping's keys become the policies' names."""
    if isinstance(documents, Mapping):
        return [compile_policy(doc, kind, name=name) for name, doc in documents.items()]
    return [compile_policy(doc, kind) for doc in documents]


def _prepare(document: PolicyInput, kind: PolicyKind) -> _Compiled:
    if isinstance(document, Policy) and _kinds_compatible(document.kind, kind):
        compiled = getattr(document, "_sm_compiled", None)
        if isinstance(compiled, _Compiled):
            return compiled
    return _compiled(compile_policy(document, kind))


# Used only if Policy ever stops accepting extra attributes (e.g. slots): id -> (policy, ...);
# holding the policy keeps its id from being reused.
_ELSEWHERE: dict[int, tuple[Policy, _Compiled]] = {}


def _compiled(policy: Policy) -> _Compiled:
    compiled = getattr(policy, "_sm_compiled", None)
    if isinstance(compiled, _Compiled):
        return compiled
    kept = _ELSEWHERE.get(id(policy))
    if kept is not None and kept[0] is policy:
        return kept[1]
    compiled = _Compiled(policy)
    try:
        # Policy is a frozen dataclass; the cache is not a field (no effect on ==/repr).
        object.__setattr__(policy, "_sm_compiled", compiled)
    except (AttributeError, TypeError):
        if len(_ELSEWHERE) >= _STRING_CACHE_LIMIT:
            _ELSEWHERE.clear()
        _ELSEWHERE[id(policy)] = (policy, compiled)
    return compiled


# ----------------------------------------------------------------------------- principals

_ACCOUNT_ID = re.compile(r"^\d{12}$")

CallerType = Literal[
    "user", "role", "session", "federated_user", "root", "service", "other", "unknown"
]


def _split_arn(arn: str) -> list[str] | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        return parts
    return None


def _caller_type(principal: str | None) -> CallerType:
    if principal is None:
        return "unknown"
    if _ACCOUNT_ID.match(principal):
        return "root"
    parts = _split_arn(principal)
    if parts is None:
        # Service principals ("codebuild.amazonaws.com") and identity providers
        # ("accounts.google.com", "cognito-identity.amazonaws.com") are not IAM identities.
        return "service"
    service, resource = parts[2], parts[5]
    if service == "iam":
        if resource == "root":
            return "root"
        if resource.startswith("user/"):
            return "user"
        if resource.startswith("role/"):
            return "role"
    elif service == "sts":
        if resource.startswith("assumed-role/"):
            return "session"
        if resource.startswith("federated-user/"):
            return "federated_user"
    return "other"


def _account_of(principal: str | None) -> str | None:
    if principal is None:
        return None
    if _ACCOUNT_ID.match(principal):
        return principal
    parts = _split_arn(principal)
    if parts is not None and _ACCOUNT_ID.match(parts[4]):
        return parts[4]
    return None


# How a resource-policy Allow names the caller; see the module docstring, step 3.
Grant = Literal["direct", "role", "account"]
_GRANT_RANK: dict[str, int] = {"account": 0, "role": 1, "direct": 2}


def _value_grant(kind: str, value: str, caller_type: CallerType) -> Grant:
    if kind != "AWS" or value == "*":
        return "direct"
    if _ACCOUNT_ID.match(value) or value.endswith(":root"):
        return "account"
    if caller_type in ("session", "role") and ":role/" in value:
        return "role"
    if caller_type == "federated_user" and ":user/" in value:
        # "if a resource-based policy grants permission to the ARN of the IAM user who
        # federated, then requests made by the federated user ... are limited by an implicit
        # deny in a permission boundary or session policy" -- the same limits as a role ARN.
        return "role"
    return "direct"


def _grant(statement: Statement, caller: str | None, caller_type: CallerType) -> Grant | None:
    """Whether a resource/trust statement's principal element covers the caller, and how."""
    if statement.principal is not None:
        principal = statement.principal
        if principal.wildcard:
            return "direct"  # "*" includes anonymous callers
        if caller is None:
            # Anonymous callers are covered only by "*" ("Principal": "*" or "AWS": "*").
            return "direct" if "*" in principal.values.get("AWS", ()) else None
        if not principal_matches(principal, caller):
            return None
        best: Grant | None = None
        for kind, values in principal.values.items():
            for value in values:
                if not principal_matches(Principal(values={kind: (value,)}), caller):
                    continue
                grant = _value_grant(kind, value, caller_type)
                if best is None or _GRANT_RANK[grant] > _GRANT_RANK[best]:
                    best = grant
        return best or "account"
    if statement.not_principal is not None:
        # A NotPrincipal statement applies to every principal it does not name -- including
        # anonymous ones, so an Allow with NotPrincipal grants directly.
        if caller is not None and principal_matches(statement.not_principal, caller):
            return None
        return "direct"
    return None


# ----------------------------------------------------------------------------- context


@lru_cache(maxsize=1024)
def _caller_facts(caller: str | None) -> tuple[CallerType, str | None, tuple[tuple[str, Any], ...]]:
    """The caller's type, account and the context keys AWS derives from it ("AWS global
    condition context keys",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
    Only what the principal string itself shows is derived: a role session's
    ``aws:PrincipalArn`` is the role ARN *with its path*, which the session ARN does not show,
    so it is left to the caller."""
    caller_type = _caller_type(caller)
    account = _account_of(caller)
    derived: dict[str, ContextValue] = {}
    if caller is not None:
        if caller_type == "service":
            derived["aws:PrincipalIsAWSService"] = True
            derived["aws:PrincipalServiceName"] = caller
        elif caller_type in ("user", "role", "session", "federated_user", "root"):
            derived["aws:PrincipalIsAWSService"] = False
            if account is not None:
                derived["aws:PrincipalAccount"] = account
            derived["aws:PrincipalType"] = {
                "user": "User",
                "role": "AssumedRole",
                "session": "AssumedRole",
                "federated_user": "FederatedUser",
                "root": "Account",
            }[caller_type]
            if caller_type == "user":
                derived["aws:PrincipalArn"] = caller
                derived["aws:username"] = caller.rsplit("/", 1)[-1]
            elif caller_type == "role":
                derived["aws:PrincipalArn"] = caller
    return caller_type, account, tuple(derived.items())


def derived_context(
    request: Request, resource_account: str | None = None
) -> dict[str, ContextValue]:
    """The context keys ``evaluate`` adds to ``request`` because AWS sets them on every
    request (only those the request does not already carry, compared case-insensitively).

    Exposed so that a comparison with another simulator can hand it the same context.
    """
    _type, _account, from_caller = _caller_facts(request.principal)
    derived: dict[str, ContextValue] = dict(from_caller)
    res_account = _resource_account(request, resource_account)
    if res_account is not None:
        derived["aws:ResourceAccount"] = res_account
    given = RequestContext(request.context)
    return {key: value for key, value in derived.items() if key not in given}


def _resource_account(request: Request, explicit: str | None) -> str | None:
    if explicit is not None:
        return explicit
    parts = _split_arn(request.resource)
    if parts is not None and _ACCOUNT_ID.match(parts[4]):
        return parts[4]
    return None


# ----------------------------------------------------------------------------- matching


# A compiled policy and its position in its list (None for the single boundary, session or
# resource policy).
_Slot = tuple[_Compiled, int | None]


@dataclass
class _Scan:
    allows: list[StatementRef]
    denies: list[StatementRef]
    grants: list[Grant]  # parallel to allows, resource/trust policies only


def _resource_ok(
    statement: Statement,
    resource: str,
    context: RequestContext,
    variables: bool,
    attached: bool,
) -> bool:
    if statement.resources is not None:
        return any(
            resource_matches(p, resource, context, variables=variables) for p in statement.resources
        )
    if statement.not_resources is not None:
        return not any(
            resource_matches(p, resource, context, variables=variables)
            for p in statement.not_resources
        )
    # "Resource" may be omitted in a resource-based policy: the statement is about the
    # resource the policy is attached to.
    return attached


def _scan(
    policies: Sequence[_Slot],
    kind: PolicyKind,
    request: Request,
    context: RequestContext,
    caller_type: CallerType,
    has_boundary: bool = False,
) -> _Scan:
    result = _Scan([], [], [])
    if not policies:
        return result
    attached = kind in _PRINCIPAL_KINDS
    for compiled, index in policies:
        policy = compiled.policy
        for position, statement in compiled.for_action(request.action):
            grant: Grant | None = None
            if attached:
                grant = _grant(statement, request.principal, caller_type)
                if (
                    grant is None
                    and has_boundary
                    and statement.effect == "Deny"
                    and statement.not_principal is not None
                ):
                    # "The NotPrincipal element with a Deny effect will always deny any IAM
                    # principal that has a permissions boundary policy attached, regardless of
                    # the values specified in the NotPrincipal element" ("Permissions
                    # boundaries for IAM entities").
                    grant = "direct"
                if grant is None:
                    continue
            if not compiled.resource_ok(position, statement, request.resource, context, attached):
                continue
            if statement.conditions:
                ok, _failed = conditions_match(
                    statement.conditions, context, variables=compiled.variables
                )
                if not ok:
                    continue
            ref = StatementRef(policy.name, kind, statement, index)
            if statement.effect == "Deny":
                result.denies.append(ref)
            else:
                result.allows.append(ref)
                if grant is not None:
                    result.grants.append(grant)
    return result


def _near_misses(
    policies: Sequence[_Slot],
    kind: PolicyKind,
    request: Request,
    context: RequestContext,
    caller_type: CallerType,
    limit: int = 6,
) -> list[str]:
    """Why the Allow statements that mention the action did not apply (for explanations)."""
    lines: list[str] = []
    attached = kind in _PRINCIPAL_KINDS
    for compiled, index in policies:
        for position, statement in compiled.for_action(request.action):
            if statement.effect != "Allow":
                continue
            ref = StatementRef(compiled.policy.name, kind, statement, index).label()
            if attached and _grant(statement, request.principal, caller_type) is None:
                named = _principal_text(statement)
                lines.append(f"{ref} allows the action but not this principal ({named})")
            elif not compiled.resource_ok(position, statement, request.resource, context, attached):
                if statement.resources is not None:
                    lines.append(
                        f"{ref} allows the action but only on {_listing(statement.resources)}"
                    )
                else:
                    lines.append(
                        f"{ref} allows the action except on "
                        f"{_listing(statement.not_resources or ())}, which includes this resource"
                    )
            else:
                _ok, failed = conditions_match(
                    statement.conditions, context, variables=compiled.variables
                )
                if failed is not None:
                    values = context.get(failed.key)
                    have = "absent" if values is None else _listing(values)
                    lines.append(
                        f"{ref} allows the action only when {failed.operator} {failed.key} "
                        f"is {_listing(failed.values)} (the request has {have})"
                    )
            if len(lines) >= limit:
                lines.append("... (more statements mention this action)")
                return lines
    return lines


def _listing(values: Iterable[str]) -> str:
    items = list(values)
    shown = ", ".join(json.dumps(v) for v in items[:4])
    return f"[{shown}{', ...' if len(items) > 4 else ''}]"


def _principal_text(statement: Statement) -> str:
    if statement.principal is not None:
        if statement.principal.wildcard:
            return '"*"'
        return ", ".join(
            f"{kind}: {_listing(values)}" for kind, values in statement.principal.values.items()
        )
    if statement.not_principal is not None:
        return "everyone except the NotPrincipal list"
    return "no Principal element"


# ----------------------------------------------------------------------------- evaluate


def evaluate(
    request: Request,
    identity_policies: Sequence[PolicyInput] = (),
    *,
    boundary: PolicyInput | None = None,
    scps: Sequence[Sequence[PolicyInput]] = (),
    resource_policy: PolicyInput | None = None,
    session_policy: PolicyInput | None = None,
    resource_account: str | None = None,
) -> Decision:
    """Decide ``request`` the way AWS does (see the module docstring for the order).

    ``resource_policy`` is treated as a role trust policy when it was parsed with
    ``kind="trust"`` or when the action is an ``sts:`` action (the only resource-based policy
    STS has is the role trust policy). ``resource_account`` defaults to the account in the
    resource ARN; without either, a resource policy is judged as belonging to the caller's
    account. Raises ``PolicyValidationError`` for a document that is not a valid policy.
    """
    _expect_list(identity_policies, "identity_policies", "a list of policies")
    _expect_list(scps, "scps", "a list of levels (root first), each a list of policies")
    for level in scps:
        _expect_list(level, "scps", "a list of levels (root first), each a list of policies")
    identity = [(_prepare(p, "identity"), i) for i, p in enumerate(identity_policies)]
    bnd: list[_Slot] = [(_prepare(boundary, "boundary"), None)] if boundary is not None else []
    ses: list[_Slot] = (
        [(_prepare(session_policy, "session"), None)] if session_policy is not None else []
    )
    levels = [[(_prepare(p, "scp"), i) for i, p in enumerate(level)] for level in scps]
    res: list[_Slot] = []
    res_kind: PolicyKind = "resource"
    if resource_policy is not None:
        is_trust = request.action.lower().startswith("sts:") or (
            isinstance(resource_policy, Policy) and resource_policy.kind == "trust"
        )
        res_kind = "trust" if is_trust else "resource"
        res = [(_prepare(resource_policy, res_kind), None)]

    caller = request.principal
    caller_type, caller_account, from_caller = _caller_facts(caller)
    res_account = _resource_account(request, resource_account)
    # Derived keys first, so that what the caller set (in any letter case) wins.
    derived: dict[str, ContextValue] = dict(from_caller)
    if res_account is not None:
        derived["aws:ResourceAccount"] = res_account
    context = RequestContext({**derived, **request.context})

    external = caller_type in ("service", "other")
    # SCPs "affect only IAM users and roles that are managed by accounts that are part of
    # the organization" -- not service principals or identity providers.
    scps_apply = bool(levels) and not external

    reasons: list[str] = []
    level_scans = (
        [_scan(level, "scp", request, context, caller_type) for level in levels]
        if scps_apply
        else []
    )
    res_scan = _scan(res, res_kind, request, context, caller_type, has_boundary=bool(bnd))
    id_scan = _scan(identity, "identity", request, context, caller_type)
    b_scan = _scan(bnd, "boundary", request, context, caller_type)
    s_scan = _scan(ses, "session", request, context, caller_type)

    matched: list[StatementRef] = []
    for scan in [*level_scans, res_scan, id_scan, b_scan, s_scan]:
        matched.extend(scan.denies)
        matched.extend(scan.allows)

    def decide(result: Result, by: DecidedBy, blocking: Sequence[StatementRef] = ()) -> Decision:
        return Decision(result, request, by, tuple(matched), tuple(blocking), tuple(reasons))

    what = f"{request.action} on {request.resource}"

    # 1. Explicit deny, in any policy type.
    denies = [
        ref for scan in [*level_scans, res_scan, id_scan, b_scan, s_scan] for ref in scan.denies
    ]
    if denies:
        first = denies[0]
        reasons.append(
            f"explicit deny: {first.label()} denies {what}; an explicit deny overrides any allow"
        )
        return decide("explicit_deny", first.policy_kind, denies)

    # 2. SCPs: each level, root first, must allow.
    if levels and not scps_apply:
        reasons.append("SCPs do not apply to service principals")
    for number, scan in enumerate(level_scans):
        name = _level_name(number, len(level_scans))
        if not scan.allows:
            reasons.append(f"no service control policy at the {name} level allows {what}")
            reasons.extend(_near_misses(levels[number], "scp", request, context, caller_type))
            return decide("implicit_deny", "scp")
        reasons.append(f"SCPs at the {name} level allow it ({scan.allows[0].label()})")

    # 3. Resource-based / trust policy.
    grant: Grant | None = None
    for candidate in res_scan.grants:
        if grant is None or _GRANT_RANK[candidate] > _GRANT_RANK[grant]:
            grant = candidate
    same_account = res_account is None or caller_account is None or res_account == caller_account
    res_words = _KIND_WORDS[res_kind]

    if external:
        # A service principal (or identity provider) has no identity policies of its own.
        if grant is not None:
            reasons.append(
                f"the {res_words} allows {caller} ({res_scan.allows[0].label()}); "
                "a service principal needs nothing else"
            )
            return decide("allowed", res_kind)
        if not res:
            reasons.append(
                f"{caller} is a service principal: only a resource-based policy can grant it "
                f"{request.action}, and none was given"
            )
            return decide("implicit_deny", "default")
        reasons.append(f"the {res_words} does not allow {caller} to perform {what}")
        reasons.extend(_near_misses(res, res_kind, request, context, caller_type))
        return decide("implicit_deny", res_kind)

    if res and grant is None and (res_kind == "trust" or not same_account):
        if res_kind == "trust":
            reasons.append(
                f"the role trust policy does not allow {caller or 'the caller'} to "
                f"{request.action}; trust policies must allow even within one account"
            )
        else:
            reasons.append(
                f"the resource is in account {res_account} and the caller in {caller_account}: "
                f"cross-account access needs the {res_words} to allow it, and it does not"
            )
        reasons.extend(_near_misses(res, res_kind, request, context, caller_type))
        return decide("implicit_deny", res_kind)
    if not res and not same_account:
        reasons.append(
            f"the resource is in account {res_account} and the caller in {caller_account}: "
            "cross-account access needs a resource-based policy that allows it, and none was given"
        )
        return decide("implicit_deny", "resource")

    if grant is not None and same_account and grant in ("direct", "role"):
        ref = res_scan.allows[res_scan.grants.index(grant)]
        if grant == "direct":
            reasons.append(
                f"the {res_words} names the caller itself ({ref.label()}); within one account "
                "that grants access whatever the identity policies, boundary and session policy say"
            )
            return decide("allowed", res_kind)
        reasons.append(
            f"the {res_words} allows the role (or IAM user) behind this session ({ref.label()}); "
            "within one account that needs no identity policy, but the permissions boundary "
            "and the session policy still limit it"
        )
        failed = _intersections(b_scan, bnd, s_scan, ses, request, context, caller_type, reasons)
        if failed is not None:
            return decide("implicit_deny", failed)
        return decide("allowed", res_kind)

    if grant is not None:
        ref = res_scan.allows[res_scan.grants.index(grant)]
        if same_account:
            reasons.append(
                f"the {res_words} allows the caller's account ({ref.label()}): the identity "
                "policies must allow as well"
            )
        else:
            reasons.append(
                f"the {res_words} allows the caller ({ref.label()}); across accounts the "
                "caller's own policies must allow as well"
            )
    elif res:
        reasons.append(f"the {res_words} does not grant this request by itself")

    # "By default, all requests are implicitly denied with the exception of the AWS account
    # root user, which has full access" -- within its own account, after denies and SCPs.
    if caller_type == "root" and same_account and res_kind != "trust":
        reasons.append("the account root user has full access within its own account")
        return decide("allowed", "default")

    # 4. Identity-based policies.
    if not id_scan.allows:
        if not identity and not res and not bnd and not ses and not levels:
            reasons.append(f"no policy was given: {what} is denied by default")
            return decide("implicit_deny", "default")
        reasons.append(f"no identity-based policy allows {what}")
        reasons.extend(_near_misses(identity, "identity", request, context, caller_type))
        return decide("implicit_deny", "identity")
    reasons.append(f"allowed by {id_scan.allows[0].label()}")

    # 5./6. Permissions boundary and session policy intersect.
    failed = _intersections(b_scan, bnd, s_scan, ses, request, context, caller_type, reasons)
    if failed is not None:
        return decide("implicit_deny", failed)
    return decide("allowed", "identity")


def _expect_list(value: object, name: str, shape: str) -> None:
    # A single document passed where a list belongs would otherwise be iterated key by key
    # and reported as unreadable JSON text, which misleads more than it helps.
    if isinstance(value, Mapping | str | Policy) or not isinstance(value, Sequence):
        raise PolicyValidationError([("", f"{name} must be {shape}, not {type(value).__name__}")])


def _intersections(
    b_scan: _Scan,
    bnd: Sequence[_Slot],
    s_scan: _Scan,
    ses: Sequence[_Slot],
    request: Request,
    context: RequestContext,
    caller_type: CallerType,
    reasons: list[str],
) -> PolicyKind | None:
    what = f"{request.action} on {request.resource}"
    if bnd:
        if not b_scan.allows:
            reasons.append(f"the permissions boundary does not allow {what}")
            reasons.extend(_near_misses(bnd, "boundary", request, context, caller_type))
            return "boundary"
        reasons.append(f"the permissions boundary allows it ({b_scan.allows[0].label()})")
    if ses:
        if not s_scan.allows:
            reasons.append(f"the session policy does not allow {what}")
            reasons.extend(_near_misses(ses, "session", request, context, caller_type))
            return "session"
        reasons.append(f"the session policy allows it ({s_scan.allows[0].label()})")
    return None


def _level_name(number: int, count: int) -> str:
    if number == 0:
        return "root"
    if number == count - 1:
        return "account"
    return f"OU {number}"
