"""Only the machine's own SDK clients may talk to the emulator, never a web page.

The emulator listens on loopback, but a page open in the user's browser can still reach
loopback: with a form or an image (simple requests, no preflight), with fetch once CORS lets it,
or through DNS rebinding (a name of the attacker's that resolves to 127.0.0.1, so the page is
"same-origin"). moto answers all of them: its global CORS reflects any Origin and allows the
``authorization`` and ``x-amz-target`` headers, it does not verify signatures, and an unsigned
request runs as the account root. Behind this guard a request must:

- come from a loopback address, to a loopback Host (a rebinding page sends its own name);
- carry no ``Origin`` header (browsers add it to cross-origin and to POST requests; SDKs
  never do), and not be a CORS preflight;
- for AWS APIs, be signed in the Authorization header (SigV4). A page cannot set that header
  without the preflight refused above, while a URL it builds could carry a query-string
  signature for the emulator's well-known admin key id, so those are refused too.

moto's global CORS is also switched off, so no response tells a browser it may read it.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_SIGV4 = "AWS4-HMAC-SHA256 Credential="
_QUERY_AUTH = ("X-Amz-Credential=", "X-Amz-Signature=", "AWSAccessKeyId=", "Signature=")


def is_loopback_host(host: str) -> bool:
    """Whether a Host header names this machine: localhost or a loopback address, any port."""
    host = host.strip().lower()
    if host.startswith("["):
        name = host[1 : host.find("]")] if "]" in host else ""
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def refusal(environ: dict[str, Any], *, own_paths: tuple[str, ...]) -> str | None:
    """Why the request is refused, or None. ``own_paths`` are the emulator's and moto's own
    endpoints, which take unsigned requests (from this machine's clients only)."""
    try:
        remote = ipaddress.ip_address(str(environ.get("REMOTE_ADDR", "")))
    except ValueError:
        return "the client address is unknown"
    if not remote.is_loopback:
        return "only this machine may call the emulator"
    if not is_loopback_host(str(environ.get("HTTP_HOST", ""))):
        return "the Host header does not name this machine"
    if environ.get("HTTP_ORIGIN") is not None:
        return "requests from web pages (with an Origin header) are refused"
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    if method == "OPTIONS":
        return "CORS preflight requests are refused"
    path = str(environ.get("PATH_INFO", ""))
    if any(path == p or path.startswith(p + "/") for p in own_paths):
        return None
    query = str(environ.get("QUERY_STRING", ""))
    if any(marker in query for marker in _QUERY_AUTH):
        return "query-string signatures are refused; sign requests in the Authorization header"
    if not str(environ.get("HTTP_AUTHORIZATION", "")).startswith(_SIGV4):
        return "AWS requests must be signed (Signature Version 4, Authorization header)"
    return None


class GuardMiddleware:
    """Refuses, with 403 and a JSON sentence, every request ``refusal`` names a reason for."""

    def __init__(self, app: WSGIApp, *, own_paths: tuple[str, ...]) -> None:
        self.app = app
        self.own_paths = own_paths

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        reason = refusal(environ, own_paths=self.own_paths)
        if reason is None:
            return self.app(environ, start_response)
        body = json.dumps({"error": f"sm-studio-setup emulator: {reason}"}).encode() + b"\n"
        start_response(
            "403 Forbidden",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]


def disable_moto_cors() -> None:
    """moto decides at import, from MOTO_DISABLE_GLOBAL_CORS, whether every backend app gets
    flask-cors; the decision is a module global read when an app is made."""
    from moto.moto_server import werkzeug_app

    werkzeug_app.DISABLE_GLOBAL_CORS = True
