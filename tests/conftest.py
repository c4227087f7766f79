"""Shared fixtures: JupyterLab's server fixtures and an emulator in a child process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

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


def point_at(
    emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, config_dir: Path | None = None
) -> None:
    """Point this test's AWS SDK at ``emulator``, as `sm-studio-setup demo` does; fix backups go
    to ``config_dir`` when given (else the emulator's own folder)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in emulator.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SM_STUDIO_SETUP_DEMO", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    if config_dir is not None:
        monkeypatch.setenv("SM_STUDIO_SETUP_CONFIG_DIR", str(config_dir))


@pytest.fixture
def demo_env(demo_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    point_at(demo_emulator, monkeypatch)
    return dict(demo_emulator.env)


# A fix writes to the role, so its tests use emulators of their own (one per module, stopped
# with it), never the shared demo.


@pytest.fixture(scope="module")
def own_self_service(start_emulator: Callable[..., EmulatorProcess]) -> Iterator[EmulatorProcess]:
    emulator = start_emulator("self-service")
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def own_managed(start_emulator: Callable[..., EmulatorProcess]) -> Iterator[EmulatorProcess]:
    emulator = start_emulator("managed")
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def build_emulator(
    start_emulator: Callable[..., EmulatorProcess],
) -> Iterator[EmulatorProcess]:
    """An emulator of the module's own whose builds take a second, for modules that build
    (a build's fix writes to the role, and its images stay in ECR)."""
    emulator = start_emulator("self-service", "--build-seconds", "1")
    yield emulator
    emulator.stop()
