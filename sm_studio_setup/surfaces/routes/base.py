"""What every route shares: authentication, one error shape, request bodies read with limits.

Every route is authenticated (``@tornado.web.authenticated``) and, being an ``APIHandler``,
XSRF-protected for state-changing methods.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import tornado
from jupyter_server.base.handlers import APIHandler

from ...errors import BadInput, SetupError
from ...service import Service

NAMESPACE = "sm-studio-setup"
T = TypeVar("T")


def service_factory(settings: dict[str, Any]) -> Callable[[], Service]:
    """How the routes make a Service (tests put one of theirs in the settings)."""
    factory: Callable[[], Service] = settings.get("sm_studio_setup_service_factory", Service)
    return factory


class BaseHandler(APIHandler):
    """Maps SetupErrors to JSON bodies, so the sidebar shows the same sentence the CLI prints."""

    def service(self) -> Service:
        return service_factory(self.settings)()

    def write_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def write_setup_error(self, exc: SetupError) -> None:
        self.write_json({"error": exc.to_json("rest")}, status=exc.http_status)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Anything not a SetupError (a bug of ours, or tornado's own refusals such as a
        # missing XSRF token) still answers in the one error shape, without a traceback.
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, tornado.web.HTTPError):
            message = exc.log_message or tornado.httputil.responses.get(status_code, "Error")
            code = "forbidden" if status_code == 403 else "http_error"
            hint = ""
        else:
            message = "The sm-studio-setup server extension failed unexpectedly."
            code, hint = "internal", "The JupyterLab server's log has the details."
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": {"code": code, "message": message, "hint": hint}}))

    async def run(self, work: Callable[[], Any], status: int = 200) -> None:
        """``work`` off the event loop (boto3 blocks: one slow AWS call must not freeze every
        other request of the notebook server), its result or its error as JSON."""
        try:
            result = await tornado.ioloop.IOLoop.current().run_in_executor(None, work)
        except SetupError as exc:
            self.write_setup_error(exc)
            return
        self.write_json(result, status=status)

    def in_root(self, path: Any, field: str) -> str | None:
        """A folder the browser names, relative to the server's root folder (as the file
        browser shows it); refused when it leads outside that folder."""
        if path is None:
            return None
        if not isinstance(path, str) or "\0" in path:
            raise BadInput("The folder is not a path.", field=field)
        root = Path(self.settings.get("server_root_dir") or ".").expanduser().resolve()
        given = Path(path)
        # A build record names its folder as the server resolved it: an absolute path already
        # within the root is that folder; any other is read as relative to the root.
        if given.is_absolute() and (given.resolve() == root or root in given.resolve().parents):
            full = given.resolve()
        else:
            full = (root / path.lstrip("/")).resolve()
        if full != root and root not in full.parents:
            raise BadInput(
                f"{path} is outside the folder JupyterLab serves; give a folder the file "
                "browser shows.",
                field=field,
            )
        return str(full)


class BadRequest(SetupError):
    code = "bad_request"
    http_status = 400


MAX_BODY_BYTES = 64 * 1024


def read_body(handler: APIHandler) -> Any:
    raw = handler.request.body or b"{}"
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(
            f"The request body has {len(raw):,} bytes; at most {MAX_BODY_BYTES:,} are taken."
        )
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise BadRequest("The request body nests JSON too deep to be a set of options.") from exc
    except ValueError as exc:
        raise BadRequest("The request body is not JSON.") from exc


def fields_of(body: Any, allowed: dict[str, type]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadRequest(f"Unknown fields: {', '.join(unknown)}.")
    for name, kind in allowed.items():
        if name in body and not isinstance(body[name], kind):
            raise BadRequest(f"{name} must be a {kind.__name__.replace('str', 'string')}.")
    return body


def options_from_json(kind: type[T], body: Any, *, what: str = "options") -> T:
    """An options dataclass from a request body, each field of the JSON type its default has;
    unknown or mistyped fields are the caller's error, and the dataclass then checks values
    against AWS's grammar as for every surface. Pairs (build args, tags) are JSON objects."""
    if not isinstance(body, dict):
        raise BadRequest(f"The request body must be a JSON object of {what}.")
    known = {f.name: f for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise BadRequest(f"Unknown {what}: {', '.join(unknown)}.")
    values: dict[str, Any] = {}
    for name, value in body.items():
        default = known[name].default
        if name in _PAIRS:
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise BadRequest(f"{name} must be an object of strings.")
            value = tuple(value.items())
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise BadRequest(f"{name} must be a list of strings.")
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise BadRequest(f"{name} must be true or false.")
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadRequest(f"{name} must be a whole number.")
        elif value is not None and not isinstance(value, str):
            raise BadRequest(f"{name} must be a string.")
        elif value is None and default is dataclasses.MISSING:
            raise BadRequest(f"{name} is required.")
        values[name] = value
    missing = [
        n
        for n, f in known.items()
        if n not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise BadRequest(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required.")
    return kind(**values)


_PAIRS = ("build_args", "tags")
_DIGITS = re.compile(r"[0-9]{1,12}")


def int_argument(handler: APIHandler, name: str, default: int, low: int, high: int) -> int:
    raw = handler.get_query_argument(name, None)
    if raw is None:
        return default
    # ASCII digits only: str.isdigit() also takes "²" and other digits int() refuses.
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}.")
    return int(raw)
