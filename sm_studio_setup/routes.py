"""REST routes of the server extension: thin handlers over the service API.

Every route is authenticated (``@tornado.web.authenticated``) and, being an ``APIHandler``,
XSRF-protected for state-changing methods. The routes are described in ``openapi.yaml``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .errors import SetupError
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
        self.write_json({"error": exc.to_json()}, status=exc.http_status)


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
            try:
                body = json.loads(self.request.body or b"{}")
            except ValueError as exc:
                raise BadRequest("The request body is not JSON.") from exc
            options = check_options_from_json(body)
            report = await tornado.ioloop.IOLoop.current().run_in_executor(
                None, lambda: self.service().check(options)
            )
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        self.write_json(report.to_json())


_ROUTES: dict[str, type[BaseHandler]] = {"context": ContextHandler, "check": CheckHandler}


def route_paths() -> list[str]:
    return list(_ROUTES)


def setup_routes(web_app: Any) -> None:
    base_url = web_app.settings["base_url"]
    handlers = [
        (url_path_join(base_url, NAMESPACE, path), handler) for path, handler in _ROUTES.items()
    ]
    web_app.add_handlers(".*$", handlers)
