"""POST /_sm_emulator/shutdown, in a module of its own: it stops the emulator it runs in, and
one process holds one emulator at a time (the other modules' fixtures are gone by now)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from sm_studio_setup.emulator.server import Emulator


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        return int(response.status)


def test_shutdown_control_closes_the_port() -> None:
    # The UI tests' outage: after POST /shutdown, clients meet a closed port, as when the
    # emulator's process is gone.
    own = Emulator(seed="none").start()
    try:
        request = urllib.request.Request(
            f"{own.endpoint_url}/_sm_emulator/shutdown", data=b"{}", method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response) == {"stopping": True}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                _get(f"{own.endpoint_url}/_sm_emulator/health")
            except (urllib.error.URLError, ConnectionError):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the emulator still answers after /shutdown")
    finally:
        own.stop()
