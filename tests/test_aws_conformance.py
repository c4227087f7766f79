"""scripts/aws-conformance: it answers every unconfirmed premise of the probes, against the
emulator in CI (--dry-run: it must not need AWS to be tested), cleans up what it made, and
refuses to touch an AWS account unless that account is named on purpose."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

from sm_studio_setup.aws.probes import PREMISES

from .emulator_process import REPO, EmulatorProcess


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "aws-conformance"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )


def test_the_dry_run_answers_every_premise_and_leaves_nothing() -> None:
    done = run("--dry-run")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [
        line for line in done.stdout.splitlines() if line.startswith("| ") and "---" not in line
    ]
    for text, _ in PREMISES.values():
        [row] = [r for r in rows if r.startswith(f"| {text} |")]
        assert row.endswith("| denied | allowed | confirmed |"), row
    assert any("sts:AssumeRole" in r and "confirmed" in r for r in rows)
    assert "Left behind: nothing." in done.stdout


def test_it_refuses_an_account_not_named_on_purpose(
    start_emulator: Callable[..., EmulatorProcess],
) -> None:
    bare = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    refused = run(env=bare)
    assert refused.returncode == 2
    assert "name the sandbox account with --account" in refused.stderr
    emulator = start_emulator("self-service")
    try:
        env = {**bare, **emulator.env, "AWS_CONFIG_FILE": os.devnull}
        other = run("--account", "999999999999", env=env)
        assert other.returncode == 2
        assert "not 999999999999: nothing was done" in other.stderr
    finally:
        emulator.stop()
