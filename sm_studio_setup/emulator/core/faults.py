"""Injected faults: the next N calls of an operation fail, with throttling (as AWS's do under
load) or a given error code (ExpiredToken...), so retries and the user-facing errors can be
tested against the emulator.

Stale reads stand in for IAM's eventual consistency ("a read-back right after a write may
still show the old document"): with ``FaultPlan.stale_reads(n)``, after a write to a role the
next ``n`` reads of what it changed answer as they did before the write.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .enforcement import StartResponse, WSGIApp, error_response, parse_call

# Each protocol's throttling code as botocore's retry handler recognises it.
_THROTTLE_CODES = {"json": "ThrottlingException", "query": "Throttling", "s3": "SlowDown"}

# The IAM reads that can be stale, and which of them each write to a role makes stale. A
# policy-scoped read (GetRolePolicy) is only made stale by a write to that same policy.
_STALE_READS = frozenset(
    {"GetRole", "GetRolePolicy", "ListRolePolicies", "ListAttachedRolePolicies"}
)
_POLICY_SCOPED_READS = frozenset({"GetRolePolicy"})
_WRITE_AFFECTS: dict[str, frozenset[str]] = {
    "UpdateAssumeRolePolicy": frozenset({"GetRole"}),
    "PutRolePolicy": frozenset({"GetRolePolicy", "ListRolePolicies"}),
    "DeleteRolePolicy": frozenset({"GetRolePolicy", "ListRolePolicies"}),
    "AttachRolePolicy": frozenset({"ListAttachedRolePolicies"}),
    "DetachRolePolicy": frozenset({"ListAttachedRolePolicies"}),
}

# (operation, lower-cased role name, policy name or "") of a read.
ReadKey = tuple[str, str, str]


@dataclass(frozen=True)
class RecordedResponse:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


def _read_key(operation: str, params: Mapping[str, Any]) -> ReadKey | None:
    role = params.get("RoleName")
    if not isinstance(role, str) or not role:
        return None
    policy = params.get("PolicyName") if operation in _POLICY_SCOPED_READS else ""
    if not isinstance(policy, str):
        return None
    # IAM role names are unique regardless of case.
    return operation, role.lower(), policy


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._remaining: dict[str, int] = {}
        self._codes: dict[str, str | None] = {}
        self._skip: dict[str, int] = {}
        self._stale_reads = 0
        # The last answer each read gave a client, and the reads now answering stale:
        # key -> (the answer from before the write, stale answers left).
        self._recorded: dict[ReadKey, RecordedResponse] = {}
        self._stale: dict[ReadKey, tuple[RecordedResponse, int]] = {}

    def throttle(
        self, operation: str, count: int, *, code: str | None = None, after: int = 0
    ) -> None:
        """Fail the next ``count`` calls of ``operation`` ("iam:GetRole") with throttling, or
        with ``code`` when given, once ``after`` calls have passed (so a fault can hit the
        second GetRole of a sequence, e.g. a read-back, and not the first); a count of 0
        clears it."""
        if ":" not in operation or count < 0 or after < 0:
            raise ValueError("operation must look like iam:GetRole and count, after be >= 0")
        key = operation.lower()
        with self._lock:
            if count:
                self._remaining[key] = count
                self._codes[key] = code
                self._skip[key] = after
            else:
                self._remaining.pop(key, None)
                self._codes.pop(key, None)
                self._skip.pop(key, None)

    def take(self, operation: str) -> tuple[bool, str | None]:
        """Whether this call fails, and with which code (None: the protocol's throttling)."""
        key = operation.lower()
        with self._lock:
            left = self._remaining.get(key, 0)
            if left <= 0:
                return False, None
            if self._skip.get(key, 0) > 0:
                self._skip[key] -= 1
                return False, None
            self._remaining[key] = left - 1
            return True, self._codes.get(key)

    def pending(self) -> dict[str, int]:
        with self._lock:
            return {k: v for k, v in self._remaining.items() if v > 0}

    # -- stale reads (IAM's eventual consistency) ----------------------------------------------

    def stale_reads(self, reads: int) -> None:
        """After each successful IAM write to a role, the next ``reads`` reads of what it changed
        answer as they did before the write; 0 turns it off (and forgets what was recorded).

        Writes and the reads they make stale: UpdateAssumeRolePolicy -> GetRole;
        PutRolePolicy / DeleteRolePolicy -> GetRolePolicy of that policy name and
        ListRolePolicies; AttachRolePolicy / DetachRolePolicy -> ListAttachedRolePolicies.
        "Before the write" is the last answer that read gave (errors such as NoSuchEntity
        included) while stale reads were on: a read never made before the write is not stale.
        Role names match regardless of case, policy names exactly.
        """
        if isinstance(reads, bool) or not isinstance(reads, int) or reads < 0:
            raise ValueError("stale_reads must be a whole number >= 0")
        with self._lock:
            self._stale_reads = reads
            if not reads:
                self._recorded.clear()
                self._stale.clear()

    @property
    def stale_read_count(self) -> int:
        with self._lock:
            return self._stale_reads

    def take_stale(self, key: ReadKey) -> RecordedResponse | None:
        """The stale answer this read gets, if it is stale; counts it."""
        with self._lock:
            entry = self._stale.get(key)
            if entry is None:
                return None
            response, left = entry
            if left <= 1:
                del self._stale[key]
            else:
                self._stale[key] = (response, left - 1)
            return response

    def record_read(self, key: ReadKey, response: RecordedResponse) -> None:
        with self._lock:
            if self._stale_reads:
                self._recorded[key] = response

    def wrote(self, operation: str, params: Mapping[str, Any]) -> None:
        """A write to a role succeeded: make the reads it changed stale."""
        affected = _WRITE_AFFECTS.get(operation)
        role = params.get("RoleName")
        if affected is None or not isinstance(role, str):
            return
        role, policy = role.lower(), params.get("PolicyName")
        with self._lock:
            if not self._stale_reads:
                return
            for key, response in self._recorded.items():
                read, read_role, read_policy = key
                if read not in affected or read_role != role:
                    continue
                if read in _POLICY_SCOPED_READS and read_policy != policy:
                    continue
                # A read still stale from an earlier write keeps that (older) answer: it is
                # what the client was last shown, so it is what was recorded.
                self._stale[key] = (response, self._stale_reads)


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


class StaleReadMiddleware:
    """Serves IAM's stale reads after writes as ``plan.stale_reads`` asks.

    It sits inside enforcement, next to moto: what it records and replays are moto's own
    answers to allowed calls, never a denial or an injected fault.
    """

    def __init__(self, app: WSGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not self.plan.stale_read_count:
            return self.app(environ, start_response)
        call = parse_call(environ)
        if call is None or call.service != "iam" or call.protocol != "query":
            return self.app(environ, start_response)
        if call.operation in _WRITE_AFFECTS:
            status, headers, body = _collect(self.app, environ)
            if status[:1] == "2":
                self.plan.wrote(call.operation, call.params)
            start_response(status, headers)
            return [body]
        key = _read_key(call.operation, call.params) if call.operation in _STALE_READS else None
        if key is None:
            return self.app(environ, start_response)
        stale = self.plan.take_stale(key)
        if stale is not None:
            start_response(stale.status, list(stale.headers))
            return [stale.body]
        status, headers, body = _collect(self.app, environ)
        # A server error is no answer IAM would keep giving.
        if status[:1] in "234":
            self.plan.record_read(key, RecordedResponse(status, list(headers), body))
        start_response(status, headers)
        return [body]


def _collect(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Runs ``app`` to completion: its status, headers and whole body."""
    captured: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, list(headers)
        return chunks.append  # WSGI's legacy write() callable

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], b"".join(chunks)
