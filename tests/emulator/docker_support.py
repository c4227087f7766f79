"""A tiny stdlib Docker Engine API client for the stand-in's tests: http.client over AF_UNIX,
tar contexts, registry auth headers."""

from __future__ import annotations

import base64
import contextlib
import gzip
import http.client
import io
import json
import socket
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 30) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def messages(self) -> list[dict[str, Any]]:
        """A JSON-lines stream, one message per CRLF-ended line."""
        return [json.loads(line) for line in self.body.splitlines() if line.strip()]

    def text(self) -> str:
        """The ``stream`` texts of a build, joined."""
        return "".join(m.get("stream", "") for m in self.messages())


def socket_path(docker_host: str) -> str:
    assert docker_host.startswith("unix://"), docker_host
    return docker_host.removeprefix("unix://")


def call(
    path: str,
    method: str,
    url: str,
    body: bytes | Iterable[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    chunked: bool = False,
) -> Answer:
    connection = UnixConnection(path)
    try:
        # The daemon may answer before reading the whole body and close its side (a refusal,
        # as Docker's own server does): its answer is still there to read, as the product's
        # client reads it (aws/docker_api.py).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.request(
                method, url, body=body, headers=dict(headers or {}), encode_chunked=chunked
            )
        response = connection.getresponse()
        return Answer(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()


def tar_of(
    files: Mapping[str, bytes],
    *,
    links: Mapping[str, str] | None = None,
    compress: bool = False,
) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    data = buffer.getvalue()
    return gzip.compress(data, mtime=0) if compress else data


def tar_member(name: str, kind: bytes, *, linkname: str = "", data: bytes = b"") -> bytes:
    """A tar of one member of any type (tarfile would refuse to write some of these names)."""
    info = tarfile.TarInfo("placeholder")
    info.type = kind
    info.linkname = linkname
    info.size = len(data) if kind in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
    header = bytearray(info.tobuf(format=tarfile.USTAR_FORMAT))
    encoded = name.encode()
    header[0:100] = encoded.ljust(100, b"\0")[:100]
    header[148:156] = b"        "
    checksum = sum(header)
    header[148:156] = f"{checksum:06o}\0 ".encode()
    padding = b"\0" * (-len(data) % 512) if info.size else b""
    return bytes(header) + (data + padding if info.size else b"") + b"\0" * 1024


def ecr_password(session: boto3.Session) -> str:
    """The password of ``aws ecr get-login-password`` for ``session``'s principal."""
    data = session.client("ecr").get_authorization_token()["authorizationData"][0]
    return base64.b64decode(data["authorizationToken"]).decode().partition(":")[2]


def registry_auth(password: str, server: str = "", username: str = "AWS") -> str:
    """X-Registry-Auth as the docker CLI sends it: base64url (padded) of the auth config."""
    document = {"username": username, "password": password, "serveraddress": server}
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


def registry_config(auths: Mapping[str, str]) -> str:
    """X-Registry-Config: registry host -> ECR password, base64url (padded)."""
    document = {host: {"username": "AWS", "password": pw} for host, pw in auths.items()}
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()
