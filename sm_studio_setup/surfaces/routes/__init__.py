"""REST routes of the server extension: thin handlers over the service API, one module per
resource. The routes are described in ``openapi.yaml``; tests check responses against it."""

from __future__ import annotations

from jupyter_server.utils import url_path_join

from .attach import AttachHandler
from .base import NAMESPACE, BaseHandler, service_factory
from .builds import BuildHandler, BuildLogsHandler, BuildsHandler, BuildStopHandler
from .check import CheckHandler, check_options_from_json
from .fix import (
    FixApplyHandler,
    FixBackupsHandler,
    FixPlanHandler,
    FixUndoHandler,
    FixUndoPlanHandler,
    PlanStore,
)
from .identity import ContextHandler

__all__ = [
    "NAMESPACE",
    "PlanStore",
    "check_options_from_json",
    "handlers",
    "route_paths",
    "service_factory",
]

_BUILD_ID = r"(?P<build_id>[A-Za-z0-9-]{1,64})"
# The path as openapi.yaml names it, the pattern tornado matches, and the handler.
_ROUTES: list[tuple[str, str, type[BaseHandler]]] = [
    ("context", "context", ContextHandler),
    ("check", "check", CheckHandler),
    ("fix/plan", "fix/plan", FixPlanHandler),
    ("fix/apply", "fix/apply", FixApplyHandler),
    ("fix/undo/plan", "fix/undo/plan", FixUndoPlanHandler),
    ("fix/undo", "fix/undo", FixUndoHandler),
    ("fix/backups", "fix/backups", FixBackupsHandler),
    ("builds", "builds", BuildsHandler),
    ("builds/{build_id}", f"builds/{_BUILD_ID}", BuildHandler),
    ("builds/{build_id}/logs", f"builds/{_BUILD_ID}/logs", BuildLogsHandler),
    ("builds/{build_id}/stop", f"builds/{_BUILD_ID}/stop", BuildStopHandler),
    ("attach", "attach", AttachHandler),
]


def route_paths() -> list[str]:
    return [path for path, _, _ in _ROUTES]


def handlers() -> list[tuple[str, type[BaseHandler]]]:
    """The routes, relative to the server's base URL (the extension app prefixes it)."""
    return [(url_path_join(NAMESPACE, pattern), handler) for _, pattern, handler in _ROUTES]
