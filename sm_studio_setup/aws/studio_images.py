"""SageMaker calls of attaching an image to Studio: image, version, app image config, and the
domain's or user profile's settings.

SageMaker's updates are asynchronous (botocore's model: ImageStatus CREATING → CREATED |
CREATE_FAILED, likewise image versions; DomainStatus and UserProfileStatus Updating → InService
| Update_Failed with a FailureReason, and UpdateDomain answers ResourceInUse meanwhile). So
nothing is taken as done when its call returns: images and versions are waited for with
botocore's waiters (ImageCreated, ImageVersionCreated, ImageDeleted), the domain and the user
profile by polling their status; a failure is said with SageMaker's reason. An image left
CREATE_FAILED takes no versions: it is deleted and created again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import botocore.exceptions

from ..errors import BadInput, SetupError
from .session import client, error_code, translate

# How long each asynchronous step may take ("It can take a few minutes" for a version).
WAIT_SECONDS = 600.0
# Between two reads of a status; SageMaker counts these steps in seconds.
POLL_SECONDS = 1
Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# The settings member of each app type in a domain's or user profile's settings.
SETTINGS_MEMBERS = {
    "JupyterLab": "JupyterLabAppSettings",
    "CodeEditor": "CodeEditorAppSettings",
    "KernelGateway": "KernelGatewayAppSettings",
}


def require_settings_member(session: Any, app_type: str, field: str = "app_type") -> None:
    """Refuse, before anything is read or written, an app type whose settings this botocore
    does not know. SageMaker Distribution 1.0 to 1.5 pin botocore 1.31, which predates
    JupyterLab and Code Editor spaces (1.33.5 knows them): it would drop the member from what
    DescribeDomain answers and refuse it in UpdateDomain, so a read-modify-write could neither
    keep what is there nor write the change."""
    import botocore

    member = SETTINGS_MEMBERS.get(app_type)
    model = client(session, "sagemaker").meta.service_model
    if member is None or member in model.shape_for("UserSettings").members:
        return
    raise BadInput(
        f"This environment's AWS SDK (botocore {botocore.__version__}) predates Studio's "
        f"{app_type} spaces, so it can neither read nor change their settings; nothing was "
        "changed.",
        "Run it from a virtualenv with a current boto3 (python -m venv ~/smss && ~/smss/bin/pip "
        "install sm-studio-setup), not by upgrading the image's own botocore, which its other "
        "packages pin.",
        field=field,
    )


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


def _wait(session: Any, waiter: str, doing: str, say: Say, **kwargs: Any) -> None:
    """botocore's waiter, polling every POLL_SECONDS for at most WAIT_SECONDS; its failure as
    SageMaker's FailureReason."""
    try:
        client(session, "sagemaker").get_waiter(waiter).wait(
            **kwargs,
            WaiterConfig={"Delay": POLL_SECONDS, "MaxAttempts": int(WAIT_SECONDS / POLL_SECONDS)},
        )
    except botocore.exceptions.WaiterError as exc:
        answer = exc.last_response or {}
        reason = answer.get("FailureReason") or answer.get("Error", {}).get("Message")
        status = answer.get("ImageVersionStatus") or answer.get("ImageStatus") or ""
        if "Max attempts exceeded" in str(exc):
            raise SetupError(
                f"SageMaker did not finish {doing} within {WAIT_SECONDS:.0f} s ({status}).",
                "It may still finish: look at the image in the SageMaker console, then attach "
                "again.",
            ) from exc
        reason = str(reason or status or exc).rstrip(".")
        raise SetupError(
            f"SageMaker failed {doing}: {reason}.",
            "Fix what SageMaker names (often: the role may not read the image from ECR, or "
            "the image is not one Studio can run), then attach again.",
        ) from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc, doing) from exc


def ensure_image(
    session: Any, name: str, role_arn: str, display_name: str | None, say: Say = _quiet
) -> tuple[str, bool]:
    """(image ARN, created now) once the image is CREATED; an existing image is reused, one
    left CREATE_FAILED is deleted and made again."""
    found = _missing(session, f"describing image {name}", "describe_image", ImageName=name)
    if found is not None:
        status = found.get("ImageStatus")
        if status == "CREATE_FAILED":
            say(
                f"Image {name} is CREATE_FAILED ({found.get('FailureReason') or 'no reason'}): "
                "deleting it to make it again."
            )
            _call(session, f"deleting image {name}", "delete_image", ImageName=name)
            status = "DELETING"
        if status == "DELETING":
            say(f"Waiting for SageMaker to delete image {name}.")
            _wait(session, "image_deleted", f"deleting image {name}", say, ImageName=name)
        else:
            if status != "CREATED":
                say(f"Waiting for image {name} ({status}).")
                _wait(session, "image_created", f"creating image {name}", say, ImageName=name)
            return str(found["ImageArn"]), False
    kwargs: dict[str, Any] = {"ImageName": name, "RoleArn": role_arn}
    if display_name:
        kwargs["DisplayName"] = display_name
    created = _call(session, f"creating image {name}", "create_image", **kwargs)
    say(f"Waiting for image {name} to be CREATED.")
    _wait(session, "image_created", f"creating image {name}", say, ImageName=name)
    return str(created["ImageArn"]), True


def create_version(session: Any, name: str, image_uri: str, token: str, say: Say = _quiet) -> int:
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
    say(f"Waiting for version {version} of image {name} to be CREATED.")
    _wait(
        session,
        "image_version_created",
        f"creating version {version} of image {name}",
        say,
        ImageName=name,
        Version=version,
    )
    return version


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


_BUSY = ("Updating", "Pending", "Deleting")


def _settled(
    session: Any,
    what: str,
    describe: Callable[[], dict[str, Any]],
    say: Say,
    *,
    before_update: bool = False,
) -> None:
    """Poll ``describe`` until the status is InService; Update_Failed (or Failed) is an error
    with SageMaker's FailureReason. ``before_update``: only wait out an update under way (a
    failed earlier one is what the new update may mend)."""
    deadline = time.monotonic() + WAIT_SECONDS
    said = ""
    while True:
        found = describe()
        status = str(found.get("Status") or "")
        if status == "InService" or (before_update and status not in _BUSY):
            return
        if status in ("Update_Failed", "Failed", "Delete_Failed"):
            reason = str(found.get("FailureReason") or status).rstrip(".")
            raise SetupError(
                f"SageMaker could not update {what}: {reason}.",
                "Fix what SageMaker names (often: the execution role may not describe the "
                "image version), then attach again.",
            )
        if time.monotonic() > deadline:
            raise SetupError(f"{what} was still {status} after {WAIT_SECONDS:.0f} s.")
        if status != said:
            say(f"Waiting for {what} ({status}).")
            said = status
        time.sleep(POLL_SECONDS)


def _update(
    session: Any,
    what: str,
    describe: Callable[[], dict[str, Any]],
    update: Callable[[], Any],
    say: Say,
) -> None:
    """An update of a domain or profile: after any update under way (SageMaker refuses a second
    one with ResourceInUse), then waited for until InService."""
    _settled(session, what, describe, say, before_update=True)
    for attempt in range(3):
        try:
            update()
            break
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) != "ResourceInUse" or attempt == 2:
                raise translate(exc, f"updating {what}") from exc
            say(f"{what} is being updated by someone else: waiting for it.")
            _settled(session, what, describe, say, before_update=True)
        except botocore.exceptions.BotoCoreError as exc:
            raise translate(exc, f"updating {what}") from exc
    _settled(session, what, describe, say)


def update_domain(
    session: Any, domain_id: str, settings: dict[str, Any], say: Say = _quiet
) -> None:
    sagemaker = client(session, "sagemaker")
    _update(
        session,
        f"domain {domain_id}",
        lambda: _call(
            session, f"describing domain {domain_id}", "describe_domain", DomainId=domain_id
        ),
        lambda: sagemaker.update_domain(DomainId=domain_id, DefaultUserSettings=settings),
        say,
    )


def update_profile(
    session: Any, domain_id: str, profile: str, settings: dict[str, Any], say: Say = _quiet
) -> None:
    sagemaker = client(session, "sagemaker")
    _update(
        session,
        f"user profile {profile}",
        lambda: _call(
            session,
            f"describing user profile {profile}",
            "describe_user_profile",
            DomainId=domain_id,
            UserProfileName=profile,
        ),
        lambda: sagemaker.update_user_profile(
            DomainId=domain_id, UserProfileName=profile, UserSettings=settings
        ),
        say,
    )
