"""The Studio Docker stand-in's lifecycle: an HTTP/1.1 server on a unix socket, one thread
per connection, started and stopped by the emulator (``core/server.py``)."""

from __future__ import annotations

import contextlib
import os
import socketserver
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from ...core.latency import RequestCounter
from ...services.ecr import Grant, credentials_for
from .api import Handler
from .settings import DomainLink, EngineSettings, Network
from .store import ImageStore

# sockaddr_un's sun_path holds 108 bytes, the terminating NUL included.
MAX_SOCKET_PATH = 107
SERVICE = "docker"


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    block_on_close = False


class DockerEngine:
    def __init__(
        self,
        socket_path: Path,
        *,
        endpoint_url: str,
        counter: RequestCounter,
        settings: EngineSettings,
        store: ImageStore,
        account: str,
        domain: DomainLink | None = None,
    ) -> None:
        if len(os.fsencode(socket_path)) > MAX_SOCKET_PATH:
            raise ValueError(
                f"the Docker socket path {socket_path} is longer than a unix socket allows "
                f"({MAX_SOCKET_PATH} bytes): use a shorter emulator folder"
            )
        self.socket_path = socket_path
        self.endpoint_url = endpoint_url
        self.counter = counter
        self.settings = settings
        self.store = store
        self.account = account
        self.domain = domain
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._builds: Counter[str] = Counter()
        self._builds_lock = threading.Lock()

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> DockerEngine:
        self.socket_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()  # a socket a previous run left behind
        handler = type("EngineHandler", (Handler,), {"engine": self, "stopping": self._stopping})
        self._stopping.clear()
        self._server = _Server(str(self.socket_path), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sm-emulator-docker", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        # Streams in progress see the event and end (a build leaves no image).
        self._stopping.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    # -- what requests use -------------------------------------------------------------------

    def network(self) -> Network:
        live = self.domain.network() if self.domain is not None else None
        if live is not None:
            return live
        return Network(
            vpc_only=self.settings.vpc_only,
            own_account=self.account,
            trusted_accounts=frozenset(self.settings.trusted_accounts),
        )

    def ecr_client(self, grant: Grant, region: str) -> Any:
        """An ECR client acting as the grant's principal, against the emulator."""
        import boto3
        from botocore.config import Config

        credentials = credentials_for(grant)
        session = boto3.session.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            region_name=region,
        )
        config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 2})
        return session.client("ecr", endpoint_url=self.endpoint_url, config=config)

    def count(self, operation: str, size: int) -> None:
        """One request, and the body bytes it sent, in the emulator's request counter."""
        self.counter.record(f"{SERVICE}:{operation}", size)

    def count_bytes(self, operation: str, size: int) -> None:
        self.counter.add_bytes(f"{SERVICE}:{operation}", size)

    def count_build(self, outcome: str) -> None:
        with self._builds_lock:
            self._builds[outcome] += 1

    def builds(self) -> dict[str, int]:
        """Builds by outcome: completed, failed, cancelled (the client went away)."""
        with self._builds_lock:
            return {k: self._builds[k] for k in ("completed", "failed", "cancelled")}
