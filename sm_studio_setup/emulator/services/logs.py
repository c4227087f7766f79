"""CloudWatch Logs: CreateLogGroup refuses a KMS key that does not exist or is disabled.

"If you attempt to associate a KMS key with the log group but the KMS key does not exist or the
KMS key is disabled, you receive an InvalidParameterException error" (CloudWatch Logs API
Reference, CreateLogGroup); moto makes the group whatever the key. The wording of the message
is not published: the emulator's is its own. Enforcement has authorized the call before this
runs, as AWS authorizes before it looks at what a request names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.logs.exceptions import InvalidParameterException
from moto.logs.models import LogsBackend

from .kms_keys import usable

_PATCHED = "_sm_studio_setup_kms_checked"


def install() -> None:
    """Idempotent: wraps moto's backend method once."""
    original = LogsBackend.create_log_group
    if not getattr(original, _PATCHED, False):
        LogsBackend.create_log_group = _checking_kms(original)  # type: ignore[method-assign]


def _checking_kms(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_log_group(
        self: LogsBackend, log_group_name: str, tags: dict[str, str], **kwargs: Any
    ) -> Any:
        key = kwargs.get("kmsKeyId")
        # An existing name is refused as such first (ResourceAlreadyExistsException).
        missing = log_group_name not in self.groups
        if key and missing and not usable(str(key), self.account_id, self.region_name):
            raise InvalidParameterException(
                msg=f"The specified KMS key {key} does not exist or is not enabled."
            )
        return original(self, log_group_name, tags, **kwargs)

    setattr(create_log_group, _PATCHED, True)
    return create_log_group
