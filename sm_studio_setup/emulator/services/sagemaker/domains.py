"""A Studio domain and what lives in it: UpdateDomain, and Create/Describe/Update/List/Delete
for user profiles and spaces, as backend functions (``responses.py`` turns requests into calls
of them; they are also registered on moto's backend class, like moto's own methods).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import Domain, SageMakerModelBackend

from . import lifecycle
from .images import check_custom_images
from .lifecycle_configs import check_lifecycle_configs
from .models import (
    Order,
    Space,
    UserProfile,
    arn,
    existing,
    lister,
    state,
    vacant,
)
from .validation import validate_request

# ListUserProfiles and ListSpaces: oldest first unless SortOrder says Descending.
_ORDER = Order(keys={"LastModifiedTime": "modified"}, descending=False, other_way="Descending")


def _domain(backend: SageMakerModelBackend, domain_id: str) -> Domain:
    domain = backend.domains.get(domain_id)
    if domain is None:
        raise ResourceNotFound(f"Domain {arn(backend, f'domain/{domain_id}')} does not exist.")
    assert isinstance(domain, Domain)
    return domain


def _user_profile_arn(backend: SageMakerModelBackend, domain_id: str, name: str) -> str:
    return arn(backend, f"user-profile/{domain_id}/{name}")


def _space_arn(backend: SageMakerModelBackend, domain_id: str, name: str) -> str:
    return arn(backend, f"space/{domain_id}/{name}")


def _merged(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    # AWS replaces each settings member given and keeps the others.
    return {**(old or {}), **copy.deepcopy(dict(new))}


# --------------------------------------------------------------------------- the domain


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
    updates = state(backend).domain_updates
    _refuse_while_busy(updates.get(domain_id), f"Domain {domain.arn}")
    check_custom_images(backend, default_user_settings, default_space_settings)
    check_lifecycle_configs(backend, default_user_settings, default_space_settings)
    updates[domain_id] = lifecycle.begin("domain", "Updating", "InService", "Update_Failed")
    if default_user_settings:
        domain.default_user_settings = _merged(domain.default_user_settings, default_user_settings)
    if default_space_settings:
        domain.default_space_settings = _merged(
            domain.default_space_settings, default_space_settings
        )
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


# moto's CreateDomain checks none of these; the others it takes as moto always has.
_CREATE_DOMAIN_CHECKED = ("DomainSettings", "AppNetworkAccessType")


def validated_create_domain(original: Callable[[Any], Any]) -> Any:
    """moto's CreateDomain, after the model's checks of DomainSettings (DockerSettings' enums,
    at most 20 twelve-digit VpcOnlyTrustedAccounts, ...) and AppNetworkAccessType."""

    def create_domain(self: Any) -> Any:
        validate_request("CreateDomain", dict(self.params), only=_CREATE_DOMAIN_CHECKED)
        return original(self)

    create_domain.__wrapped__ = original  # type: ignore[attr-defined]
    return create_domain


def describe_domain_with_update_members(original: Callable[[Domain], dict[str, Any]]) -> Any:
    """moto's DescribeDomain, plus the members only UpdateDomain sets here."""

    def describe(self: Domain) -> dict[str, Any]:
        result = original(self)
        update = _update_of(self)
        if update is not None:
            result.update(update.members("Status"))
        for member, attribute in (
            ("TagPropagation", "tag_propagation"),
            ("HomeEfsFileSystemCreation", "home_efs_file_system_creation"),
        ):
            if getattr(self, attribute, None) is not None:
                result[member] = getattr(self, attribute)
        return result

    describe.__wrapped__ = original  # type: ignore[attr-defined]
    return describe


def _update_of(domain: Domain) -> lifecycle.Transition | None:
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[domain.account_id][domain.region_name]
    return state(backend).domain_updates.get(domain.id)


def _refuse_while_busy(update: lifecycle.Transition | None, what: str) -> None:
    # SageMaker takes one update at a time: UpdateDomain's model lists ResourceInUse.
    if update is not None and not update.finished:
        raise ResourceInUseException(f"{what} is in {update.busy} state: wait until it is done.")


# --------------------------------------------------------------------------- user profiles


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
    profile_arn = _user_profile_arn(backend, domain_id, name)
    vacant(studio.user_profiles, (domain_id, name), "User profile", profile_arn)
    check_custom_images(backend, user_settings)
    check_lifecycle_configs(backend, user_settings)
    profile = UserProfile(
        domain_id=domain_id,
        name=name,
        arn=profile_arn,
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
    found = state(backend).user_profiles.get((domain_id, name))
    return existing(found, "User profile", _user_profile_arn(backend, domain_id, name))


def update_user_profile(
    backend: SageMakerModelBackend,
    domain_id: str,
    name: str,
    *,
    user_settings: Mapping[str, Any] | None = None,
) -> UserProfile:
    """UpdateUserProfile: like UpdateDomain, each settings member given replaces its old value
    and the others are kept."""
    profile = describe_user_profile(backend, domain_id, name)
    _refuse_while_busy(profile.update, f"User profile {profile.arn}")
    check_custom_images(backend, user_settings)
    check_lifecycle_configs(backend, user_settings)
    profile.update = lifecycle.begin("user-profile", "Updating", "InService", "Update_Failed")
    if user_settings:
        profile.settings = _merged(profile.settings, user_settings)
        profile.modified = utcnow()
    return profile


list_user_profiles = lister("list_user_profiles", lambda studio: studio.user_profiles, _ORDER)


def delete_user_profile(backend: SageMakerModelBackend, domain_id: str, name: str) -> None:
    profile = describe_user_profile(backend, domain_id, name)
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


# --------------------------------------------------------------------------- spaces


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
    space_arn = _space_arn(backend, domain_id, name)
    vacant(studio.spaces, (domain_id, name), "Space", space_arn)
    if space_sharing_settings and not ownership_settings:
        raise ValidationError("OwnershipSettings must be provided when SpaceSharingSettings is.")
    if ownership_settings:
        describe_user_profile(backend, domain_id, ownership_settings["OwnerUserProfileName"])
    check_custom_images(backend, space_settings)
    check_lifecycle_configs(backend, space_settings)
    space = Space(
        domain_id=domain_id,
        name=name,
        arn=space_arn,
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
    found = state(backend).spaces.get((domain_id, name))
    return existing(found, "Space", _space_arn(backend, domain_id, name))


list_spaces = lister("list_spaces", lambda studio: studio.spaces, _ORDER)


def delete_space(backend: SageMakerModelBackend, domain_id: str, name: str) -> None:
    describe_space(backend, domain_id, name)
    del state(backend).spaces[(domain_id, name)]
