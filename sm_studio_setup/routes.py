"""REST routes of the server extension: thin handlers over the service API.

Every route is authenticated (``@tornado.web.authenticated``) and, being an ``APIHandler``,
XSRF-protected for state-changing methods. The routes are described in ``openapi.yaml``.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import OrderedDict
from typing import Any

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .errors import SetupError
from .repair.plan import Plan
from .service import Service
from .service.check import CheckOptions

NAMESPACE = "sm-studio-setup"


class BaseHandler(APIHandler):
    """Maps SetupErrors to JSON bodies, so the sidebar shows the same sentence the CLI prints."""

    def service(self) -> Service:
        factory = self.settings.get("sm_studio_setup_service_factory", Service)
        return factory()

    def write_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def write_setup_error(self, exc: SetupError) -> None:
        self.write_json({"error": exc.to_json("rest")}, status=exc.http_status)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Anything not a SetupError (a bug of ours, or tornado's own refusals such as a
        # missing XSRF token) still answers in the one error shape, without a traceback.
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, tornado.web.HTTPError):
            message = exc.log_message or tornado.httputil.responses.get(status_code, "Error")
            code = "forbidden" if status_code == 403 else "http_error"
            hint = ""
        else:
            message = "The sm-studio-setup server extension failed unexpectedly."
            code, hint = "internal", "The JupyterLab server's log has the details."
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": {"code": code, "message": message, "hint": hint}}))


class ContextHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        # boto3 is blocking: run it off the event loop so one slow AWS call can't freeze
        # every other request of the notebook server.
        try:
            identity = await tornado.ioloop.IOLoop.current().run_in_executor(
                None, lambda: self.service().whoami()
            )
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        self.write_json(identity.to_json())


_OPTION_FIELDS = {f.name: f for f in dataclasses.fields(CheckOptions)}


def check_options_from_json(body: Any) -> CheckOptions:
    """CheckOptions from a request body; unknown or mistyped fields are the caller's error."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object of check options.")
    unknown = sorted(set(body) - set(_OPTION_FIELDS))
    if unknown:
        raise BadRequest(f"Unknown check options: {', '.join(unknown)}.")
    values: dict[str, Any] = {}
    for name, value in body.items():
        default = _OPTION_FIELDS[name].default
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise BadRequest(f"{name} must be a list of strings.")
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise BadRequest(f"{name} must be true or false.")
        elif value is not None and not isinstance(value, str):
            raise BadRequest(f"{name} must be a string.")
        values[name] = value
    return CheckOptions(**values)


class BadRequest(SetupError):
    code = "bad_request"
    http_status = 400


class CheckHandler(BaseHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            options = check_options_from_json(_body(self))
            report = await tornado.ioloop.IOLoop.current().run_in_executor(
                None, lambda: self.service().check(options)
            )
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        self.write_json(report.to_json())


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
MAX_BODY_BYTES = 64 * 1024


def _body(handler: APIHandler) -> Any:
    raw = handler.request.body or b"{}"
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(
            f"The request body has {len(raw):,} bytes; at most {MAX_BODY_BYTES:,} are taken."
        )
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise BadRequest("The request body nests JSON too deep to be a set of options.") from exc
    except ValueError as exc:
        raise BadRequest("The request body is not JSON.") from exc


def _object(body: Any, allowed: dict[str, type]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadRequest(f"Unknown fields: {', '.join(unknown)}.")
    for name, kind in allowed.items():
        if name in body and not isinstance(body[name], kind):
            raise BadRequest(f"{name} must be a {kind.__name__.replace('str', 'string')}.")
    return body


class _FixHandler(BaseHandler):
    def plans(self) -> PlanStore:
        store = self.settings.get("sm_studio_setup_plans")
        if store is None:
            store = self.settings["sm_studio_setup_plans"] = PlanStore()
        return store

    async def run(self, work: Any) -> None:
        try:
            result = await tornado.ioloop.IOLoop.current().run_in_executor(None, work)
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        self.write_json(result)


class FixPlanHandler(_FixHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            options = check_options_from_json(_body(self))
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
            body = _object(_body(self), {"plan_id": str})
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
            body = _object(_body(self), {"backup_id": str, "force": bool})
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
            body = _object(_body(self), {"backup_id": str})
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


_ROUTES: dict[str, type[BaseHandler]] = {
    "context": ContextHandler,
    "check": CheckHandler,
    "fix/plan": FixPlanHandler,
    "fix/apply": FixApplyHandler,
    "fix/undo/plan": FixUndoPlanHandler,
    "fix/undo": FixUndoHandler,
    "fix/backups": FixBackupsHandler,
}


def route_paths() -> list[str]:
    return list(_ROUTES)


def setup_routes(web_app: Any) -> None:
    base_url = web_app.settings["base_url"]
    handlers = [
        (url_path_join(base_url, NAMESPACE, path), handler) for path, handler in _ROUTES.items()
    ]
    web_app.settings.setdefault("sm_studio_setup_plans", PlanStore())
    web_app.add_handlers(".*$", handlers)
