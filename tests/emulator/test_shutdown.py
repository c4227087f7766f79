"""POST /_sm_emulator/shutdown, in a module of its own: it stops the emulator it runs in, and
one process holds one emulator at a time (the other modules' fixtures are gone by now)."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from sm_studio_setup.emulator.server import Emulator


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        return int(response.status)


def test_shutdown_control_closes_the_port_and_cuts_kept_connections() -> None:
    # The UI tests' outage: after POST /shutdown clients meet a closed port, as when the
    # emulator's process is gone; and a connection kept alive from before (botocore keeps
    # them) is cut too, though its server thread outlives the listening socket.
    own = Emulator(seed="none").start()
    try:
        where = urllib.parse.urlsplit(own.endpoint_url)
        kept = http.client.HTTPConnection(where.hostname or "", where.port, timeout=5)
        kept.request("GET", "/_sm_emulator/health")
        first = kept.getresponse()
        first.read()
        assert first.status == 200

        request = urllib.request.Request(
            f"{own.endpoint_url}/_sm_emulator/shutdown", data=b"{}", method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response) == {"stopping": True}
        # At once, before the port closes: a request that still gets through is cut.
        try:
            kept.request("GET", "/_sm_emulator/health")
            early = kept.getresponse()
            early.read()
            early_status: int | None = early.status
        except (ConnectionError, http.client.HTTPException, OSError):
            early_status = None
        assert early_status != 200, "the emulator still served a request after /shutdown"
        kept.close()
        kept = http.client.HTTPConnection(where.hostname or "", where.port, timeout=5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                _get(f"{own.endpoint_url}/_sm_emulator/health")
            except (urllib.error.URLError, ConnectionError):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the emulator still answers new connections after /shutdown")

        try:
            kept.request("GET", "/_sm_emulator/health")
            answer = kept.getresponse()
            answer.read()
            status: int | None = answer.status
        except (ConnectionError, http.client.HTTPException, OSError):
            status = None  # cut, as it should be
        assert status != 200, "a kept connection was still served after /shutdown"
    finally:
        own.stop()
