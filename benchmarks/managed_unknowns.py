"""How much a managed Studio role's check leaves unknown (issue 20, item 4).

The emulator's managed scenario is a Studio role with AmazonSageMakerFullAccess alone: it may
read neither its own policies nor the policy simulator, so every permission is probed or left
unknown. This runs `check` for image-build as that role and prints the findings counted by
status, and each one left unknown with the reason it gives (before the build's probes and the
new probes: 22 of 32). The emulator runs in this process.

    .venv/bin/python -m benchmarks.managed_unknowns [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3

from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.service.check import CheckOptions, check


@contextmanager
def _as_the_studio_role(emulator: Emulator) -> Iterator[None]:
    # Only the emulator's variables: a real profile or region of this shell must not leak in.
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(emulator.client_env())
    os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def measure() -> dict[str, Any]:
    with (
        Emulator(seed="demo", scenario="managed") as emulator,
        _as_the_studio_role(emulator),
    ):
        report = check(boto3.Session(), CheckOptions(profile="image-build", refresh=True))
    statuses = Counter(f.status for f in report.findings)
    return {
        "findings": len(report.findings),
        "by_status": dict(sorted(statuses.items())),
        "by_source": dict(sorted(Counter(f.source for f in report.findings).items())),
        "unknown": [
            {"who": f.who, "action": f.action, "resource": f.resource, "reason": f.evidence}
            for f in report.findings
            if f.status == "unknown"
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure()
    if args.json:
        print(json.dumps(result))
        return 0
    counts = ", ".join(f"{status} {n}" for status, n in result["by_status"].items())
    print(f"managed scenario, image-build: {result['findings']} findings: {counts}")
    for item in result["unknown"]:
        print(f"  unknown  {item['who']:<6} {item['action']:<32} {item['reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
