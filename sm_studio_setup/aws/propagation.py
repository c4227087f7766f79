"""IAM changes take time to reach other services: a call right after a fix is retried for a
while, saying what it waits for.

AWS's IAM guide says changes are "not always immediately visible"; it publishes no figure.
Right after a trust or policy change CodeBuild's CreateProject and StartBuild answer
``InvalidInputException: CodeBuild is not authorized to perform: sts:AssumeRole on service role
...`` (and with a VPC ``Not authorized to perform DescribeSecurityGroups``) for up to a couple of
minutes; HashiCorp's Terraform AWS provider retries exactly these for two minutes
(``propagationTimeout``). A permission the fix has just granted can likewise still be denied by
the service that checks it. So (docs/aws-behaviours.md, "Propagation"):

- CodeBuild's "not authorized to perform" is retried always: it is what propagation looks like,
  and what a wrong trust looks like too, which the check has already ruled out;
- AccessDenied is retried only when the role was changed by this tool within the window (a
  backup of that change says when): otherwise it is a real gap, reported at once;
- with backoff (1 s, doubling, at most 10 s) for ``window_seconds`` (120 s by default, or
  ``SM_STUDIO_SETUP_PROPAGATION_SECONDS``), telling the caller what it waits for; when the time
  runs out the first error is raised, with AWS's sentence and what to do.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from ..errors import AwsAccessDenied, SetupError

T = TypeVar("T")
WINDOW_ENV = "SM_STUDIO_SETUP_PROPAGATION_SECONDS"
DEFAULT_WINDOW_SECONDS = 120.0
_NOT_AUTHORIZED = "ot authorized to perform"


class Flag(Protocol):
    def is_set(self) -> bool: ...


class PropagationTimeout(SetupError):
    """An error that looked like IAM propagation outlasted the window: AWS's first answer."""

    code = "iam_not_propagated"
    http_status = 409


def window_seconds() -> float:
    raw = os.environ.get(WINDOW_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_WINDOW_SECONDS
    except ValueError:
        return DEFAULT_WINDOW_SECONDS
    return min(max(value, 0.0), 900.0)


def waiting_for(error: SetupError, *, recent_change: bool) -> str | None:
    """What ``error`` waits for when it is IAM propagation; None when it is a real error."""
    code = str(error.details.get("code") or "")
    if code == "InvalidInputException" and _NOT_AUTHORIZED in error.message:
        if "sts:AssumeRole" in error.message:
            return "CodeBuild to be allowed to assume the role"
        return "CodeBuild to be allowed what the role grants for the VPC"
    if recent_change and isinstance(error, AwsAccessDenied):
        return "the role's new permissions to reach the service"
    return None


def retrying(
    call: Callable[[], T],
    *,
    recent_change: bool,
    say: Callable[[str], None],
    stop: Flag | None = None,
    window: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, retried while it fails as IAM propagation does (module doc)."""
    window = window_seconds() if window is None else window
    started = clock()
    first: SetupError | None = None
    delay = 1.0
    told = ""
    while True:
        try:
            return call()
        except SetupError as exc:
            reason = waiting_for(exc, recent_change=recent_change)
            if reason is None:
                raise
            first = first or exc
            waited = clock() - started
            if waited + delay > window or (stop is not None and stop.is_set()):
                raise PropagationTimeout(
                    f"{first.message} (still so after waiting {waited:.0f} s for IAM changes "
                    "to reach the service).",
                    "IAM changes usually arrive within two minutes; if the role was not just "
                    "changed, run the check: it says what the role lacks.",
                    details=first.details,
                ) from exc
            if reason != told:
                say(
                    f"Waiting for {reason}: IAM changes take a while to reach other services "
                    f"(up to {window:.0f} s)."
                )
                told = reason
            sleep(delay)
            delay = min(delay * 2, 10.0)
