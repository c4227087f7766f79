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

from sm_studio_setup.emulator.core.server import Emulator


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        return int(response.status)


def _health_on(connection: http.client.HTTPConnection) -> int | None:
    """The status of GET /health on ``connection``; None when the connection is cut."""
    try:
        connection.request("GET", "/_sm_emulator/health")
        answer = connection.getresponse()
        answer.read()
        return answer.status
    except (ConnectionError, http.client.HTTPException, OSError):
        return None


def test_shutdown_control_closes_the_port_and_cuts_kept_connections() -> None:
    # The UI tests' outage: after POST /shutdown clients meet a closed port, as when the
    # emulator's process is gone; and a connection kept alive from before (botocore keeps
    # them) is cut too, though its server thread outlives the listening socket.
    own = Emulator(seed="none").start()
    try:
        where = urllib.parse.urlsplit(own.endpoint_url)
        kept = http.client.HTTPConnection(where.hostname or "", where.port, timeout=5)
        assert _health_on(kept) == 200

        request = urllib.request.Request(
            f"{own.endpoint_url}/_sm_emulator/shutdown", data=b"{}", method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response) == {"stopping": True}
        # At once, before the port closes: a request on the kept connection is cut.
        assert _health_on(kept) != 200, "a kept connection was still served after /shutdown"
        kept.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                _get(f"{own.endpoint_url}/_sm_emulator/health")
            except (urllib.error.URLError, ConnectionError):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the emulator still answers new connections after /shutdown")
    finally:
        own.stop()
