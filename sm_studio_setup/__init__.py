"""sm-studio-setup: check, explain and fix the IAM set-up for building images from Studio."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .surfaces.widgets import Panel

try:
    from ._version import __version__
except ImportError:  # the version file is written by the build; a bare checkout has none
    __version__ = "0.0.0+unknown"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "sm-studio-setup"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # Imported here, not at the top, so that `import sm_studio_setup` stays cheap for the CLI
    # and the magic (the server extension pulls in jupyter_server).
    from .app import SmStudioSetupApp

    return [{"module": "sm_studio_setup", "app": SmStudioSetupApp}]


def load_ipython_extension(ipython: Any) -> None:
    # `%load_ext sm_studio_setup` registers `%sm_setup`; imported lazily like the server side.
    from .surfaces.magic import load_ipython_extension as load

    load(ipython)


def panel(**defaults: Any) -> Panel:
    """The set-up as a notebook panel (ipywidgets): identity, check, fix, build and attach.

    ``defaults`` fill its fields: ``profile``, ``role``, ``repository``, ``bucket``,
    ``context`` (default: the kernel's folder), ``compute_type``, ``platform``, ``region``,
    ``engine`` (auto, local or codebuild).
    """
    # Imported here: ipywidgets and the service load only when a panel is made.
    from .surfaces.widgets import panel as make

    return make(**defaults)
