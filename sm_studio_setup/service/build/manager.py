"""Builds that outlive the request starting them: the server's background builds.

A build takes minutes; a request takes milliseconds. ``BuildManager.start`` saves the build's
record, runs the build in a thread of its own and returns at once; the page then reads the
record (status, steps, phases) and the log from a cursor, and may ask for a stop. The record is
the only state: a reloaded page finds the build by listing, and a restarted server
(``recover``) follows again every build its predecessor left on CodeBuild, and cleans up after
the ones that died before getting there (their project and zip would otherwise stay behind).

An idempotency key names a start: a second start with the same key (a double click, a retried
request) returns the first build instead of starting another one.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import BadInput, SetupError
from ..api import Service
from ..options import BuildOptions
from .engine import Build, BuildEvent, local_preflight, options_json
from .records import BuildRecord, Records, new_id, now

_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class BuildConflict(SetupError):
    code = "build_conflict"
    http_status = 409


@dataclass
class _Running:
    build: Build
    thread: threading.Thread


class BuildManager:
    def __init__(
        self,
        service: Callable[[], Service],
        records: Records,
        *,
        poll_seconds: float = 5.0,
        on_event: Callable[[BuildEvent], None] | None = None,
    ) -> None:
        self._service = service
        self.records = records
        self.poll_seconds = poll_seconds
        self._on_event = on_event
        self._running: dict[str, _Running] = {}
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()

    # --- starting, reading, stopping -----------------------------------------------------

    def start(self, options: BuildOptions, idempotency_key: str | None = None) -> BuildRecord:
        if idempotency_key is not None and not _KEY.fullmatch(idempotency_key):
            raise BadInput(
                "The idempotency key is 1 to 128 letters, digits and _ . : -.",
                field="idempotency_key",
            )
        with self._lock:
            if idempotency_key is None or idempotency_key not in self._keys:
                local_preflight(options)  # a missing folder or Dockerfile: 400 now, not later
            if idempotency_key is not None and idempotency_key in self._keys:
                first = self.records.load(self._keys[idempotency_key])
                if first.options != options_json(options):
                    raise BuildConflict(
                        f"The idempotency key {idempotency_key} started build {first.id} with "
                        "other options.",
                        "Use a new key for a new build.",
                    )
                return first
            record = BuildRecord(id=new_id(), created=now(), idempotency_key=idempotency_key)
            record.options = options_json(options)
            self.records.save(record)
            if idempotency_key is not None:
                self._keys[idempotency_key] = record.id
            self._launch(record, options, resume=False)
        return record

    def get(self, build_id: str) -> BuildRecord:
        return self.records.load(build_id)

    def recent(self, limit: int = 50) -> list[BuildRecord]:
        return self.records.all()[:limit]

    def running(self, build_id: str) -> bool:
        with self._lock:
            return build_id in self._running

    def stop(self, build_id: str) -> BuildRecord:
        """Ask a running build to stop; a build that already ended is returned as it is."""
        record = self.records.load(build_id)
        with self._lock:
            running = self._running.get(build_id)
        if running is not None and not record.final:
            running.build.stop.set()
            record = running.build.record
        return record

    def wait(self, build_id: str, timeout: float | None = None) -> BuildRecord:
        with self._lock:
            running = self._running.get(build_id)
        if running is not None:
            running.thread.join(timeout)
        return self.records.load(build_id)

    # --- a server starting and going away ------------------------------------------------

    def recover(self) -> list[str]:
        """Take up the builds a previous server left unfinished; the ids taken up."""
        taken = []
        for record in self.records.all():
            if record.idempotency_key:
                self._keys.setdefault(record.idempotency_key, record.id)
            if record.final and (record.cleaned or not record.made_something):
                continue
            with self._lock:
                if record.id in self._running:
                    continue
                self._launch(record, _options_of(record), resume=True)
            taken.append(record.id)
        return taken

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop what has not reached CodeBuild (cleaning up), leave the rest running there."""
        with self._lock:
            running = list(self._running.values())
        for item in running:
            item.build.detach.set()
        for item in running:
            item.thread.join(timeout)

    # --- the threads ---------------------------------------------------------------------

    def _launch(self, record: BuildRecord, options: BuildOptions, *, resume: bool) -> None:
        service = self._service()
        build = Build(
            service.session,
            options,
            self.records,
            on_event=self._on_event,
            poll_seconds=self.poll_seconds,
            record=record,
            attach=service.attacher(options),
            surface="rest",
        )
        thread = threading.Thread(
            target=self._run, args=(build, resume), name=f"sm-studio-setup {record.id}", daemon=True
        )
        self._running[record.id] = _Running(build, thread)
        thread.start()

    def _run(self, build: Build, resume: bool) -> None:
        try:
            if not resume:
                build.run()
            elif build.record.final or build.record.codebuild_id is None:
                build.abandon()
            else:
                build.resume()
        finally:
            with self._lock:
                self._running.pop(build.record.id, None)


def _options_of(record: BuildRecord) -> BuildOptions:
    """The options a record was started with (lists back to the tuples they were)."""
    values: dict[str, Any] = {}
    for name, value in record.options.items():
        if name in ("build_args", "tags"):
            value = tuple(tuple(pair) for pair in value)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    try:
        return BuildOptions(**values)
    except (TypeError, SetupError):
        return BuildOptions()
