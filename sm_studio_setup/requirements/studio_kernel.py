"""``studio-kernel``: attach the built image to a Studio domain as a custom kernel (seed 002).

Names: the SageMaker image and the app image config are named after the ECR repository
(``repository_name`` with ``/``, ``_`` and ``.`` turned into ``-``, cut at 63 characters, the
limits of both APIs). SageMaker ARNs carry resource names in lower case, so resources use the
lower-cased name.
"""

from __future__ import annotations

import re

from .image_build import require_role
from .model import ParamError, Requirement
from .params import Params

SOURCE = "seed 002, custom kernel"

_MAX = 63  # ImageName and AppImageConfigName: at most 63 characters


def sagemaker_name(repository_name: str) -> str:
    # ImageName allows letters, digits, '-' and '.'; AppImageConfigName only letters, digits
    # and '-'. Use the stricter rule for both so one name serves both.
    name = re.sub(r"[^A-Za-z0-9]+", "-", repository_name).strip("-")[:_MAX].rstrip("-")
    if not name:
        raise ParamError(
            "repository", f"repository {repository_name!r} gives no usable SageMaker image name"
        )
    return name


def image_name(params: Params) -> str:
    """The SageMaker image name: as given, else after the repository (module docstring)."""
    return params.studio_image_name or sagemaker_name(params.repository_name)


def app_image_config_name(params: Params) -> str:
    """The app image config name: the image name, in AppImageConfigName's stricter grammar."""
    return sagemaker_name(image_name(params))


def studio_kernel(params: Params) -> list[Requirement]:
    """Requirements to register the image and attach it to ``domain_id``."""
    role_arn = require_role(params, "studio-kernel")
    if not params.domain_id:
        raise ParamError(
            "domain_id", "profile 'studio-kernel' needs the Studio domain to update (domain id)"
        )
    image = params.arn("sagemaker", f"image/{image_name(params).lower()}")
    version = params.arn("sagemaker", f"image-version/{image_name(params).lower()}/*")
    config = params.arn("sagemaker", f"app-image-config/{app_image_config_name(params).lower()}")
    domain = params.arn("sagemaker", f"domain/{params.domain_id.lower()}")
    profile_scope = params.studio_scope == "user-profile"
    if profile_scope and not params.user_profile:
        raise ParamError("user_profile", "attaching for a user profile needs the profile's name")
    profile = params.arn(
        "sagemaker",
        f"user-profile/{params.domain_id.lower()}/{(params.user_profile or '').lower()}",
    )

    def r(
        action: str, resource: str, step: str, why: str, *, optional: bool = False
    ) -> Requirement:
        return Requirement("caller", action, resource, step, why, SOURCE, optional=optional)

    return [
        r(
            "ecr:DescribeImages",
            params.arn("ecr", f"repository/{params.repository_name}"),
            "register the image version",
            "The pushed image's manifest type is read first: SageMaker refuses an OCI image "
            "index (docs/aws-behaviours.md).",
            optional=True,
        ),
        r(
            "sagemaker:DescribeImage",
            image,
            "register the image",
            "Checks whether the image exists (and is CREATED) so a rerun updates instead of "
            "failing.",
        ),
        r(
            "sagemaker:DeleteImage",
            image,
            "register the image",
            "An image SageMaker left CREATE_FAILED takes no versions: it is deleted and made "
            "again.",
            optional=True,
        ),
        r(
            "sagemaker:CreateImage",
            image,
            "register the image",
            "The ECR image becomes a SageMaker image.",
        ),
        Requirement(
            "caller",
            "iam:PassRole",
            role_arn,
            "register the image",
            "CreateImage takes a RoleArn that SageMaker uses to read the image.",
            SOURCE,
            context={"iam:PassedToService": "sagemaker.amazonaws.com"},
        ),
        r(
            "sagemaker:CreateImageVersion",
            image,
            "register the image version",
            "Each build's image URI becomes a new version of the SageMaker image.",
        ),
        r(
            "sagemaker:DescribeImageVersion",
            version,
            "register the image version",
            "Waits until the new version is CREATED before attaching it.",
        ),
        r(
            "sagemaker:DescribeAppImageConfig",
            config,
            "configure the kernel",
            "Checks whether the app image config exists so a rerun does not fail.",
        ),
        r(
            "sagemaker:CreateAppImageConfig",
            config,
            "configure the kernel",
            "The app image config names the kernel and its file system settings.",
        ),
        r(
            "sagemaker:UpdateAppImageConfig",
            config,
            "configure the kernel",
            "A rerun brings an existing app image config to the file system Studio expects.",
        ),
        *(
            [
                r(
                    "sagemaker:DescribeUserProfile",
                    profile,
                    "attach the kernel to the user profile",
                    "Reads the profile's custom images so the update keeps the existing ones.",
                ),
                r(
                    "sagemaker:UpdateUserProfile",
                    profile,
                    "attach the kernel to the user profile",
                    "The image and config are added to the user profile's settings.",
                ),
            ]
            if profile_scope
            else [
                r(
                    "sagemaker:DescribeDomain",
                    domain,
                    "attach the kernel to the domain",
                    "Reads the domain's custom images so the update keeps the existing ones.",
                ),
                r(
                    "sagemaker:UpdateDomain",
                    domain,
                    "attach the kernel to the domain",
                    "The image and config are added to the domain's default user settings.",
                ),
            ]
        ),
    ]
