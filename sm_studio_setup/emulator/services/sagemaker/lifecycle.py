"""SageMaker's updates are asynchronous: a resource passes through a busy state before it is
done, and can fail there.

botocore's model: ``ImageStatus`` and ``ImageVersionStatus`` go CREATING → CREATED |
CREATE_FAILED (botocore's ImageCreated and ImageVersionCreated waiters wait on exactly those),
DELETING before an image is gone; ``DomainStatus`` and ``UserProfileStatus`` go Updating →
InService | Update_Failed, with a ``FailureReason``, and UpdateDomain answers ``ResourceInUse``
while one is under way (its model lists that error). The emulator holds each busy state for
``state_seconds`` (real SageMaker: seconds to minutes) and can be told to fail the next one of
a kind (``POST /_sm_emulator/sagemaker {"fail": "image-version"}``), so the product is tested
against both outcomes. docs/aws-behaviours.md names the sources.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

DEFAULT_STATE_SECONDS = 1.0
FAILABLE = ("image", "image-version", "domain", "user-profile")
_INJECTED = "The emulator was told to fail this one (POST /_sm_emulator/sagemaker)."

_lock = threading.Lock()
_state_seconds = DEFAULT_STATE_SECONDS
_fail_next: set[str] = set()


def configure(*, state_seconds: float | None = None, fail: str | None = None) -> dict[str, Any]:
    """Set how long busy states last and which kind fails next (None leaves each as it is)."""
    global _state_seconds
    with _lock:
        if state_seconds is not None:
            _state_seconds = max(0.0, float(state_seconds))
        if fail is not None:
            if fail not in FAILABLE:
                raise ValueError(f"fail must be one of {', '.join(FAILABLE)}")
            _fail_next.add(fail)
        return {"state_seconds": _state_seconds, "fail_next": sorted(_fail_next)}


def reset() -> None:
    with _lock:
        _fail_next.clear()


@dataclass
class Transition:
    """One asynchronous change: busy until ``ends``, then done or failed."""

    busy: str
    done: str
    failed: str
    ends: float
    failure: str | None = None

    @property
    def finished(self) -> bool:
        return time.monotonic() >= self.ends

    @property
    def status(self) -> str:
        if not self.finished:
            return self.busy
        return self.failed if self.failure else self.done

    def members(self, status_member: str) -> dict[str, Any]:
        """The Describe members it shows: the status, and the reason once it failed."""
        found: dict[str, Any] = {status_member: self.status}
        if self.finished and self.failure:
            found["FailureReason"] = self.failure
        return found


def begin(kind: str, busy: str, done: str, failed: str, failure: str | None = None) -> Transition:
    """A change of ``kind`` starting now; it fails with ``failure``, or with the injected
    failure when the emulator was told to fail the next one of this kind."""
    with _lock:
        if kind in _fail_next:
            _fail_next.discard(kind)
            failure = failure or _INJECTED
        return Transition(busy, done, failed, time.monotonic() + _state_seconds, failure)
