"""The server extension: the REST routes, and the background builds behind them.

Configured like any Jupyter server extension (``jupyter_server_config.py``, or the command
line), for example::

    c.SmStudioSetupApp.poll_interval = 2.0
    c.SmStudioSetupApp.records_dir = "/home/sagemaker-user/.sm-studio-setup/builds"
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Float, Integer, Unicode, validate

from .service.build.manager import BuildManager
from .service.build.records import Records, builds_dir


class SmStudioSetupApp(ExtensionApp):
    name = "sm_studio_setup"
    description = "Check, fix, build and attach: IAM for building images from SageMaker Studio."
    load_other_extensions = True

    poll_interval = Float(
        5.0,
        config=True,
        help="Seconds between two reads of a running build's status and log on CodeBuild.",
    )
    log_page_size = Integer(
        500, config=True, help="Most log lines one request for a build's log returns."
    )
    plan_lifetime = Float(
        15 * 60.0,
        config=True,
        help="Seconds a fix plan may be applied after it was made (an older one is likely stale).",
    )
    records_dir = Unicode(
        "",
        config=True,
        help="Folder of the build records and logs (default: builds/ in the user's "
        "sm-studio-setup config folder, beside the fix backups).",
    )

    @validate("poll_interval")
    def _poll_interval(self, proposal: Any) -> float:
        value = float(proposal["value"])
        if not 0.05 <= value <= 300:
            raise ValueError(f"poll_interval is 0.05 to 300 seconds, not {value}")
        return value

    @validate("log_page_size")
    def _log_page_size(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if not 1 <= value <= 10_000:
            raise ValueError(f"log_page_size is 1 to 10000 lines, not {value}")
        return value

    @validate("plan_lifetime")
    def _plan_lifetime(self, proposal: Any) -> float:
        value = float(proposal["value"])
        if not 10 <= value <= 24 * 3600:
            raise ValueError(f"plan_lifetime is 10 s to a day, not {value}")
        return value

    def initialize_settings(self) -> None:
        from .surfaces.routes import PlanStore, service_factory

        records = Records(Path(self.records_dir) if self.records_dir else builds_dir())
        self.builds = BuildManager(
            lambda: service_factory(self.settings)(), records, poll_seconds=self.poll_interval
        )
        self.settings.update(
            {
                "sm_studio_setup_plans": PlanStore(ttl_seconds=self.plan_lifetime),
                "sm_studio_setup_builds": self.builds,
                "sm_studio_setup_log_page_size": self.log_page_size,
            }
        )

    def initialize_handlers(self) -> None:
        from .surfaces.routes import handlers

        self.handlers.extend(handlers())

        if not server_starts_extensions():
            # An older jupyter_server (2.8, in SageMaker Distribution 1.x) never calls the
            # start hook below: recover here, at load, or a restart would lose its builds.
            self._recover()

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        self._recover()

    def _recover(self) -> None:
        # After a restart: follow the builds the previous server left running on CodeBuild,
        # and clean up after those it left half-made. Reading the records is local and quick;
        # the AWS calls happen in each build's own thread.
        try:
            taken = self.builds.recover()
        except Exception as exc:  # a broken record folder must not stop the server
            self.log.warning("sm-studio-setup could not read its build records: %s", exc)
            return
        if taken:
            self.log.info("sm-studio-setup follows %d unfinished build(s) again", len(taken))

    async def stop_extension(self) -> None:
        self.builds.shutdown()


def server_starts_extensions() -> bool:
    """Whether this jupyter_server calls an extension's ``_start_jupyter_server_extension``
    once its loop runs (the base class has the hook where the server calls it)."""
    from jupyter_server.extension.application import ExtensionApp

    return hasattr(ExtensionApp, "_start_jupyter_server_extension")
