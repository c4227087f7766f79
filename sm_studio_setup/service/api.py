"""Orchestration without UI: surfaces turn input into these calls and render the result.

whoami, check, fix (plan, apply, undo), build, attach and the lifecycle configuration that
installs this tool for a domain: the CLI, the magic, the REST routes (and through them the
sidebar) and the widgets all call these, and nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3

from ..aws.identity import Identity, whoami
from ..aws.session import demo_mode, new_session
from ..repair.plan import Plan
from . import backups, fix, lifecycle, wheelhouse
from .attach import AttachResult, attach
from .build.engine import Build, EventSink, local_preflight
from .build.records import BuildRecord, Records
from .check import CheckOptions, Report, check
from .lifecycle import LifecycleResult
from .options import AttachOptions, BuildOptions, LifecycleOptions
from .wheelhouse import Wheelhouse, WheelhouseOptions


class Service:
    def __init__(self, session: boto3.Session | None = None, *, region: str | None = None) -> None:
        # The session is created lazily so constructing a Service never touches AWS config;
        # surfaces can build one at start-up and report configuration errors per request.
        self._session = session
        self._region = region

    @property
    def session(self) -> boto3.Session:
        if self._session is None:
            self._session = new_session(self._region)
        return self._session

    def whoami(self) -> Identity:
        return whoami(self.session, demo=demo_mode())

    def check(self, options: CheckOptions | None = None) -> Report:
        return check(self.session, options or CheckOptions())

    def fix_plan(self, options: CheckOptions | None = None) -> Plan:
        return fix.plan(self.session, options or CheckOptions())

    def fix_apply(self, plan: Plan, *, settle: fix.Settle | None = None) -> fix.FixResult:
        return fix.apply(self.session, plan, settle=settle)

    def fix_undo_plan(self, backup_id: str) -> fix.UndoPlan:
        """What ``fix_undo`` would write, without writing anything."""
        return fix.undo_plan(self.session, backup_id)

    def fix_undo(
        self, backup_id: str, *, force: bool = False, settle: fix.Settle | None = None
    ) -> fix.FixResult:
        return fix.undo(self.session, backup_id, force=force, settle=settle)

    def list_backups(self, role_arn: str | None = None) -> list[backups.Backup]:
        return backups.list_backups(role_arn)

    def build(
        self,
        options: BuildOptions,
        on_event: EventSink | None = None,
        *,
        stop: threading.Event | None = None,
        records: Records | None = None,
        poll_seconds: float = 5.0,
        record: BuildRecord | None = None,
    ) -> BuildRecord:
        """Run a build to its end in this thread; ``on_event`` hears every step, phase and log
        line, ``stop`` (set from another thread) stops it. Returns the build's record.

        What is wrong with the folder or the Dockerfile raises before a record exists."""
        local_preflight(options)
        build = Build(
            self.session,
            options,
            records or Records(),
            on_event=on_event,
            poll_seconds=poll_seconds,
            stop=stop or threading.Event(),
            attach=self.attacher(options),
        )
        if record is not None:
            build.record = record
        return build.run()

    def attacher(
        self, options: BuildOptions
    ) -> Callable[[BuildRecord, Callable[[str], None]], dict[str, Any]]:
        """What a build with ``--attach`` calls once its image is in ECR (and whom it tells
        what attaching waits for)."""
        return lambda done, say: self.attach(_attach_options(options, done), say).to_json()

    def attach(
        self, options: AttachOptions, say: Callable[[str], None] | None = None
    ) -> AttachResult:
        return attach(self.session, options, say)

    def builds(self, records: Records | None = None) -> list[BuildRecord]:
        return (records or Records()).all()

    def lifecycle_script(self, options: LifecycleOptions) -> str:
        """The lifecycle configuration's script (no AWS call)."""
        return lifecycle.script(options)

    def lifecycle_install(
        self, options: LifecycleOptions, say: Callable[[str], None] | None = None
    ) -> LifecycleResult:
        """Create the lifecycle configuration and attach it, or hand the change off."""
        return lifecycle.install(self.session, options, say)

    def wheelhouse(
        self, options: WheelhouseOptions, say: Callable[[str], None] | None = None
    ) -> Wheelhouse:
        """The wheels a lifecycle configuration installs from S3 (pip download, no AWS call)."""
        return wheelhouse.make(options, say)


def _attach_options(options: BuildOptions, done: BuildRecord) -> AttachOptions:
    assert options.attach is not None and done.image_uri is not None
    return AttachOptions(
        image_uri=done.image_uri,
        image_name=options.attach,
        scope=options.scope,
        role=done.role_arn,
        context=options.context,
        dockerfile=options.dockerfile,
        platform=options.platform,
    )
