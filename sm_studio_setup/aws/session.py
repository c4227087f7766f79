"""Creating boto3 sessions and clients, and turning AWS failures into SetupErrors.

Every AWS call of the product goes through ``client()`` so retries, timeouts and the endpoint
(real AWS or the embedded emulator) are decided in one place.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import boto3
import botocore.exceptions
import botocore.handlers
from botocore.config import Config

from ..errors import (
    AwsAccessDenied,
    AwsError,
    CredentialsError,
    EndpointError,
    RegionError,
    SetupError,
    UnsafeEndpointError,
)

# Set by `sm-studio-setup demo`: the whole process must talk to the loopback emulator only.
DEMO_ENV = "SM_STUDIO_SETUP_DEMO"

# Standard mode retries throttling with exponential backoff and jitter; adaptive adds client-side
# rate limiting, which helps when the check fans out concurrent reads.
_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 6},
    # The role snapshot reads every policy concurrently; a larger pool keeps it in 3 rounds.
    max_pool_connections=32,
    connect_timeout=5,
    read_timeout=30,
)


def demo_mode() -> bool:
    return os.environ.get(DEMO_ENV, "") not in ("", "0", "false", "False")


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` is http(s) to this machine: localhost or a loopback address (not a name
    that merely starts like one, such as 127.attacker.example)."""
    try:
        parts = urlparse(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme not in ("http", "https"):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL"
# Turns every configured endpoint off: the SDK would then call real AWS.
_IGNORE_ENDPOINTS = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"


def demo_endpoint() -> str:
    """In demo mode, the loopback emulator every call must go to; refuses anything that could
    send a call elsewhere.

    The demo hands out an emulator session; with an endpoint variable missing, pointing away
    from loopback, overridden per service (AWS_ENDPOINT_URL_STS, ...) or switched off
    (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), boto3 would quietly call real AWS with whatever
    credentials it finds.
    """
    url = os.environ.get(_ENDPOINT_PREFIX, "")
    hint = "Start the demo with `sm-studio-setup demo`, or unset SM_STUDIO_SETUP_DEMO."
    if not url or not is_loopback_url(url):
        raise UnsafeEndpointError(
            f"Demo mode needs the loopback emulator, but AWS_ENDPOINT_URL is {url or 'unset'}.",
            hint,
        )
    for name, value in os.environ.items():
        if name.startswith(_ENDPOINT_PREFIX + "_") and not is_loopback_url(value):
            raise UnsafeEndpointError(
                f"Demo mode talks to the loopback emulator only, but {name} is {value!r}.", hint
            )
    if os.environ.get(_IGNORE_ENDPOINTS, "").strip().lower() not in ("", "false", "0"):
        raise UnsafeEndpointError(
            f"Demo mode needs its emulator endpoint, but {_IGNORE_ENDPOINTS} turns it off.", hint
        )
    return url


def ensure_demo_endpoint_is_local() -> None:
    """In demo mode refuse to run against anything but the loopback emulator."""
    if demo_mode():
        demo_endpoint()


def new_session(region: str | None = None, profile: str | None = None) -> boto3.Session:
    ensure_demo_endpoint_is_local()
    session = boto3.Session(region_name=region, profile_name=profile)
    if not session.region_name:
        raise RegionError("No AWS region is configured.", field="region")
    return session


# One client per (session, service, flavour). Creating a client costs milliseconds and is not
# thread-safe on a shared session (boto3's own advice: create clients before handing them to
# threads), while a client, once made, is safe to share. The lock makes creation one at a time.
_clients: weakref.WeakKeyDictionary[boto3.Session, dict[tuple[str, bool], Any]] = (
    weakref.WeakKeyDictionary()
)
_clients_lock = threading.Lock()


def _cached_client(session: boto3.Session, service: str, *, raw_policies: bool) -> Any:
    with _clients_lock:
        made = _clients.setdefault(session, {})
        key = (service, raw_policies)
        found = made.get(key)
        if found is None:
            # In the demo every client names the emulator itself, which no variable or
            # config file can override.
            endpoint = {"endpoint_url": demo_endpoint()} if demo_mode() else {}
            found = session.client(service, config=_CONFIG, **endpoint)  # type: ignore[call-overload]
            if raw_policies:
                # The handler list is the client's own copy: other IAM clients keep parsing.
                found.meta.events.unregister(
                    "after-call.iam", botocore.handlers.json_decode_policies
                )
            made[key] = found
        return found


def client(session: boto3.Session, service: str) -> Any:
    return _cached_client(session, service, raw_policies=False)


def regional_client(session: boto3.Session, service: str, region: str) -> Any:
    """A client of ``service`` in ``region`` (a base image's registry in another region),
    with the session's credentials and the same configuration as every other client."""
    if region == session.region_name:
        return client(session, service)
    with _clients_lock:
        made = _clients.setdefault(session, {})
        key = (f"{service}@{region}", False)
        found = made.get(key)
        if found is None:
            endpoint = {"endpoint_url": demo_endpoint()} if demo_mode() else {}
            found = session.client(  # type: ignore[call-overload]
                service, region_name=region, config=_CONFIG, **endpoint
            )
            made[key] = found
        return found


def raw_policy_client(session: boto3.Session) -> Any:
    """An IAM client that returns policy documents as text instead of parsed JSON.

    botocore parses IAM's URL-encoded documents by default (``json_decode_policies``), which
    drops the author's formatting; restoring a backup byte for byte needs the text itself.
    """
    return _cached_client(session, "iam", raw_policies=True)


def error_code(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403"}


def is_access_denied(exc: BaseException) -> bool:
    return error_code(exc) in _DENIED_CODES


def translate(exc: BaseException, doing: str) -> SetupError:
    """Map a botocore failure to one clear sentence and what to do about it."""
    if isinstance(exc, SetupError):
        return exc
    if isinstance(
        exc, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError
    ):
        return CredentialsError(
            f"No AWS credentials were found while {doing}.",
            "In Studio this means the app has no execution role; elsewhere run `aws configure`"
            " or set AWS_PROFILE.",
        )
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return RegionError(f"No AWS region is configured while {doing}.", field="region")
    if isinstance(
        exc, botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectTimeoutError
    ):
        return EndpointError(
            f"AWS could not be reached while {doing}: {exc}.",
            "Check the network, proxy settings and AWS_ENDPOINT_URL; with the demo, is the"
            " emulator still running?",
        )
    if isinstance(exc, botocore.exceptions.ClientError):
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
        if code in {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}:
            return CredentialsError(
                f"The AWS credentials have expired ({code}) while {doing}.",
                "Refresh them (aws sso login, or restart the Studio app) and try again.",
            )
        if code in {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch"}:
            return CredentialsError(
                f"AWS did not accept the credentials ({code}) while {doing}.",
                "Check AWS_PROFILE / AWS_ACCESS_KEY_ID; they may belong to another partition.",
            )
        if code in _DENIED_CODES:
            return AwsAccessDenied(
                f"Access denied while {doing}: {message}", "", details={"code": code}
            )
        return AwsError(f"AWS returned {code} while {doing}: {message}", "", details={"code": code})
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return AwsError(f"The AWS SDK failed while {doing}: {exc}", "")
    raise exc


@contextmanager
def translating(doing: str) -> Iterator[None]:
    try:
        yield
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise translate(exc, doing) from exc
