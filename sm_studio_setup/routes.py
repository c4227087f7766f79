"""REST routes of the server extension: thin handlers over the service API.

Every route is authenticated (``@tornado.web.authenticated``) and, being an ``APIHandler``,
XSRF-protected for state-changing methods. The routes are described in ``openapi.yaml``.
"""

from __future__ import annotations

import json
from typing import Any

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .errors import SetupError
from .service import Service

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


_ROUTES: dict[str, type[BaseHandler]] = {"context": ContextHandler}


def route_paths() -> list[str]:
    return list(_ROUTES)


def setup_routes(web_app: Any) -> None:
    base_url = web_app.settings["base_url"]
    handlers = [
        (url_path_join(base_url, NAMESPACE, path), handler) for path, handler in _ROUTES.items()
    ]
    web_app.add_handlers(".*$", handlers)
