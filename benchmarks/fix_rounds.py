"""How many AWS requests and sequential round trips a fix takes, with injected latency.

Seeds the demo (self-service scenario: the role may edit itself), then times, with latency L
per request: the plan (a fresh check: discovery, the role snapshot, judging), the apply
(re-read, two writes, read-back until settled) and the undo. Prints requests and elapsed / L
per phase: the rounds each really took.

    .venv/bin/python -m benchmarks.fix_rounds [--latency L] [--stale-reads N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from sm_studio_setup.emulator.core.latency import parse_latency
from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.service import Service
from sm_studio_setup.service.backups import CONFIG_ENV
from sm_studio_setup.service.fix import Settle


def _phase(emulator: Emulator, latency_ms: float, work: Callable[[], Any]) -> tuple[Any, dict]:
    emulator.counter.reset()
    start = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - start
    counts = emulator.counter.snapshot()
    return result, {
        "requests": counts["total"],
        "by_operation": counts["by_operation"],
        "elapsed_s": round(elapsed, 3),
        "rounds": round(elapsed / (latency_ms / 1000), 2),
    }


def measure(latency_ms: float, stale_reads: int) -> dict[str, Any]:
    os.environ.setdefault(CONFIG_ENV, tempfile.mkdtemp(prefix="sm-studio-setup-bench-"))
    with Emulator(seed="demo", scenario="self-service") as emulator:
        service = Service(emulator.studio_session())
        service.check()  # load botocore's models outside the timing
        emulator.set_latency(parse_latency(f"{latency_ms:g}"))
        emulator.faults.stale_reads(stale_reads)
        # Short waits between read-backs, so the figure shows requests rather than back-off.
        settle = Settle(first_delay=0.0, max_delay=0.0)
        plan, planning = _phase(emulator, latency_ms, service.fix_plan)
        applied, applying = _phase(
            emulator, latency_ms, lambda: service.fix_apply(plan, settle=settle)
        )
        _, undoing = _phase(
            emulator, latency_ms, lambda: service.fix_undo(applied.backup_id, settle=settle)
        )
    return {
        "latency_ms": latency_ms,
        "stale_reads": stale_reads,
        "plan": planning,
        "apply": applying,
        "undo": undoing,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=100.0, metavar="MS")
    parser.add_argument("--stale-reads", type=int, default=0, metavar="N")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.latency, args.stale_reads)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return 0
    print(f"latency {args.latency:g} ms, stale reads after each write: {args.stale_reads}")
    for phase in ("plan", "apply", "undo"):
        figures = result[phase]
        print(
            f"{phase:<6} requests={figures['requests']:<3} elapsed={figures['elapsed_s']:.3f} s "
            f"rounds={figures['rounds']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
