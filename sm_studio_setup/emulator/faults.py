"""Injected faults: the next N calls of an operation fail with throttling, as AWS's do under
load, so retries and the user-facing error can be tested against the emulator."""

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

    def throttle(self, operation: str, count: int) -> None:
        """Fail the next ``count`` calls of ``operation`` ("iam:GetRole"); 0 clears it."""
        if ":" not in operation or count < 0:
            raise ValueError("operation must look like iam:GetRole and count be >= 0")
        with self._lock:
            if count:
                self._remaining[operation.lower()] = count
            else:
                self._remaining.pop(operation.lower(), None)

    def take(self, operation: str) -> bool:
        with self._lock:
            left = self._remaining.get(operation.lower(), 0)
            if left <= 0:
                return False
            self._remaining[operation.lower()] = left - 1
            return True

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
        if call is None or not self.plan.take(f"{call.service}:{call.operation}"):
            return self.app(environ, start_response)
        code = _THROTTLE_CODES.get(call.protocol, "Throttling")
        status = "503 Slow Down" if call.protocol == "s3" else "400 Bad Request"
        status, headers, body = error_response(call, code, "Rate exceeded", status)
        start_response(status, headers)
        return [body]
