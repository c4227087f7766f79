"""Attach an image to Studio: the studio-kernel check first, then image, version, app image
config and the domain's (or the user profile's) custom images (``images/attach.py``).

Running it twice adds nothing but a new image version: the image and the config are reused,
and an image already among the custom images is left as it is.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import boto3

from ..aws import studio_images
from ..errors import Command, SetupError
from ..images.attach import AppType, app_image_config, with_custom_image
from ..images.studio_spec import dockerfile_findings
from ..requirements.studio_kernel import app_image_config_name
from .build import folder
from .check import assess, params_of
from .options import AttachOptions, CheckOptions, parse_image_uri


class AttachGaps(SetupError):
    """The role may not attach the image: nothing was created."""

    code = "attach_gaps"
    http_status = 409


@dataclass(frozen=True)
class AttachResult:
    image_uri: str
    image_name: str
    image_arn: str
    version: int
    app_image_config: str
    app_type: str
    scope: str
    target: str  # the domain id, or the domain's user profile
    image_created: bool
    config_created: bool
    settings_changed: bool
    findings: list[str] = field(default_factory=list)  # what Studio would refuse or fail on
    warnings: list[str] = field(default_factory=list)
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _dockerfile_text(options: AttachOptions) -> str:
    """The Dockerfile to read against Studio's specifications: a regular file inside the
    folder, read with a cap, or one sentence (checked before anything is made in AWS)."""
    assert options.context is not None
    root = folder.build_folder(options.context)
    return folder.read_dockerfile(root, options.dockerfile, shown_folder=options.context)


def attach(session: boto3.Session, options: AttachOptions) -> AttachResult:
    uri = parse_image_uri(options.image_uri)
    if options.context is not None:
        _dockerfile_text(options)  # a wrong path is refused before anything else is asked
    repository = uri["repository"] + (f":{uri['tag']}" if uri["tag"] else "")
    check = CheckOptions(
        profile="studio-kernel",
        role=options.role,
        repository=repository,
        image_name=options.image_name,
        scope=options.scope,
        refresh=True,
    )
    assessment = assess(session, check)
    found = assessment.discovery
    if uri["account"] != found.account or uri["region"] != found.region:
        raise SetupError(
            f"The image is in account {uri['account']}, {uri['region']}; Studio here is "
            f"account {found.account}, {found.region}.",
            "Attach an image of this account and region (copy it into this account's ECR).",
            field="image_uri",
        )
    report = assessment.report
    if report.verdict == "gaps":
        gaps = "; ".join(f"{g.action}" for g in report.gaps())
        flags = [("profile", "studio-kernel"), ("image_name", options.image_name)]
        if options.scope != "domain":
            flags.append(("scope", options.scope))
        raise AttachGaps(
            f"The role may not attach the image to Studio: {gaps}. Nothing was created.",
            "Close the gaps with {command} (or hand its change to an administrator).",
            details={"report": report.to_json()},
            command=Command("fix", tuple(flags), "POST fix/plan", dict(flags)),
        )
    warnings = []
    if report.verdict == "unknown":
        warnings.append("Some of what attaching needs could not be verified; going on.")
    if not found.domain_id or found.role_arn is None:
        raise SetupError("No Studio domain was found to attach the image to.", field="domain_id")
    params = params_of(found, check)
    app_type: AppType = options.app_type  # type: ignore[assignment]
    findings: list[str] = []
    if options.context is not None:
        findings = dockerfile_findings(_dockerfile_text(options), app_type)

    image_arn, image_created = studio_images.ensure_image(
        session, options.image_name, found.role_arn, options.display_name
    )
    version = studio_images.create_version(
        session, options.image_name, options.image_uri, token=str(uuid.uuid4())
    )
    config_name = app_image_config_name(params)
    config_created = studio_images.ensure_app_image_config(
        session, config_name, app_image_config(app_type, display=options.display_name or "")
    )
    if options.scope == "user-profile":
        if not found.user_profile:
            raise SetupError("No user profile was found to attach the image to.", field="scope")
        target = f"{found.domain_id}/{found.user_profile}"
        current = studio_images.profile_settings(session, found.domain_id, found.user_profile)
        update = with_custom_image(current, app_type, options.image_name, config_name)
        if update is not None:
            studio_images.update_profile(session, found.domain_id, found.user_profile, update)
    else:
        target = found.domain_id
        current = studio_images.domain_settings(session, found.domain_id)
        update = with_custom_image(current, app_type, options.image_name, config_name)
        if update is not None:
            studio_images.update_domain(session, found.domain_id, update)
    where = "user profile " + target if options.scope == "user-profile" else "domain " + target
    message = (
        f"Image {options.image_name} version {version} ({options.image_uri}) is a "
        f"{app_type} custom image of {where}"
        + ("." if update is not None else " (it already was; only the version is new).")
    )
    return AttachResult(
        image_uri=options.image_uri,
        image_name=options.image_name,
        image_arn=image_arn,
        version=version,
        app_image_config=config_name,
        app_type=app_type,
        scope=options.scope,
        target=target,
        image_created=image_created,
        config_created=config_created,
        settings_changed=update is not None,
        findings=findings,
        warnings=warnings,
        message=message,
    )
