"""Injected faults: the next N calls of an operation fail, with throttling (as AWS's do under
load) or a given error code (ExpiredToken...), so retries and the user-facing errors can be
tested against the emulator."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from .enforcement import StartResponse, WSGIApp, error_response, parse_call

# Each protocol's throttling code as botocore's retry handler recognises it.
_THROTTLE_CODES = {"json": "ThrottlingException", "query": "Throttling", "s3": "SlowDown"}


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._remaining: dict[str, int] = {}
        self._codes: dict[str, str | None] = {}

    def throttle(self, operation: str, count: int, *, code: str | None = None) -> None:
        """Fail the next ``count`` calls of ``operation`` ("iam:GetRole") with throttling, or
        with ``code`` when given; a count of 0 clears it."""
        if ":" not in operation or count < 0:
            raise ValueError("operation must look like iam:GetRole and count be >= 0")
        key = operation.lower()
        with self._lock:
            if count:
                self._remaining[key] = count
                self._codes[key] = code
            else:
                self._remaining.pop(key, None)
                self._codes.pop(key, None)

    def take(self, operation: str) -> tuple[bool, str | None]:
        """Whether this call fails, and with which code (None: the protocol's throttling)."""
        key = operation.lower()
        with self._lock:
            left = self._remaining.get(key, 0)
            if left <= 0:
                return False, None
            self._remaining[key] = left - 1
            return True, self._codes.get(key)

    def pending(self) -> dict[str, int]:
        with self._lock:
            return {k: v for k, v in self._remaining.items() if v > 0}


class FaultMiddleware:
    def __init__(self, app: WSGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not self.plan.pending():
            return self.app(environ, start_response)
        call = parse_call(environ)
        if call is None:
            return self.app(environ, start_response)
        fails, code = self.plan.take(f"{call.service}:{call.operation}")
        if not fails:
            return self.app(environ, start_response)
        if code is None:
            code, message = _THROTTLE_CODES.get(call.protocol, "Throttling"), "Rate exceeded"
            status = "503 Slow Down" if call.protocol == "s3" else "400 Bad Request"
        else:
            message, status = f"Injected {code}", "403 Forbidden"
        status, headers, body = error_response(call, code, message, status)
        start_response(status, headers)
        return [body]
