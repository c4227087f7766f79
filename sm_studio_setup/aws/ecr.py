"""ECR calls of a build: the repository it pushes to, the image it pushed, the image an earlier
build of the same inputs pushed, and a tag moved to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import botocore.exceptions

from ..errors import SetupError
from .session import client, error_code, translate


def ensure_repository(session: Any, name: str, *, kms_key_arn: str | None = None) -> bool:
    """The repository exists afterwards; True when it was created now. sm-docker called
    CreateRepository every time and read 'already exists' as success; asking first needs only
    DescribeRepositories, which the image-build profile grants anyway."""
    ecr = client(session, "ecr")
    try:
        ecr.describe_repositories(repositoryNames=[name])
        return False
    except botocore.exceptions.ClientError as exc:
        # Not found: create it. Denied: try creating anyway, as sm-docker does (DescribeRepositories
        # is optional in the profile); anything else is an error.
        if error_code(exc) not in (
            "RepositoryNotFoundException",
            "AccessDeniedException",
            "AccessDenied",
        ):
            raise translate(exc, f"looking up ECR repository {name}") from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc, f"looking up ECR repository {name}") from exc
    kwargs: dict[str, Any] = {"repositoryName": name}
    if kms_key_arn:
        kwargs["encryptionConfiguration"] = {"encryptionType": "KMS", "kmsKey": kms_key_arn}
    try:
        ecr.create_repository(**kwargs)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) == "RepositoryAlreadyExistsException":
            return False
        raise translate(exc, f"creating ECR repository {name}") from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc, f"creating ECR repository {name}") from exc
    return True


def image_digest(session: Any, repository: str, tag: str) -> str | None:
    """The digest ECR has for ``repository:tag``, or None when it has no such image."""
    found = image_pushed(session, repository, tag)
    return found[0] if found else None


def image_pushed(session: Any, repository: str, tag: str) -> tuple[str, datetime] | None:
    """The digest ECR has for ``repository:tag`` and when it was pushed, or None."""
    found = find_tag(session, repository, tag)
    if found is None:
        return None
    return found.digest, found.pushed_at or datetime.now(timezone.utc)


# What SageMaker's CreateImageVersion accepts: one image manifest. An index (buildx's default
# with a provenance attestation, or a multi-platform build) is refused with "Unsupported manifest
# media type" (docs/aws-behaviours.md).
INDEX_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)


def manifest_media_type(session: Any, repository: str, reference: str) -> str | None:
    """The manifest media type ECR has for ``repository`` at a tag or ``sha256:`` digest; None
    when ECR does not say or may not be asked (ecr:DescribeImages is optional for attach)."""
    key = "imageDigest" if reference.startswith("sha256:") else "imageTag"
    try:
        answer = client(session, "ecr").describe_images(
            repositoryName=repository, imageIds=[{key: reference}]
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return None
    details = answer.get("imageDetails") or []
    found = details[0].get("imageManifestMediaType") if details else None
    return str(found) if found else None


# --- an image found by tag, and a tag moved to it ---------------------------------------------

# What BatchGetImage may answer with for a retag: the manifest as it is, whatever its type.
_MANIFEST_MEDIA_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    *sorted(INDEX_MEDIA_TYPES),
)


@dataclass(frozen=True)
class TaggedImage:
    """An image ECR has, found by one of its tags."""

    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime | None


def find_tag(session: Any, repository: str, tag: str) -> TaggedImage | None:
    """The image ``repository:tag`` names, with all its tags; None when the repository or the
    tag does not exist. A denial is ``AwsAccessDenied`` (the caller decides what it means)."""
    try:
        answer = client(session, "ecr").describe_images(
            repositoryName=repository, imageIds=[{"imageTag": tag}]
        )
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) in ("ImageNotFoundException", "RepositoryNotFoundException"):
            return None
        raise translate(exc, f"looking up image {repository}:{tag}") from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc, f"looking up image {repository}:{tag}") from exc
    details = answer.get("imageDetails") or []
    if not details:
        return None
    found = details[0]
    pushed = found.get("imagePushedAt")
    return TaggedImage(
        str(found["imageDigest"]),
        tuple(str(t) for t in found.get("imageTags") or ()),
        pushed if isinstance(pushed, datetime) else None,
    )


def tag_mutability(session: Any, repository: str) -> str | None:
    """The repository's ``imageTagMutability`` (MUTABLE, IMMUTABLE, or one WITH_EXCLUSION);
    None when it does not exist yet (it is then created MUTABLE) or may not be described."""
    try:
        answer = client(session, "ecr").describe_repositories(repositoryNames=[repository])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return None
    found = answer.get("repositories") or []
    value = found[0].get("imageTagMutability") if found else None
    return str(value) if value else None


class TagImmutable(SetupError):
    """The repository's tags are immutable and the tag already names another image."""

    code = "ecr_tag_immutable"
    http_status = 409


def retag(session: Any, repository: str, digest: str, tag: str) -> None:
    """Make ``tag`` name the image ``digest`` already in ``repository``: its manifest put again
    under the tag (the ECR User Guide's "Retagging an image"), nothing pulled or pushed."""
    ecr = client(session, "ecr")
    doing = f"moving the tag {repository}:{tag} to {digest}"
    try:
        answer = ecr.batch_get_image(
            repositoryName=repository,
            imageIds=[{"imageDigest": digest}],
            acceptedMediaTypes=list(_MANIFEST_MEDIA_TYPES),
        )
        images = answer.get("images") or []
        if not images:
            raise SetupError(f"ECR has no image {repository}@{digest} any more, while {doing}.")
        image = images[0]
        request: dict[str, Any] = {
            "repositoryName": repository,
            "imageManifest": image["imageManifest"],
            "imageTag": tag,
            "imageDigest": digest,
        }
        if image.get("imageManifestMediaType"):
            request["imageManifestMediaType"] = image["imageManifestMediaType"]
        ecr.put_image(**request)
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        # ImageAlreadyExists means "this manifest has this tag already"; an immutable
        # repository answers ImageTagAlreadyExists (ECR User Guide) for a tag naming another
        # image, though some answer the former then too: where the tag points tells.
        if code == "ImageAlreadyExistsException":
            now = find_tag(session, repository, tag)
            if now is not None and now.digest == digest:
                return
        if code in ("ImageAlreadyExistsException", "ImageTagAlreadyExistsException"):
            raise TagImmutable(
                f"The tags of {repository} are immutable, and {tag} already names another "
                "image: it cannot be moved.",
                details={"code": code},
            ) from exc
        raise translate(exc, doing) from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc, doing) from exc
