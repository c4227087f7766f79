"""Shared fixtures: JupyterLab's server fixtures and an emulator in a child process.

The emulator used by surface tests runs in its own process: moto's state is global to a
process, and in-process tests that enter ``mock_aws`` reset it.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest_plugins = ("pytest_jupyter.jupyter_server",)

REPO = Path(__file__).resolve().parents[1]


class EmulatorProcess:
    """`sm-studio-setup emulator` as a user runs it: export lines on stdout, then serving."""

    def __init__(self, scenario: str, extra: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sm_studio_setup", "emulator", "--scenario", scenario, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        # The human note on stderr comes after the export lines were flushed to stdout.
        note = b""
        for raw in self.proc.stderr:
            note += raw
            if b"serving on" in raw:
                break
        else:
            raise RuntimeError(f"the emulator did not start: {note.decode(errors='replace')}")
        os.set_blocking(self.proc.stdout.fileno(), False)
        exports = self.proc.stdout.read() or b""
        self.env = parse_exports(exports.decode())
        # Keep draining stderr so a chatty server can never block on a full pipe.
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def parse_exports(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            env[name] = shlex.split(value)[0] if value else ""
    return env


@pytest.fixture(scope="session")
def start_emulator() -> Iterator[Callable[..., EmulatorProcess]]:
    started: list[EmulatorProcess] = []

    def start(scenario: str = "self-service", *extra: str) -> EmulatorProcess:
        emulator = EmulatorProcess(scenario, list(extra))
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture(scope="session")
def demo_emulator(start_emulator: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    return start_emulator("self-service")


@pytest.fixture
def demo_env(demo_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point this test's AWS SDK at the demo emulator, as `sm-studio-setup demo` does."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in demo_emulator.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SM_STUDIO_SETUP_DEMO", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return dict(demo_emulator.env)
