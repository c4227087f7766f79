"""Issue 11, item 5: an interrupt while a write is in flight, as a user makes it.

The CLI runs `fix --apply` against an emulator in its own process whose every request takes
300 ms; the emulator counts a write when it arrives and applies it only after that delay, so a
signal sent once the count shows the write lands while its answer is outstanding. Whatever
that write did, the role must end as it was and the backup must say so.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..emulator_process import REPO, EmulatorProcess
from ..roles import state_of


@pytest.fixture
def slow(start_emulator: Callable[..., EmulatorProcess]) -> Iterator[EmulatorProcess]:
    emulator = start_emulator("self-service", "--latency", "300")
    yield emulator
    emulator.stop()


def _stats(emulator: EmulatorProcess) -> dict[str, int]:
    url = f"{emulator.env['AWS_ENDPOINT_URL']}/_sm_emulator/stats"
    with urllib.request.urlopen(url, timeout=10) as response:
        found: dict[str, int] = json.load(response)["by_operation"]
    return found


def _env(emulator: EmulatorProcess, config: Path) -> dict[str, str]:
    return {
        **os.environ,
        **emulator.env,
        "SM_STUDIO_SETUP_CONFIG_DIR": str(config),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


@pytest.mark.parametrize("operation", ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_write_restores_what_it_may_have_done(
    slow: EmulatorProcess, tmp_path: Path, operation: str, signum: int
) -> None:
    before = state_of(slow)
    env = _env(slow, tmp_path)
    fix = subprocess.Popen(
        [sys.executable, "-m", "sm_studio_setup", "fix", "--apply"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while _stats(slow).get(operation, 0) == 0:
        assert fix.poll() is None, fix.communicate()
        assert time.monotonic() < deadline, f"{operation} never started"
        time.sleep(0.02)
    # The write has reached the emulator, which applies it in about 300 ms: it is in flight.
    fix.send_signal(signum)
    out, err = fix.communicate(timeout=90)
    assert fix.returncode == 128 + signum, (out, err)
    assert "interrupted" in err and "Traceback" not in err

    assert state_of(slow) == before, "the role must be as it was"
    listed = subprocess.run(
        [sys.executable, "-m", "sm_studio_setup", "fix", "--list-backups", "--json"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (backup,) = json.loads(listed.stdout)
    assert backup["outcome"] == "rolled-back", backup
    assert "interrupted" in backup["detail"]
