"""Orchestration without UI: surfaces turn input into these calls and render the result.

Later waves add ``build`` and ``attach`` here, next to ``whoami``, ``check`` and ``fix``.
"""

from __future__ import annotations

import boto3

from ..aws.identity import Identity, whoami
from ..aws.session import demo_mode, new_session
from ..repair.plan import Plan
from . import backups, fix
from .check import CheckOptions, Report, check


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
