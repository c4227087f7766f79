"""Attaching a pushed image to Studio (the last section of seed 002): what to ask SageMaker for.

An ECR image becomes a Studio kernel in four steps: a SageMaker image (CreateImage, with a
role SageMaker uses to read it), an image version per pushed URI (CreateImageVersion), an app
image config for the app type (how Studio mounts the home volume, which user it runs as, which
kernels it offers), and the image listed among the custom images of the domain's default user
settings (UpdateDomain) or of one user profile (UpdateUserProfile). The update keeps every
custom image and every other setting already there: it sends the app type's settings whole,
with the image added, because SageMaker replaces a settings member that is given.

A lifecycle configuration is attached the same way (``with_lifecycle_config``): its ARN joins
the app type's LifecycleConfigArns, and with ``--default`` becomes the DefaultResourceSpec's.

Pure: no boto3, no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

AppType = Literal["JupyterLab", "CodeEditor", "KernelGateway"]
APP_TYPES: tuple[AppType, ...] = ("JupyterLab", "CodeEditor", "KernelGateway")
Scope = Literal["domain", "user-profile"]
SCOPES: tuple[Scope, ...] = ("domain", "user-profile")

# Where each app type keeps its custom images in UserSettings / DefaultUserSettings.
SETTINGS_MEMBER: dict[AppType, str] = {
    "JupyterLab": "JupyterLabAppSettings",
    "CodeEditor": "CodeEditorAppSettings",
    "KernelGateway": "KernelGatewayAppSettings",
}
# The app image config member of CreateAppImageConfig / UpdateAppImageConfig per app type.
CONFIG_MEMBER: dict[AppType, str] = {
    "JupyterLab": "JupyterLabAppImageConfig",
    "CodeEditor": "CodeEditorAppImageConfig",
    "KernelGateway": "KernelGatewayImageConfig",
}
# Studio mounts the space's volume here and runs the app as this user and group ("Custom
# image specifications": "UID=1000 is a supported value", "GID=100 is a supported value").
HOME = "/home/sagemaker-user"
UID, GID = 1000, 100


def file_system_config() -> dict[str, Any]:
    return {"MountPath": HOME, "DefaultUid": UID, "DefaultGid": GID}


def app_image_config(
    app_type: AppType, kernel: str = "python3", display: str = ""
) -> dict[str, Any]:
    """The ``*AppImageConfig`` member for the app type, keyed by its name in the API."""
    config: dict[str, Any] = {"FileSystemConfig": file_system_config()}
    if app_type == "KernelGateway":
        spec: dict[str, Any] = {"Name": kernel}
        if display:
            spec["DisplayName"] = display
        config["KernelSpecs"] = [spec]
    return {CONFIG_MEMBER[app_type]: config}


def with_custom_image(
    settings: Mapping[str, Any] | None,
    app_type: AppType,
    image_name: str,
    config_name: str,
) -> dict[str, Any] | None:
    """The app type's settings member with the image among its custom images, everything else
    kept as it is; None when the image is already there with this config (nothing to send)."""
    member = SETTINGS_MEMBER[app_type]
    current = copy.deepcopy(dict((settings or {}).get(member) or {}))
    images = list(current.get("CustomImages") or [])
    wanted = {"ImageName": image_name, "AppImageConfigName": config_name}
    for index, image in enumerate(images):
        if image.get("ImageName") == image_name:
            if image.get("AppImageConfigName") == config_name:
                return None
            # The same image with another config: point it at ours, keep its pinned version.
            images[index] = {**image, **wanted}
            break
    else:
        images.append(wanted)
    current["CustomImages"] = images
    return {member: current}


def with_lifecycle_config(
    settings: Mapping[str, Any] | None,
    app_type: AppType,
    config_arn: str,
    *,
    default: bool = False,
) -> dict[str, Any] | None:
    """The app type's settings member with ``config_arn`` among its LifecycleConfigArns (and
    with ``default``, as its DefaultResourceSpec's LifecycleConfigArn), every configuration and
    setting already there kept; None when it is already so (nothing to send)."""
    member = SETTINGS_MEMBER[app_type]
    current = copy.deepcopy(dict((settings or {}).get(member) or {}))
    arns = list(current.get("LifecycleConfigArns") or [])
    changed = config_arn not in arns
    if changed:
        arns.append(config_arn)
    current["LifecycleConfigArns"] = arns
    if default:
        spec = dict(current.get("DefaultResourceSpec") or {})
        if spec.get("LifecycleConfigArn") != config_arn:
            spec["LifecycleConfigArn"] = config_arn
            changed = True
        current["DefaultResourceSpec"] = spec
    return {member: current} if changed else None
