"""The Engine API's routes, as Studio's Docker proxy in front of Docker 20.10 answers them.

Paths are versioned (``/v1.41/...``) or not; a version above 1.41 is refused as a 20.10
daemon refuses it (400, ``client version 1.43 is too new. Maximum supported API version is
1.41``), one below 1.12 likewise; the unversioned ``/version`` answers 301 as Studio's proxy
does. Anything else not listed is 404 ``page not found``, as moby answers an unknown route, so
that a client needing more cannot appear to work. Every request is counted as
``docker:<operation>`` (the API reference's operation ids) in the emulator's request counter.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import build, push
from .wire import API_VERSION, ENGINE_VERSION, ClientGone, Exchange, HttpError

if TYPE_CHECKING:
    from .engine import DockerEngine

MIN_API_VERSION = "1.12"
MAX_QUERY_CHARS = 256 * 1024
MAX_CREATE_BODY = 1024 * 1024
_VERSIONED = re.compile(r"^/v(\d+)\.(\d+)(/.*)$")
_IMAGE_ACTION = re.compile(r"^/images/(?P<name>.+)/(?P<action>tag|push|json)$")
_IMAGE = re.compile(r"^/images/(?P<name>.+)$")
# Unconfirmed wordings, in the manner of Studio's build refusal.
REFUSED_PRIVILEGED = "[ContainerCreate] privileged mode is not allowed"
REFUSED_CONTAINER_NETWORK = "[ContainerCreate] 'sagemaker' is the only user allowed network input"

Route = Callable[["DockerEngine", Exchange, str, Mapping[str, list[str]]], None]


def _version_problem(major: int, minor: int) -> str | None:
    asked = f"{major}.{minor}"
    if (major, minor) > (1, 41):
        return f"client version {asked} is too new. Maximum supported API version is {API_VERSION}"
    if (major, minor) < (1, 12):
        return (
            f"client version {asked} is too old. Minimum supported API version is "
            f"{MIN_API_VERSION}, please upgrade your client to a newer version"
        )
    return None


def _ping(
    engine: DockerEngine, exchange: Exchange, name: str, query: Mapping[str, list[str]]
) -> None:
    exchange.answer(
        200,
        b"OK",
        content_type="text/plain; charset=utf-8",
        headers={
            "Builder-Version": "1",
            "Cache-Control": "no-cache, no-store, must-revalidate",
            "Pragma": "no-cache",
        },
    )


def version_document() -> dict[str, Any]:
    details = {
        "ApiVersion": API_VERSION,
        "Arch": "amd64",
        "BuildTime": "2023-07-21T20:38:37.000000000+00:00",
        "Experimental": "false",
        "GitCommit": "5df983c",
        "GoVersion": "go1.20.6",
        "KernelVersion": "5.10.0-emulator",
        "MinAPIVersion": MIN_API_VERSION,
        "Os": "linux",
    }
    return {
        "Platform": {"Name": "Docker Engine - Community"},
        "Components": [{"Name": "Engine", "Version": ENGINE_VERSION, "Details": details}],
        "Version": ENGINE_VERSION,
        **{k: v for k, v in details.items() if k != "Experimental"},
    }


def _version(
    engine: DockerEngine, exchange: Exchange, name: str, query: Mapping[str, list[str]]
) -> None:
    exchange.answer_json(200, version_document())


def _build(
    engine: DockerEngine, exchange: Exchange, name: str, query: Mapping[str, list[str]]
) -> None:
    build.run(engine, exchange, query)


def _push(
    engine: DockerEngine, exchange: Exchange, name: str, query: Mapping[str, list[str]]
) -> None:
    push.run(engine, exchange, name, query)


def _tag(
    engine: DockerEngine, exchange: Exchange, name: str, query: Mapping[str, list[str]]
) -> None:
    repository = (query.get("repo") or [""])[-1]
    tag = (query.get("tag") or [""])[-1] or "latest"
    from ..references import REPOSITORY, TAG

    if repository.lower() != repository and REPOSITORY.match(repository.lower()):
        raise HttpError(400, "invalid reference format: repository name must be lowercase")
    if not REPOSITORY.match(repository) or not TAG.match(tag):
        raise HttpError(400, "invalid reference format")
    engine.store.tag(name, f"{repository}:{tag}")
    exchange.answer(201)


def _inspect(
    engine: DockerEngine, exchange: Exchange, name: str, query: Mapping[str, list[str]]
) -> None:
    exchange.answer_json(200, engine.store.inspect(name))


def _delete(
    engine: DockerEngine, exchange: Exchange, name: str, query: Mapping[str, list[str]]
) -> None:
    force = (query.get("force") or [""])[-1].lower() in ("1", "true")
    exchange.answer_json(200, engine.store.delete(name, force=force))


def _create_container(
    engine: DockerEngine, exchange: Exchange, name: str, query: Mapping[str, list[str]]
) -> None:
    with exchange.read_body(MAX_CREATE_BODY) as body:
        try:
            config = json.loads(body.read() or b"{}")
        except ValueError:
            raise HttpError(400, "invalid JSON in the request body") from None
    host = config.get("HostConfig") if isinstance(config, dict) else None
    host = host if isinstance(host, dict) else {}
    if host.get("Privileged") is True:
        raise HttpError(403, REFUSED_PRIVILEGED)
    if host.get("NetworkMode") != "sagemaker":
        raise HttpError(403, REFUSED_CONTAINER_NETWORK)
    # Containers are not emulated: a product that runs one must not appear to work.
    raise HttpError(404, "page not found")


def route(method: str, path: str) -> tuple[str, Route, str] | None:
    """(operation, handler, image name) for an unversioned path."""
    if method in ("GET", "HEAD") and path == "/_ping":
        return "SystemPing", _ping, ""
    if method == "GET" and path == "/version":
        return "SystemVersion", _version, ""
    if method == "POST" and path == "/build":
        return "ImageBuild", _build, ""
    if method == "POST" and path == "/containers/create":
        return "ContainerCreate", _create_container, ""
    action = _IMAGE_ACTION.match(path)
    if action is not None:
        name = unquote(action.group("name"))
        found = {
            ("POST", "tag"): ("ImageTag", _tag),
            ("POST", "push"): ("ImagePush", _push),
            ("GET", "json"): ("ImageInspect", _inspect),
        }.get((method, action.group("action")))
        if found is not None:
            return found[0], found[1], name
    image = _IMAGE.match(path)
    if method == "DELETE" and image is not None:
        return "ImageDelete", _delete, unquote(image.group("name"))
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"Docker/{ENGINE_VERSION} (linux)"
    sys_version = ""
    timeout = 60.0  # a client silent this long is dropped
    engine: DockerEngine  # set on the subclass the engine makes
    stopping: threading.Event

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        # Never log: a request's headers may carry a registry token.
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_DELETE = do_PUT = do_GET

    def _dispatch(self) -> None:
        exchange = Exchange(self, self.stopping)
        operation = "NotFound"
        counted = False
        try:
            raw = urlsplit(self.path)
            path = raw.path
            versioned = _VERSIONED.match(path)
            found = route(self.command, versioned.group(3) if versioned else path)
            if found is not None:
                operation = found[0]
            elif versioned is None and path == "/version":
                operation = "VersionRedirect"
            # Counted before answering, so that whoever reads the stats after an answer sees it.
            self.engine.count(operation, 0)
            counted = True
            if len(raw.query) > MAX_QUERY_CHARS:
                raise HttpError(414, "the query string is too long")
            if versioned is not None:
                problem = _version_problem(int(versioned.group(1)), int(versioned.group(2)))
                if problem is not None:
                    raise HttpError(400, problem)
            elif path == "/version":
                # Studio's proxy (docs/aws-behaviours.md); where it points is unconfirmed: nowhere.
                exchange.answer(301, content_type="text/plain; charset=utf-8")
                return
            if found is None:
                raise HttpError(404, "page not found")
            _, handler, name = found
            query = parse_qs(raw.query, keep_blank_values=True)
            handler(self.engine, exchange, name, query)
        except HttpError as error:
            self._fail(exchange, error.status, error.message)
        except ClientGone:
            self.close_connection = True
        except Exception as exc:  # a defect of the emulator: said, never hidden as success
            self._fail(exchange, 500, f"the emulator's Docker failed: {type(exc).__name__}: {exc}")
        finally:
            if not counted:
                self.engine.count(operation, 0)
            self.engine.count_bytes(operation, exchange.bytes_in)

    def _fail(self, exchange: Exchange, status: int, message: str) -> None:
        if exchange.body_pending:
            self.close_connection = True
        try:
            if exchange.streaming:
                # Headers are out: the failure goes into the stream, and the connection ends.
                exchange.send({"errorDetail": {"message": message}, "error": message})
                self.close_connection = True
            else:
                exchange.answer_error(status, message)
        except (ClientGone, OSError):
            self.close_connection = True
