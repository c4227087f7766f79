"""Errors every surface knows how to show: one sentence of what is wrong, one of what to do."""

from __future__ import annotations

from typing import Any


class SetupError(Exception):
    """An error the user can act on. Surfaces print ``message`` and ``hint``, never a traceback."""

    # Stable machine-readable code; REST clients and the CLI's --json output use it.
    code = "error"
    http_status = 500

    def __init__(self, message: str, hint: str = "", *, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or {}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "hint": self.hint}
        if self.details:
            body["details"] = self.details
        return body

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class CredentialsError(SetupError):
    code = "no_credentials"
    http_status = 401


class RegionError(SetupError):
    code = "no_region"
    http_status = 400


class EndpointError(SetupError):
    code = "endpoint_unreachable"
    http_status = 502


class AwsAccessDenied(SetupError):
    code = "access_denied"
    http_status = 403


class AwsError(SetupError):
    code = "aws_error"
    http_status = 502


class UnsafeEndpointError(SetupError):
    code = "unsafe_endpoint"
    http_status = 400


# The fix's errors: what stopped it, always saying whether the role was changed.


class RoleChangedError(SetupError):
    """The role changed since the plan (or since the fix, for an undo): nothing was written."""

    code = "role_changed"
    http_status = 409


class QuotaExceededError(SetupError):
    code = "quota_exceeded"
    http_status = 409


class FixFailedError(SetupError):
    """A write or its verification failed; ``details["restored"]`` says if the role is back."""

    code = "fix_failed"
    http_status = 502


class BackupNotFoundError(SetupError):
    code = "backup_not_found"
    http_status = 404
