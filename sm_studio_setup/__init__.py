"""sm-studio-setup: check, explain and fix the IAM set-up for building images from Studio."""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # the version file is written by the build; a bare checkout has none
    __version__ = "0.0.0+unknown"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "sm-studio-setup"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "sm_studio_setup"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    # Imported lazily so that `import sm_studio_setup` stays cheap for the CLI and the magic.
    from .routes import setup_routes

    setup_routes(server_app.web_app)
    server_app.log.info("sm-studio-setup server extension loaded")


def load_ipython_extension(ipython: Any) -> None:
    # `%load_ext sm_studio_setup` registers `%sm_setup`; imported lazily like the server side.
    from .magic import load_ipython_extension as load

    load(ipython)
