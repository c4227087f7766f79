"""Parameter Store calls of a build: the SecureString parameters holding its ``env=`` secrets.

A secret the user gives from the environment is put in a SecureString parameter (encrypted with
the account's AWS managed key ``alias/aws/ssm``) named for the build's project, which CodeBuild
resolves with the build's role; the parameter is deleted with the project. Its value is never
logged, recorded or put in an error: a failure is said by the parameter's name.
"""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from .session import client, error_code, translate


def put_secret(session: Any, name: str, value: str) -> None:
    """Create the parameter; one that already exists is refused (never overwritten: the name
    is this build's own, so an existing one is not ours)."""
    try:
        client(session, "ssm").put_parameter(
            Name=name,
            Value=value,
            Type="SecureString",
            Overwrite=False,
            Description="A secret of one sm-studio-setup build; deleted when the build ends.",
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise translate(exc, f"keeping a build secret in Parameter Store as {name}") from None


def delete(session: Any, name: str) -> str | None:
    """Delete the parameter; None (also when it is already gone), or why it could not be."""
    try:
        client(session, "ssm").delete_parameter(Name=name)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            return None
        return str(translate(exc, f"deleting the build's secret parameter {name}"))
    except botocore.exceptions.BotoCoreError as exc:
        return str(translate(exc, f"deleting the build's secret parameter {name}"))
    return None
