"""The SageMaker operations the emulator adds to moto's response class, as one table.

Every operation here is answered the same way: the request's members are validated
(``validation.py``), handed to a backend function (``domains.py``, ``images.py``), and its
result is shaped as AWS shapes it: Create and Update answer with the resource's ARN, Describe
with the resource, List with one page of summaries and a NextToken, Delete with nothing.
Responses are dicts that moto serialises against botocore's model, so boto3 parses them
exactly like AWS's. ``_OPERATIONS`` says, per operation, only what differs: which members go
to which parameter, and which of those shapes the answer takes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import camelcase_to_underscores
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from . import domains, images, lifecycle_configs
from .models import APP_IMAGE_CONFIG_KINDS, VERSION_EXTRAS, compact
from .validation import validate_request

T = TypeVar("T")

# SageMaker's List* calls return 10 items per page unless MaxResults says otherwise.
_DEFAULT_PAGE = 10

Answer = Callable[[Any, Mapping[str, Any]], ActionResult | EmptyResult]


def _params(response: SageMakerResponse, operation: str) -> dict[str, Any]:
    """The request's members, validated; an existing domain's id is exempt from the
    DomainId pattern because moto derives ids from names (``d-MyDomain``)."""
    params: dict[str, Any] = dict(response.params)
    domain_id = params.get("DomainId")
    skip = ["DomainId"] if domain_id in response.sagemaker_backend.domains else []
    validate_request(operation, params, skip=skip)
    return params


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


# --------------------------------------------------------------------------- answers


def _arn_as(member: str) -> Answer:
    """Create and Update: the ARN of what was created or changed."""
    return lambda found, params: ActionResult({member: found.arn})


def _described(found: Any, params: Mapping[str, Any]) -> ActionResult:
    return ActionResult(found.describe())


def _page_as(member: str) -> Answer:
    """List: the page NextToken and MaxResults ask for, and the token of the next one."""

    def answer(found: list[Any], params: Mapping[str, Any]) -> ActionResult:
        page, token = _page(found, params.get("NextToken"), params.get("MaxResults"))
        return ActionResult(compact({member: [i.summary() for i in page], "NextToken": token}))

    return answer


def _empty(found: Any, params: Mapping[str, Any]) -> EmptyResult:
    return EmptyResult()


# --------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class _Operation:
    """One operation: the backend function, called with the backend and then ``required``
    (request members, in order, positionally), ``optional`` (the same, None when absent),
    ``members`` (parameter name -> request member), ``grouped`` (parameter name -> the
    request members gathered into one dict) and ``windows`` (parameter name -> the After and
    Before members of a time window); ``answer`` shapes what the function returned."""

    name: str
    call: Callable[..., Any]
    answer: Answer
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    members: Mapping[str, str] = field(default_factory=dict)
    grouped: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    windows: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def respond(self, response: SageMakerResponse) -> ActionResult | EmptyResult:
        p = _params(response, self.name)
        found = self.call(
            response.sagemaker_backend,
            *(p[member] for member in self.required),
            *(p.get(member) for member in self.optional),
            **{parameter: p.get(member) for parameter, member in self.members.items()},
            **{parameter: {m: p.get(m) for m in ms} for parameter, ms in self.grouped.items()},
            **{parameter: (p.get(a), p.get(b)) for parameter, (a, b) in self.windows.items()},
        )
        return self.answer(found, p)


_SORTED = {"sort_by": "SortBy", "sort_order": "SortOrder"}
_IN_DOMAIN = {"domain_id_equals": "DomainIdEquals", **_SORTED}
_DATED = {
    "created": ("CreationTimeAfter", "CreationTimeBefore"),
    "modified": ("LastModifiedTimeAfter", "LastModifiedTimeBefore"),
}
_PROFILE = ("DomainId", "UserProfileName")
_SPACE = ("DomainId", "SpaceName")
_IMAGE = ("ImageName",)
_VERSION = ("Version", "Alias")
_CONFIG = ("AppImageConfigName",)
_LIFECYCLE = ("StudioLifecycleConfigName",)

_OPERATIONS = (
    _Operation(
        "UpdateDomain",
        domains.update_domain,
        lambda arn, params: ActionResult({"DomainArn": arn}),
        required=("DomainId",),
        members={
            "default_user_settings": "DefaultUserSettings",
            "domain_settings_for_update": "DomainSettingsForUpdate",
            "default_space_settings": "DefaultSpaceSettings",
            **{
                member: member
                for member in (
                    "SubnetIds",
                    "VpcId",
                    "AppNetworkAccessType",
                    "AppSecurityGroupManagement",
                    "TagPropagation",
                    "HomeEfsFileSystemCreation",
                )
            },
        },
    ),
    _Operation(
        "CreateUserProfile",
        domains.create_user_profile,
        _arn_as("UserProfileArn"),
        required=_PROFILE,
        members={
            "user_settings": "UserSettings",
            "sso_identifier": "SingleSignOnUserIdentifier",
            "sso_value": "SingleSignOnUserValue",
            "tags": "Tags",
        },
    ),
    _Operation("DescribeUserProfile", domains.describe_user_profile, _described, required=_PROFILE),
    _Operation(
        "UpdateUserProfile",
        domains.update_user_profile,
        _arn_as("UserProfileArn"),
        required=_PROFILE,
        members={"user_settings": "UserSettings"},
    ),
    _Operation(
        "ListUserProfiles",
        domains.list_user_profiles,
        _page_as("UserProfiles"),
        members={"name_contains": "UserProfileNameContains", **_IN_DOMAIN},
    ),
    _Operation("DeleteUserProfile", domains.delete_user_profile, _empty, required=_PROFILE),
    _Operation(
        "CreateSpace",
        domains.create_space,
        _arn_as("SpaceArn"),
        required=_SPACE,
        members={
            "space_settings": "SpaceSettings",
            "ownership_settings": "OwnershipSettings",
            "space_sharing_settings": "SpaceSharingSettings",
            "display_name": "SpaceDisplayName",
            "tags": "Tags",
        },
    ),
    _Operation("DescribeSpace", domains.describe_space, _described, required=_SPACE),
    _Operation(
        "ListSpaces",
        domains.list_spaces,
        _page_as("Spaces"),
        members={"name_contains": "SpaceNameContains", **_IN_DOMAIN},
    ),
    _Operation("DeleteSpace", domains.delete_space, _empty, required=_SPACE),
    _Operation(
        "CreateImage",
        images.create_image,
        _arn_as("ImageArn"),
        required=(*_IMAGE, "RoleArn"),
        members={"description": "Description", "display_name": "DisplayName", "tags": "Tags"},
    ),
    _Operation("DescribeImage", images.describe_image, _described, required=_IMAGE),
    _Operation(
        "ListImages",
        images.list_images,
        _page_as("Images"),
        members={"name_contains": "NameContains", **_SORTED},
        windows=_DATED,
    ),
    _Operation("DeleteImage", images.delete_image, _empty, required=_IMAGE),
    _Operation(
        "CreateImageVersion",
        images.create_image_version,
        _arn_as("ImageVersionArn"),
        required=(*_IMAGE, "BaseImage"),
        members={"client_token": "ClientToken", "aliases": "Aliases"},
        grouped={"extras": VERSION_EXTRAS},
    ),
    _Operation(
        "DescribeImageVersion",
        images.describe_image_version,
        _described,
        required=_IMAGE,
        optional=_VERSION,
    ),
    _Operation(
        "ListImageVersions",
        images.list_image_versions,
        _page_as("ImageVersions"),
        required=_IMAGE,
        members=_SORTED,
        windows=_DATED,
    ),
    _Operation(
        "DeleteImageVersion",
        images.delete_image_version,
        _empty,
        required=_IMAGE,
        optional=_VERSION,
    ),
    _Operation(
        "CreateAppImageConfig",
        images.create_app_image_config,
        _arn_as("AppImageConfigArn"),
        required=_CONFIG,
        members={"tags": "Tags"},
        grouped={"configs": APP_IMAGE_CONFIG_KINDS},
    ),
    _Operation(
        "DescribeAppImageConfig", images.describe_app_image_config, _described, required=_CONFIG
    ),
    _Operation(
        "UpdateAppImageConfig",
        images.update_app_image_config,
        _arn_as("AppImageConfigArn"),
        required=_CONFIG,
        grouped={"configs": APP_IMAGE_CONFIG_KINDS},
    ),
    _Operation(
        "ListAppImageConfigs",
        images.list_app_image_configs,
        _page_as("AppImageConfigs"),
        members={"name_contains": "NameContains", **_SORTED},
        windows={
            "created": _DATED["created"],
            "modified": ("ModifiedTimeAfter", "ModifiedTimeBefore"),
        },
    ),
    _Operation("DeleteAppImageConfig", images.delete_app_image_config, _empty, required=_CONFIG),
    _Operation(
        "CreateStudioLifecycleConfig",
        lifecycle_configs.create_studio_lifecycle_config,
        _arn_as("StudioLifecycleConfigArn"),
        required=(*_LIFECYCLE, "StudioLifecycleConfigContent", "StudioLifecycleConfigAppType"),
        members={"tags": "Tags"},
    ),
    _Operation(
        "DescribeStudioLifecycleConfig",
        lifecycle_configs.describe_studio_lifecycle_config,
        _described,
        required=_LIFECYCLE,
    ),
    _Operation(
        "ListStudioLifecycleConfigs",
        lifecycle_configs.list_studio_lifecycle_configs,
        _page_as("StudioLifecycleConfigs"),
        members={"name_contains": "NameContains", "app_type_equals": "AppTypeEquals", **_SORTED},
        windows={
            "created": _DATED["created"],
            "modified": ("ModifiedTimeAfter", "ModifiedTimeBefore"),
        },
    ),
    _Operation(
        "DeleteStudioLifecycleConfig",
        lifecycle_configs.delete_studio_lifecycle_config,
        _empty,
        required=_LIFECYCLE,
    ),
)


def _method(operation: _Operation) -> Callable[[SageMakerResponse], Any]:
    def method(self: SageMakerResponse) -> ActionResult | EmptyResult:
        return operation.respond(self)

    method.__name__ = camelcase_to_underscores(operation.name)
    return method


# moto dispatches X-Amz-Target "SageMaker.CreateUserProfile" to the response method
# ``create_user_profile``; the backend functions are also registered on the backend class so
# seeding code can call them on a backend object like moto's own methods. Each backend
# function bears the name of its response method.
RESPONSES: dict[str, Callable[[SageMakerResponse], Any]] = {
    camelcase_to_underscores(op.name): _method(op) for op in _OPERATIONS
}
BACKEND: dict[str, Callable[..., Any]] = {op.call.__name__: op.call for op in _OPERATIONS}
