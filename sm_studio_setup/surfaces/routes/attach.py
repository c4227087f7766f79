"""Attach: an ECR image becomes a Studio custom image."""

from __future__ import annotations

import tornado

from ...errors import SetupError
from ...service.options import AttachOptions
from .base import BaseHandler, options_from_json, read_body


class AttachHandler(BaseHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            body = read_body(self)
            if isinstance(body, dict) and body.get("context") is not None:
                body = {**body, "context": self.in_root(body["context"], "context")}
            options = options_from_json(AttachOptions, body, what="attach options")
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        await self.run(lambda: self.service().attach(options).to_json())
