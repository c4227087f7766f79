"""SageMaker's Studio lifecycle configurations: describe one, create one.

Attaching one is an UpdateDomain or UpdateUserProfile like attaching an image, so that goes
through ``studio_images.update_domain`` / ``update_profile``, which wait out an update under
way and then for InService, and say Update_Failed with SageMaker's reason.
"""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from .session import client, error_code, translating


def arn(partition: str, region: str, account: str, name: str) -> str:
    """The configuration's ARN (Service Authorization Reference: studio-lifecycle-config)."""
    return f"arn:{partition}:sagemaker:{region}:{account}:studio-lifecycle-config/{name}"


def describe(session: Any, name: str) -> dict[str, Any] | None:
    """DescribeStudioLifecycleConfig's answer, or None when there is none of that name."""
    doing = f"describing lifecycle configuration {name}"
    with translating(doing):
        try:
            found: dict[str, Any] = client(session, "sagemaker").describe_studio_lifecycle_config(
                StudioLifecycleConfigName=name
            )
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) in ("ResourceNotFound", "ResourceNotFoundException"):
                return None
            raise
    return found


def create(session: Any, name: str, app_type: str, content: str) -> str:
    """The new configuration's ARN; ``content`` is the script base64-encoded."""
    with translating(f"creating lifecycle configuration {name}"):
        made = client(session, "sagemaker").create_studio_lifecycle_config(
            StudioLifecycleConfigName=name,
            StudioLifecycleConfigAppType=app_type,
            StudioLifecycleConfigContent=content,
        )
    return str(made["StudioLifecycleConfigArn"])
