"""Asking IAM's policy simulator how the role's own policies judge each requirement.

``iam:SimulatePrincipalPolicy`` with ``PolicySourceArn`` = the role evaluates the role's identity
policies, its permissions boundary and the Organizations SCPs as AWS does (resource policies are
not part of it), so where the role may call it, it is the authoritative answer for ``caller``
and ``build`` requirements. Each result carries ``PermissionsBoundaryDecisionDetail`` and
``OrganizationsDecisionDetail`` (botocore's IAM model, ``EvaluationResult``): an implicit deny
that the boundary or an SCP decides is not a gap an added statement closes, and the check
says so. ``trust`` requirements are not simulated: the simulator's caller must be
an IAM user or role, never a service principal such as ``codebuild.amazonaws.com``.

A managed Studio role is usually not allowed to simulate itself (docs/ARCHITECTURE.md, "What a
Studio role can learn about itself"): then the answer is None and the check falls back to the
local engine or to probes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from ..requirements.model import ContextValue, Requirement
from .session import client, is_access_denied, translate

__all__ = ["Decisions", "Simulated", "simulate"]


@dataclass(frozen=True)
class Simulated:
    """One simulated decision: ``allowed``, ``implicitDeny`` or ``explicitDeny``, and whether
    the boundary and the SCPs allowed it (None when the simulator does not say)."""

    decision: str
    boundary_allowed: bool | None = None
    organizations_allowed: bool | None = None


class _SimulatorDenied(Exception):
    pass


_ContextKey = tuple[tuple[str, tuple[str, ...], bool], ...]


def _context_key(context: Mapping[str, ContextValue]) -> _ContextKey:
    # Hashable and order-free, remembering whether a value was a list (stringList) or one
    # string: a single-valued key given as "stringList" would change how ForAnyValue/ForAllValues
    # conditions read it.
    items: list[tuple[str, tuple[str, ...], bool]] = []
    for key, value in context.items():
        if isinstance(value, str):
            items.append((key, (value,), False))
        else:
            items.append((key, tuple(value), True))
    return tuple(sorted(items, key=lambda kv: (kv[0].lower(), kv[0])))


def _context_entries(key: _ContextKey) -> list[dict[str, Any]]:
    return [
        {
            "ContextKeyName": name,
            "ContextKeyValues": list(values),
            "ContextKeyType": "stringList" if is_list else "string",
        }
        for name, values, is_list in key
    ]


class Decisions(Mapping[Requirement, Simulated]):
    """The simulator's decision per requirement, in input order.

    A mapping keyed by ``Requirement`` although ``Requirement`` is not hashable (its
    ``context`` is a dict): entries are found by the requirement's fields, context included.
    """

    def __init__(self) -> None:
        self._items: dict[tuple[Any, ...], tuple[Requirement, Simulated]] = {}

    @staticmethod
    def _key(req: Requirement) -> tuple[Any, ...]:
        return (req.key, _context_key(req.context), req.optional, req.step, req.why, req.source)

    def __setitem__(self, req: Requirement, decision: Simulated) -> None:
        self._items[self._key(req)] = (req, decision)

    def __getitem__(self, req: Requirement) -> Simulated:
        if not isinstance(req, Requirement):
            raise KeyError(req)
        return self._items[self._key(req)][1]

    def __contains__(self, req: object) -> bool:
        return isinstance(req, Requirement) and self._key(req) in self._items

    def __iter__(self) -> Iterator[Requirement]:
        return (req for req, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return len(self) == len(other) and all(
            req in other and other[req] == decision for req, decision in self.items()
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        found = [(r.who, r.action, r.resource, d.decision) for r, d in self.items()]
        return f"Decisions({found})"


def simulate(session: Any, role_arn: str, requirements: Sequence[Requirement]) -> Decisions | None:
    """The simulator's ``Simulated`` decision for each caller and build requirement, as it
    decides for ``role_arn``; None when the simulator itself is denied. Trust requirements are
    left out of the result.

    One simulation per distinct request context, covering every action and resource of that
    group; every page of results is read.
    """
    # Keyed by context and by whether the resource is "*": the simulator refuses "*" among
    # ResourceArns (not an ARN) and stands for it when ResourceArns is left out.
    groups: dict[tuple[_ContextKey, bool], list[Requirement]] = {}
    for req in requirements:
        if req.who == "trust":
            continue
        groups.setdefault((_context_key(req.context), req.resource == "*"), []).append(req)
    iam = client(session, "iam")

    def one(
        key: _ContextKey, star: bool, reqs: list[Requirement]
    ) -> dict[tuple[str, str], Simulated]:
        kwargs: dict[str, Any] = {
            "PolicySourceArn": role_arn,
            "ActionNames": sorted({r.action for r in reqs}, key=str.lower),
        }
        if not star:
            kwargs["ResourceArns"] = sorted({r.resource for r in reqs})
        if key:
            kwargs["ContextEntries"] = _context_entries(key)
        decisions: dict[tuple[str, str], Simulated] = {}
        try:
            for page in iam.get_paginator("simulate_principal_policy").paginate(**kwargs):
                for result in page.get("EvaluationResults", []):
                    action = str(result["EvalActionName"]).lower()
                    resource = str(result.get("EvalResourceName", "*"))
                    decisions[(action, resource)] = _simulated(result)
        except botocore.exceptions.ClientError as exc:
            if is_access_denied(exc):
                raise _SimulatorDenied from exc
            raise translate(exc, "simulating the role's policies") from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise translate(exc, "simulating the role's policies") from exc
        return decisions

    # One simulation per group, all at once: each is a round trip of its own otherwise.
    with ThreadPoolExecutor(max_workers=max(1, len(groups)), thread_name_prefix="sim") as pool:
        futures = [
            (reqs, pool.submit(one, key, star, reqs)) for (key, star), reqs in groups.items()
        ]
        try:
            answers = [(reqs, future.result()) for reqs, future in futures]
        except _SimulatorDenied:
            # The role may not call the simulator: nothing can be learnt this way.
            return None
    found: dict[int, Simulated] = {}  # id(requirement) -> decision
    for reqs, decisions in answers:
        for req in reqs:
            decision = decisions.get((req.action.lower(), req.resource))
            if decision is None:
                raise RuntimeError(
                    f"the policy simulator returned no result for {req.action} on {req.resource}"
                )
            found[id(req)] = decision
    out = Decisions()
    for req in requirements:  # in input order
        if id(req) in found:
            out[req] = found[id(req)]
    return out


def _simulated(result: Mapping[str, Any]) -> Simulated:
    boundary = result.get("PermissionsBoundaryDecisionDetail") or {}
    organizations = result.get("OrganizationsDecisionDetail") or {}
    return Simulated(
        str(result["EvalDecision"]),
        boundary.get("AllowedByPermissionsBoundary"),
        organizations.get("AllowedByOrganizations"),
    )
