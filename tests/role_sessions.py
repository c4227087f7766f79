"""A throw-away role allowed exactly some statements, as a session of its own, for tests that
judge what one permission (and nothing else) lets a caller learn or do in the emulator."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3

from sm_studio_setup.emulator.core.server import Emulator, _EndpointSession

ACCOUNT = "123456789012"
REGION = "us-east-1"


def session_allowed(emulator: Emulator, *statements: dict[str, Any]) -> boto3.Session:
    """A fresh role (trusted by the account) allowed exactly ``statements``, assumed."""
    iam = emulator.admin_session().client("iam")
    name = f"only-{uuid.uuid4().hex[:8]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="allowed",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
    )
    credentials = (
        emulator.admin_session()
        .client("sts")
        .assume_role(RoleArn=arn, RoleSessionName="only")["Credentials"]
    )
    return _EndpointSession(
        emulator.endpoint_url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
