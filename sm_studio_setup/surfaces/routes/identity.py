"""Who the server runs as: the identity the sidebar shows first."""

from __future__ import annotations

import tornado

from ...errors import SetupError
from .base import BaseHandler


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
