"""Attach an image to Studio: the studio-kernel check first, then image, version, app image
config and the domain's (or the user profile's) custom images (``images/attach.py``).

Running it twice adds nothing but a new image version: the image and the config are reused,
and an image already among the custom images is left as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import boto3

from ..aws import ecr, propagation, studio_images
from ..errors import BadInput, Command, SetupError
from ..images.attach import AppType, app_image_config, with_custom_image
from ..images.studio_spec import dockerfile_findings
from ..requirements.studio_kernel import app_image_config_name
from .backups import changed_within
from .build import folder
from .check import assess, params_of
from .options import AttachOptions, CheckOptions, parse_image_uri

T = TypeVar("T")


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
    progress: list[str] = field(default_factory=list)  # what it waited for, in order
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# Studio's app instance types are all x86_64 (botocore's SageMaker model, AppInstanceType).
STUDIO_PLATFORMS = ("linux/amd64",)


def recorded_platform(image_uri: str) -> str | None:
    """The platform a build of this machine recorded for ``image_uri`` (None when none did)."""
    from .build.records import Records

    try:
        records = Records().all()
    except (SetupError, OSError):
        return None
    for record in records:
        if record.image_uri == image_uri or (
            record.digest and image_uri.endswith("@" + record.digest)
        ):
            platform = record.options.get("platform")
            return str(platform) if platform else None
    return None


def _dockerfile_text(options: AttachOptions) -> str:
    """The Dockerfile to read against Studio's specifications: a regular file inside the
    folder, read with a cap, or one sentence (checked before anything is made in AWS)."""
    assert options.context is not None
    root = folder.build_folder(options.context)
    return folder.read_dockerfile(root, options.dockerfile, shown_folder=options.context)


def attach(
    session: boto3.Session, options: AttachOptions, say: Callable[[str], None] | None = None
) -> AttachResult:
    """``say`` hears what attaching waits for (SageMaker's asynchronous states)."""
    uri = parse_image_uri(options.image_uri)
    progress: list[str] = []

    def tell(text: str) -> None:
        progress.append(text)
        if say is not None:
            say(text)

    studio_images.require_settings_member(session, options.app_type)
    if options.context is not None:
        _dockerfile_text(options)  # a wrong path is refused before anything else is asked
    warnings = []
    platform = options.platform or recorded_platform(options.image_uri)
    if platform is not None and platform not in STUDIO_PLATFORMS:
        raise BadInput(
            f"The image was built for {platform}; Studio's app instance types are all x86_64 "
            "(linux/amd64), so an app of this image would not start.",
            "Build it again with the platform linux/amd64, then attach that image.",
            field="image_uri",
        )
    if platform is None:
        warnings.append(
            "This image's platform is not known here (it was not built on this machine): "
            "Studio runs only linux/amd64 images."
        )
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
    if report.verdict == "unknown":
        warnings.append("Some of what attaching needs could not be verified; going on.")
    if not found.domain_id or found.role_arn is None:
        raise SetupError("No Studio domain was found to attach the image to.", field="domain_id")
    params = params_of(found, check)
    app_type: AppType = options.app_type  # type: ignore[assignment]
    findings: list[str] = []
    if options.context is not None:
        findings = dockerfile_findings(_dockerfile_text(options), app_type)

    reference = uri["digest"] or uri["tag"] or "latest"
    media_type = ecr.manifest_media_type(session, uri["repository"], reference)
    if media_type in ecr.INDEX_MEDIA_TYPES:
        raise BadInput(
            f"{options.image_uri} is an image index ({media_type}), which SageMaker refuses "
            '("Unsupported manifest media type"): buildx pushes one with a provenance '
            "attestation or for several platforms.",
            "Build it again with this tool (it pushes one manifest), or with docker buildx "
            "--provenance=false --platform linux/amd64.",
            field="image_uri",
        )
    # Right after a fix, SageMaker may still judge with the role's old documents.
    recent = changed_within(found.role_arn, propagation.window_seconds())

    def propagated(call: Callable[[], T]) -> T:
        return propagation.retrying(call, recent_change=recent, say=tell)

    role_arn = found.role_arn
    image_arn, image_created = propagated(
        lambda: studio_images.ensure_image(
            session, options.image_name, role_arn, options.display_name, tell
        )
    )
    token = str(uuid.uuid4())  # one token: a retried CreateImageVersion makes one version
    version = propagated(
        lambda: studio_images.create_version(
            session, options.image_name, options.image_uri, token=token, say=tell
        )
    )
    config_name = app_image_config_name(params)
    config_created = propagated(
        lambda: studio_images.ensure_app_image_config(
            session, config_name, app_image_config(app_type, display=options.display_name or "")
        )
    )
    if options.scope == "user-profile":
        if not found.user_profile:
            raise SetupError("No user profile was found to attach the image to.", field="scope")
        target = f"{found.domain_id}/{found.user_profile}"
        domain_id, profile = found.domain_id, found.user_profile
        current = studio_images.profile_settings(session, domain_id, profile)
        update = with_custom_image(current, app_type, options.image_name, config_name)
        if update is not None:
            changed = update
            propagated(
                lambda: studio_images.update_profile(session, domain_id, profile, changed, tell)
            )
    else:
        target = found.domain_id
        domain_id = found.domain_id
        current = studio_images.domain_settings(session, domain_id)
        update = with_custom_image(current, app_type, options.image_name, config_name)
        if update is not None:
            changed = update
            propagated(lambda: studio_images.update_domain(session, domain_id, changed, tell))
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
        progress=progress,
        message=message,
    )
