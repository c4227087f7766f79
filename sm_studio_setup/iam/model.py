"""The IAM engine's data model: parsed policies, requests and decisions.

Pure: no boto3, no I/O. Every other module of ``sm_studio_setup.iam`` works on these types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Effect = Literal["Allow", "Deny"]
PolicyKind = Literal["identity", "resource", "trust", "scp", "boundary", "session"]
Result = Literal["allowed", "implicit_deny", "explicit_deny"]
# What a request carries for one context key. Lists are multi-valued keys (aws:TagKeys...).
ContextValue = str | bool | int | float | Sequence[str | bool | int | float]


class PolicyValidationError(ValueError):
    """The one error parse and evaluate raise for bad documents.

    ``problems`` lists every problem found as (JSON path, rule), e.g.
    ``("Statement[2].Condition.StringLike", "values must be strings, numbers or booleans")``.
    """

    def __init__(self, problems: Sequence[tuple[str, str]], *, policy_name: str | None = None):
        self.problems = list(problems)
        self.policy_name = policy_name
        where = f"{policy_name}: " if policy_name else ""
        text = "; ".join(f"{path}: {rule}" if path else rule for path, rule in self.problems)
        super().__init__(f"{where}{text}")


@dataclass(frozen=True)
class Principal:
    """A Principal/NotPrincipal element. ``wildcard`` is ``"Principal": "*"``; otherwise a
    mapping of principal type ("AWS", "Service", "Federated", "CanonicalUser") to values."""

    wildcard: bool = False
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Condition:
    """One operator/key pair of a Condition block, values normalised to strings the way AWS
    compares them (``true``/``false`` for booleans, numbers as written)."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    key: str  # as written; keys compare case-insensitively
    values: tuple[str, ...]
    path: str  # "Statement[0].Condition.StringEquals.aws:SourceAccount"


@dataclass(frozen=True)
class Statement:
    effect: Effect
    index: int
    sid: str | None = None
    actions: tuple[str, ...] | None = None  # Action (None when NotAction is used)
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None  # None when absent (trust policies) or NotResource
    not_resources: tuple[str, ...] | None = None
    principal: Principal | None = None
    not_principal: Principal | None = None
    conditions: tuple[Condition, ...] = ()

    @property
    def path(self) -> str:
        return f"Statement[{self.index}]"


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]
    kind: PolicyKind = "identity"
    version: str | None = "2012-10-17"
    id: str | None = None
    name: str | None = None  # for explanations: "inline policy X", "AmazonSageMakerFullAccess"
    source: Mapping[str, object] | None = None  # the document as given, for round trips


@dataclass(frozen=True)
class Request:
    action: str  # "service:Action"
    resource: str  # ARN, or "*"
    # The caller ARN, or for trust a service principal such as "codebuild.amazonaws.com".
    principal: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)
