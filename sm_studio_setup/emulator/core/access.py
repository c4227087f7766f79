"""Who may do what inside the emulator: one decision point shared by enforcement and the
simulator, so that ``SimulatePrincipalPolicy`` always tells the truth about what the emulator
would do with the same request.

Without a decider installed (an emulator started without enforcement, some unit tests)
enforcement is off and every request is allowed, which is also what the simulator reports.
The Emulator installs the project's IAM engine (``decider.py``).

The Organizations SCPs the emulator's account is under are set here too (``set_scps``):
moto has no Organizations policies that apply to requests, and the check must tell a gap a
grant closes from one an SCP blocks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Decision = Literal["allowed", "implicitDeny", "explicitDeny"]
ContextValue = str | Sequence[str]


@dataclass(frozen=True)
class AccessRequest:
    principal_arn: str  # the caller, e.g. arn:aws:sts::123456789012:assumed-role/R/SageMaker
    action: str  # "service:Action", e.g. "iam:PassRole"
    resource: str  # the concrete ARN, or "*" for actions that take no resource
    context: Mapping[str, ContextValue]


@dataclass(frozen=True)
class Judged:
    """A decision with what decided it, as AWS's answers tell it: the policy type that denied
    (AccessDenied messages name it) and, for the simulator, whether the permissions boundary
    and the Organizations SCPs allowed the request (None: there is none)."""

    decision: Decision
    by: Literal["identity", "boundary", "scp"] = "identity"
    boundary_allowed: bool | None = None
    organizations_allowed: bool | None = None


class Decider(Protocol):
    def __call__(self, request: AccessRequest) -> Decision: ...


class Judge(Protocol):
    def __call__(self, request: AccessRequest) -> Judged: ...


_decider: Decider | None = None
_judge: Judge | None = None


def set_decider(decider: Decider | None, judge: Judge | None = None) -> None:
    """Install (or with None remove) the decider, and optionally the judge that also says
    what decided; removing the decider turns enforcement off."""
    global _decider, _judge
    _decider = decider
    _judge = judge if decider is not None else None


_scps: tuple[Any, ...] = ()


def set_scps(policies: tuple[Any, ...] | list[Any]) -> None:
    """The SCPs (one level, the account's) every non-root request is judged under."""
    global _scps
    _scps = tuple(policies)


def scps() -> tuple[Any, ...]:
    return _scps


def enforcement_enabled() -> bool:
    return _decider is not None


def decide(request: AccessRequest) -> Decision:
    if _decider is None:
        return "allowed"
    return _decider(request)


def judge(request: AccessRequest) -> Judged:
    """``decide`` with what decided (only the decision when no judge is installed)."""
    if _judge is not None:
        return _judge(request)
    return Judged(decide(request))


_POLICY_WORDS = {
    "identity": "identity-based policy",
    "boundary": "permissions boundary",
    "scp": "service control policy",
}


def access_denied_message(
    request: AccessRequest, decision: Decision | Judged, *, resource_text: str | None = None
) -> str:
    """The sentence AWS puts in an AccessDenied error, e.g. ``User: arn:... is not authorized
    to perform: ecr:CreateRepository on resource: arn:... because no identity-based policy
    allows the ecr:CreateRepository action``.

    ``resource_text`` is how the service names the resource when it differs from the ARN
    (IAM says ``role MyRole``, S3 quotes the ARN).
    """
    judged = decision if isinstance(decision, Judged) else Judged(decision)
    shown = request.resource if resource_text is None else resource_text
    kind = _POLICY_WORDS[judged.by]
    article = "an" if kind[0] in "aeiou" else "a"
    if judged.decision == "explicitDeny":
        reason = f"with an explicit deny in {article} {kind}"
    else:
        reason = f"because no {kind} allows the {request.action} action"
    return (
        f"User: {request.principal_arn} is not authorized to perform: {request.action} "
        f"on resource: {shown} {reason}"
    )


# --- who is calling ---------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    arn: str
    account: str
    kind: str  # "AssumedRole" | "User" | "Account", as aws:PrincipalType names them
    role_arn: str | None = None

    @property
    def is_root(self) -> bool:
        return self.kind == "Account"


def principal_for(
    access_key: str, environ: Mapping[str, Any] | None = None, *, account: str | None = None
) -> Principal:
    """Who the access key belongs to, by moto's own records: an STS session, an IAM user's
    key, or else (moto's default test keys, the emulator's admin keys) the account root.

    ``account`` is given by callers inside a moto response, which already know it; the
    WSGI layer works it out the way moto does. The emulator serves the ``aws`` partition.
    """
    # moto is imported here, not at module level, so the decider interface stays importable
    # (and cheap) without touching moto's backends.
    from moto.iam.models import get_account_id_from, iam_backends
    from moto.sts.models import sts_backends

    if account is None:
        account = _account(access_key, environ or {}, get_account_id_from)
    session = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
    if session is not None:
        return Principal(session.arn, account, "AssumedRole", session.role_arn)
    user = iam_backends[account]["aws"].get_user_from_access_key_id(access_key)
    if user is not None:
        return Principal(user.arn, account, "User")
    return Principal(f"arn:aws:iam::{account}:root", account, "Account")


def _account(access_key: str, environ: Mapping[str, Any], by_key: Callable[[str], str]) -> str:
    # The same precedence moto's responses use to pick the account.
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    header = environ.get("HTTP_X_MOTO_ACCOUNT_ID")
    if header:
        return str(header)
    return by_key(access_key)
