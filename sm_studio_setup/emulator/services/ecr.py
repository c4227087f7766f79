"""ECR's GetAuthorizationToken, bound to the caller as AWS binds it.

moto answers every caller with the same password (``<account>-auth-token``), which says nothing
about who may push. Here each call issues a fresh random password, valid for 12 hours, that
stands for the calling principal (AWS ECR User Guide, "Private registry authentication": "the
authorization token ... can be used to access any Amazon ECR registry that your IAM principal
has access to and is valid for 12 hours"). The Engine API stand-in (``standins/docker_engine``)
takes a pushed ``X-Registry-Auth`` back to that principal with :func:`grant_for` and pushes
through the ECR API with its credentials (:func:`credentials_for`), so IAM decides a push.

Passwords are kept on moto's ECR backend of the issuing account and region, so moto's reset
forgets them; nothing here ever logs or returns one except in the answer to its caller.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from moto.core.responses import ActionResult
from moto.ecr.models import ECRBackend, ecr_backends
from moto.ecr.responses import ECRResponse

TOKEN_SECONDS = 12 * 3600
_GRANTS_ATTR = "_sm_studio_setup_token_grants"
# Signatures are not checked by the emulator: a key moto does not know (the account root, the
# emulator's admin) is signed with this secret.
_UNKNOWN_SECRET = "sm-studio-setup-emulator-unknown-secret"


@dataclass(frozen=True)
class Grant:
    """Who a password stands for."""

    access_key_id: str
    account: str
    region: str
    expires_at: float

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires_at


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None

    def __repr__(self) -> str:  # never the secrets, whatever prints this
        return f"Credentials(access_key_id={self.access_key_id!r})"


def install() -> None:
    ECRResponse.get_authorization_token = _get_authorization_token  # type: ignore[method-assign]


def _grants(backend: ECRBackend) -> dict[str, Grant]:
    found = getattr(backend, _GRANTS_ATTR, None)
    if found is None:
        found = {}
        setattr(backend, _GRANTS_ATTR, found)
    return found


def _get_authorization_token(self: ECRResponse) -> ActionResult:
    registry_ids = self._get_param("registryIds") or [self.current_account]
    expires_at = time.time() + TOKEN_SECONDS
    password = secrets.token_urlsafe(96)
    _grants(self.ecr_backend)[password] = Grant(
        access_key_id=self.get_access_key(),
        account=self.current_account,
        region=self.region,
        expires_at=expires_at,
    )
    token = base64.b64encode(f"AWS:{password}".encode()).decode()
    return ActionResult(
        {
            "authorizationData": [
                {
                    "authorizationToken": token,
                    "expiresAt": datetime.fromtimestamp(expires_at, tz=timezone.utc),
                    "proxyEndpoint": f"https://{registry}.dkr.ecr.{self.region}.amazonaws.com",
                }
                for registry in registry_ids
            ]
        }
    )


def grant_for(password: str, region: str) -> Grant | None:
    """The principal a password was issued to in ``region`` (ECR's tokens are regional), or
    None for one this emulator never issued there. An expired grant is returned as such."""
    for account_backends in list(ecr_backends.values()):
        backend = dict.get(account_backends, region)
        if backend is None:
            continue
        for known, grant in list(_grants(backend).items()):
            # Constant time: the comparison must not tell a guesser how close it came.
            if hmac.compare_digest(known.encode(), password.encode()):
                return grant
    return None


def credentials_for(grant: Grant) -> Credentials:
    """Credentials that act as the grant's principal: its STS session's or IAM user's keys,
    else (the root, the emulator's admin) the key itself."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    key = grant.access_key_id
    session: Any = sts_backends[grant.account]["aws"].get_assumed_role_from_access_key(key)
    if session is not None:
        return Credentials(key, session.secret_access_key, session.session_token)
    user: Any = iam_backends[grant.account]["aws"].get_user_from_access_key_id(key)
    if user is not None:
        for access_key in user.access_keys:
            if access_key.access_key_id == key:
                return Credentials(key, access_key.secret_access_key, None)
    return Credentials(key, _UNKNOWN_SECRET, None)
