"""S3's answers where moto's differ, for what a caller may learn about objects.

- A missing key is ``NoSuchKey`` (404) only to a caller s3:ListBucket allows on the bucket;
  to another it is a bare 403 "Access Denied", for GetObject and HeadObject alike, with or
  without a version id (Amazon S3 API Reference, GetObject and HeadObject, "Permissions": "If
  the object you request doesn't exist, the error that Amazon S3 returns depends on whether you
  also have the s3:ListBucket permission"). moto answers 404 to everyone.
- PutObject whose body does not match its Content-MD5 is refused with ``BadDigest`` and stores
  nothing (Amazon S3 API Reference, PutObject, Content-MD5; "Error responses", BadDigest);
  moto stores it.

Enforcement has authorized the call itself before any of this runs, as AWS authorizes before
it looks at what a request names.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Callable
from typing import Any

from moto.s3.exceptions import MissingKey, MissingVersion, S3AccessDeniedError, S3ClientError
from moto.s3.responses import S3Response

from ..core import access

_PATCHED = "_sm_studio_setup_s3"


class BadDigest(S3ClientError):
    def __init__(self) -> None:
        super().__init__(
            "BadDigest", "The Content-MD5 you specified did not match what we received."
        )


def install() -> None:
    """Idempotent: each moto method is wrapped once."""
    for name, wrap in (
        ("_get_key", _hiding_missing_keys),
        ("head_object", _hiding_missing_heads),
        ("put_object", _checking_md5),
    ):
        original = getattr(S3Response, name)
        if not getattr(original, _PATCHED, False):
            wrapped = wrap(original)
            setattr(wrapped, _PATCHED, True)
            setattr(S3Response, name, wrapped)


def _may_list(response: S3Response, bucket: str) -> bool:
    """Whether the request's caller may s3:ListBucket ``bucket`` (always, without enforcement
    and for the account root, whom identity policies do not restrict)."""
    if not access.enforcement_enabled():
        return True
    account = response.current_account
    principal = access.principal_for(response.get_access_key(), account=account)
    if principal.is_root:
        return True
    request = access.AccessRequest(
        principal_arn=principal.arn,
        action="s3:ListBucket",
        resource=f"arn:aws:s3:::{bucket}",
        context={
            "aws:PrincipalArn": principal.role_arn or principal.arn,
            "aws:PrincipalAccount": principal.account,
            "aws:PrincipalType": principal.kind,
        },
    )
    return access.decide(request) == "allowed"


def _hiding_missing_keys(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def get_key(self: S3Response, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        except (MissingKey, MissingVersion):
            if not _may_list(self, self.bucket_name):
                raise S3AccessDeniedError() from None
            raise

    return get_key


def _hiding_missing_heads(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def head_object(self: S3Response, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        status, headers, body = original(self, bucket_name, *args, **kwargs)
        # A delete marker is the key's current version, not a missing key.
        missing = status == 404 and "x-amz-delete-marker" not in headers
        if missing and not _may_list(self, bucket_name):
            return 403, {}, ""
        return status, headers, body

    return head_object


def _checking_md5(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def put_object(self: S3Response, *args: Any, **kwargs: Any) -> Any:
        expected = self.headers.get("Content-MD5")
        if expected:
            body = self.body or b""
            data = body.encode() if isinstance(body, str) else bytes(body)
            if base64.b64encode(hashlib.md5(data).digest()).decode() != expected.strip():
                raise BadDigest()
        return original(self, *args, **kwargs)

    return put_object
