"""What a fix writes to one role, as complete documents: the shape every output shares.

A ``Change`` is the "after" half of a plan. The apply step writes it; the hand-off renders it
for an administrator (JSON, AWS CLI, CloudFormation, Terraform). Documents are complete (never
fragments), so whoever applies them by hand cannot drop a statement the role already had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    role_arn: str
    role_name: str
    # The complete new trust policy, or None when the trust policy stays as it is.
    trust_policy: dict[str, Any] | None = None
    # Inline policy name -> its complete new document (ours only: sm-studio-setup-<profile>).
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What whoever applies it must know first, e.g. that a document could not be merged with
    # the one it replaces; every format carries them ahead of the documents.
    warnings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.trust_policy is None and not self.policies

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]

    @property
    def partition(self) -> str:
        return self.role_arn.split(":")[1]
