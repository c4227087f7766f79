"""Builds as resources: start (answered at once; the build runs in the server's background),
list, read, read the log from a cursor, stop."""

from __future__ import annotations

from typing import Any

import tornado

from ...errors import SetupError
from ...service.build.manager import BuildManager
from ...service.options import BuildOptions
from .base import BadRequest, BaseHandler, int_argument, options_from_json, read_body


class _BuildHandler(BaseHandler):
    def builds(self) -> BuildManager:
        manager = self.settings.get("sm_studio_setup_builds")
        if manager is None:
            raise SetupError(
                "Builds are not available: the sm-studio-setup server extension did not start.",
                "The JupyterLab server's log says why.",
            )
        found: BuildManager = manager
        return found


class BuildsHandler(_BuildHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        try:
            limit = int_argument(self, "limit", 50, 1, 500)
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        await self.run(lambda: {"builds": [r.to_json() for r in self.builds().recent(limit)]})

    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            body = read_body(self)
            if not isinstance(body, dict):
                raise BadRequest("The request body must be a JSON object of build options.")
            body = dict(body)
            key = body.pop("idempotency_key", None)
            if key is not None and not isinstance(key, str):
                raise BadRequest("idempotency_key must be a string.")
            body["context"] = self.in_root(body.get("context", ""), "context")
            options = options_from_json(BuildOptions, body, what="build options")
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        await self.run(lambda: self.builds().start(options, key).to_json(), status=202)


class BuildHandler(_BuildHandler):
    @tornado.web.authenticated
    async def get(self, build_id: str) -> None:
        await self.run(lambda: self.builds().get(build_id).to_json())


class BuildLogsHandler(_BuildHandler):
    @tornado.web.authenticated
    async def get(self, build_id: str) -> None:
        try:
            page = int(self.settings.get("sm_studio_setup_log_page_size", 500))
            cursor = int_argument(self, "cursor", 0, 0, 10**9)
            limit = int_argument(self, "limit", page, 1, page)
        except SetupError as exc:
            self.write_setup_error(exc)
            return

        def work() -> dict[str, Any]:
            builds = self.builds()
            # The record first: a log read after it cannot miss lines of a build it says ended.
            record = builds.get(build_id)
            lines, after = builds.records.read_log(build_id, cursor, limit)
            return {
                "lines": lines,
                "cursor": after,
                "status": record.status,
                "final": record.final and after >= record.log_lines,
            }

        await self.run(work)


class BuildStopHandler(_BuildHandler):
    @tornado.web.authenticated
    async def post(self, build_id: str) -> None:
        await self.run(lambda: self.builds().stop(build_id).to_json(), status=202)
