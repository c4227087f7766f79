"""SageMaker calls of attaching an image to Studio: image, version, app image config, and the
domain's or user profile's settings."""

from __future__ import annotations

import time
from typing import Any

import botocore.exceptions

from ..errors import SetupError
from .session import client, error_code, translate

# How long CreateImageVersion may take to become CREATED ("It can take a few minutes").
VERSION_WAIT_SECONDS = 600.0


def _call(session: Any, doing: str, operation: str, **kwargs: Any) -> dict[str, Any]:
    try:
        answer: dict[str, Any] = getattr(client(session, "sagemaker"), operation)(**kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise translate(exc, doing) from exc
    return answer


def _missing(session: Any, doing: str, operation: str, **kwargs: Any) -> dict[str, Any] | None:
    """The Describe* answer, or None when the resource does not exist."""
    try:
        answer: dict[str, Any] = getattr(client(session, "sagemaker"), operation)(**kwargs)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) in ("ResourceNotFound", "ResourceNotFoundException"):
            return None
        raise translate(exc, doing) from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc, doing) from exc
    return answer


def ensure_image(
    session: Any, name: str, role_arn: str, display_name: str | None
) -> tuple[str, bool]:
    """(image ARN, created now); an existing image is reused as it is."""
    found = _missing(session, f"describing image {name}", "describe_image", ImageName=name)
    if found is not None:
        return str(found["ImageArn"]), False
    kwargs: dict[str, Any] = {"ImageName": name, "RoleArn": role_arn}
    if display_name:
        kwargs["DisplayName"] = display_name
    created = _call(session, f"creating image {name}", "create_image", **kwargs)
    return str(created["ImageArn"]), True


def create_version(session: Any, name: str, image_uri: str, token: str) -> int:
    """A new version of the image for ``image_uri``, waited for until CREATED."""
    created = _call(
        session,
        f"creating a version of image {name}",
        "create_image_version",
        ImageName=name,
        BaseImage=image_uri,
        ClientToken=token,
    )
    arn = str(created["ImageVersionArn"])
    version = int(arn.rsplit("/", 1)[-1])
    deadline = time.monotonic() + VERSION_WAIT_SECONDS
    delay = 0.5
    while True:
        described = _call(
            session,
            f"describing version {version} of image {name}",
            "describe_image_version",
            ImageName=name,
            Version=version,
        )
        status = described.get("ImageVersionStatus")
        if status == "CREATED":
            return version
        if status in ("CREATE_FAILED", "DELETING", "DELETE_FAILED"):
            reason = described.get("FailureReason") or status
            raise SetupError(f"Version {version} of image {name} failed: {reason}.")
        if time.monotonic() > deadline:
            raise SetupError(f"Version {version} of image {name} was not CREATED in time.")
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def ensure_app_image_config(session: Any, name: str, config: dict[str, Any]) -> bool:
    """The config exists with ``config``; True when it was created now (else updated)."""
    found = _missing(
        session,
        f"describing app image config {name}",
        "describe_app_image_config",
        AppImageConfigName=name,
    )
    if found is None:
        _call(
            session,
            f"creating app image config {name}",
            "create_app_image_config",
            AppImageConfigName=name,
            **config,
        )
        return True
    _call(
        session,
        f"updating app image config {name}",
        "update_app_image_config",
        AppImageConfigName=name,
        **config,
    )
    return False


def domain_settings(session: Any, domain_id: str) -> dict[str, Any]:
    found = _call(session, f"describing domain {domain_id}", "describe_domain", DomainId=domain_id)
    settings: dict[str, Any] = found.get("DefaultUserSettings") or {}
    return settings


def profile_settings(session: Any, domain_id: str, profile: str) -> dict[str, Any]:
    found = _call(
        session,
        f"describing user profile {profile}",
        "describe_user_profile",
        DomainId=domain_id,
        UserProfileName=profile,
    )
    settings: dict[str, Any] = found.get("UserSettings") or {}
    return settings


def update_domain(session: Any, domain_id: str, settings: dict[str, Any]) -> None:
    _call(
        session,
        f"updating domain {domain_id}",
        "update_domain",
        DomainId=domain_id,
        DefaultUserSettings=settings,
    )


def update_profile(session: Any, domain_id: str, profile: str, settings: dict[str, Any]) -> None:
    _call(
        session,
        f"updating user profile {profile}",
        "update_user_profile",
        DomainId=domain_id,
        UserProfileName=profile,
        UserSettings=settings,
    )
