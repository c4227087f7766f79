"""ECR calls of a build: the repository it pushes to, and the image it pushed."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import botocore.exceptions

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
    try:
        answer = client(session, "ecr").describe_images(
            repositoryName=repository, imageIds=[{"imageTag": tag}]
        )
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) in ("ImageNotFoundException", "RepositoryNotFoundException"):
            return None
        raise translate(exc, f"reading image {repository}:{tag}") from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc, f"reading image {repository}:{tag}") from exc
    details = answer.get("imageDetails") or []
    if not details:
        return None
    pushed = details[0].get("imagePushedAt") or datetime.now(timezone.utc)
    return str(details[0]["imageDigest"]), pushed


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
