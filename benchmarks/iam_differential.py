"""The larger differential run: sm_studio_setup.iam against @cloud-copilot/iam-simulate.

Draws N cases per family from tests/iam/strategies.py, asks both engines, and prints every
disagreement that is not a documented divergence (docs/iam-divergences.md), smallest example
first for each kind of disagreement. Exit status 1 when there are undocumented disagreements.

    python -m benchmarks.iam_differential [--examples 2000] [--family trust] [--json] [--seed N]

Needs node and tools/iam-oracle/node_modules (`cd tools/iam-oracle && jlpm install --immutable`;
started automatically when missing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.iam import strategies as gen
from tests.iam.oracle import known_divergence, shared_oracle
from tests.iam.test_differential import engine_result

Json = dict[str, Any]


def run_family(family: str, examples: int, random_seed: int) -> tuple[Counter[str], list[Json]]:
    """Judge ``examples`` cases of ``family``; returns the tallies and the disagreements."""
    oracle = shared_oracle()
    tally: Counter[str] = Counter()
    disagreements: list[Json] = []
    strategy = (
        gen.operator_cases(family[len("operators:") :])
        if family.startswith("operators:")
        else gen.FAMILY_STRATEGIES[family]()
    )

    @seed(random_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def judge(case: Json) -> None:
        theirs = oracle.ask(case)
        if not theirs.usable:
            tally["oracle could not judge"] += 1
            disagreements.append({"kind": "unusable", "oracle": str(theirs), "case": case})
            return
        ours = engine_result(case)
        tally[f"oracle {theirs.result}"] += 1
        if ours == theirs.result:
            tally["agree"] += 1
            return
        divergence = known_divergence(case)
        if divergence is not None and not ours.startswith("error"):
            tally[f"known divergence {divergence}"] += 1
            return
        tally["disagree"] += 1
        disagreements.append({"kind": f"ours={ours[:60]} theirs={theirs.result}", "case": case})

    judge()
    return tally, disagreements


def families() -> list[str]:
    names = [f"operators:{f}" for f in gen.FAMILIES]
    return names + [name for name in gen.FAMILY_STRATEGIES if name != "operators"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="cases per family")
    parser.add_argument("--family", action="append", choices=families(), help="repeatable")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=3, help="examples shown per kind")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)

    report: dict[str, Any] = {"examples_per_family": args.examples, "families": {}}
    undocumented = 0
    started = time.perf_counter()
    for family in args.family or families():
        tally, found = run_family(family, args.examples, args.seed)
        by_kind: dict[str, list[Json]] = defaultdict(list)
        for item in found:
            by_kind[item["kind"]].append(item["case"])
        smallest = {
            kind: sorted(cases, key=lambda c: len(json.dumps(c)))[: args.show]
            for kind, cases in by_kind.items()
        }
        undocumented += len(found)
        report["families"][family] = {"tally": dict(tally), "disagreements": smallest}
        if not args.json:
            counts = ", ".join(f"{k}={v}" for k, v in sorted(tally.items()))
            print(f"{family:26s} {counts}")
            for kind, cases in smallest.items():
                print(f"  DISAGREEMENT {kind} ({len(by_kind[kind])} cases); smallest:")
                for case in cases:
                    print("    " + json.dumps(case))
    report["undocumented_disagreements"] = undocumented
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        print(f"undocumented disagreements: {undocumented} ({report['seconds']} s)")
    return 1 if undocumented else 0


if __name__ == "__main__":
    sys.exit(main())
