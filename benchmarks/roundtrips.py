"""Round trips under injected latency: N AWS calls against the emulator with L ms per request.

Sequentially, N calls can never take less than N x L, so the ratio elapsed / (N x L) is at
least 1 and shows how much the client and the emulator add on top. Run concurrently, the
calls overlap and the ratio drops below 1: the way to make many calls cheap is to not wait
for them one after another. The server's request counter must equal N in both runs, which is
how tests elsewhere count the AWS calls an operation makes.

    python -m benchmarks.roundtrips [--n 50] [--latency 80] [--threads 8] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from botocore.config import Config

from sm_studio_setup.emulator.core.latency import LatencySpec, parse_latency
from sm_studio_setup.emulator.core.server import Emulator


@dataclass(frozen=True)
class Result:
    mode: str
    threads: int
    n: int
    latency_ms: str
    elapsed_s: float
    n_times_l_s: float
    ratio: float
    counted_requests: int
    counted_by_operation: dict[str, int]


def _control(emulator: Emulator, path: str, method: str = "GET") -> dict[str, Any]:
    request = urllib.request.Request(f"{emulator.endpoint_url}/_sm_emulator/{path}", method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        data: dict[str, Any] = json.load(response)
    return data


def _calls(emulator: Emulator, threads: int) -> list[Callable[[], object]]:
    # Clients are thread-safe once created; creating them is not, so that happens here.
    session = emulator.admin_session()
    config = Config(max_pool_connections=max(10, threads), retries={"max_attempts": 1})
    sts = session.client("sts", config=config)
    iam = session.client("iam", config=config)
    return [sts.get_caller_identity, iam.list_roles]


def measure(emulator: Emulator, n: int, spec: LatencySpec, threads: int) -> Result:
    calls = _calls(emulator, threads)
    for call in calls:  # warm-up: connection set-up and moto's lazy backend creation
        call()
    _control(emulator, "stats/reset", "POST")
    work = [calls[i % len(calls)] for i in range(n)]
    start = time.perf_counter()
    if threads <= 1:
        for call in work:
            call()
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda call: call(), work))
    elapsed = time.perf_counter() - start
    stats = _control(emulator, "stats")
    # For a range the expected delay is its midpoint.
    n_times_l = n * (spec.min_ms + spec.max_ms) / 2 / 1000.0
    return Result(
        mode="sequential" if threads <= 1 else "concurrent",
        threads=max(threads, 1),
        n=n,
        latency_ms=str(spec),
        elapsed_s=round(elapsed, 4),
        n_times_l_s=round(n_times_l, 4),
        ratio=round(elapsed / n_times_l, 3) if n_times_l else float("nan"),
        counted_requests=int(stats["total"]),
        counted_by_operation=dict(stats["by_operation"]),
    )


def run(n: int, spec: LatencySpec, threads: int) -> list[Result]:
    with Emulator(seed="none", latency=spec) as emulator:
        return [measure(emulator, n, spec, 1), measure(emulator, n, spec, threads)]


def _report(results: Sequence[Result]) -> str:
    lines = []
    for r in results:
        lines.append(
            f"{r.mode:<10} threads={r.threads:<3} N={r.n} L={r.latency_ms} ms  "
            f"elapsed={r.elapsed_s:.3f} s  N*L={r.n_times_l_s:.3f} s  "
            f"ratio={r.ratio:.3f}  counted={r.counted_requests}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=50, help="number of AWS calls (default 50)")
    parser.add_argument(
        "--latency", type=parse_latency, default=parse_latency("80"), help="MS or MIN-MAX"
    )
    parser.add_argument("--threads", type=int, default=8, help="for the concurrent run")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    if args.threads < 2:
        parser.error("--threads must be at least 2 for the concurrent run")
    results = run(args.n, args.latency, args.threads)
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    else:
        print(_report(results))
    # The counter is the benchmark's own check: anything but N means calls went uncounted.
    return 0 if all(r.counted_requests == r.n for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
