"""Shared fixtures: JupyterLab's server fixtures and an emulator in a child process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from .emulator_process import EmulatorProcess

pytest_plugins = ("pytest_jupyter.jupyter_server",)


@pytest.fixture(scope="session")
def start_emulator() -> Iterator[Callable[..., EmulatorProcess]]:
    started: list[EmulatorProcess] = []

    def start(scenario: str = "self-service", *extra: str) -> EmulatorProcess:
        emulator = EmulatorProcess("--scenario", scenario, *extra)
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
