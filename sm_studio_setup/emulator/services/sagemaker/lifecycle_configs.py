"""Studio lifecycle configurations: Create/Describe/List/Delete, as backend functions, and the
check that the configurations a domain, profile or space names exist.

Not to be confused with ``lifecycle.py``, the asynchronous states of SageMaker's resources.
The content is kept as CreateStudioLifecycleConfig sent it (the API takes the script
base64-encoded) and described as it was sent. What AWS says when settings name a
configuration that does not exist, or one of another app type, is not published: the
emulator's words are its own (docs/aws-behaviours.md marks them unconfirmed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import SageMakerModelBackend

from .models import (
    ANY_TIME,
    Order,
    StudioLifecycleConfig,
    Window,
    arn,
    dated,
    existing,
    state,
    vacant,
)

# ListStudioLifecycleConfigs: newest first unless SortOrder says Ascending.
_ORDER = Order(
    keys={"LastModifiedTime": "modified", "Name": "name"}, descending=True, other_way="Ascending"
)
# The settings members that take lifecycle configurations, and the app type each takes.
APP_SETTINGS = {
    "JupyterServerAppSettings": "JupyterServer",
    "KernelGatewayAppSettings": "KernelGateway",
    "JupyterLabAppSettings": "JupyterLab",
    "CodeEditorAppSettings": "CodeEditor",
}


def _config_arn(backend: SageMakerModelBackend, name: str) -> str:
    return arn(backend, f"studio-lifecycle-config/{name}")


def create_studio_lifecycle_config(
    backend: SageMakerModelBackend,
    name: str,
    content: str,
    app_type: str,
    *,
    tags: list[dict[str, str]] | None = None,
) -> StudioLifecycleConfig:
    studio = state(backend)
    config_arn = _config_arn(backend, name)
    vacant(studio.lifecycle_configs, name, "Lifecycle config", config_arn)
    config = StudioLifecycleConfig(
        name=name,
        arn=config_arn,
        seq=studio.next_seq(),
        tags=list(tags or []),
        app_type=app_type,
        content=content,
    )
    studio.lifecycle_configs[name] = config
    return config


def describe_studio_lifecycle_config(
    backend: SageMakerModelBackend, name: str
) -> StudioLifecycleConfig:
    found = state(backend).lifecycle_configs.get(name)
    return existing(found, "Lifecycle config", _config_arn(backend, name))


def list_studio_lifecycle_configs(
    backend: SageMakerModelBackend,
    *,
    name_contains: str | None = None,
    app_type_equals: str | None = None,
    created: Window = ANY_TIME,
    modified: Window = ANY_TIME,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> list[StudioLifecycleConfig]:
    found = [
        config
        for config in state(backend).lifecycle_configs.values()
        if (name_contains is None or name_contains in config.name)
        and (app_type_equals is None or config.app_type == app_type_equals)
    ]
    return _ORDER.apply(dated(found, created, modified), sort_by, sort_order)


def delete_studio_lifecycle_config(backend: SageMakerModelBackend, name: str) -> None:
    """The API reference: a configuration must be removed from every domain's and user
    profile's settings before it is deleted (the model lists ResourceInUse)."""
    config = describe_studio_lifecycle_config(backend, name)
    users = sorted(_users(backend, config.arn))
    if users:
        raise ResourceInUseException(
            f"Lifecycle config {config.arn} is in use by {', '.join(users)}: remove it from "
            "their settings first."
        )
    del state(backend).lifecycle_configs[name]


def _named(block: Mapping[str, Any] | None) -> Iterable[tuple[str, str]]:
    """(settings member, ARN) of every lifecycle configuration a settings block names."""
    for member in APP_SETTINGS:
        settings = (block or {}).get(member) or {}
        for config_arn in settings.get("LifecycleConfigArns") or []:
            yield member, config_arn
        default = (settings.get("DefaultResourceSpec") or {}).get("LifecycleConfigArn")
        if default:
            yield member, default


def _users(backend: SageMakerModelBackend, config_arn: str) -> Iterable[str]:
    for domain in backend.domains.values():
        blocks = (domain.default_user_settings, getattr(domain, "default_space_settings", None))
        if any(found == config_arn for block in blocks for _, found in _named(block)):
            yield f"domain {domain.id}"
    studio = state(backend)
    for (domain_id, name), profile in studio.user_profiles.items():
        if any(found == config_arn for _, found in _named(profile.settings)):
            yield f"user profile {domain_id}/{name}"
    for (domain_id, name), space in studio.spaces.items():
        if any(found == config_arn for _, found in _named(space.settings)):
            yield f"space {domain_id}/{name}"


def check_lifecycle_configs(
    backend: SageMakerModelBackend, *settings: Mapping[str, Any] | None
) -> None:
    """Every lifecycle configuration the settings name must exist in this account and
    region, and be of the app type of the settings member that names it."""
    prefix = _config_arn(backend, "")
    for block in settings:
        for member, config_arn in _named(block):
            name = config_arn[len(prefix) :] if config_arn.startswith(prefix) else None
            found = state(backend).lifecycle_configs.get(name) if name else None
            if found is None:
                raise ResourceNotFound(f"Lifecycle config {config_arn} does not exist.")
            if found.app_type != APP_SETTINGS[member]:
                raise ValidationError(
                    f"Lifecycle config {config_arn} is for {found.app_type} apps and cannot be "
                    f"used in {member}."
                )
