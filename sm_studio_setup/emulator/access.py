"""Who may do what inside the emulator: one decision point shared by enforcement and the
simulator, so that ``SimulatePrincipalPolicy`` always tells the truth about what the emulator
would do with the same request.

Until the project's IAM engine exists (issue "IAM policy engine") no decider is installed:
enforcement is off and every request is allowed, which is also what the simulator reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Decision = Literal["allowed", "implicitDeny", "explicitDeny"]
ContextValue = str | Sequence[str]


@dataclass(frozen=True)
class AccessRequest:
    principal_arn: str  # the caller, e.g. arn:aws:sts::123456789012:assumed-role/R/SageMaker
    action: str  # "service:Action", e.g. "iam:PassRole"
    resource: str  # the concrete ARN, or "*" for actions that take no resource
    context: Mapping[str, ContextValue]


class Decider(Protocol):
    def __call__(self, request: AccessRequest) -> Decision: ...


_decider: Decider | None = None


def set_decider(decider: Decider | None) -> None:
    """Install (or with None remove) the decider; removing it turns enforcement off."""
    global _decider
    _decider = decider


def enforcement_enabled() -> bool:
    return _decider is not None


def decide(request: AccessRequest) -> Decision:
    if _decider is None:
        return "allowed"
    return _decider(request)


def access_denied_message(
    request: AccessRequest, decision: Decision, *, resource_text: str | None = None
) -> str:
    """The sentence AWS puts in an AccessDenied error, e.g. ``User: arn:... is not authorized
    to perform: ecr:CreateRepository on resource: arn:... because no identity-based policy
    allows the ecr:CreateRepository action``.

    ``resource_text`` is how the service names the resource when it differs from the ARN
    (IAM says ``role MyRole``, S3 quotes the ARN).
    """
    shown = request.resource if resource_text is None else resource_text
    if decision == "explicitDeny":
        reason = "with an explicit deny in an identity-based policy"
    else:
        reason = f"because no identity-based policy allows the {request.action} action"
    return (
        f"User: {request.principal_arn} is not authorized to perform: {request.action} "
        f"on resource: {shown} {reason}"
    )
