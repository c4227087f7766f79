"""IAM changes take time to reach other services: after a write to a role, every service but
IAM keeps judging with the role's previous documents for a while.

AWS's IAM guide says changes are "not always immediately visible"; CodeBuild answers
``not authorized to perform: sts:AssumeRole`` for up to a couple of minutes after a trust
change, and HashiCorp's Terraform provider retries for two minutes (docs/aws-behaviours.md,
"Propagation"). With ``seconds`` set (``sm-studio-setup emulator --propagation-seconds S``, the
control API's ``POST /propagation``), each write to a role's trust policy, inline policies,
attached policies or boundary is recorded with the documents it replaced; a service other than
IAM asking "what does the role say" during the S seconds after a write gets the documents as
they were S seconds ago. IAM's own reads are not delayed here (``faults.stale_reads`` plays
IAM's read-after-write consistency). A change to a managed policy's default version is not
delayed (the product never writes one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The IAM operations that change what a role's documents say, and the parameter naming the role.
WRITES = frozenset(
    {
        "PutRolePolicy",
        "DeleteRolePolicy",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "UpdateAssumeRolePolicy",
        "PutRolePermissionsBoundary",
        "DeleteRolePermissionsBoundary",
    }
)


@dataclass(frozen=True)
class RoleDocuments:
    """What a role says: its identity policies (inline, then attached default versions), its
    boundary and its trust policy, as the engine takes them."""

    identity: tuple[Any, ...]
    boundary: Any
    trust: Any


Capture = Callable[[str, str], "RoleDocuments | None"]


class Propagation:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = 0.0
        self._clock = clock
        self._lock = threading.Lock()
        # (account, role name) -> [(when written, the documents that write replaced)]
        self._writes: dict[tuple[str, str], list[tuple[float, RoleDocuments]]] = {}

    def set_seconds(self, seconds: float) -> None:
        with self._lock:
            self.seconds = max(0.0, float(seconds))
            if not self.seconds:
                self._writes.clear()

    def reset(self) -> None:
        with self._lock:
            self._writes.clear()

    def before_write(self, account: str, role: str, capture: Capture) -> None:
        """Called before an IAM write to ``role`` is applied: remember what it replaces."""
        if not self.seconds:
            return
        documents = capture(account, role)
        if documents is None:
            return
        with self._lock:
            now = self._clock()
            kept = [w for w in self._writes.get((account, role), []) if now - w[0] < self.seconds]
            kept.append((now, documents))
            self._writes[(account, role)] = kept

    def seen_elsewhere(self, account: str, role: str) -> RoleDocuments | None:
        """What services other than IAM see of ``role`` now: the documents of ``seconds``
        ago while a write is still propagating, else None (they see the current ones)."""
        if not self.seconds:
            return None
        with self._lock:
            cutoff = self._clock() - self.seconds
            for written, before in self._writes.get((account, role), []):
                if written > cutoff:
                    return before  # the oldest write not yet visible: what was there before it
        return None

    def pending(self) -> int:
        with self._lock:
            cutoff = self._clock() - self.seconds
            return sum(1 for ws in self._writes.values() for w, _ in ws if w > cutoff)


PROPAGATION = Propagation()


class PropagationMiddleware:
    """Sits next to moto, inside enforcement: before an allowed IAM write to a role reaches
    moto, the documents it replaces are recorded (``Propagation.before_write``)."""

    def __init__(self, app: Any, propagation: Propagation, capture: Capture) -> None:
        self.app = app
        self.propagation = propagation
        self.capture = capture

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.propagation.seconds:
            from .access import principal_for
            from .enforcement import parse_call

            call = parse_call(environ)
            role = call.params.get("RoleName") if call is not None else None
            if call is not None and call.service == "iam" and call.operation in WRITES and role:
                account = principal_for(call.access_key, environ).account
                self.propagation.before_write(account, str(role), self.capture)
        return self.app(environ, start_response)
