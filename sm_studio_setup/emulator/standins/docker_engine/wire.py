"""HTTP/1.1 on a unix socket, as the Engine API stand-in speaks it: bounded request bodies
(``Content-Length`` or chunked), JSON answers with the daemon's headers, and JSON-lines streams
that notice when the client has gone.

Every read from the socket is bounded in size and time: the handler's socket times out after
``IDLE_SECONDS`` without a byte, a request line or header line is at most 64 KiB (http.server's
own bounds), and a body beyond its cap is answered 413 without being read.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import tempfile
import threading
import time
from collections.abc import Mapping
from email.message import Message
from http.server import BaseHTTPRequestHandler
from typing import IO, Any

API_VERSION = "1.41"
ENGINE_VERSION = "20.10.25"
IDLE_SECONDS = 60.0
_CHUNK_LINE = 1024
_COPY = 1024 * 1024
# What the daemon sends with every answer (moby api/server/server.go, middleware/version.go).
_DAEMON_HEADERS = {
    "Api-Version": API_VERSION,
    "Docker-Experimental": "false",
    "Ostype": "linux",
}


class HttpError(Exception):
    """An answer ``{"message": ...}`` with ``status``, before any of a stream was sent."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ClientGone(Exception):
    """The client closed its connection: whatever it asked for stops here."""


class Exchange:
    """One request and the means to answer it."""

    def __init__(self, handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
        self._handler = handler
        self._stopping = stopping
        self.method = handler.command
        self.headers: Message = handler.headers
        self.streaming = False
        self.body_read = False
        self.bytes_in = 0

    # -- the request body --------------------------------------------------------------------

    def read_body(self, limit: int) -> IO[bytes]:
        """The whole body in a spooled temporary file (memory up to 8 MiB, then disk), at most
        ``limit`` bytes: more is answered 413, a malformed framing 400."""
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        try:
            self._copy_body(spool, limit)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    def discard_body(self, limit: int) -> None:
        """Read and drop the body, so that the answer reaches a client still sending it."""
        if not self.body_read:
            with self.read_body(limit):
                pass

    def _copy_body(self, out: IO[bytes], limit: int) -> None:
        self.body_read = True
        encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if encoding == "chunked":
            self._copy_chunked(out, limit)
            return
        if encoding:
            self._handler.close_connection = True
            raise HttpError(501, f"transfer encoding {encoding!r} is not supported")
        text = self.headers.get("Content-Length")
        if text is None:
            return
        try:
            length = int(text)
        except ValueError:
            length = -1
        if length < 0:
            self._handler.close_connection = True
            raise HttpError(400, f"invalid Content-Length {text!r}")
        if length > limit:
            # Not read: the connection cannot carry another request after this one.
            self._handler.close_connection = True
            raise HttpError(413, _too_large(limit))
        self._copy_exact(out, length)

    def _copy_exact(self, out: IO[bytes], length: int) -> None:
        """``length`` bytes of the body to ``out``; a client that stops sending is gone."""
        rfile = self._handler.rfile
        while length:
            data = rfile.read(min(length, _COPY))
            if not data:
                self._handler.close_connection = True
                raise ClientGone()
            out.write(data)
            self.bytes_in += len(data)
            length -= len(data)

    def _copy_chunked(self, out: IO[bytes], limit: int) -> None:
        rfile = self._handler.rfile
        total = 0
        while True:
            line = rfile.readline(_CHUNK_LINE + 1)
            if not line:
                self._handler.close_connection = True
                raise ClientGone()
            if len(line) > _CHUNK_LINE or not line.endswith(b"\n"):
                self._handler.close_connection = True
                raise HttpError(400, "malformed chunked body: chunk size line too long")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                size = -1
            if size < 0:
                self._handler.close_connection = True
                raise HttpError(400, "malformed chunked body: invalid chunk size")
            if size == 0:
                break
            total += size
            if total > limit:
                self._handler.close_connection = True
                raise HttpError(413, _too_large(limit))
            self._copy_exact(out, size)
            if rfile.readline(_CHUNK_LINE + 1).strip():
                self._handler.close_connection = True
                raise HttpError(400, "malformed chunked body: no CRLF after a chunk")
        for _ in range(100):  # trailers, up to the empty line
            trailer = rfile.readline(_CHUNK_LINE + 1)
            if not trailer.strip():
                return
        self._handler.close_connection = True
        raise HttpError(400, "malformed chunked body: too many trailers")

    @property
    def body_pending(self) -> bool:
        """Whether a body was announced and not read (the connection cannot be reused)."""
        if self.body_read:
            return False
        length = (self.headers.get("Content-Length") or "0").strip()
        return length != "0" or bool(self.headers.get("Transfer-Encoding"))

    # -- answers -----------------------------------------------------------------------------

    def answer(
        self,
        status: int,
        body: bytes = b"",
        *,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        handler = self._handler
        handler.send_response(status)
        for name, value in {**_DAEMON_HEADERS, **(headers or {})}.items():
            handler.send_header(name, value)
        if status not in (204, 304):
            handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if body and self.method != "HEAD":
            handler.wfile.write(body)

    def answer_json(self, status: int, document: Any) -> None:
        self.answer(status, json.dumps(document).encode() + b"\n")

    def answer_error(self, status: int, message: str) -> None:
        self.answer_json(status, {"message": message})

    # -- streams -----------------------------------------------------------------------------

    def start_stream(self) -> None:
        """A 200 whose body is JSON messages, each ending with CRLF as the daemon's
        streamformatter ends them, sent in chunks as they happen."""
        handler = self._handler
        handler.send_response(200)
        for name, value in _DAEMON_HEADERS.items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        self.streaming = True

    def send(self, message: Mapping[str, Any]) -> None:
        data = json.dumps(message).encode() + b"\r\n"
        self._write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_stream(self) -> None:
        self._write(b"0\r\n\r\n")
        self.streaming = False

    def _write(self, data: bytes) -> None:
        if self.gone():
            raise ClientGone()
        try:
            self._handler.wfile.write(data)
        except OSError:
            self._handler.close_connection = True
            raise ClientGone() from None

    def gone(self) -> bool:
        """Whether the client closed its end (or the engine is stopping)."""
        if self._stopping.is_set():
            return True
        connection: socket.socket = self._handler.connection
        try:
            readable, _, _ = select.select([connection], [], [], 0)
            if not readable:
                return False
            return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def pause(self, seconds: float) -> None:
        """Wait ``seconds``, raising ClientGone as soon as the client goes away."""
        deadline = time.monotonic() + seconds
        connection: socket.socket = self._handler.connection
        while True:
            if self.gone():
                self._handler.close_connection = True
                raise ClientGone()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            step = min(remaining, 0.05)
            with contextlib.suppress(OSError, ValueError):
                readable, _, _ = select.select([connection], [], [], step)
                if not readable:
                    continue
            # Readable but not closed (a pipelined request): sleep instead of spinning.
            time.sleep(step)


def _too_large(limit: int) -> str:
    return f"the request body exceeds the emulator's limit of {limit // (1024 * 1024)} MiB"
