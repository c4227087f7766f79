"""SageMaker Studio operations moto 5.2 lacks.

UpdateDomain, and Create/Describe/List/Delete for user profiles, spaces, images, image versions
and app image configs. Request members are checked against the length, pattern and enum
constraints of botocore's service model (boto3 checks only types and required members), so a
malformed name fails with ``ValidationException`` here as it does in AWS. Responses are dicts
that moto serialises against the same model, so boto3 parses them exactly like AWS's.

State is kept on moto's own SageMaker backend object (one per account and region), so moto's
reset clears it along with the domains it refers to.
"""

from __future__ import annotations

import base64
import copy
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache, lru_cache
from typing import Any, TypeVar

import botocore.session
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import Domain, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.utilities.utils import get_partition

T = TypeVar("T")

_STATE_ATTR = "_sm_studio_setup_studio"
_INSTALLED_ATTR = "_sm_studio_setup_installed"
# AWS hands out POSIX uids for Studio home directories from this range.
_FIRST_UID = 200001
# SageMaker's List* calls return 10 items per page unless MaxResults says otherwise.
_DEFAULT_PAGE = 10


# --------------------------------------------------------------------------- validation


@lru_cache(maxsize=1)
def _service_model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


@cache
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: AWS would check it, we cannot
        return None


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _violations(shape: Any, value: Any, path: str) -> list[str]:
    """AWS's front-end checks, worded as AWS words them."""
    if value is None:
        return []
    kind = shape.type_name
    meta = shape.metadata
    found: list[str] = []
    if kind == "structure" and isinstance(value, Mapping):
        for name, member in shape.members.items():
            sub = f"{path}.{_lower_first(name)}" if path else _lower_first(name)
            if name in value:
                found += _violations(member, value[name], sub)
            elif name in shape.required_members:
                found.append(
                    f"Value null at '{sub}' failed to satisfy constraint: Member must not be null"
                )
    elif kind == "list" and isinstance(value, list):
        found += _length_violations(value, len(value), meta, path)
        for i, item in enumerate(value, start=1):
            found += _violations(shape.member, item, f"{path}.{i}.member")
    elif kind == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            allowed = ", ".join(shape.enum)
            found.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{allowed}]"
            )
        found += _length_violations(value, len(value), meta, path)
        regex = _regex(meta["pattern"]) if "pattern" in meta else None
        if regex is not None and not regex.fullmatch(value):
            found.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {meta['pattern']}"
            )
    elif kind in ("integer", "long") and isinstance(value, int):
        if "min" in meta and value < meta["min"]:
            found.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must have value greater than or equal to {meta['min']}"
            )
        if "max" in meta and value > meta["max"]:
            found.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must have value less than or equal to {meta['max']}"
            )
    return found


def _length_violations(value: Any, length: int, meta: Mapping[str, Any], path: str) -> list[str]:
    shown = value if isinstance(value, str) else str(value)
    found = []
    if "min" in meta and length < meta["min"]:
        found.append(
            f"Value '{shown}' at '{path}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {meta['min']}"
        )
    if "max" in meta and length > meta["max"]:
        found.append(
            f"Value '{shown}' at '{path}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {meta['max']}"
        )
    return found


def validate_request(
    operation: str, params: Mapping[str, Any], *, skip: Iterable[str] = ()
) -> None:
    """Raise ValidationException for every constraint ``params`` break; ``skip`` names
    top-level members not to check."""
    shape = _service_model().operation_model(operation).input_shape
    skipped = set(skip)
    found: list[str] = []
    for name, member in shape.members.items():
        if name in skipped:
            continue
        if name in params:
            found += _violations(member, params[name], _lower_first(name))
        elif name in shape.required_members:
            found.append(
                f"Value null at '{_lower_first(name)}' failed to satisfy constraint: "
                "Member must not be null"
            )
    if found:
        plural = "s" if len(found) > 1 else ""
        raise ValidationError(
            f"{len(found)} validation error{plural} detected: " + "; ".join(found)
        )


# --------------------------------------------------------------------------- resources


def _arn(backend: SageMakerModelBackend, resource: str) -> str:
    region = backend.region_name
    return f"arn:{get_partition(region)}:sagemaker:{region}:{backend.account_id}:{resource}"


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@dataclass
class UserProfile:
    domain_id: str
    name: str
    arn: str
    uid: str
    seq: int
    settings: dict[str, Any] | None
    sso_identifier: str | None
    sso_value: str | None
    tags: list[dict[str, str]]
    created: datetime = field(default_factory=utcnow)
    modified: datetime = field(default_factory=utcnow)

    def summary(self) -> dict[str, Any]:
        return {
            "DomainId": self.domain_id,
            "UserProfileName": self.name,
            "Status": "InService",
            "CreationTime": self.created,
            "LastModifiedTime": self.modified,
        }

    def describe(self) -> dict[str, Any]:
        return _compact(
            {
                **self.summary(),
                "UserProfileArn": self.arn,
                "HomeEfsFileSystemUid": self.uid,
                "SingleSignOnUserIdentifier": self.sso_identifier,
                "SingleSignOnUserValue": self.sso_value,
                "UserSettings": self.settings,
            }
        )


@dataclass
class Space:
    domain_id: str
    name: str
    arn: str
    uid: str
    seq: int
    settings: dict[str, Any] | None
    ownership: dict[str, Any] | None
    sharing: dict[str, Any] | None
    display_name: str | None
    tags: list[dict[str, str]]
    created: datetime = field(default_factory=utcnow)
    modified: datetime = field(default_factory=utcnow)

    def summary(self) -> dict[str, Any]:
        settings = self.settings or {}
        settings_summary = _compact(
            {k: settings.get(k) for k in ("AppType", "RemoteAccess", "SpaceStorageSettings")}
        )
        return _compact(
            {
                "DomainId": self.domain_id,
                "SpaceName": self.name,
                "Status": "InService",
                "CreationTime": self.created,
                "LastModifiedTime": self.modified,
                "SpaceSettingsSummary": settings_summary or None,
                "SpaceSharingSettingsSummary": self.sharing,
                "OwnershipSettingsSummary": self.ownership,
                "SpaceDisplayName": self.display_name,
            }
        )

    def describe(self) -> dict[str, Any]:
        # A space has no execution role of its own: a private space runs as its owner's
        # profile role, which is why none is recorded here.
        return _compact(
            {
                "DomainId": self.domain_id,
                "SpaceArn": self.arn,
                "SpaceName": self.name,
                "HomeEfsFileSystemUid": self.uid,
                "Status": "InService",
                "CreationTime": self.created,
                "LastModifiedTime": self.modified,
                "SpaceSettings": self.settings,
                "OwnershipSettings": self.ownership,
                "SpaceSharingSettings": self.sharing,
                "SpaceDisplayName": self.display_name,
            }
        )


_VERSION_EXTRAS = (
    "VendorGuidance",
    "JobType",
    "MLFramework",
    "ProgrammingLang",
    "Processor",
    "Horovod",
    "ReleaseNotes",
)


@dataclass
class ImageVersion:
    image_arn: str
    arn: str
    version: int
    base_image: str
    aliases: list[str]
    extras: dict[str, Any]
    created: datetime = field(default_factory=utcnow)
    modified: datetime = field(default_factory=utcnow)

    def summary(self) -> dict[str, Any]:
        return {
            "CreationTime": self.created,
            "ImageArn": self.image_arn,
            "ImageVersionArn": self.arn,
            "ImageVersionStatus": "CREATED",
            "LastModifiedTime": self.modified,
            "Version": self.version,
        }

    def describe(self) -> dict[str, Any]:
        # AWS resolves BaseImage to ContainerImage; without a registry lookup the URI itself
        # is the best stand-in.
        return {
            **self.summary(),
            "BaseImage": self.base_image,
            "ContainerImage": self.base_image,
            **self.extras,
        }


@dataclass
class Image:
    name: str
    arn: str
    seq: int
    role_arn: str
    description: str | None
    display_name: str | None
    tags: list[dict[str, str]]
    versions: dict[int, ImageVersion] = field(default_factory=dict)
    next_version: int = 1
    client_tokens: dict[str, int] = field(default_factory=dict)
    created: datetime = field(default_factory=utcnow)
    modified: datetime = field(default_factory=utcnow)

    def summary(self) -> dict[str, Any]:
        return _compact(
            {
                "CreationTime": self.created,
                "Description": self.description,
                "DisplayName": self.display_name,
                "ImageArn": self.arn,
                "ImageName": self.name,
                "ImageStatus": "CREATED",
                "LastModifiedTime": self.modified,
            }
        )

    def describe(self) -> dict[str, Any]:
        return {**self.summary(), "RoleArn": self.role_arn}


@dataclass
class AppImageConfig:
    name: str
    arn: str
    seq: int
    configs: dict[str, Any]
    tags: list[dict[str, str]]
    created: datetime = field(default_factory=utcnow)
    modified: datetime = field(default_factory=utcnow)

    def describe(self) -> dict[str, Any]:
        return {
            "AppImageConfigArn": self.arn,
            "AppImageConfigName": self.name,
            "CreationTime": self.created,
            "LastModifiedTime": self.modified,
            **self.configs,
        }


_APP_IMAGE_CONFIG_KINDS = (
    "KernelGatewayImageConfig",
    "JupyterLabAppImageConfig",
    "CodeEditorAppImageConfig",
)


@dataclass
class StudioState:
    user_profiles: dict[tuple[str, str], UserProfile] = field(default_factory=dict)
    spaces: dict[tuple[str, str], Space] = field(default_factory=dict)
    images: dict[str, Image] = field(default_factory=dict)
    app_image_configs: dict[str, AppImageConfig] = field(default_factory=dict)
    uids: Iterator[int] = field(default_factory=lambda: itertools.count(_FIRST_UID))
    # Creation times can tie; a sequence number keeps sorting stable and deterministic.
    seqs: Iterator[int] = field(default_factory=itertools.count)

    def next_uid(self) -> str:
        return str(next(self.uids))

    def next_seq(self) -> int:
        return next(self.seqs)


def state(backend: SageMakerModelBackend) -> StudioState:
    """The Studio additions' state of one account and region.

    Kept in the backend's ``__dict__``, which moto's reset replaces wholesale."""
    found = backend.__dict__.get(_STATE_ATTR)
    if found is None:
        found = backend.__dict__.setdefault(_STATE_ATTR, StudioState())
    assert isinstance(found, StudioState)
    return found


# --------------------------------------------------------------------------- lookups


def _domain(backend: SageMakerModelBackend, domain_id: str) -> Domain:
    domain = backend.domains.get(domain_id)
    if domain is None:
        raise ResourceNotFound(f"Domain {_arn(backend, f'domain/{domain_id}')} does not exist.")
    assert isinstance(domain, Domain)
    return domain


def _user_profile_arn(backend: SageMakerModelBackend, domain_id: str, name: str) -> str:
    return _arn(backend, f"user-profile/{domain_id}/{name}")


def _space_arn(backend: SageMakerModelBackend, domain_id: str, name: str) -> str:
    return _arn(backend, f"space/{domain_id}/{name}")


def _image_arn(backend: SageMakerModelBackend, name: str) -> str:
    return _arn(backend, f"image/{name.lower()}")


def _image_version_arn(backend: SageMakerModelBackend, name: str, version: int) -> str:
    return _arn(backend, f"image-version/{name.lower()}/{version}")


def _app_image_config_arn(backend: SageMakerModelBackend, name: str) -> str:
    return _arn(backend, f"app-image-config/{name.lower()}")


def _user_profile(backend: SageMakerModelBackend, domain_id: str, name: str) -> UserProfile:
    profile = state(backend).user_profiles.get((domain_id, name))
    if profile is None:
        arn = _user_profile_arn(backend, domain_id, name)
        raise ResourceNotFound(f"User profile {arn} does not exist.")
    return profile


def _space(backend: SageMakerModelBackend, domain_id: str, name: str) -> Space:
    space = state(backend).spaces.get((domain_id, name))
    if space is None:
        raise ResourceNotFound(f"Space {_space_arn(backend, domain_id, name)} does not exist.")
    return space


def _image(backend: SageMakerModelBackend, name: str) -> Image:
    image = state(backend).images.get(name)
    if image is None:
        raise ResourceNotFound(f"Image {_image_arn(backend, name)} does not exist.")
    return image


def _image_version(
    backend: SageMakerModelBackend, name: str, version: int | None, alias: str | None
) -> ImageVersion:
    image = _image(backend, name)
    if version is not None and alias is not None:
        raise ValidationError("Specify either Version or Alias, not both.")
    if alias is not None:
        for candidate in image.versions.values():
            if alias in candidate.aliases:
                return candidate
        raise ResourceNotFound(
            f"Image version with alias {alias} of image {image.arn} does not exist."
        )
    if version is None:
        if not image.versions:
            raise ResourceNotFound(f"Image {image.arn} has no image versions.")
        return image.versions[max(image.versions)]
    found = image.versions.get(version)
    if found is None:
        arn = _image_version_arn(backend, name, version)
        raise ResourceNotFound(f"Image version {arn} does not exist.")
    return found


def _app_image_config(backend: SageMakerModelBackend, name: str) -> AppImageConfig:
    config = state(backend).app_image_configs.get(name)
    if config is None:
        arn = _app_image_config_arn(backend, name)
        raise ResourceNotFound(f"App image config {arn} does not exist.")
    return config


def _check_custom_images(
    backend: SageMakerModelBackend, *settings: Mapping[str, Any] | None
) -> None:
    """Custom images attached to an app must exist, as must their app image configs."""
    for block in settings:
        for app in ("KernelGatewayAppSettings", "JupyterLabAppSettings", "CodeEditorAppSettings"):
            for custom in ((block or {}).get(app) or {}).get("CustomImages") or []:
                image = _image(backend, custom["ImageName"])
                version = custom.get("ImageVersionNumber")
                if version is not None:
                    _image_version(backend, image.name, version, None)
                _app_image_config(backend, custom["AppImageConfigName"])


def _normalise_time(value: datetime | None) -> datetime | None:
    # moto stores naive UTC times; the request parser may give aware ones.
    if value is not None and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _within(
    moment: datetime, after: datetime | None = None, before: datetime | None = None
) -> bool:
    after, before = _normalise_time(after), _normalise_time(before)
    return (after is None or moment > after) and (before is None or moment < before)


def _page(
    items: list[T], next_token: str | None, max_results: int | None
) -> tuple[list[T], str | None]:
    start = 0
    if next_token:
        try:
            start = int(base64.urlsafe_b64decode(next_token.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise ValidationError(f"Invalid pagination token: {next_token}") from None
    end = start + (max_results or _DEFAULT_PAGE)
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], token


def _sorted(
    items: Iterable[T], key: Callable[[T], Any], descending: bool, seq: Callable[[T], int]
) -> list[T]:
    return sorted(items, key=lambda item: (key(item), seq(item)), reverse=descending)


# --------------------------------------------------------------------------- backend: domain


_DOMAIN_SETTINGS_RENAMES = {
    "RStudioServerProDomainSettingsForUpdate": "RStudioServerProDomainSettings",
}


def update_domain(
    backend: SageMakerModelBackend,
    domain_id: str,
    *,
    default_user_settings: Mapping[str, Any] | None = None,
    domain_settings_for_update: Mapping[str, Any] | None = None,
    default_space_settings: Mapping[str, Any] | None = None,
    **scalars: Any,
) -> str:
    """Apply an UpdateDomain request; ``scalars`` are the request's other members, keyed by
    their names in the request (``SubnetIds``, ``AppNetworkAccessType``, ...)."""
    domain = _domain(backend, domain_id)
    _check_custom_images(backend, default_user_settings, default_space_settings)
    # AWS replaces each settings member given and keeps the others.
    if default_user_settings:
        domain.default_user_settings = {
            **(domain.default_user_settings or {}),
            **copy.deepcopy(dict(default_user_settings)),
        }
    if default_space_settings:
        domain.default_space_settings = {
            **(domain.default_space_settings or {}),
            **copy.deepcopy(dict(default_space_settings)),
        }
    if domain_settings_for_update:
        updates = {
            _DOMAIN_SETTINGS_RENAMES.get(k, k): copy.deepcopy(v)
            for k, v in domain_settings_for_update.items()
        }
        domain.domain_settings = {**(domain.domain_settings or {}), **updates}
    attributes = {
        "SubnetIds": "subnet_ids",
        "VpcId": "vpc_id",
        "AppNetworkAccessType": "app_network_access_type",
        "AppSecurityGroupManagement": "app_security_group_management",
        "TagPropagation": "tag_propagation",
        "HomeEfsFileSystemCreation": "home_efs_file_system_creation",
    }
    for member, value in scalars.items():
        if value is not None and member in attributes:
            setattr(domain, attributes[member], value)
    domain.last_modified_time = utcnow()
    return str(domain.arn)


def _describe_domain_with_update_members(original: Callable[[Domain], dict[str, Any]]) -> Any:
    def describe(self: Domain) -> dict[str, Any]:
        result = original(self)
        for member, attribute in (
            ("TagPropagation", "tag_propagation"),
            ("HomeEfsFileSystemCreation", "home_efs_file_system_creation"),
        ):
            if getattr(self, attribute, None) is not None:
                result[member] = getattr(self, attribute)
        return result

    describe.__wrapped__ = original  # type: ignore[attr-defined]
    return describe


# --------------------------------------------------------------------------- backend: profiles


def create_user_profile(
    backend: SageMakerModelBackend,
    domain_id: str,
    name: str,
    *,
    user_settings: Mapping[str, Any] | None = None,
    sso_identifier: str | None = None,
    sso_value: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> UserProfile:
    _domain(backend, domain_id)
    studio = state(backend)
    arn = _user_profile_arn(backend, domain_id, name)
    if (domain_id, name) in studio.user_profiles:
        raise ResourceInUseException(f"User profile {arn} already exists.")
    _check_custom_images(backend, user_settings)
    profile = UserProfile(
        domain_id=domain_id,
        name=name,
        arn=arn,
        uid=studio.next_uid(),
        seq=studio.next_seq(),
        settings=copy.deepcopy(dict(user_settings)) if user_settings else None,
        sso_identifier=sso_identifier,
        sso_value=sso_value,
        tags=list(tags or []),
    )
    studio.user_profiles[(domain_id, name)] = profile
    return profile


def describe_user_profile(backend: SageMakerModelBackend, domain_id: str, name: str) -> UserProfile:
    return _user_profile(backend, domain_id, name)


def update_user_profile(
    backend: SageMakerModelBackend,
    domain_id: str,
    name: str,
    *,
    user_settings: Mapping[str, Any] | None = None,
) -> UserProfile:
    """UpdateUserProfile: like UpdateDomain, each settings member given replaces its old value
    and the others are kept."""
    profile = _user_profile(backend, domain_id, name)
    _check_custom_images(backend, user_settings)
    if user_settings:
        profile.settings = {
            **(profile.settings or {}),
            **copy.deepcopy(dict(user_settings)),
        }
        profile.modified = utcnow()
    return profile


def list_user_profiles(
    backend: SageMakerModelBackend,
    *,
    domain_id_equals: str | None = None,
    name_contains: str | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> list[UserProfile]:
    found = [
        p
        for p in state(backend).user_profiles.values()
        if (domain_id_equals is None or p.domain_id == domain_id_equals)
        and (name_contains is None or name_contains in p.name)
    ]
    key: Callable[[UserProfile], Any] = (
        (lambda p: p.modified) if sort_by == "LastModifiedTime" else (lambda p: p.created)
    )
    return _sorted(found, key, sort_order == "Descending", lambda p: p.seq)


def delete_user_profile(backend: SageMakerModelBackend, domain_id: str, name: str) -> None:
    profile = _user_profile(backend, domain_id, name)
    owned = [
        s.name
        for s in state(backend).spaces.values()
        if s.domain_id == domain_id and (s.ownership or {}).get("OwnerUserProfileName") == name
    ]
    if owned:
        raise ResourceInUseException(
            f"User profile {profile.arn} cannot be deleted while it owns spaces: "
            + ", ".join(sorted(owned))
            + "."
        )
    del state(backend).user_profiles[(domain_id, name)]


# --------------------------------------------------------------------------- backend: spaces


def create_space(
    backend: SageMakerModelBackend,
    domain_id: str,
    name: str,
    *,
    space_settings: Mapping[str, Any] | None = None,
    ownership_settings: Mapping[str, Any] | None = None,
    space_sharing_settings: Mapping[str, Any] | None = None,
    display_name: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> Space:
    _domain(backend, domain_id)
    studio = state(backend)
    arn = _space_arn(backend, domain_id, name)
    if (domain_id, name) in studio.spaces:
        raise ResourceInUseException(f"Space {arn} already exists.")
    if space_sharing_settings and not ownership_settings:
        raise ValidationError("OwnershipSettings must be provided when SpaceSharingSettings is.")
    if ownership_settings:
        _user_profile(backend, domain_id, ownership_settings["OwnerUserProfileName"])
    _check_custom_images(backend, space_settings)
    space = Space(
        domain_id=domain_id,
        name=name,
        arn=arn,
        uid=studio.next_uid(),
        seq=studio.next_seq(),
        settings=copy.deepcopy(dict(space_settings)) if space_settings else None,
        ownership=dict(ownership_settings) if ownership_settings else None,
        sharing=dict(space_sharing_settings) if space_sharing_settings else None,
        display_name=display_name,
        tags=list(tags or []),
    )
    studio.spaces[(domain_id, name)] = space
    return space


def describe_space(backend: SageMakerModelBackend, domain_id: str, name: str) -> Space:
    return _space(backend, domain_id, name)


def list_spaces(
    backend: SageMakerModelBackend,
    *,
    domain_id_equals: str | None = None,
    name_contains: str | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> list[Space]:
    found = [
        s
        for s in state(backend).spaces.values()
        if (domain_id_equals is None or s.domain_id == domain_id_equals)
        and (name_contains is None or name_contains in s.name)
    ]
    key: Callable[[Space], Any] = (
        (lambda s: s.modified) if sort_by == "LastModifiedTime" else (lambda s: s.created)
    )
    return _sorted(found, key, sort_order == "Descending", lambda s: s.seq)


def delete_space(backend: SageMakerModelBackend, domain_id: str, name: str) -> None:
    _space(backend, domain_id, name)
    del state(backend).spaces[(domain_id, name)]


# --------------------------------------------------------------------------- backend: images


def create_image(
    backend: SageMakerModelBackend,
    name: str,
    role_arn: str,
    *,
    description: str | None = None,
    display_name: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> Image:
    studio = state(backend)
    arn = _image_arn(backend, name)
    if name in studio.images:
        raise ResourceInUseException(f"Image {arn} already exists.")
    image = Image(
        name=name,
        arn=arn,
        seq=studio.next_seq(),
        role_arn=role_arn,
        description=description,
        display_name=display_name,
        tags=list(tags or []),
    )
    studio.images[name] = image
    return image


def describe_image(backend: SageMakerModelBackend, name: str) -> Image:
    return _image(backend, name)


def list_images(
    backend: SageMakerModelBackend,
    *,
    name_contains: str | None = None,
    creation_time_after: datetime | None = None,
    creation_time_before: datetime | None = None,
    last_modified_time_after: datetime | None = None,
    last_modified_time_before: datetime | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> list[Image]:
    found = [
        i
        for i in state(backend).images.values()
        if (name_contains is None or name_contains in i.name)
        and _within(i.created, creation_time_after, creation_time_before)
        and _within(i.modified, last_modified_time_after, last_modified_time_before)
    ]
    keys: dict[str | None, Callable[[Image], Any]] = {
        "LAST_MODIFIED_TIME": lambda i: i.modified,
        "IMAGE_NAME": lambda i: i.name,
    }
    key = keys.get(sort_by, lambda i: i.created)
    return _sorted(found, key, sort_order != "ASCENDING", lambda i: i.seq)


def delete_image(backend: SageMakerModelBackend, name: str) -> None:
    # Like AWS, deleting an image deletes its versions with it.
    _image(backend, name)
    del state(backend).images[name]


def create_image_version(
    backend: SageMakerModelBackend,
    name: str,
    base_image: str,
    *,
    client_token: str | None = None,
    aliases: list[str] | None = None,
    extras: Mapping[str, Any] | None = None,
) -> ImageVersion:
    image = _image(backend, name)
    if client_token is not None and client_token in image.client_tokens:
        # A retried request (same idempotency token) gets the version it already created.
        return image.versions[image.client_tokens[client_token]]
    for alias in aliases or []:
        for existing in image.versions.values():
            if alias in existing.aliases:
                raise ResourceInUseException(
                    f"Alias {alias} is already used by image version {existing.arn}."
                )
    number = image.next_version
    version = ImageVersion(
        image_arn=image.arn,
        arn=_image_version_arn(backend, name, number),
        version=number,
        base_image=base_image,
        aliases=list(aliases or []),
        extras={k: v for k, v in (extras or {}).items() if v is not None},
    )
    image.versions[number] = version
    image.next_version = number + 1
    if client_token is not None:
        image.client_tokens[client_token] = number
    image.modified = utcnow()
    return version


def describe_image_version(
    backend: SageMakerModelBackend, name: str, version: int | None = None, alias: str | None = None
) -> ImageVersion:
    return _image_version(backend, name, version, alias)


def list_image_versions(
    backend: SageMakerModelBackend,
    name: str,
    *,
    creation_time_after: datetime | None = None,
    creation_time_before: datetime | None = None,
    last_modified_time_after: datetime | None = None,
    last_modified_time_before: datetime | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> list[ImageVersion]:
    image = _image(backend, name)
    found = [
        v
        for v in image.versions.values()
        if _within(v.created, creation_time_after, creation_time_before)
        and _within(v.modified, last_modified_time_after, last_modified_time_before)
    ]
    keys: dict[str | None, Callable[[ImageVersion], Any]] = {
        "LAST_MODIFIED_TIME": lambda v: v.modified,
        "VERSION": lambda v: v.version,
    }
    key = keys.get(sort_by, lambda v: v.created)
    return _sorted(found, key, sort_order != "ASCENDING", lambda v: v.version)


def delete_image_version(
    backend: SageMakerModelBackend, name: str, version: int | None = None, alias: str | None = None
) -> None:
    if version is None and alias is None:
        raise ValidationError("Either Version or Alias must be specified.")
    found = _image_version(backend, name, version, alias)
    del _image(backend, name).versions[found.version]


# --------------------------------------------------------------------------- backend: configs


def create_app_image_config(
    backend: SageMakerModelBackend,
    name: str,
    *,
    configs: Mapping[str, Any] | None = None,
    tags: list[dict[str, str]] | None = None,
) -> AppImageConfig:
    studio = state(backend)
    arn = _app_image_config_arn(backend, name)
    if name in studio.app_image_configs:
        raise ResourceInUseException(f"App image config {arn} already exists.")
    config = AppImageConfig(
        name=name,
        arn=arn,
        seq=studio.next_seq(),
        configs={k: copy.deepcopy(v) for k, v in (configs or {}).items() if v is not None},
        tags=list(tags or []),
    )
    studio.app_image_configs[name] = config
    return config


def describe_app_image_config(backend: SageMakerModelBackend, name: str) -> AppImageConfig:
    return _app_image_config(backend, name)


def update_app_image_config(
    backend: SageMakerModelBackend, name: str, *, configs: Mapping[str, Any] | None = None
) -> AppImageConfig:
    """UpdateAppImageConfig: the app types' configs given replace the old ones."""
    config = _app_image_config(backend, name)
    for kind, value in (configs or {}).items():
        if value is not None:
            config.configs[kind] = copy.deepcopy(value)
    config.modified = utcnow()
    return config


def list_app_image_configs(
    backend: SageMakerModelBackend,
    *,
    name_contains: str | None = None,
    creation_time_after: datetime | None = None,
    creation_time_before: datetime | None = None,
    modified_time_after: datetime | None = None,
    modified_time_before: datetime | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> list[AppImageConfig]:
    found = [
        c
        for c in state(backend).app_image_configs.values()
        if (name_contains is None or name_contains in c.name)
        and _within(c.created, creation_time_after, creation_time_before)
        and _within(c.modified, modified_time_after, modified_time_before)
    ]
    keys: dict[str | None, Callable[[AppImageConfig], Any]] = {
        "LastModifiedTime": lambda c: c.modified,
        "Name": lambda c: c.name,
    }
    key = keys.get(sort_by, lambda c: c.created)
    return _sorted(found, key, sort_order != "Ascending", lambda c: c.seq)


def delete_app_image_config(backend: SageMakerModelBackend, name: str) -> None:
    _app_image_config(backend, name)
    del state(backend).app_image_configs[name]


# --------------------------------------------------------------------------- responses


def _params(response: SageMakerResponse, operation: str) -> dict[str, Any]:
    """The request's members, validated; an existing domain's id is exempt from the
    DomainId pattern because moto derives ids from names (``d-MyDomain``)."""
    params: dict[str, Any] = dict(response.params)
    domain_id = params.get("DomainId")
    skip = ["DomainId"] if domain_id in response.sagemaker_backend.domains else []
    validate_request(operation, params, skip=skip)
    return params


def _r_update_domain(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "UpdateDomain")
    arn = update_domain(
        self.sagemaker_backend,
        p["DomainId"],
        default_user_settings=p.get("DefaultUserSettings"),
        domain_settings_for_update=p.get("DomainSettingsForUpdate"),
        default_space_settings=p.get("DefaultSpaceSettings"),
        SubnetIds=p.get("SubnetIds"),
        VpcId=p.get("VpcId"),
        AppNetworkAccessType=p.get("AppNetworkAccessType"),
        AppSecurityGroupManagement=p.get("AppSecurityGroupManagement"),
        TagPropagation=p.get("TagPropagation"),
        HomeEfsFileSystemCreation=p.get("HomeEfsFileSystemCreation"),
    )
    return ActionResult({"DomainArn": arn})


def _r_create_user_profile(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "CreateUserProfile")
    profile = create_user_profile(
        self.sagemaker_backend,
        p["DomainId"],
        p["UserProfileName"],
        user_settings=p.get("UserSettings"),
        sso_identifier=p.get("SingleSignOnUserIdentifier"),
        sso_value=p.get("SingleSignOnUserValue"),
        tags=p.get("Tags"),
    )
    return ActionResult({"UserProfileArn": profile.arn})


def _r_describe_user_profile(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "DescribeUserProfile")
    profile = describe_user_profile(self.sagemaker_backend, p["DomainId"], p["UserProfileName"])
    return ActionResult(profile.describe())


def _r_update_user_profile(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "UpdateUserProfile")
    profile = update_user_profile(
        self.sagemaker_backend,
        p["DomainId"],
        p["UserProfileName"],
        user_settings=p.get("UserSettings"),
    )
    return ActionResult({"UserProfileArn": profile.arn})


def _r_list_user_profiles(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "ListUserProfiles")
    found = list_user_profiles(
        self.sagemaker_backend,
        domain_id_equals=p.get("DomainIdEquals"),
        name_contains=p.get("UserProfileNameContains"),
        sort_by=p.get("SortBy"),
        sort_order=p.get("SortOrder"),
    )
    page, token = _page(found, p.get("NextToken"), p.get("MaxResults"))
    return ActionResult(_compact({"UserProfiles": [u.summary() for u in page], "NextToken": token}))


def _r_delete_user_profile(self: SageMakerResponse) -> EmptyResult:
    p = _params(self, "DeleteUserProfile")
    delete_user_profile(self.sagemaker_backend, p["DomainId"], p["UserProfileName"])
    return EmptyResult()


def _r_create_space(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "CreateSpace")
    space = create_space(
        self.sagemaker_backend,
        p["DomainId"],
        p["SpaceName"],
        space_settings=p.get("SpaceSettings"),
        ownership_settings=p.get("OwnershipSettings"),
        space_sharing_settings=p.get("SpaceSharingSettings"),
        display_name=p.get("SpaceDisplayName"),
        tags=p.get("Tags"),
    )
    return ActionResult({"SpaceArn": space.arn})


def _r_describe_space(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "DescribeSpace")
    return ActionResult(
        describe_space(self.sagemaker_backend, p["DomainId"], p["SpaceName"]).describe()
    )


def _r_list_spaces(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "ListSpaces")
    found = list_spaces(
        self.sagemaker_backend,
        domain_id_equals=p.get("DomainIdEquals"),
        name_contains=p.get("SpaceNameContains"),
        sort_by=p.get("SortBy"),
        sort_order=p.get("SortOrder"),
    )
    page, token = _page(found, p.get("NextToken"), p.get("MaxResults"))
    return ActionResult(_compact({"Spaces": [s.summary() for s in page], "NextToken": token}))


def _r_delete_space(self: SageMakerResponse) -> EmptyResult:
    p = _params(self, "DeleteSpace")
    delete_space(self.sagemaker_backend, p["DomainId"], p["SpaceName"])
    return EmptyResult()


def _r_create_image(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "CreateImage")
    image = create_image(
        self.sagemaker_backend,
        p["ImageName"],
        p["RoleArn"],
        description=p.get("Description"),
        display_name=p.get("DisplayName"),
        tags=p.get("Tags"),
    )
    return ActionResult({"ImageArn": image.arn})


def _r_describe_image(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "DescribeImage")
    return ActionResult(describe_image(self.sagemaker_backend, p["ImageName"]).describe())


def _r_list_images(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "ListImages")
    found = list_images(
        self.sagemaker_backend,
        name_contains=p.get("NameContains"),
        creation_time_after=p.get("CreationTimeAfter"),
        creation_time_before=p.get("CreationTimeBefore"),
        last_modified_time_after=p.get("LastModifiedTimeAfter"),
        last_modified_time_before=p.get("LastModifiedTimeBefore"),
        sort_by=p.get("SortBy"),
        sort_order=p.get("SortOrder"),
    )
    page, token = _page(found, p.get("NextToken"), p.get("MaxResults"))
    return ActionResult(_compact({"Images": [i.summary() for i in page], "NextToken": token}))


def _r_delete_image(self: SageMakerResponse) -> EmptyResult:
    p = _params(self, "DeleteImage")
    delete_image(self.sagemaker_backend, p["ImageName"])
    return EmptyResult()


def _r_create_image_version(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "CreateImageVersion")
    version = create_image_version(
        self.sagemaker_backend,
        p["ImageName"],
        p["BaseImage"],
        client_token=p.get("ClientToken"),
        aliases=p.get("Aliases"),
        extras={k: p.get(k) for k in _VERSION_EXTRAS},
    )
    return ActionResult({"ImageVersionArn": version.arn})


def _r_describe_image_version(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "DescribeImageVersion")
    found = describe_image_version(
        self.sagemaker_backend, p["ImageName"], p.get("Version"), p.get("Alias")
    )
    return ActionResult(found.describe())


def _r_list_image_versions(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "ListImageVersions")
    found = list_image_versions(
        self.sagemaker_backend,
        p["ImageName"],
        creation_time_after=p.get("CreationTimeAfter"),
        creation_time_before=p.get("CreationTimeBefore"),
        last_modified_time_after=p.get("LastModifiedTimeAfter"),
        last_modified_time_before=p.get("LastModifiedTimeBefore"),
        sort_by=p.get("SortBy"),
        sort_order=p.get("SortOrder"),
    )
    page, token = _page(found, p.get("NextToken"), p.get("MaxResults"))
    return ActionResult(
        _compact({"ImageVersions": [v.summary() for v in page], "NextToken": token})
    )


def _r_delete_image_version(self: SageMakerResponse) -> EmptyResult:
    p = _params(self, "DeleteImageVersion")
    delete_image_version(self.sagemaker_backend, p["ImageName"], p.get("Version"), p.get("Alias"))
    return EmptyResult()


def _r_create_app_image_config(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "CreateAppImageConfig")
    config = create_app_image_config(
        self.sagemaker_backend,
        p["AppImageConfigName"],
        configs={k: p.get(k) for k in _APP_IMAGE_CONFIG_KINDS},
        tags=p.get("Tags"),
    )
    return ActionResult({"AppImageConfigArn": config.arn})


def _r_describe_app_image_config(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "DescribeAppImageConfig")
    config = describe_app_image_config(self.sagemaker_backend, p["AppImageConfigName"])
    return ActionResult(config.describe())


def _r_update_app_image_config(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "UpdateAppImageConfig")
    config = update_app_image_config(
        self.sagemaker_backend,
        p["AppImageConfigName"],
        configs={k: p.get(k) for k in _APP_IMAGE_CONFIG_KINDS},
    )
    return ActionResult({"AppImageConfigArn": config.arn})


def _r_list_app_image_configs(self: SageMakerResponse) -> ActionResult:
    p = _params(self, "ListAppImageConfigs")
    found = list_app_image_configs(
        self.sagemaker_backend,
        name_contains=p.get("NameContains"),
        creation_time_after=p.get("CreationTimeAfter"),
        creation_time_before=p.get("CreationTimeBefore"),
        modified_time_after=p.get("ModifiedTimeAfter"),
        modified_time_before=p.get("ModifiedTimeBefore"),
        sort_by=p.get("SortBy"),
        sort_order=p.get("SortOrder"),
    )
    page, token = _page(found, p.get("NextToken"), p.get("MaxResults"))
    return ActionResult(
        _compact({"AppImageConfigs": [c.describe() for c in page], "NextToken": token})
    )


def _r_delete_app_image_config(self: SageMakerResponse) -> EmptyResult:
    p = _params(self, "DeleteAppImageConfig")
    delete_app_image_config(self.sagemaker_backend, p["AppImageConfigName"])
    return EmptyResult()


# moto dispatches X-Amz-Target "SageMaker.CreateUserProfile" to the response method
# ``create_user_profile``; the backend functions are also registered on the backend class so
# seeding code can call them on a backend object like moto's own methods.
_RESPONSES: dict[str, Callable[[SageMakerResponse], Any]] = {
    "update_domain": _r_update_domain,
    "create_user_profile": _r_create_user_profile,
    "describe_user_profile": _r_describe_user_profile,
    "update_user_profile": _r_update_user_profile,
    "list_user_profiles": _r_list_user_profiles,
    "delete_user_profile": _r_delete_user_profile,
    "create_space": _r_create_space,
    "describe_space": _r_describe_space,
    "list_spaces": _r_list_spaces,
    "delete_space": _r_delete_space,
    "create_image": _r_create_image,
    "describe_image": _r_describe_image,
    "list_images": _r_list_images,
    "delete_image": _r_delete_image,
    "create_image_version": _r_create_image_version,
    "describe_image_version": _r_describe_image_version,
    "list_image_versions": _r_list_image_versions,
    "delete_image_version": _r_delete_image_version,
    "create_app_image_config": _r_create_app_image_config,
    "describe_app_image_config": _r_describe_app_image_config,
    "update_app_image_config": _r_update_app_image_config,
    "list_app_image_configs": _r_list_app_image_configs,
    "delete_app_image_config": _r_delete_app_image_config,
}

_BACKEND: dict[str, Callable[..., Any]] = {
    "update_domain": update_domain,
    "create_user_profile": create_user_profile,
    "describe_user_profile": describe_user_profile,
    "update_user_profile": update_user_profile,
    "list_user_profiles": list_user_profiles,
    "delete_user_profile": delete_user_profile,
    "create_space": create_space,
    "describe_space": describe_space,
    "list_spaces": list_spaces,
    "delete_space": delete_space,
    "create_image": create_image,
    "describe_image": describe_image,
    "list_images": list_images,
    "delete_image": delete_image,
    "create_image_version": create_image_version,
    "describe_image_version": describe_image_version,
    "list_image_versions": list_image_versions,
    "delete_image_version": delete_image_version,
    "create_app_image_config": create_app_image_config,
    "describe_app_image_config": describe_app_image_config,
    "update_app_image_config": update_app_image_config,
    "list_app_image_configs": list_app_image_configs,
    "delete_app_image_config": delete_app_image_config,
}


def install() -> None:
    """Register the operations on moto's SageMaker classes; safe to call repeatedly."""
    if getattr(SageMakerResponse, _INSTALLED_ATTR, False):
        return
    for name, method in _RESPONSES.items():
        setattr(SageMakerResponse, name, method)
    for name, function in _BACKEND.items():
        setattr(SageMakerModelBackend, name, function)
    Domain.describe = _describe_domain_with_update_members(Domain.describe)  # type: ignore[method-assign]
    setattr(SageMakerResponse, _INSTALLED_ATTR, True)
