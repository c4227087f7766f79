"""The check: a report for a workflow profile and the user's options."""

from __future__ import annotations

from typing import Any

import tornado

from ...errors import SetupError
from ...service.check import CheckOptions
from .base import BaseHandler, options_from_json, read_body


def check_options_from_json(body: Any) -> CheckOptions:
    return options_from_json(CheckOptions, body, what="check options")


class CheckHandler(BaseHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            options = check_options_from_json(read_body(self))
            report = await tornado.ioloop.IOLoop.current().run_in_executor(
                None, lambda: self.service().check(options)
            )
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        self.write_json(report.to_json())
