"""What a workflow needs and the least-privilege policy for a fresh role (no AWS calls)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..aws.metadata import read_metadata
from ..errors import BadInput
from ..requirements.model import Requirement, requirement_json
from ..requirements.params import Params
from ..requirements.policy import fresh_trust, policy_for
from ..requirements.profiles import requirements_for
from .check import CheckOptions, build_params, refused

__all__ = ["LeastPrivilege", "least_privilege", "offline_params", "requirement_json"]


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


def offline_params(
    options: CheckOptions,
    *,
    region: str | None,
    account: str | None,
    role_arn: str | None,
    domain_id: str | None = None,
    user_profile: str | None = None,
    space: str | None = None,
) -> Params:
    """Parameters without any AWS call: what was given, completed from Studio's metadata."""
    meta = read_metadata()
    role = role_arn or (meta.execution_role_arn if meta else None)
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    region = region or (meta.region if meta else None)
    account = account or (role.split(":")[4] if role and role.count(":") >= 5 else None)
    if not region:
        raise BadInput("No region was given.", field="region")
    if not account:
        raise BadInput(
            "No account was given.",
            "Or pass --role with a role ARN, which names its account.",
            field="account",
        )
    return build_params(
        options,
        region=region,
        account=account,
        role_arn=role,
        domain_id=domain_id or (meta.domain_id if meta else None),
        user_profile=user_profile or (meta.user_profile_name if meta else None),
        space=space or (meta.space_name if meta else None),
    )


def least_privilege(
    profile: str, params: Params, *, source_account_condition: bool = True
) -> LeastPrivilege:
    try:
        requirements = requirements_for(profile, params)
        permissions = policy_for([r for r in requirements if r.who != "trust"])
    except ValueError as exc:
        raise refused(exc, f"Cannot derive the {profile} requirements") from exc
    trust = fresh_trust(
        requirements, source_account=params.account if source_account_condition else None
    )
    return LeastPrivilege(profile, requirements, permissions, trust)
