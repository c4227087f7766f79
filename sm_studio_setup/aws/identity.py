"""Who we are: the caller, the role a build would use, and the Studio resources around it.

Issue 2 only needs the identity the sidebar shows; the full discovery of the execution role in
effect (DescribeSpace / DescribeUserProfile / DescribeDomain) belongs to the check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import boto3

from .metadata import StudioMetadata, read_metadata
from .session import client, translating


@dataclass(frozen=True)
class Identity:
    account: str
    region: str
    partition: str
    caller_arn: str
    role_arn: str | None
    # Where role_arn came from: "metadata" (Studio's document), "caller" (the assumed-role
    # session; the role's path is not visible there) or None.
    role_source: str | None
    domain_id: str | None
    user_profile: str | None
    space: str | None
    app_type: str | None
    in_studio: bool
    demo: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def role_arn_from_caller(caller_arn: str) -> str | None:
    """Map ``arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`` to the role's ARN (path unknown)."""
    parts = caller_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "sts":
        # An IAM user or the root: no role is in play.
        return None
    resource = parts[5]
    if not resource.startswith("assumed-role/"):
        return None
    name = resource.split("/")[1]
    return f"arn:{parts[1]}:iam::{parts[4]}:role/{name}"


def is_session_of(caller_arn: str, role_arn: str) -> bool:
    """Whether ``caller_arn`` (STS's answer) is a session of ``role_arn`` (as IAM gives it, path
    included). The session ARN carries no path, but a role's name is unique in its account
    whatever its path, and IAM compares names without regard to case."""
    session_role = role_arn_from_caller(caller_arn)
    if session_role is None:
        return False
    ours, theirs = session_role.split(":", 5), role_arn.split(":", 5)
    if len(theirs) != 6 or ours[:5] != theirs[:5] or not theirs[5].startswith("role/"):
        return False
    return ours[5].rsplit("/", 1)[-1].casefold() == theirs[5].rsplit("/", 1)[-1].casefold()


def whoami(session: boto3.Session, *, demo: bool = False) -> Identity:
    with translating("asking STS who the caller is"):
        caller = client(session, "sts").get_caller_identity()
    caller_arn = str(caller["Arn"])
    partition = caller_arn.split(":")[1]
    meta: StudioMetadata | None = read_metadata()
    role_arn: str | None
    role_source: str | None
    if meta and meta.execution_role_arn:
        role_arn, role_source = meta.execution_role_arn, "metadata"
    else:
        role_arn = role_arn_from_caller(caller_arn)
        role_source = "caller" if role_arn else None
    return Identity(
        account=str(caller["Account"]),
        region=str(session.region_name),
        partition=partition,
        caller_arn=caller_arn,
        role_arn=role_arn,
        role_source=role_source,
        domain_id=meta.domain_id if meta else None,
        user_profile=meta.user_profile_name if meta else None,
        space=meta.space_name if meta else None,
        app_type=meta.app_type if meta else None,
        in_studio=meta is not None,
        demo=demo,
    )


def caller_account(session: boto3.Session) -> str:
    """The account the credentials belong to (one STS call)."""
    with translating("asking STS who the caller is"):
        return str(client(session, "sts").get_caller_identity()["Account"])
