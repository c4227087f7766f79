"""What a workflow needs: typed parameters in, requirements out. Pure: no boto3, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Who = Literal["caller", "build", "trust"]


class ParamError(ValueError):
    """A parameter a profile cannot work with; ``field`` names it as the service API does
    (``repository``, ``role``, ``subnet_ids``, ...), so each surface can say which option."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


ContextValue = str | tuple[str, ...]

# What can deny a requirement so that no added Allow helps, in the words a finding uses: only an
# administrator can act on these (the check reports them "blocked", the fix never grants them).
BLOCKERS = {
    "explicit-deny": "an explicit Deny statement",
    "boundary": "the role's permissions boundary",
    "scp": "a service control policy of AWS Organizations",
    "rcp": "a resource control policy of AWS Organizations",
    "session": "the session policy",
    "resource": "the resource's own policy",
    "vpc-endpoint": "a VPC endpoint policy",
    # Not a policy: a VpcOnly domain's Docker settings (VpcOnlyTrustedAccounts) decide which
    # registries Studio's Docker may pull from.
    "docker-settings": "the domain's DockerSettings (VpcOnlyTrustedAccounts)",
}


@dataclass(frozen=True)
class Requirement:
    """One (who, action, resource, context) a workflow step needs, and why.

    ``who``: ``caller`` — the Studio role now, while the build is started; ``build`` — the
    CodeBuild service role while the build runs (sm-docker uses the same role for both);
    ``trust`` — a principal the role's trust policy must let assume it (``action`` is
    ``sts:AssumeRole`` and ``resource`` the role ARN, ``principal`` the service).
    """

    who: Who
    action: str
    resource: str
    step: str  # the workflow step that fails without it, e.g. "create the CodeBuild project"
    why: str  # one sentence
    source: str  # e.g. "sm-docker step 5", "seed 002"
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    optional: bool = False
    principal: str | None = None  # for who == "trust": the service principal

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.who, self.action.lower(), self.resource, self.principal or "")


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
