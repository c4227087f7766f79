"""Studio's custom images: Create/Describe/List/Delete for images, image versions and app image
configs (and UpdateAppImageConfig), as backend functions, and the check that the custom
images a domain, profile or space names exist.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import SageMakerModelBackend

from . import lifecycle
from .models import (
    ANY_TIME,
    AppImageConfig,
    Image,
    ImageVersion,
    Order,
    StudioState,
    Window,
    arn,
    dated,
    existing,
    lister,
    state,
    vacant,
)

# ListImages and ListImageVersions: newest first unless SortOrder says ASCENDING.
_IMAGE_ORDER = Order(
    keys={"LAST_MODIFIED_TIME": "modified", "IMAGE_NAME": "name"},
    descending=True,
    other_way="ASCENDING",
)
_VERSION_ORDER = Order(
    keys={"LAST_MODIFIED_TIME": "modified", "VERSION": "version"},
    descending=True,
    other_way="ASCENDING",
    tie="version",
)
# ListAppImageConfigs spells them its own way: newest first unless Ascending.
_CONFIG_ORDER = Order(
    keys={"LastModifiedTime": "modified", "Name": "name"}, descending=True, other_way="Ascending"
)


def _image_arn(backend: SageMakerModelBackend, name: str) -> str:
    return arn(backend, f"image/{name.lower()}")


def _image_version_arn(backend: SageMakerModelBackend, name: str, version: int) -> str:
    return arn(backend, f"image-version/{name.lower()}/{version}")


def _app_image_config_arn(backend: SageMakerModelBackend, name: str) -> str:
    return arn(backend, f"app-image-config/{name.lower()}")


def check_custom_images(
    backend: SageMakerModelBackend, *settings: Mapping[str, Any] | None
) -> None:
    """Custom images attached to an app must exist, as must their app image configs."""
    for block in settings:
        for app in ("KernelGatewayAppSettings", "JupyterLabAppSettings", "CodeEditorAppSettings"):
            for custom in ((block or {}).get(app) or {}).get("CustomImages") or []:
                image = describe_image(backend, custom["ImageName"])
                version = custom.get("ImageVersionNumber")
                if version is not None:
                    describe_image_version(backend, image.name, version, None)
                describe_app_image_config(backend, custom["AppImageConfigName"])


# --------------------------------------------------------------------------- images


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
    image_arn = _image_arn(backend, name)
    vacant(_images(studio), name, "Image", image_arn)
    image = Image(
        name=name,
        arn=image_arn,
        seq=studio.next_seq(),
        role_arn=role_arn,
        description=description,
        display_name=display_name,
        tags=list(tags or []),
    )
    image.change = lifecycle.begin("image", "CREATING", "CREATED", "CREATE_FAILED")
    studio.images[name] = image
    return image


def _images(studio: StudioState) -> dict[str, Image]:
    """The images, without those whose deletion has finished (DELETING until then)."""
    for name in [
        n
        for n, image in studio.images.items()
        if image.change is not None and image.change.busy == "DELETING" and image.change.finished
    ]:
        del studio.images[name]
    return studio.images


def describe_image(backend: SageMakerModelBackend, name: str) -> Image:
    return existing(_images(state(backend)).get(name), "Image", _image_arn(backend, name))


list_images = lister("list_images", _images, _IMAGE_ORDER)


def delete_image(backend: SageMakerModelBackend, name: str) -> None:
    # Like AWS, deleting an image deletes its versions with it; it is DELETING meanwhile.
    image = describe_image(backend, name)
    image.change = lifecycle.begin("image-delete", "DELETING", "DELETING", "DELETE_FAILED")


# --------------------------------------------------------------------------- image versions


def create_image_version(
    backend: SageMakerModelBackend,
    name: str,
    base_image: str,
    *,
    client_token: str | None = None,
    aliases: list[str] | None = None,
    extras: Mapping[str, Any] | None = None,
) -> ImageVersion:
    image = describe_image(backend, name)
    status = image.summary()["ImageStatus"]
    if status != "CREATED":
        raise ValidationError(f"Image {image.arn} is {status}: it takes versions once CREATED.")
    if client_token is not None and client_token in image.client_tokens:
        # A retried request (same idempotency token) gets the version it already created.
        return image.versions[image.client_tokens[client_token]]
    for alias in aliases or []:
        for existing_version in image.versions.values():
            if alias in existing_version.aliases:
                raise ResourceInUseException(
                    f"Alias {alias} is already used by image version {existing_version.arn}."
                )
    number = image.next_version
    version = ImageVersion(
        image_arn=image.arn,
        arn=_image_version_arn(backend, name, number),
        version=number,
        base_image=base_image,
        aliases=list(aliases or []),
        extras={k: v for k, v in (extras or {}).items() if v is not None},
        creation=lifecycle.begin(
            "image-version",
            "CREATING",
            "CREATED",
            "CREATE_FAILED",
            _unusable(backend, base_image),
        ),
    )
    image.versions[number] = version
    image.next_version = number + 1
    if client_token is not None:
        image.client_tokens[client_token] = number
    image.modified = utcnow()
    return version


# What SageMaker says of an image index (buildx's default with a provenance attestation):
# "Unsupported manifest media type application/vnd.oci.image.index.v1+json" (mlflow/mlflow
# #13834, aws/amazon-sagemaker-feedback #180; docs/aws-behaviours.md).
_INDEXES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)


def _unusable(backend: SageMakerModelBackend, base_image: str) -> str | None:
    """Why SageMaker would refuse ``base_image`` (an image of the emulator's ECR), or None."""
    from moto.ecr.models import ecr_backends

    repository_part, _, reference = base_image.partition("/")[2].rpartition(":")
    if "@" in base_image:
        repository_part, _, reference = base_image.partition("/")[2].partition("@")
    try:
        repository = ecr_backends[backend.account_id][backend.region_name].repositories[
            repository_part
        ]
    except KeyError:
        return None
    for image in repository.images:
        if reference in (image.image_tag, image.image_digest) or reference in (
            getattr(image, "image_tags", None) or []
        ):
            media_type = getattr(image, "image_manifest_media_type", None) or ""
            if media_type in _INDEXES:
                return f"Unsupported manifest media type {media_type}"
    return None


def describe_image_version(
    backend: SageMakerModelBackend, name: str, version: int | None = None, alias: str | None = None
) -> ImageVersion:
    image = describe_image(backend, name)
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
    return existing(found, "Image version", _image_version_arn(backend, name, version))


def list_image_versions(
    backend: SageMakerModelBackend,
    name: str,
    *,
    created: Window = ANY_TIME,
    modified: Window = ANY_TIME,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> list[ImageVersion]:
    found = dated(describe_image(backend, name).versions.values(), created, modified)
    return _VERSION_ORDER.apply(found, sort_by, sort_order)


def delete_image_version(
    backend: SageMakerModelBackend, name: str, version: int | None = None, alias: str | None = None
) -> None:
    if version is None and alias is None:
        raise ValidationError("Either Version or Alias must be specified.")
    found = describe_image_version(backend, name, version, alias)
    del describe_image(backend, name).versions[found.version]


# --------------------------------------------------------------------------- app image configs


def create_app_image_config(
    backend: SageMakerModelBackend,
    name: str,
    *,
    configs: Mapping[str, Any] | None = None,
    tags: list[dict[str, str]] | None = None,
) -> AppImageConfig:
    studio = state(backend)
    config_arn = _app_image_config_arn(backend, name)
    vacant(studio.app_image_configs, name, "App image config", config_arn)
    config = AppImageConfig(
        name=name,
        arn=config_arn,
        seq=studio.next_seq(),
        configs={k: copy.deepcopy(v) for k, v in (configs or {}).items() if v is not None},
        tags=list(tags or []),
    )
    studio.app_image_configs[name] = config
    return config


def describe_app_image_config(backend: SageMakerModelBackend, name: str) -> AppImageConfig:
    found = state(backend).app_image_configs.get(name)
    return existing(found, "App image config", _app_image_config_arn(backend, name))


def update_app_image_config(
    backend: SageMakerModelBackend, name: str, *, configs: Mapping[str, Any] | None = None
) -> AppImageConfig:
    """UpdateAppImageConfig: the app types' configs given replace the old ones."""
    config = describe_app_image_config(backend, name)
    for kind, value in (configs or {}).items():
        if value is not None:
            config.configs[kind] = copy.deepcopy(value)
    config.modified = utcnow()
    return config


list_app_image_configs = lister(
    "list_app_image_configs", lambda studio: studio.app_image_configs, _CONFIG_ORDER
)


def delete_app_image_config(backend: SageMakerModelBackend, name: str) -> None:
    describe_app_image_config(backend, name)
    del state(backend).app_image_configs[name]
