"""The emulator's handle on the Studio Docker stand-in: ``--docker enabled|disabled`` and
``POST /_sm_emulator/docker``.

Turning ``enabled`` on starts the stand-in at ``<emulator folder>/docker/proxy.sock``, off stops
it (its images are kept for the next start); every change of ``enabled``, ``vpc_only`` or
``trusted_accounts`` is also written to the seeded domain (``DockerSettings``,
``AppNetworkAccessType``), so that DescribeDomain tells a client what the stand-in does.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

from ...core.latency import RequestCounter
from .engine import DockerEngine
from .settings import DomainLink, EngineSettings, check_changes
from .store import ImageStore

SOCKET_NAME = "proxy.sock"


class DockerControl:
    def __init__(self, *, enabled: bool = False) -> None:
        self.settings = EngineSettings(enabled=enabled)
        self.store = ImageStore()
        self.engine: DockerEngine | None = None
        self._lock = threading.Lock()
        self._where: tuple[Path, str, RequestCounter, str, DomainLink | None] | None = None

    def attach(
        self,
        workdir: Path,
        *,
        endpoint_url: str,
        counter: RequestCounter,
        account: str,
        domain: DomainLink | None,
    ) -> None:
        """Where the stand-in runs once enabled; starts it now when it is."""
        with self._lock:
            self._where = (workdir / "docker" / SOCKET_NAME, endpoint_url, counter, account, domain)
            if domain is not None and self.settings.enabled:
                domain.write(self.settings)
            self._apply_running()

    def detach(self) -> None:
        with self._lock:
            self._where = None
            self._stop()

    @property
    def docker_host(self) -> str | None:
        engine = self.engine
        return engine.docker_host if engine is not None and engine.running else None

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        changes = check_changes(body)
        with self._lock:
            self.settings = dataclasses.replace(self.settings, **changes)
            if self.engine is not None:
                self.engine.settings = self.settings
            domain = self._where[4] if self._where is not None else None
            if domain is not None and {"enabled", "vpc_only", "trusted_accounts"} & set(changes):
                domain.write(self.settings)
            self._apply_running()
        return self.state()

    def state(self) -> dict[str, Any]:
        engine = self.engine
        network = engine.network() if engine is not None else None
        settings = self.settings
        return {
            "enabled": settings.enabled,
            "docker_host": self.docker_host,
            "vpc_only": network.vpc_only if network is not None else settings.vpc_only,
            "trusted_accounts": sorted(network.trusted_accounts)
            if network is not None
            else list(settings.trusted_accounts),
            "build_seconds": settings.build_seconds,
            "fail": settings.fail,
            "builds": engine.builds() if engine is not None else None,
        }

    def _apply_running(self) -> None:
        if not self.settings.enabled or self._where is None:
            self._stop()
            return
        if self.engine is not None:
            return
        socket_path, endpoint_url, counter, account, domain = self._where
        self.engine = DockerEngine(
            socket_path,
            endpoint_url=endpoint_url,
            counter=counter,
            settings=self.settings,
            store=self.store,
            account=account,
            domain=domain,
        ).start()

    def _stop(self) -> None:
        engine, self.engine = self.engine, None
        if engine is not None:
            engine.stop()
