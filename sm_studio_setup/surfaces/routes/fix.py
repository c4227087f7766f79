"""The fix: plans made and kept by the server, applied by id; undo and the backups."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

import tornado

from ...errors import SetupError
from ...repair.plan import Plan
from .base import BadRequest, BaseHandler, fields_of, read_body
from .check import check_options_from_json


class PlanNotFound(SetupError):
    code = "plan_not_found"
    http_status = 404


class PlanStore:
    """Plans made by this server, so an apply writes exactly the plan the user saw.

    The client names a plan by id and never sends documents to write: a browser cannot make
    the server write anything but what it planned itself. Plans expire, because an old plan
    is likely stale (the apply would then refuse it anyway, as the role changed).
    """

    def __init__(self, ttl_seconds: float = 15 * 60, capacity: int = 64) -> None:
        self.ttl = ttl_seconds
        self.capacity = capacity
        self._plans: OrderedDict[str, tuple[float, Plan]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, plan: Plan) -> None:
        with self._lock:
            self._plans[plan.id] = (time.monotonic(), plan)
            self._plans.move_to_end(plan.id)
            while len(self._plans) > self.capacity:
                self._plans.popitem(last=False)

    def get(self, plan_id: Any) -> Plan:
        with self._lock:
            found = self._plans.get(plan_id) if isinstance(plan_id, str) else None
        if found is None or time.monotonic() - found[0] > self.ttl:
            raise PlanNotFound(
                f"There is no plan {plan_id} on this server (plans last "
                f"{int(self.ttl // 60)} minutes and a restart forgets them).",
                "Plan again (POST fix/plan), then apply the new plan's id.",
            )
        return found[1]


# Every request body is a handful of options: anything larger is not one of ours.


class _FixHandler(BaseHandler):
    def plans(self) -> PlanStore:
        store = self.settings.get("sm_studio_setup_plans")
        if store is None:
            store = self.settings["sm_studio_setup_plans"] = PlanStore()
        return store


class FixPlanHandler(_FixHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            options = check_options_from_json(read_body(self))
        except SetupError as exc:
            self.write_setup_error(exc)
            return

        def work() -> dict[str, Any]:
            plan = self.service().fix_plan(options)
            self.plans().add(plan)
            return plan.to_json()

        await self.run(work)


class FixApplyHandler(_FixHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            body = fields_of(read_body(self), {"plan_id": str})
            if "plan_id" not in body:
                raise BadRequest("plan_id is required: the id of a plan from fix/plan.")
            plan = self.plans().get(body["plan_id"])
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        await self.run(lambda: self.service().fix_apply(plan).to_json())


class FixUndoHandler(_FixHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            body = fields_of(read_body(self), {"backup_id": str, "force": bool})
            if "backup_id" not in body:
                raise BadRequest("backup_id is required (GET fix/backups lists them).")
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        force = bool(body.get("force", False))
        await self.run(lambda: self.service().fix_undo(body["backup_id"], force=force).to_json())


class FixUndoPlanHandler(_FixHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            body = fields_of(read_body(self), {"backup_id": str})
            if "backup_id" not in body:
                raise BadRequest("backup_id is required (GET fix/backups lists them).")
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        await self.run(lambda: self.service().fix_undo_plan(body["backup_id"]).to_json())


class FixBackupsHandler(_FixHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.run(lambda: [b.to_json() for b in self.service().list_backups()])
