"""Discovery: who we are, and which role a build started from here would use.

Sources, best first (issue 5, item 1):

1. An explicit ``role=`` (``--role``): a name, ``path/name`` or an ARN ("explicit").
2. The Studio resource-metadata document. Studio writes ``ExecutionRoleArn`` into it for
   JupyterLab apps; it is the role the app runs as, with its path, so it is used as is and no
   SageMaker call is needed. The label still says which Studio resource the app belongs to.
   Without it: a space (``SpaceName``) -> DescribeSpace; a private space runs as its owner's
   user-profile role, a shared one as the domain's ``DefaultSpaceSettings.ExecutionRole``
   ("space"); a classic Studio user profile -> DescribeUserProfile
   ``UserSettings.ExecutionRole`` ("user-profile"); a profile without its own role, or no
   profile at all -> DescribeDomain ``DefaultUserSettings.ExecutionRole`` ("domain-default").
   Any Describe* that fails (denied, resource gone) falls back to the next source.
3. ``sts:GetCallerIdentity`` ("caller"): an assumed-role session ARN names the role but not its
   path (``arn:aws:sts::ACCT:assumed-role/NAME/SESSION``). The path comes from ``iam:GetRole``
   when the role may read itself, else from ``iam:ListRoles`` (AmazonSageMakerFullAccess allows
   it on ``*``; it has to walk every page, since ``PathPrefix`` needs the unknown path), else it
   stays unknown (None).

GetCallerIdentity runs concurrently with the SageMaker calls: it is needed in every case (account,
partition, caller), and STS answers it for any valid credentials, even with every IAM action
denied.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Literal

import boto3
import botocore.exceptions

from ..errors import CredentialsError, EndpointError
from .identity import role_arn_from_caller
from .metadata import StudioMetadata, read_metadata
from .session import client, is_access_denied, translate, translating

How = Literal["space", "user-profile", "domain-default", "caller", "explicit"]


@dataclass(frozen=True)
class Discovery:
    account: str
    region: str
    partition: str
    caller_arn: str
    role_arn: str | None
    role_name: str | None
    role_path: str | None  # None: unknown (the role's own reads and ListRoles were denied)
    how: How
    domain_id: str | None
    user_profile: str | None
    space: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def split_role_arn(arn: str) -> tuple[str, str]:
    """``arn:aws:iam::ACCT:role/a/b/NAME`` -> (``/a/b/``, ``NAME``)."""
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else arn
    if resource.startswith("role/"):
        resource = resource[len("role") :]
    path, _, name = resource.rpartition("/")
    return (path + "/" if path else "/"), name


def role_arn_of(partition: str, account: str, name: str, path: str | None) -> str:
    # Without the path the ARN still names the role for IAM reads, but policies matching the
    # role's full ARN (iam:PassRole resources) may not match it: role_path says it is unknown.
    return f"arn:{partition}:iam::{account}:role{path or '/'}{name}"


def _is_fatal(exc: BaseException) -> bool:
    """Credential and network failures stop discovery; anything else lets it fall back."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return isinstance(translate(exc, "discovering the role"), CredentialsError)
    return isinstance(translate(exc, "discovering the role"), CredentialsError | EndpointError)


def _attempt(call: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """Run one Describe*; None when AWS refused or the resource is gone (fall back)."""
    try:
        return call()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        if _is_fatal(exc):
            raise translate(exc, "describing the Studio resources") from exc
        return None


def _role_from_studio(sagemaker: Any, meta: StudioMetadata) -> tuple[str, How] | None:
    """The execution role in effect for the Studio app ``meta`` describes, via Describe*."""
    domain_id = meta.domain_id
    if not domain_id:
        return None
    domain: dict[str, Any] | None = None

    def describe_domain() -> dict[str, Any] | None:
        nonlocal domain
        if domain is None:
            domain = _attempt(lambda: sagemaker.describe_domain(DomainId=domain_id))
        return domain

    def profile_role(name: str) -> str | None:
        profile = _attempt(
            lambda: sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=name)
        )
        role = ((profile or {}).get("UserSettings") or {}).get("ExecutionRole")
        return str(role) if role else None

    if meta.space_name:
        space_name = meta.space_name
        space = _attempt(lambda: sagemaker.describe_space(DomainId=domain_id, SpaceName=space_name))
        if space is not None:
            sharing = (space.get("SpaceSharingSettings") or {}).get("SharingType", "Private")
            owner = (space.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
            if sharing == "Shared":
                # Shared spaces run as the domain's space role, not any user's.
                role = ((describe_domain() or {}).get("DefaultSpaceSettings") or {}).get(
                    "ExecutionRole"
                )
                if role:
                    return str(role), "space"
            elif owner:
                role = profile_role(str(owner))
                if role:
                    return role, "space"
    elif meta.user_profile_name:
        role = profile_role(meta.user_profile_name)
        if role:
            return role, "user-profile"
    # A profile without its own role runs as the domain's default user role.
    role = ((describe_domain() or {}).get("DefaultUserSettings") or {}).get("ExecutionRole")
    if role:
        return str(role), "domain-default"
    return None


def _studio_how(meta: StudioMetadata) -> How:
    if meta.space_name:
        return "space"
    if meta.user_profile_name:
        return "user-profile"
    return "domain-default"


def find_role_path(iam: Any, name: str) -> tuple[str | None, str | None]:
    """(path, arn) of role ``name``: GetRole when allowed, else ListRoles, else (None, None)."""
    try:
        role = iam.get_role(RoleName=name)["Role"]
        return str(role["Path"]), str(role["Arn"])
    except botocore.exceptions.ClientError as exc:
        if not (is_access_denied(exc) or _error_code(exc) == "NoSuchEntity"):
            raise translate(exc, f"reading role {name}") from exc
        if _error_code(exc) == "NoSuchEntity":
            return None, None
    # ListRoles has no filter by name; PathPrefix would need the path we are looking for.
    try:
        for page in iam.get_paginator("list_roles").paginate():
            for role in page.get("Roles", []):
                # Role names are unique case-insensitively in an account.
                if str(role["RoleName"]).lower() == name.lower():
                    return str(role["Path"]), str(role["Arn"])
    except botocore.exceptions.ClientError as exc:
        if not is_access_denied(exc):
            raise translate(exc, "listing roles") from exc
    return None, None


def _error_code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def discover(session: boto3.Session, *, role: str | None = None) -> Discovery:
    # Read even with an explicit role: it still names the Studio resources around us.
    meta = read_metadata()
    sts = client(session, "sts")
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="discover") as pool:
        caller_future: Future[dict[str, Any]] = pool.submit(sts.get_caller_identity)
        studio: tuple[str, How] | None = None
        if role is None and meta is not None:
            if meta.execution_role_arn:
                studio = (meta.execution_role_arn, _studio_how(meta))
            else:
                studio = _role_from_studio(client(session, "sagemaker"), meta)
        with translating("asking STS who the caller is"):
            caller = caller_future.result()

    caller_arn = str(caller["Arn"])
    account = str(caller["Account"])
    partition = caller_arn.split(":")[1]
    region = str(session.region_name or (meta.region if meta else None) or "")

    role_arn: str | None
    role_name: str | None
    role_path: str | None
    how: How
    if role:
        how = "explicit"
        if role.startswith("arn:"):
            role_path, role_name = split_role_arn(role)
            role_arn = role
        elif "/" in role.strip("/"):
            role_path, role_name = split_role_arn("/" + role.strip("/"))
            role_arn = role_arn_of(partition, account, role_name, role_path)
        else:
            role_name = role.strip("/")
            with translating(f"looking up role {role_name}"):
                role_path, found_arn = find_role_path(client(session, "iam"), role_name)
            role_arn = found_arn or role_arn_of(partition, account, role_name, role_path)
    elif studio is not None:
        role_arn, how = studio
        role_path, role_name = split_role_arn(role_arn)
    else:
        how = "caller"
        bare = role_arn_from_caller(caller_arn)
        if bare is None:
            # An IAM user or the root: no role is in play.
            role_arn = role_name = role_path = None
        else:
            role_name = bare.rsplit("/", 1)[1]
            with translating(f"looking up role {role_name}"):
                role_path, found_arn = find_role_path(client(session, "iam"), role_name)
            role_arn = found_arn or bare
    return Discovery(
        account=account,
        region=region,
        partition=partition,
        caller_arn=caller_arn,
        role_arn=role_arn,
        role_name=role_name,
        role_path=role_path,
        how=how,
        domain_id=meta.domain_id if meta else None,
        user_profile=meta.user_profile_name if meta else None,
        space=meta.space_name if meta else None,
    )
