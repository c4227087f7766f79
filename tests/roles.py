"""The seeded Studio role as IAM stores it, for tests that must find it byte-identical."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import boto3
from botocore import handlers

from sm_studio_setup.emulator.core.server import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY

from .emulator_process import EmulatorProcess

ROLE_NAME = "AmazonSageMaker-ExecutionRole-20261122T000000"
OURS = "sm-studio-setup-image-build"


def raw_iam(session: boto3.Session, **client_args: Any) -> Any:
    """IAM that returns policy documents as the text IAM holds (boto3 would parse them)."""
    iam = session.client("iam", **client_args)
    iam.meta.events.unregister("after-call.iam", handlers.json_decode_policies)
    return iam


def role_state(iam: Any, role: str = ROLE_NAME) -> dict[str, Any]:
    """The trust policy, every inline policy's text and the attached policies, exactly.

    ``iam`` is a ``raw_iam`` client with credentials that may read everything (the admin's).
    """
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    return {
        # IAM returns documents URL-encoded; decoded, they are the bytes it stores.
        "trust": unquote(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]),
        "inline": {
            n: unquote(iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"])
            for n in names
        },
        "attached": iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"],
    }


def admin_iam(emulator: EmulatorProcess) -> Any:
    """``raw_iam`` with the admin credentials of an emulator in a child process."""
    admin = boto3.Session(
        aws_access_key_id=ADMIN_ACCESS_KEY_ID,
        aws_secret_access_key=ADMIN_SECRET_ACCESS_KEY,
        region_name="us-east-1",
    )
    return raw_iam(admin, endpoint_url=emulator.env["AWS_ENDPOINT_URL"])


def state_of(emulator: EmulatorProcess) -> dict[str, Any]:
    """``role_state`` of the seeded role in an emulator in a child process."""
    return role_state(admin_iam(emulator))
