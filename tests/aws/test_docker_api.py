"""aws/docker_api.py against a small fake daemon on a unix socket of the test's own: only
unix:// DOCKER_HOSTs, versioned paths, streams split and joined as Docker sends them, a stop
that ends a silent stream at once, a refusal before the context is read said as one sentence
(not a hang), bounded messages, and registry credentials that no repr shows."""

from __future__ import annotations

import base64
import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from sm_studio_setup.aws.docker_api import (
    MAX_MESSAGE,
    Aborted,
    DockerClient,
    DockerRefused,
    DockerUnavailable,
    RegistryLogin,
    api_version_at_least,
    registry_auth,
    registry_config,
    socket_path,
)

Handler = Callable[[BaseHTTPRequestHandler], None]


class FakeDocker(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, routes: dict[tuple[str, str], Handler]) -> None:
        self.routes = routes
        self.seen: list[tuple[str, str]] = []
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def address_string(self) -> str:  # a unix socket has no client address
                return "unix"

            def _any(self) -> None:
                path = self.path.split("?", 1)[0]
                fake.seen.append((self.command, self.path))
                route = fake.routes.get((self.command, path))
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                route(self)

            do_GET = do_POST = _any

        super().__init__(path, _Handler)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[Callable[[dict[tuple[str, str], Handler]], FakeDocker]]:
    servers: list[FakeDocker] = []

    def start(routes: dict[tuple[str, str], Handler]) -> FakeDocker:
        # AF_UNIX paths are short: the test's own folder may be too long for one.
        path = f"/tmp/smss-docker-{id(tmp_path):x}-{len(servers)}.sock"
        Path(path).unlink(missing_ok=True)
        server = FakeDocker(path, routes)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
        Path(server.server_address).unlink(missing_ok=True)  # type: ignore[arg-type]


def _json(status: int, body: object) -> Handler:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def _ok(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "2")
    handler.end_headers()
    handler.wfile.write(b"OK")


def _moved(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(301)
    handler.send_header("Location", "/v1.41/version")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def _chunked(pieces: list[bytes], *, pause: float = 0.0) -> Handler:
    """A streamed answer, in exactly these pieces (Docker's chunks do not follow messages)."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        _drain(handler)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for piece in pieces:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            handler.wfile.flush()
            time.sleep(pause)
        handler.wfile.write(b"0\r\n\r\n")

    return answer


def _drain(handler: BaseHTTPRequestHandler) -> int:
    """Read a chunked request body to its end; its size."""
    size = 0
    if handler.headers.get("Transfer-Encoding") != "chunked":
        length = int(handler.headers.get("Content-Length") or 0)
        handler.rfile.read(length)
        return length
    while True:
        line = handler.rfile.readline()
        count = int(line.strip(), 16)
        handler.rfile.read(count + 2)
        size += count
        if count == 0:
            return size


def test_only_a_unix_docker_host_is_taken() -> None:
    assert socket_path("unix:///docker/proxy.sock") == "/docker/proxy.sock"
    for value in (
        "tcp://10.0.0.1:2375",
        "ssh://me@host",
        "npipe:////./pipe/docker_engine",
        "/docker/proxy.sock",
        "unix://relative.sock",
        "unix:///" + "x" * 200,
        "unix:///a\0b",
    ):
        with pytest.raises(DockerUnavailable) as refused:
            socket_path(value)
        assert "DOCKER_HOST" in refused.value.message
        assert refused.value.message.endswith(".")


def test_ping_and_version_name_the_api_version_studio_answers(
    fake: Callable[..., FakeDocker],
) -> None:
    server = fake(
        {
            ("GET", "/_ping"): _ok,
            # Studio's proxy redirects the unversioned /version (docs/aws-behaviours.md).
            ("GET", "/version"): _moved,
            ("GET", "/v1.41/version"): _json(200, {"ApiVersion": "1.41", "Version": "20.10.25"}),
        }
    )
    docker = DockerClient(str(server.server_address))
    docker.ping()
    assert docker.version()["ApiVersion"] == "1.41"
    assert [path for _, path in server.seen] == ["/_ping", "/v1.41/version"]
    assert api_version_at_least("1.43") and api_version_at_least("1.41")
    assert not api_version_at_least("1.40") and not api_version_at_least("")


def test_a_redirect_or_an_error_is_one_sentence(fake: Callable[..., FakeDocker]) -> None:
    server = fake(
        {
            ("GET", "/v1.41/version"): _moved,
            ("POST", "/v1.41/images/x/tag"): _json(404, {"message": "No such image: x"}),
        }
    )
    docker = DockerClient(str(server.server_address))
    with pytest.raises(DockerRefused) as moved:
        docker.version()
    assert "301" in moved.value.message and "1.41" in moved.value.message
    with pytest.raises(DockerRefused) as missing:
        docker.tag("x", "repo", "t")
    assert missing.value.message == (
        "Studio's Docker refused tagging the image repo:t (HTTP 404): No such image: x."
    )


def test_no_daemon_is_said_without_a_wait(tmp_path: Path) -> None:
    docker = DockerClient(str(tmp_path / "nothing.sock"))
    started = time.monotonic()
    with pytest.raises(DockerUnavailable) as gone:
        docker.ping()
    assert "its socket does not exist" in gone.value.message
    assert time.monotonic() - started < 2


def test_streamed_messages_are_read_whatever_the_chunks(fake: Callable[..., FakeDocker]) -> None:
    pieces = [
        b'{"stream":"Step 1/2 : FROM python\\n"}\r\n{"str',
        b'eam":" ---> abc\\n"}\r\n',
        b'{"status":"Pushed","id":"1"}{"aux":{"ID":"sha256:' + b"a" * 64 + b'"}}\r\n',
    ]
    server = fake({("POST", "/v1.41/build"): _chunked(pieces)})
    docker = DockerClient(str(server.server_address))
    with docker.stream(
        "POST",
        docker.target("/build", [("t", "x:y")]),
        "the build",
        body=iter([b"a" * 10, b"b" * 10]),
        idle_seconds=5,
        halt=lambda: False,
    ) as found:
        messages = list(found)
    assert messages == [
        {"stream": "Step 1/2 : FROM python\n"},
        {"stream": " ---> abc\n"},
        {"status": "Pushed", "id": "1"},
        {"aux": {"ID": "sha256:" + "a" * 64}},
    ]
    assert server.seen == [("POST", "/v1.41/build?t=x%3Ay")]


def test_a_stop_ends_a_silent_stream_at_once(fake: Callable[..., FakeDocker]) -> None:
    # The daemon says one line, then nothing for a minute (a long RUN step).
    server = fake({("POST", "/v1.41/build"): _chunked([b'{"stream":"x\\n"}\n'] * 2, pause=60)})
    docker = DockerClient(str(server.server_address))
    stop = threading.Event()
    seen: list[dict[str, object]] = []
    started = time.monotonic()
    with (
        pytest.raises(Aborted),
        docker.stream(
            "POST", docker.target("/build"), "the build", idle_seconds=120, halt=stop.is_set
        ) as found,
    ):
        for message in found:
            seen.append(message)
            threading.Timer(0.3, stop.set).start()
    assert seen == [{"stream": "x\n"}]
    assert time.monotonic() - started < 5


def test_a_refusal_before_the_context_is_read_is_said_not_waited_for(
    fake: Callable[..., FakeDocker],
) -> None:
    def refuse(handler: BaseHTTPRequestHandler) -> None:
        # Refused on the query alone, as the daemon and Studio's proxy do, body unread.
        data = b'{"message":"network mode \\"host\\" is not allowed: only sagemaker"}'
        handler.send_response(400)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)

    server = fake({("POST", "/v1.41/build"): refuse})
    docker = DockerClient(str(server.server_address))
    started = time.monotonic()
    with (
        pytest.raises(DockerRefused) as refused,
        docker.stream(
            "POST",
            docker.target("/build"),
            "the build",
            body=(b"\0" * (1 << 20) for _ in range(64)),
            idle_seconds=30,
            halt=lambda: False,
        ) as found,
    ):
        list(found)
    assert refused.value.message == (
        'Studio\'s Docker refused the build (HTTP 400): network mode "host" is not allowed: '
        "only sagemaker."
    )
    assert time.monotonic() - started < 10


def test_a_message_over_the_bound_is_refused(fake: Callable[..., FakeDocker]) -> None:
    huge = b'{"stream":"' + b"x" * (MAX_MESSAGE + 10) + b'"}\n'
    server = fake({("POST", "/v1.41/build"): _chunked([huge])})
    docker = DockerClient(str(server.server_address))
    with (
        pytest.raises(DockerRefused) as refused,
        docker.stream(
            "POST", docker.target("/build"), "the build", idle_seconds=5, halt=lambda: False
        ) as found,
    ):
        list(found)
    assert "over 1,048,576 bytes" in refused.value.message


def test_a_login_never_shows_its_password() -> None:
    login = RegistryLogin("123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", "s3cr3t-t0ken")
    for shown in (repr(login), str(login), f"{login}", repr([login])):
        assert "s3cr3t-t0ken" not in shown
    auth = json.loads(base64.urlsafe_b64decode(registry_auth(login)))
    assert auth == {
        "username": "AWS",
        "password": "s3cr3t-t0ken",
        "serveraddress": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    }
    config = json.loads(base64.urlsafe_b64decode(registry_config([login])))
    assert config == {login.registry: auth}
