"""The Studio resources moto 5.2 lacks, their state, and what every resource kind shares.

State is kept on moto's own SageMaker backend object (one per account and region), so moto's
reset clears it along with the domains it refers to. The helpers at the end are the parts of
Create, Describe and List that are the same for every kind of resource: "already exists",
"does not exist", the time windows and the orders of the List calls.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound
from moto.sagemaker.models import SageMakerModelBackend
from moto.utilities.utils import get_partition

from .lifecycle import Transition

_STATE_ATTR = "_sm_studio_setup_studio"
# AWS hands out POSIX uids for Studio home directories from this range.
_FIRST_UID = 200001


def arn(backend: SageMakerModelBackend, resource: str) -> str:
    region = backend.region_name
    return f"arn:{get_partition(region)}:sagemaker:{region}:{backend.account_id}:{resource}"


def compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# Keyword-only, so that the fields every kind shares can live in one base class.
@dataclass(kw_only=True)
class Resource:
    """What user profiles, spaces, images, app image configs and lifecycle configurations
    all have. ``seq`` keeps sorting stable where creation times tie."""

    name: str
    arn: str
    seq: int
    tags: list[dict[str, str]]
    created: datetime = field(default_factory=utcnow)
    modified: datetime = field(default_factory=utcnow)


@dataclass(kw_only=True)
class DomainResource(Resource):
    """A resource that lives in a domain and has a home directory of its own."""

    domain_id: str
    uid: str
    settings: dict[str, Any] | None


@dataclass(kw_only=True)
class UserProfile(DomainResource):
    sso_identifier: str | None
    sso_value: str | None

    update: Transition | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "DomainId": self.domain_id,
            "UserProfileName": self.name,
            "Status": self.update.status if self.update else "InService",
            "CreationTime": self.created,
            "LastModifiedTime": self.modified,
        }

    def describe(self) -> dict[str, Any]:
        return compact(
            {
                **self.summary(),
                "UserProfileArn": self.arn,
                "HomeEfsFileSystemUid": self.uid,
                "SingleSignOnUserIdentifier": self.sso_identifier,
                "SingleSignOnUserValue": self.sso_value,
                "UserSettings": self.settings,
                **(self.update.members("Status") if self.update else {}),
            }
        )


@dataclass(kw_only=True)
class Space(DomainResource):
    ownership: dict[str, Any] | None
    sharing: dict[str, Any] | None
    display_name: str | None

    def summary(self) -> dict[str, Any]:
        settings = self.settings or {}
        settings_summary = compact(
            {k: settings.get(k) for k in ("AppType", "RemoteAccess", "SpaceStorageSettings")}
        )
        return compact(
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
        return compact(
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


# CreateImageVersion's members that DescribeImageVersion gives back as they were sent.
VERSION_EXTRAS = (
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
    creation: Transition | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "CreationTime": self.created,
            "ImageArn": self.image_arn,
            "ImageVersionArn": self.arn,
            "LastModifiedTime": self.modified,
            "Version": self.version,
            "ImageVersionStatus": "CREATED",
            **(self.creation.members("ImageVersionStatus") if self.creation else {}),
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


@dataclass(kw_only=True)
class Image(Resource):
    role_arn: str
    description: str | None
    display_name: str | None
    versions: dict[int, ImageVersion] = field(default_factory=dict)
    next_version: int = 1
    client_tokens: dict[str, int] = field(default_factory=dict)
    change: Transition | None = None  # CREATING, or DELETING

    def summary(self) -> dict[str, Any]:
        return compact(
            {
                "CreationTime": self.created,
                "Description": self.description,
                "DisplayName": self.display_name,
                "ImageArn": self.arn,
                "ImageName": self.name,
                "ImageStatus": "CREATED",
                "LastModifiedTime": self.modified,
                **(self.change.members("ImageStatus") if self.change else {}),
            }
        )

    def describe(self) -> dict[str, Any]:
        return {**self.summary(), "RoleArn": self.role_arn}


# The app types' configs an app image config may hold (CreateAppImageConfig's members).
APP_IMAGE_CONFIG_KINDS = (
    "KernelGatewayImageConfig",
    "JupyterLabAppImageConfig",
    "CodeEditorAppImageConfig",
)


@dataclass(kw_only=True)
class AppImageConfig(Resource):
    configs: dict[str, Any]

    def describe(self) -> dict[str, Any]:
        return {
            "AppImageConfigArn": self.arn,
            "AppImageConfigName": self.name,
            "CreationTime": self.created,
            "LastModifiedTime": self.modified,
            **self.configs,
        }

    # ListAppImageConfigs lists each config in full.
    summary = describe


@dataclass(kw_only=True)
class StudioLifecycleConfig(Resource):
    """A script Studio runs when an app of ``app_type`` starts; ``content`` is kept as
    CreateStudioLifecycleConfig sent it (base64) and described so."""

    app_type: str
    content: str

    def summary(self) -> dict[str, Any]:
        return {
            "StudioLifecycleConfigArn": self.arn,
            "StudioLifecycleConfigName": self.name,
            "CreationTime": self.created,
            "LastModifiedTime": self.modified,
            "StudioLifecycleConfigAppType": self.app_type,
        }

    def describe(self) -> dict[str, Any]:
        return {**self.summary(), "StudioLifecycleConfigContent": self.content}


@dataclass
class StudioState:
    user_profiles: dict[tuple[str, str], UserProfile] = field(default_factory=dict)
    spaces: dict[tuple[str, str], Space] = field(default_factory=dict)
    images: dict[str, Image] = field(default_factory=dict)
    app_image_configs: dict[str, AppImageConfig] = field(default_factory=dict)
    lifecycle_configs: dict[str, StudioLifecycleConfig] = field(default_factory=dict)
    # A domain's update under way (moto's Domain has no status of its own).
    domain_updates: dict[str, Transition] = field(default_factory=dict)
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


# --------------------------------------------------------------------------- shared by kinds

T = TypeVar("T")
K = TypeVar("K")


def existing(found: T | None, what: str, resource_arn: str) -> T:
    """``found``, or AWS's error for a ``what`` ("User profile", ...) that does not exist."""
    if found is None:
        raise ResourceNotFound(f"{what} {resource_arn} does not exist.")
    return found


def vacant(table: Mapping[K, Any], key: K, what: str, resource_arn: str) -> None:
    """AWS's error when a ``what`` of that name already exists."""
    if key in table:
        raise ResourceInUseException(f"{what} {resource_arn} already exists.")


class _Dated(Protocol):
    @property
    def created(self) -> datetime: ...

    @property
    def modified(self) -> datetime: ...


D = TypeVar("D", bound=_Dated)
R = TypeVar("R", bound=Resource)
# (after, before), as List calls' CreationTimeAfter/Before and the like give them.
Window = tuple[datetime | None, datetime | None]
ANY_TIME: Window = (None, None)


def _normalise_time(value: datetime | None) -> datetime | None:
    # moto stores naive UTC times; the request parser may give aware ones.
    if value is not None and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _within(moment: datetime, window: Window) -> bool:
    after, before = (_normalise_time(value) for value in window)
    return (after is None or moment > after) and (before is None or moment < before)


def dated(items: Iterable[D], created: Window = ANY_TIME, modified: Window = ANY_TIME) -> list[D]:
    """The items created and last modified within the windows given."""
    return [i for i in items if _within(i.created, created) and _within(i.modified, modified)]


@dataclass(frozen=True)
class Order:
    """How a List call sorts: the attribute each SortBy value names (creation time for any
    other), whether it sorts newest first when SortOrder is absent, and the SortOrder value
    that turns that around (each List call spells SortBy and SortOrder its own way)."""

    keys: Mapping[str, str]
    descending: bool
    other_way: str
    tie: str = "seq"

    def apply(self, items: Iterable[T], sort_by: str | None, sort_order: str | None) -> list[T]:
        key = self.keys.get(sort_by or "", "created")
        descending = self.descending != (sort_order == self.other_way)
        return sorted(
            items,
            key=lambda item: (getattr(item, key), getattr(item, self.tie)),
            reverse=descending,
        )


def lister(
    name: str, table: Callable[[StudioState], Mapping[Any, R]], order: Order
) -> Callable[..., list[R]]:
    """The backend function ``name`` of a List call: the resources of ``table`` that match
    every filter given, sorted by ``order``. ``domain_id_equals`` applies to resources in a
    domain only."""

    def list_resources(
        backend: SageMakerModelBackend,
        *,
        domain_id_equals: str | None = None,
        name_contains: str | None = None,
        created: Window = ANY_TIME,
        modified: Window = ANY_TIME,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> list[R]:
        found = [
            item
            for item in table(state(backend)).values()
            if (
                domain_id_equals is None
                or (isinstance(item, DomainResource) and item.domain_id == domain_id_equals)
            )
            and (name_contains is None or name_contains in item.name)
        ]
        return order.apply(dated(found, created, modified), sort_by, sort_order)

    list_resources.__name__ = list_resources.__qualname__ = name
    return list_resources
