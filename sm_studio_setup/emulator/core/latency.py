"""Injected per-request latency and a request counter, as WSGI middleware.

Loopback calls take a few milliseconds while real AWS takes 50-150 ms, so a design that makes
too many round trips looks fine locally. The delay makes that cost visible, and the counter
lets tests and the benchmark assert exactly how many AWS calls an operation made.
"""

from __future__ import annotations

import io
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Paths that are not AWS calls: the emulator's own control API and moto's.
CONTROL_PREFIXES = ("/_sm_emulator", "/moto-api")

_LATENCY_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?$")
# Guards against a typo such as "80000" silently turning every call into minutes.
MAX_LATENCY_MS = 10_000.0


@dataclass(frozen=True)
class LatencySpec:
    """A delay in milliseconds: fixed when ``min_ms == max_ms``, otherwise uniform."""

    min_ms: float
    max_ms: float

    def sample_seconds(self, rng: random.Random) -> float:
        if self.min_ms == self.max_ms:
            return self.min_ms / 1000.0
        return rng.uniform(self.min_ms, self.max_ms) / 1000.0

    def __str__(self) -> str:
        def fmt(ms: float) -> str:
            return f"{ms:g}"

        if self.min_ms == self.max_ms:
            return fmt(self.min_ms)
        return f"{fmt(self.min_ms)}-{fmt(self.max_ms)}"


def parse_latency(text: str) -> LatencySpec:
    """Parse ``"80"`` (fixed) or ``"50-150"`` (uniform range), in milliseconds."""
    match = _LATENCY_RE.match(text)
    if match is None:
        raise ValueError(
            f"invalid latency {text!r}: expected milliseconds as MS or MIN-MAX, e.g. 80 or 50-150"
        )
    low = float(match.group(1))
    high = float(match.group(2)) if match.group(2) is not None else low
    if low > high:
        raise ValueError(f"invalid latency {text!r}: the minimum {low:g} exceeds the maximum")
    if high > MAX_LATENCY_MS:
        raise ValueError(
            f"invalid latency {text!r}: at most {MAX_LATENCY_MS:g} ms per request is allowed"
        )
    return LatencySpec(low, high)


# Intervals kept for ``rounds``; a benchmark's few hundred requests fit many times over.
_MAX_INTERVALS = 10_000


def sequential_rounds(intervals: Iterable[tuple[float, float]]) -> int:
    """The longest chain of requests each of which started only after the previous one ended:
    how many round trips an operation really waited for one after another, whatever ran
    beside them. Greedy by end time finds the largest set of pairwise disjoint intervals,
    which is exactly such a chain."""
    rounds, last_end = 0, float("-inf")
    for start, end in sorted(intervals, key=lambda se: se[1]):
        if start >= last_end:
            rounds, last_end = rounds + 1, end
    return rounds


class RequestCounter:
    """Thread-safe count of AWS requests, in total and per ``service:Operation``, with when
    each one was served (so a benchmark can tell sequential round trips from parallel ones)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_operation: Counter[str] = Counter()
        self._bytes_in: Counter[str] = Counter()
        self._intervals: list[tuple[float, float]] = []

    def record(self, operation: str, size: int = 0) -> None:
        """One request of ``operation`` whose body held ``size`` bytes (uploads)."""
        with self._lock:
            self._by_operation[operation] += 1
            if size:
                self._bytes_in[operation] += size

    def add_bytes(self, operation: str, size: int) -> None:
        """Body bytes of a request already recorded (one whose size was known only later)."""
        if size > 0:
            with self._lock:
                self._bytes_in[operation] += size

    def served(self, start: float, end: float) -> None:
        with self._lock:
            if len(self._intervals) < _MAX_INTERVALS:
                self._intervals.append((start, end))

    def reset(self) -> None:
        with self._lock:
            self._by_operation.clear()
            self._bytes_in.clear()
            self._intervals.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_operation = dict(sorted(self._by_operation.items()))
            bytes_in = dict(sorted(self._bytes_in.items()))
            intervals = list(self._intervals)
        by_service: Counter[str] = Counter()
        for operation, count in by_operation.items():
            by_service[operation.split(":", 1)[0]] += count
        return {
            "total": sum(by_operation.values()),
            "by_service": dict(sorted(by_service.items())),
            "by_operation": by_operation,
            "rounds": sequential_rounds(intervals),
            "bytes_in": sum(bytes_in.values()),
            "bytes_in_by_operation": bytes_in,
        }


def is_control_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in CONTROL_PREFIXES)


def describe_request(environ: dict[str, Any]) -> str:
    """Name the request as IAM names actions, e.g. ``iam:ListRoles``, as far as it can tell."""
    service = _signing_service(environ.get("HTTP_AUTHORIZATION", "")) or "unknown"
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        # JSON protocols: "SageMaker.CreateDomain", "Logs_20140328.GetLogEvents"
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    action = _query_action(environ)
    if action:
        return f"{service}:{action}"
    return f"{service}:{environ.get('REQUEST_METHOD', 'GET')}"


def _signing_service(authorization: str) -> str | None:
    # SigV4: "AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/iam/aws4_request, ..."
    marker = "Credential="
    start = authorization.find(marker)
    if start < 0:
        return None
    scope = authorization[start + len(marker) :].split(",", 1)[0].split("/")
    return scope[3] if len(scope) >= 5 else None


def _query_action(environ: dict[str, Any]) -> str | None:
    from_query = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if from_query:
        return from_query[0]
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length <= 0:
        return None
    body = environ["wsgi.input"].read(length)
    # The body was consumed: hand the next application an unread copy.
    environ["wsgi.input"] = io.BytesIO(body)
    actions = parse_qs(body.decode("utf-8", "replace")).get("Action")
    return actions[0] if actions else None


class LatencyMiddleware:
    """Counts every AWS request, then delays it by the current :class:`LatencySpec`."""

    def __init__(
        self,
        app: WSGIApp,
        spec: LatencySpec | None = None,
        counter: RequestCounter | None = None,
        *,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.app = app
        # Replaced wholesale (never mutated) so that a request reads one consistent value.
        self.spec = spec
        self.counter = counter or RequestCounter()
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._sleep = sleep

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if is_control_path(environ.get("PATH_INFO", "")):
            return self.app(environ, start_response)
        try:
            size = max(0, int(environ.get("CONTENT_LENGTH") or 0))
        except ValueError:
            size = 0
        self.counter.record(describe_request(environ), size)
        started = time.monotonic()
        spec = self.spec
        if spec is not None and spec.max_ms > 0:
            with self._rng_lock:
                delay = spec.sample_seconds(self._rng)
            self._sleep(delay)
        try:
            # moto answers with a list of bytes, so the work is done once this returns.
            return self.app(environ, start_response)
        finally:
            self.counter.served(started, time.monotonic())
