"""What both stand-ins share: their log line, the emulator endpoint, boto3 clients."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import sys
from typing import Any, TextIO
from urllib.parse import urlsplit

ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")


class StandinError(Exception):
    """Ends the stand-in with ``message`` on stderr and ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def log_call(name: str, args: list[str], stream: TextIO) -> None:
    """``[name] <JSON array of the arguments>``: json.dumps escapes every character that could
    break the line (newlines, quotes, undecodable bytes kept as surrogates), so a reader gets
    the argument vector back exactly with json.loads."""
    stream.write(f"[{name}] {json.dumps(args)}\n")
    stream.flush()


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def warn(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_url() -> str:
    """The emulator's URL; anything else is refused, so a stand-in can never reach real AWS
    (not even with a buildspec that overrides AWS_ENDPOINT_URL)."""
    url = os.environ.get("AWS_ENDPOINT_URL", "")
    if not url:
        raise StandinError(
            "the emulator's endpoint is unknown (AWS_ENDPOINT_URL is not set in this build); "
            "the stand-ins never call real AWS",
            255,
        )
    host = urlsplit(url).hostname or ""
    if not _is_loopback(host):
        raise StandinError(
            f"AWS_ENDPOINT_URL={url} is not the emulator on loopback; the stand-ins never call "
            "anything else",
            255,
        )
    return url


def default_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def client(service: str, region: str | None = None) -> Any:
    """A boto3 client with the build's credentials (the service role session, from the
    environment the runner built), against the emulator, so IAM enforcement judges the role."""
    url = endpoint_url()
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=region or default_region())
    config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3})
    return session.client(service, endpoint_url=url, config=config)  # type: ignore[call-overload]
