"""`sm-studio-setup emulator` in a child process, as users and surface tests run it.

moto's state is global to a process, and in-process tests that enter ``mock_aws`` reset it,
so tests of the surfaces talk to an emulator of its own process.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from sm_studio_setup.emulator.command import READY_MARKER

REPO = Path(__file__).resolve().parents[1]


def read_exports(stream: Any, timeout: float) -> dict[str, str]:
    """Read `export NAME=VALUE` lines up to the ready comment that ends them."""
    lines: list[str] = []
    ready: list[str] = []
    done = threading.Event()

    def reader() -> None:
        for line in stream:
            if not line.startswith("export "):
                ready.append(line)
                break
            lines.append(line)
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    assert done.wait(timeout), f"no ready line within {timeout} s: {lines}"
    assert ready and ready[0].startswith(f"# {READY_MARKER} http://127.0.0.1:"), ready
    env: dict[str, str] = {}
    for line in lines:
        word, assignment = shlex.split(line)
        assert word == "export"
        name, value = assignment.split("=", 1)
        env[name] = value
    return env


class EmulatorProcess:
    def __init__(self, *args: str, timeout: float = 60) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sm_studio_setup", "emulator", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=REPO,
        )
        try:
            self.env = read_exports(self.proc.stdout, timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
