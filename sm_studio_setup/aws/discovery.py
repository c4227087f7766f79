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
    app_arn: str | None = None  # the Studio app's ARN (metadata ResourceArn), when in Studio

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


@dataclass(frozen=True)
class Located:
    """The role as far as it is known before STS answers: what to read, and how it was found.

    ``role`` is an ARN, a ``/path/name`` or a bare name, or None when only the caller's session
    can tell (then the name comes from sts:GetCallerIdentity). IAM's role reads take the name
    alone, so everything but the caller case can read the role while STS is still answering.
    """

    role: str | None
    how: How
    meta: StudioMetadata | None


def locate(session: boto3.Session, *, role: str | None, meta: StudioMetadata | None) -> Located:
    """Which role, without asking STS (the Studio Describe* calls when the metadata lacks it)."""
    if role:
        return Located(role, "explicit", meta)
    if meta is not None:
        if meta.execution_role_arn:
            return Located(meta.execution_role_arn, _studio_how(meta), meta)
        studio = _role_from_studio(client(session, "sagemaker"), meta)
        if studio is not None:
            return Located(studio[0], studio[1], meta)
    return Located(None, "caller", meta)


def caller_identity(session: boto3.Session) -> dict[str, Any]:
    with translating("asking STS who the caller is"):
        found: dict[str, Any] = client(session, "sts").get_caller_identity()
    return found


def target_role(located: Located, caller: dict[str, Any]) -> str | None:
    """What to read: the located role, else the caller's own role's name (None: not a role)."""
    if located.role is not None:
        return located.role
    bare = role_arn_from_caller(str(caller["Arn"]))
    return bare.rsplit("/", 1)[1] if bare else None


def finish(
    located: Located,
    caller: dict[str, Any],
    region: str,
    *,
    iam_arn: str | None,
) -> Discovery:
    """The discovery, with the role's ARN as IAM gave it (``iam_arn``, path included) or, when
    IAM would not say, as far as it can be known (the path then stays None: unknown)."""
    caller_arn = str(caller["Arn"])
    account = str(caller["Account"])
    partition = caller_arn.split(":")[1]
    meta = located.meta
    target = target_role(located, caller)
    role_arn: str | None
    role_path: str | None
    if iam_arn is not None:
        role_arn = iam_arn
        role_path, _ = split_role_arn(iam_arn)
    elif target is None:
        role_arn = role_path = None  # an IAM user or the root: no role is in play
    elif target.startswith("arn:"):
        role_arn = target
        role_path, _ = split_role_arn(target)
    elif "/" in target.strip("/"):
        role_path, name = split_role_arn("/" + target.strip("/"))
        role_arn = role_arn_of(partition, account, name, role_path)
    else:
        role_path = None
        role_arn = role_arn_of(partition, account, target.strip("/"), None)
    return Discovery(
        account=account,
        region=str(region or (meta.region if meta else None) or ""),
        partition=partition,
        caller_arn=caller_arn,
        role_arn=role_arn,
        role_name=split_role_arn(role_arn)[1] if role_arn else None,
        role_path=role_path,
        how=located.how,
        domain_id=meta.domain_id if meta else None,
        user_profile=meta.user_profile_name if meta else None,
        space=meta.space_name if meta else None,
        app_arn=meta.resource_arn if meta else None,
    )


def discover(session: boto3.Session, *, role: str | None = None) -> Discovery:
    """Who we are and which role a build would use, its path looked up when not given.

    The check does the same steps but reads the whole role instead of only its path
    (``service.check.assess``), so that the role's reads overlap with STS.
    """
    # Read even with an explicit role: it still names the Studio resources around us.
    meta = read_metadata()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="discover") as pool:
        caller_future: Future[dict[str, Any]] = pool.submit(caller_identity, session)
        located = locate(session, role=role, meta=meta)
        caller = caller_future.result()
    target = target_role(located, caller)
    iam_arn: str | None = None
    needs_path = (
        target is not None and not target.startswith("arn:") and "/" not in target.strip("/")
    )
    if needs_path and target is not None:
        with translating(f"looking up role {target}"):
            _, iam_arn = find_role_path(client(session, "iam"), target.strip("/"))
    return finish(located, caller, str(session.region_name or ""), iam_arn=iam_arn)
