"""Registry credentials as the daemon takes them, and whether the emulator's ECR issued them.

``X-Registry-Auth`` (push) is one auth config, ``X-Registry-Config`` (build) a map of registry
to auth config, each base64url-encoded JSON (moby api/server/router: ``base64.URLEncoding``,
padded). Like the daemon, a header that does not decode counts as no credentials at all.

An ECR password is the authorization token's part after ``AWS:``; it is valid when this
emulator's ECR issued it in the registry's region (``services/ecr.py``) less than 12 hours ago.
Nothing here logs a password or puts it in a message.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from ...services.ecr import Grant, grant_for
from ..references import registry_host

_URL_SAFE = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")
MAX_HEADER_CHARS = 64 * 1024

# What ECR answers through docker (public reports: kciter/aws-ecr-action #1,
# spotify/dockerfile-maven #243, aws-samples/ecs-bg-external-controller #13).
NO_CREDENTIALS = "no basic auth credentials"
INVALID_TOKEN = "denied: Your Authorization Token is invalid."
EXPIRED_TOKEN = "denied: Your authorization token has expired. Reauthenticate and try again."


@dataclass(frozen=True)
class AuthConfig:
    username: str
    password: str

    def __repr__(self) -> str:  # never the password, whatever prints this
        return f"AuthConfig(username={self.username!r})"


def _decode(header: str | None) -> Any:
    if not header or len(header) > MAX_HEADER_CHARS or len(header) % 4:
        return None
    if not _URL_SAFE.match(header):
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(header))
    except (binascii.Error, ValueError):
        return None


def _auth_config(value: Any) -> AuthConfig | None:
    if not isinstance(value, dict):
        return None
    username, password = value.get("username"), value.get("password")
    encoded = value.get("auth")
    if not password and isinstance(encoded, str):
        try:
            username, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, ValueError):
            return None
    if isinstance(username, str) and isinstance(password, str) and password:
        return AuthConfig(username, password)
    return None


def push_auth(header: str | None) -> AuthConfig | None:
    """``X-Registry-Auth``: one auth config, or None."""
    return _auth_config(_decode(header))


def build_auths(header: str | None) -> dict[str, AuthConfig]:
    """``X-Registry-Config``: auth configs by registry host."""
    decoded = _decode(header)
    found: dict[str, AuthConfig] = {}
    if isinstance(decoded, dict):
        for server, value in decoded.items():
            config = _auth_config(value)
            if isinstance(server, str) and config is not None:
                found[registry_host(server)] = config
    return found


def ecr_grant(auth: AuthConfig | None, region: str) -> Grant:
    """The principal ``auth`` stands for at ECR in ``region``; RegistryDenied (docker's
    wording) when there is none."""
    if auth is None:
        raise RegistryDenied(NO_CREDENTIALS)
    grant = grant_for(auth.password, region) if auth.username == "AWS" else None
    if grant is None:
        raise RegistryDenied(INVALID_TOKEN)
    if grant.expired:
        raise RegistryDenied(EXPIRED_TOKEN)
    return grant


class RegistryDenied(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
