"""Small helpers the emulator tests share."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def trust_policy(*services: str) -> str:
    """A role trust policy letting the given AWS services assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": list(services)},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    """(error code, message, HTTP status) of a failed boto3 call, as a client sees them."""
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )
