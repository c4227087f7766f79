"""The fix plan: the smallest change to a role that closes the gaps a check found.

Two documents may change, never more: the trust policy (the missing service is merged in,
every existing statement kept as written: ``merge_trust``) and one inline policy per profile,
``sm-studio-setup-<profile>``, holding only what was missing. Our own earlier policy of that
name is merged with, not replaced; policies we did not write are never touched. The plan shows
both documents before and after, a unified diff, and whether IAM's size quotas allow it.

Pure: the caller reads the role and says, per requirement, what the check found.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sm_studio_setup.iam import TrustMergeError
from sm_studio_setup.requirements.model import BLOCKERS, Requirement, requirement_json
from sm_studio_setup.requirements.policy import (
    MAX_INLINE_POLICY_CHARS,
    PolicyTooLargeError,
    UnscopedRequirementError,
    policy_for,
    trust_change,
)

from .change import Change
from .widening import new_admissions

POLICY_PREFIX = "sm-studio-setup-"

# "IAM and AWS STS quotas": a role trust policy may hold 2,048 characters by default, and an
# account may have it raised to 4,096. Whitespace is not counted.
TRUST_POLICY_DEFAULT_CHARS = 2_048
TRUST_POLICY_MAX_CHARS = 4_096

Status = Literal["allowed", "missing", "blocked", "unknown"]


def policy_name(profile: str) -> str:
    return f"{POLICY_PREFIX}{profile}"


def is_ours(name: str) -> bool:
    return name.startswith(POLICY_PREFIX)


def quota_size(document: Mapping[str, Any]) -> int:
    """Characters IAM counts against its quotas: the document without whitespace."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def document_text(document: Mapping[str, Any]) -> str:
    """The text written to IAM: indented, because IAM keeps it as written and people read it
    in the console; the indentation does not count against the quotas."""
    return json.dumps(document, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class Assessed:
    """One requirement and what the check found for it."""

    requirement: Requirement
    status: Status
    evidence: str = ""
    blocked_by: str | None = None  # for "blocked": which kind of policy (model.BLOCKERS)


@dataclass(frozen=True)
class RoleDocuments:
    """The role as read just now, and the fingerprint that tells whether it changed since."""

    role_arn: str
    trust_policy: dict[str, Any] | None  # None: could not be read
    inline: dict[str, dict[str, Any]] | None  # None: could not be read
    fingerprint: str
    # When the list of inline policies cannot be read, our own may still be readable by name.
    ours: dict[str, Any] | None = None
    ours_known: bool = False


@dataclass(frozen=True)
class QuotaProblem:
    quota: Literal["trust-policy-size", "inline-policies-size"]
    size: int
    limit: int
    blocking: bool  # False: over the default but within what AWS may have raised it to
    message: str


@dataclass(frozen=True)
class Plan:
    id: str
    role_arn: str
    profile: str
    policy_name: str
    fingerprint: str
    trust_before: dict[str, Any] | None
    trust_after: dict[str, Any] | None  # None: unchanged
    policy_before: dict[str, Any] | None  # our earlier policy; None: there is none
    policy_after: dict[str, Any] | None  # None: unchanged
    granted: tuple[Requirement, ...]  # what the policy change grants (trust excluded)
    trusted: tuple[Requirement, ...]  # what the trust change lets in
    unverified: tuple[Requirement, ...]  # granted although the check could not tell
    blocked: tuple[str, ...]  # gaps this fix cannot close, one sentence each
    quotas: tuple[QuotaProblem, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Our policy could not be read, so policy_after was not merged with one that may exist.
    policy_unread: bool = False

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def change(self) -> Change:
        return Change(
            role_arn=self.role_arn,
            role_name=self.role_name,
            trust_policy=self.trust_after,
            policies={self.policy_name: self.policy_after} if self.policy_after else {},
            warnings=(
                (
                    f"The role's inline policy {self.policy_name} could not be read, so this "
                    "document was not merged with it: if the role has it already, merge the "
                    "two before applying, or its earlier grants are lost.",
                )
                if self.policy_unread and self.policy_after
                else ()
            ),
        )

    @property
    def empty(self) -> bool:
        return self.change.empty

    @property
    def applicable(self) -> bool:
        return not self.empty and not any(q.blocking for q in self.quotas)

    def diff(self) -> str:
        parts: list[str] = []
        if self.trust_after is not None:
            parts.append(_diff(self.trust_before, self.trust_after, "trust policy"))
        if self.policy_after is not None:
            parts.append(_diff(self.policy_before, self.policy_after, self.policy_name))
        return "".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role_arn": self.role_arn,
            "role_name": self.role_name,
            "profile": self.profile,
            "policy_name": self.policy_name,
            "fingerprint": self.fingerprint,
            "empty": self.empty,
            "applicable": self.applicable,
            "trust_policy": {"before": self.trust_before, "after": self.trust_after},
            "inline_policy": {"before": self.policy_before, "after": self.policy_after},
            "diff": self.diff(),
            "granted": [requirement_json(r) for r in self.granted],
            "trusted": [requirement_json(r) for r in self.trusted],
            "unverified": [requirement_json(r) for r in self.unverified],
            "blocked": list(self.blocked),
            "quotas": [q.__dict__ for q in self.quotas],
            "notes": list(self.notes),
        }


def _diff(before: Mapping[str, Any] | None, after: Mapping[str, Any], label: str) -> str:
    old = document_text(before).splitlines(keepends=True) if before is not None else []
    new = document_text(after).splitlines(keepends=True)
    lines = difflib.unified_diff(
        old,
        new,
        fromfile=f"{label} (before)" if before is not None else "/dev/null",
        tofile=f"{label} (after)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


# ----------------------------------------------------------------------------- merging


def _statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = document.get("Statement", [])
    items = found if isinstance(found, list) else [found]
    return [copy.deepcopy(dict(s)) for s in items if isinstance(s, Mapping)]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _mergeable(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether ``new``'s resources can join ``old``: same effect, actions and condition, so
    the union grants exactly the two statements' grants and nothing more."""
    keys = {"Sid", "Effect", "Action", "Resource", "Condition"}
    if set(old) - keys or set(new) - keys or "Resource" not in old:
        return False
    same_actions = {a.lower() for a in _as_list(old.get("Action"))} == {
        a.lower() for a in _as_list(new.get("Action"))
    }
    return (
        old.get("Effect") == new.get("Effect") == "Allow"
        and same_actions
        and old.get("Condition") == new.get("Condition")
    )


def merge_policy(existing: Mapping[str, Any] | None, addition: Mapping[str, Any]) -> dict[str, Any]:
    """Our earlier policy with ``addition``'s statements added.

    Earlier statements stay (a build may still use the names they grant); a new statement that
    repeats one is dropped, one that differs only in resources joins it, any other is added
    with a Sid not yet taken. The result grants exactly the union of the two documents.
    """
    if existing is None:
        return copy.deepcopy(dict(addition))
    merged = copy.deepcopy(dict(existing))
    statements = _statements(existing)
    sids = {s.get("Sid") for s in statements}
    for new in _statements(addition):
        bare = {k: v for k, v in new.items() if k != "Sid"}
        if any({k: v for k, v in old.items() if k != "Sid"} == bare for old in statements):
            continue
        target = next((old for old in statements if _mergeable(old, new)), None)
        if target is not None:
            resources = _as_list(target["Resource"])
            extra = [r for r in _as_list(new["Resource"]) if r not in resources]
            joined = resources + extra
            target["Resource"] = joined[0] if len(joined) == 1 else joined
            continue
        sid = base = str(new.get("Sid") or "Statement")
        counter = 2
        while sid in sids:
            sid = f"{base}{counter}"
            counter += 1
        sids.add(sid)
        statements.append({"Sid": sid, **bare})
    merged["Statement"] = statements
    merged.setdefault("Version", "2012-10-17")
    return merged


# ----------------------------------------------------------------------------- planning


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _quota_problems(
    trust_after: Mapping[str, Any] | None,
    policy_after: Mapping[str, Any] | None,
    name: str,
    inline: Mapping[str, Mapping[str, Any]] | None,
) -> list[QuotaProblem]:
    problems: list[QuotaProblem] = []
    if trust_after is not None:
        size = quota_size(trust_after)
        if size > TRUST_POLICY_DEFAULT_CHARS:
            blocking = size > TRUST_POLICY_MAX_CHARS
            problems.append(
                QuotaProblem(
                    "trust-policy-size",
                    size,
                    TRUST_POLICY_MAX_CHARS if blocking else TRUST_POLICY_DEFAULT_CHARS,
                    blocking,
                    f"The trust policy would be {size:,} characters without whitespace; IAM "
                    f"allows {TRUST_POLICY_DEFAULT_CHARS:,} by default and at most "
                    f"{TRUST_POLICY_MAX_CHARS:,}. "
                    + (
                        "Compact it first: join statements that allow the same action into one "
                        "statement with a list of principals."
                        if blocking
                        else "If the account's quota was not raised, IAM will refuse the write "
                        "(nothing is left changed): raise 'Role trust policy length' in "
                        "Service Quotas, or join statements that allow the same action."
                    ),
                )
            )
    if policy_after is not None:
        others = sum(quota_size(doc) for n, doc in (inline or {}).items() if n != name)
        total = others + quota_size(policy_after)
        if total > MAX_INLINE_POLICY_CHARS:
            problems.append(
                QuotaProblem(
                    "inline-policies-size",
                    total,
                    MAX_INLINE_POLICY_CHARS,
                    True,
                    f"The role's inline policies would hold {total:,} characters without "
                    f"whitespace, more than the {MAX_INLINE_POLICY_CHARS:,} IAM allows per role. "
                    "Remove or compact inline policies the role no longer needs, or put these "
                    "statements in a customer managed policy (6,144 characters each) and attach "
                    "it: the hand-off's policy JSON holds the document.",
                )
            )
    return problems


def _plan_id(*parts: Any) -> str:
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def make_plan(
    role: RoleDocuments,
    profile: str,
    assessed: Sequence[Assessed],
    *,
    source_account: str | None,
) -> Plan:
    """Plan the fix for ``assessed`` (the check's findings, in requirement order).

    Granted: every required permission the check found ``missing``, and those it could not
    establish (``unknown``), which are said to be unverified — granting what a role may
    already have changes nothing, leaving it out would fail the build. Never granted: what is
    optional (sm-docker works without it) and what is ``blocked`` (an explicit Deny, a boundary
    or an SCP, which no Allow overrides): those are named in ``blocked``, with what blocks.
    """
    name = policy_name(profile)
    blocked: list[str] = []
    notes: list[str] = []

    to_grant: list[Requirement] = []
    unverified: list[Requirement] = []
    trust_needed: list[Requirement] = []
    for item in assessed:
        req = item.requirement
        if req.optional or item.status == "allowed":
            continue
        if item.status == "blocked":
            what = BLOCKERS.get(
                item.blocked_by or "explicit-deny", "a policy this fix does not write"
            )
            blocked.append(
                f"{req.action} on {req.resource} is blocked by {what} "
                f"({_one_line(item.evidence)}): an added Allow cannot override it; ask an "
                "administrator who owns it."
            )
            continue
        if req.who == "trust":
            if item.status == "unknown":
                # Adding a statement for a service the policy may well admit already could
                # only widen it: an unreadable or unjudgeable trust policy is left alone.
                blocked.append(
                    f"Whether {req.principal} may assume the role could not be established "
                    f"({_one_line(item.evidence)}), so the trust policy is left as it is."
                )
                continue
            trust_needed.append(req)
            continue
        to_grant.append(req)
        if item.status == "unknown":
            unverified.append(req)

    trust_after: dict[str, Any] | None = None
    trusted: list[Requirement] = []
    if trust_needed and role.trust_policy is None:
        blocked.append(
            "The trust policy could not be read, so it cannot be changed without risking its "
            "statements: ask an administrator to add "
            + ", ".join(sorted({r.principal or "" for r in trust_needed}))
            + " to it (AWS CLI: aws iam get-role, then update-assume-role-policy)."
        )
    elif trust_needed and role.trust_policy is not None:
        try:
            trust_after = trust_change(
                role.trust_policy, trust_needed, source_account=source_account
            )
        except TrustMergeError as exc:
            blocked.append(_one_line(str(exc)))
        except ValueError as exc:
            blocked.append(f"The trust policy cannot be merged: {_one_line(str(exc))}.")
        else:
            widened = (
                new_admissions(role.trust_policy, trust_after, trust_needed) if trust_after else []
            )
            if widened:
                # Never reached by what merge_trust writes; kept as the plan's own rule.
                blocked.append(
                    "The trust change would also admit what nobody asked for ("
                    + "; ".join(widened)
                    + "), so the trust policy is not changed."
                )
                trust_after = None
            trusted = trust_needed if trust_after is not None else []

    policy_before: dict[str, Any] | None = None
    if role.inline is not None:
        policy_before = role.inline.get(name)
    elif role.ours_known:
        policy_before = role.ours
        if to_grant:
            notes.append(
                "The role's other inline policies could not be read, so IAM's 10,240-character "
                "quota for all of them together could not be checked."
            )
    elif to_grant:
        notes.append(
            f"The role's inline policies could not be read: if {name} exists already, this "
            "document replaces it, so an administrator should merge the two."
        )

    policy_after: dict[str, Any] | None = None
    quotas: list[QuotaProblem] = []
    if to_grant:
        try:
            addition = policy_for(to_grant)
        except PolicyTooLargeError as exc:
            quotas.append(QuotaProblem("inline-policies-size", exc.size, exc.limit, True, str(exc)))
        except UnscopedRequirementError as exc:
            blocked.append(f"Not granted, it cannot be scoped: {_one_line(str(exc))}.")
        else:
            merged = merge_policy(policy_before, addition)
            if merged != policy_before:
                policy_after = merged
    if unverified:
        notes.append(
            f"{len(unverified)} of the permissions granted could not be verified by the check "
            "(the role may already have them); granting them again changes nothing else."
        )
    quotas += _quota_problems(trust_after, policy_after, name, role.inline)

    return Plan(
        id=_plan_id(role.fingerprint, role.role_arn, name, trust_after, policy_after),
        role_arn=role.role_arn,
        profile=profile,
        policy_name=name,
        fingerprint=role.fingerprint,
        trust_before=role.trust_policy,
        trust_after=trust_after,
        policy_before=policy_before,
        policy_after=policy_after,
        granted=tuple(to_grant) if policy_after is not None else (),
        trusted=tuple(trusted),
        unverified=tuple(unverified) if policy_after is not None else (),
        blocked=tuple(blocked),
        quotas=tuple(quotas),
        notes=tuple(notes),
        policy_unread=role.inline is None and not role.ours_known,
    )
