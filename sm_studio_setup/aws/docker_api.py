"""The Docker Engine API (v1.41) over a unix socket, with the standard library only.

Studio's own Docker (docs/aws-behaviours.md, "Studio's Docker") is reached through a proxy
socket, ``unix:///docker/proxy.sock``, named by ``DOCKER_HOST``. The proxy speaks Engine API
1.41 (Docker 20.10) and answers the unversioned ``/version`` with a 301, which breaks clients
that negotiate (docker-py); so every call but ``/_ping`` names ``/v1.41/`` itself, and nothing
is negotiated. Only a ``unix://`` DOCKER_HOST is taken: a TCP or SSH daemon is not Studio's,
and sending registry credentials to one is not this tool's to decide.

Every socket has a connect and a read timeout; every response is read with a bound (a small
JSON answer whole, a stream a message at a time, each message bounded); a stream's connection
can be ended from another thread (``Connection.abort``), which is how a build is cancelled:
the daemon cancels a build whose client went away (moby runs it with the request's context).

Registry credentials travel only in the ``X-Registry-Auth`` / ``X-Registry-Config`` headers,
built here from a ``RegistryLogin`` whose password no repr, message or exception shows.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import SetupError

API_VERSION = "1.41"
STUDIO_SOCKET = "unix:///docker/proxy.sock"
CONNECT_SECONDS = 5.0
READ_SECONDS = 30.0
# A small JSON answer (/version, an error body) and one message of a stream are at most this.
MAX_ANSWER = 1 << 20
MAX_MESSAGE = 1 << 20
# sockaddr_un's sun_path holds 108 bytes with the terminating NUL.
_MAX_SOCKET_PATH = 107


class DockerUnavailable(SetupError):
    """The space's Docker cannot be reached, or is not one this tool speaks to."""

    code = "docker_unavailable"
    http_status = 502


class DockerRefused(SetupError):
    """Docker (or Studio's proxy in front of it) answered a request with an error."""

    code = "docker_refused"
    http_status = 502


class Aborted(Exception):
    """The connection was ended from another thread (a stop, the server going away, a
    deadline)."""


def socket_path(docker_host: str) -> str:
    """The socket a ``unix://`` DOCKER_HOST names; one sentence for anything else."""
    value = docker_host.strip()
    shown = repr(value if len(value) <= 80 else value[:80] + "…")
    if not value.startswith("unix://"):
        scheme = value.partition("://")[0] if "://" in value else "no scheme"
        raise DockerUnavailable(
            f"DOCKER_HOST is {shown} ({scheme}): the local engine speaks only to a unix "
            f"socket, as Studio's Docker is reached ({STUDIO_SOCKET}).",
            "Unset DOCKER_HOST or point it at a unix:// socket, or build on CodeBuild.",
        )
    path = value[len("unix://") :]
    if not path.startswith("/") or "\0" in path or len(path.encode()) > _MAX_SOCKET_PATH:
        raise DockerUnavailable(
            f"DOCKER_HOST is {shown}: expected unix:// and an absolute socket path of at most "
            f"{_MAX_SOCKET_PATH} bytes, such as {STUDIO_SOCKET}.",
        )
    return path


@dataclass(frozen=True)
class RegistryLogin:
    """An ECR login: the registry and the token's user and password. The password is a
    secret: it is used only to make the headers below, and never shown."""

    registry: str  # 123456789012.dkr.ecr.us-east-1.amazonaws.com
    username: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"RegistryLogin({self.registry!r}, {self.username!r}, <redacted>)"

    __str__ = __repr__

    def _config(self) -> dict[str, str]:
        return {
            "username": self.username,
            "password": self.password,
            "serveraddress": self.registry,
        }


def _encoded(value: Any) -> str:
    # moby decodes both headers with base64.URLEncoding (padded, URL alphabet).
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode("ascii")


def registry_auth(login: RegistryLogin) -> str:
    """``X-Registry-Auth`` for a push to ``login.registry``."""
    return _encoded(login._config())


def registry_config(logins: Iterable[RegistryLogin]) -> str:
    """``X-Registry-Config`` for a build: the logins its FROM pulls may use, by registry."""
    return _encoded({login.registry: login._config() for login in logins})


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over a unix socket: the host in the request line is a placeholder."""

    def __init__(self, path: str, *, connect_seconds: float, read_seconds: float) -> None:
        super().__init__("localhost", timeout=read_seconds)
        self._path = path
        self._connect_seconds = connect_seconds
        self._read_seconds = read_seconds

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self._connect_seconds)
            sock.connect(self._path)
            sock.settimeout(self._read_seconds)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def _problem(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "it did not answer in time"
    if isinstance(exc, FileNotFoundError):
        return "its socket does not exist"
    if isinstance(exc, ConnectionRefusedError):
        return "nothing listens on its socket"
    if isinstance(exc, PermissionError):
        return "its socket may not be opened by this user"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return type(exc).__name__


class Connection:
    """One request on a connection of its own; ``abort`` ends it from any thread."""

    def __init__(self, path: str, *, read_seconds: float) -> None:
        self._http = _UnixConnection(
            path, connect_seconds=CONNECT_SECONDS, read_seconds=read_seconds
        )
        self._aborted = threading.Event()
        self._lock = threading.Lock()

    @property
    def aborted(self) -> bool:
        return self._aborted.is_set()

    def abort(self) -> None:
        """End the connection: a thread blocked reading or sending wakes with an error."""
        with self._lock:
            self._aborted.set()
            sock = self._http.sock
            if sock is not None:
                # shutdown, not close: it wakes a recv blocked in another thread.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._http.close()

    def open(self) -> None:
        with self._lock:
            if self.aborted:
                raise Aborted()
        self._http.connect()
        if self.aborted:
            self.abort()
            raise Aborted()

    def send(
        self,
        method: str,
        target: str,
        *,
        body: Iterable[bytes] | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> http.client.HTTPResponse:
        """Send the request and return the response's head. A body iterable is sent chunked
        as it is produced; when the daemon answers before reading all of it (a refusal),
        its answer is still returned."""
        if self._http.sock is None:
            self.open()
        sent_headers = dict(headers or {})
        chunked = body is not None and not isinstance(body, bytes)
        try:
            self._http.request(
                method, target, body=body, headers=sent_headers, encode_chunked=chunked
            )
        except OSError as exc:
            if self.aborted:
                raise Aborted() from None
            if not isinstance(exc, BrokenPipeError | ConnectionResetError):
                raise
            # The daemon refused the request before reading its body and closed its side:
            # its answer is what tells why.
        return self._http.getresponse()


def _json_answer(response: http.client.HTTPResponse, what: str) -> Any:
    data = response.read(MAX_ANSWER + 1)
    if len(data) > MAX_ANSWER:
        raise DockerRefused(f"Docker's answer to {what} is over {MAX_ANSWER:,} bytes.")
    try:
        return json.loads(data) if data.strip() else None
    except (ValueError, RecursionError):
        return data.decode("utf-8", "replace")


def _message_of(answer: Any) -> str:
    if isinstance(answer, dict):
        text = answer.get("message") or answer.get("error") or ""
        return str(text).strip()
    return str(answer or "").strip()


def refusal(response: http.client.HTTPResponse, what: str) -> DockerRefused:
    """A non-2xx answer as one sentence: Docker's own message, and what it was answering."""
    message = _message_of(_json_answer(response, what))[:500]
    if 300 <= response.status < 400:
        message = (
            # Not where it points: the location could repeat the request's query (build
            # arguments) into a record.
            f"answered {response.status} (a redirect); "
            f"Studio's proxy redirects calls that do not name API version {API_VERSION}"
        )
    return DockerRefused(
        f"Studio's Docker refused {what} (HTTP {response.status}): "
        f"{message.rstrip('.') or response.reason}.",
    )


def _lines(response: http.client.HTTPResponse, what: str) -> Iterator[bytes]:
    """The answer's lines, each at most ``MAX_MESSAGE`` bytes (``readline``'s own limit is
    not kept by a chunked HTTPResponse, so lines are cut here from what ``read1`` gives)."""
    buffer = bytearray()
    searched = 0
    while True:
        at = buffer.find(b"\n", searched)
        if at > MAX_MESSAGE:
            at = -1  # the line is too long, wherever it ends
        if at >= 0:
            yield bytes(buffer[: at + 1])
            del buffer[: at + 1]
            searched = 0
            continue
        if len(buffer) > MAX_MESSAGE:
            raise DockerRefused(f"Docker sent a message over {MAX_MESSAGE:,} bytes during {what}.")
        searched = len(buffer)
        piece = response.read1(1 << 16)
        if not piece:
            if buffer:
                yield bytes(buffer)
            return
        buffer += piece


def messages(response: http.client.HTTPResponse, what: str) -> Iterator[dict[str, Any]]:
    """The JSON messages of a streamed answer, one at a time. Docker ends each with a line
    break; a line may still hold two objects, so each line is decoded object by object."""
    decoder = json.JSONDecoder()
    for line in _lines(response, what):
        text = line.decode("utf-8", "replace").strip()
        at = 0
        while at < len(text):
            try:
                found, at = decoder.raw_decode(text, at)
            except ValueError:
                raise DockerRefused(
                    f"Docker sent something that is not JSON during {what}: {text[:120]!r}."
                ) from None
            if isinstance(found, dict):
                yield found
            while at < len(text) and text[at].isspace():
                at += 1


@dataclass
class DockerClient:
    """Calls of the Engine API on one socket; each call has a connection of its own."""

    path: str
    read_seconds: float = READ_SECONDS

    @classmethod
    def from_host(cls, docker_host: str) -> DockerClient:
        return cls(socket_path(docker_host))

    @staticmethod
    def target(path: str, query: Sequence[tuple[str, str]] | None = None) -> str:
        """``/v1.41{path}?query``: always versioned (Studio's proxy redirects the rest)."""
        found = f"/v{API_VERSION}{path}"
        return f"{found}?{urlencode(list(query))}" if query else found

    def connection(self, read_seconds: float | None = None) -> Connection:
        return Connection(self.path, read_seconds=read_seconds or self.read_seconds)

    def _call(
        self,
        method: str,
        target: str,
        what: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        connection = self.connection()
        try:
            response = connection.send(method, target, headers=headers)
            if response.status >= 300:
                raise refusal(response, what)
            return response.status, _json_answer(response, what)
        except (OSError, http.client.HTTPException) as exc:
            raise DockerUnavailable(
                f"Studio's Docker did not answer {what} on {self.path}: {_problem(exc)}."
            ) from None
        finally:
            connection.close()

    def ping(self) -> None:
        """``GET /_ping``: unversioned, as the docker CLI pings before it knows the version."""
        connection = self.connection(min(self.read_seconds, 10.0))
        try:
            response = connection.send("GET", "/_ping")
            body = response.read(64)
            if response.status != 200:
                raise DockerUnavailable(
                    f"Studio's Docker answered its ping with HTTP {response.status} on "
                    f"{self.path}: {body.decode('utf-8', 'replace').strip()[:60] or 'no body'}."
                )
        except (OSError, http.client.HTTPException) as exc:
            raise DockerUnavailable(
                f"Docker does not answer on {self.path}: {_problem(exc)}."
            ) from None
        finally:
            connection.close()

    def version(self) -> dict[str, Any]:
        _, answer = self._call("GET", self.target("/version"), "the version request")
        if not isinstance(answer, dict):
            raise DockerRefused("Docker's version answer is not a JSON object.")
        return answer

    def tag(self, image: str, repository: str, tag: str) -> None:
        target = self.target(
            f"/images/{quote(image, safe='/:@')}/tag", [("repo", repository), ("tag", tag)]
        )
        self._call("POST", target, f"tagging the image {repository}:{tag}")

    @contextmanager
    def stream(
        self,
        method: str,
        target: str,
        what: str,
        *,
        body: Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        idle_seconds: float,
        halt: Callable[[], bool],
    ) -> Iterator[Iterator[dict[str, Any]]]:
        """A streamed call: its messages, until it ends or ``halt()`` turns true (checked
        every 0.2 s from a thread of its own, which then ends the connection: the caller's
        read or send wakes with ``Aborted``). ``idle_seconds`` bounds each read."""
        connection = self.connection(idle_seconds)
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.2):
                if halt():
                    connection.abort()
                    return

        watcher = threading.Thread(target=watch, name="docker-stream-watch", daemon=True)
        watcher.start()
        try:
            try:
                response = connection.send(method, target, body=body, headers=headers)
                if response.status >= 300:
                    raise refusal(response, what)
            except (OSError, http.client.HTTPException) as exc:
                if connection.aborted:
                    raise Aborted() from None
                raise DockerUnavailable(
                    f"The connection to Studio's Docker broke during {what}: {_problem(exc)}."
                ) from None
            yield _guarded(messages(response, what), connection, what, self.path)
        finally:
            done.set()
            connection.close()
            watcher.join(1.0)


def _guarded(
    found: Iterator[dict[str, Any]], connection: Connection, what: str, path: str
) -> Iterator[dict[str, Any]]:
    """The messages, with a broken or aborted connection said as such."""
    try:
        yield from found
    except (OSError, http.client.HTTPException, ValueError, RecursionError) as exc:
        # RecursionError: JSON nested deeper than the parser goes, from a broken daemon.
        if connection.aborted:
            raise Aborted() from None
        raise DockerUnavailable(
            f"The connection to Studio's Docker ({path}) broke during {what}: {_problem(exc)}."
        ) from None
    if connection.aborted:
        raise Aborted()


def api_version_at_least(found: str, wanted: str = API_VERSION) -> bool:
    """Whether Engine API version ``found`` ("1.43") is ``wanted`` or later."""

    def parts(text: str) -> tuple[int, ...]:
        try:
            return tuple(int(p) for p in text.strip().split("."))
        except ValueError:
            return ()

    have = parts(found)
    return bool(have) and have >= parts(wanted)


def deadline_halt(halt: Callable[[], bool], deadline: float) -> Callable[[], bool]:
    """``halt``, or the monotonic ``deadline`` passed."""
    return lambda: halt() or time.monotonic() >= deadline
