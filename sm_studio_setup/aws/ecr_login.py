"""ECR registry logins for Studio's Docker: ``GetAuthorizationToken``, kept a secret.

The token decodes to ``user:password`` and lets whoever holds it pull from and push to every
repository the role may use, for twelve hours. It goes only into the Engine API's registry
headers (``aws/docker_api.py``): never into a log line, an event, the record, an exception's
text or the command line's output. One token per region serves every registry of that region
the role may use (ECR User Guide, "Private registry authentication").
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import botocore.exceptions

from ..errors import SetupError
from .docker_api import RegistryLogin
from .session import regional_client, translate


def registry_login(session: Any, region: str, registry: str) -> RegistryLogin:
    """A login to ``registry`` (a host of ``region``) with a fresh authorization token."""
    doing = f"getting an ECR login token for {registry}"
    try:
        answer = regional_client(session, "ecr", region).get_authorization_token()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise translate(exc, doing) from None
    data = answer.get("authorizationData") or []
    token = str(data[0].get("authorizationToken") or "") if data else ""
    try:
        user, sep, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user, sep, password = "", "", ""
    if not sep or not user or not password:
        # Said without the token: what it held is a secret even when malformed.
        raise SetupError(f"ECR's authorization token is not user:password while {doing}.")
    return RegistryLogin(registry, user, password)
