"""What a workflow needs and the least-privilege policy for a fresh role (no AWS calls)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..requirements.model import Requirement
from ..requirements.params import Params
from ..requirements.policy import fresh_trust, policy_for
from ..requirements.profiles import requirements_for


@dataclass(frozen=True)
class LeastPrivilege:
    profile: str
    requirements: list[Requirement]
    permissions_policy: dict[str, Any]
    trust_policy: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "permissions_policy": self.permissions_policy,
            "trust_policy": self.trust_policy,
        }


def requirement_json(req: Requirement) -> dict[str, Any]:
    return {
        "who": req.who,
        "action": req.action,
        "resource": req.resource,
        "principal": req.principal,
        "context": {k: v if isinstance(v, str) else list(v) for k, v in req.context.items()},
        "step": req.step,
        "why": req.why,
        "optional": req.optional,
        "source": req.source,
    }


def least_privilege(
    profile: str, params: Params, *, source_account_condition: bool = True
) -> LeastPrivilege:
    requirements = requirements_for(profile, params)
    permissions = policy_for([r for r in requirements if r.who != "trust"])
    trust = fresh_trust(
        requirements, source_account=params.account if source_account_condition else None
    )
    return LeastPrivilege(profile, requirements, permissions, trust)
