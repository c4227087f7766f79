"""ECR's answers where moto's differ: what ECR refuses after authorizing a call.

- PutImage into a repository that does not exist is ``RepositoryNotFoundException``, and a
  manifest that is not JSON is ``InvalidParameterException`` (moto raises a bare exception,
  which its server turns into a 500).
- GetDownloadUrlForLayer (moto: not implemented) answers a layer the repository does not have
  with ``LayersNotFoundException``, and one it has with a URL.
- CreateRepository with a KMS key that does not exist or is disabled is ``KmsException`` and
  makes no repository (the ECR User Guide, "Encryption at rest": the repository's key gets a
  grant when it is created; the exception is botocore's ``ecr`` model's, its wording is the
  emulator's own).

Kept apart from ``ecr.py`` (GetAuthorizationToken bound to its caller): these only change
which error a request meets, and in which order. Enforcement has authorized every call before
any of this runs, as AWS authorizes before it looks at what a request names.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ecr.exceptions import InvalidParameterException, RepositoryNotFoundException
from moto.ecr.models import ECRBackend
from moto.ecr.responses import ECRResponse

from .kms_keys import usable

_PATCHED = "_sm_studio_setup_refusals"


class KmsException(ServiceException):
    code = "KmsException"


class LayersNotFoundException(ServiceException):
    code = "LayersNotFoundException"
    message = (
        "The specified layers could not be found, or the specified layer is not valid for "
        "this repository."
    )


def install() -> None:
    """Idempotent: each moto method is wrapped once."""
    if not getattr(ECRBackend.put_image, _PATCHED, False):
        ECRBackend.put_image = _refusing_put_image(ECRBackend.put_image)  # type: ignore[method-assign]
    if not getattr(ECRBackend.create_repository, _PATCHED, False):
        ECRBackend.create_repository = _refusing_missing_key(ECRBackend.create_repository)  # type: ignore[method-assign]
    ECRResponse.get_download_url_for_layer = _get_download_url_for_layer  # type: ignore[method-assign,assignment]


def _refusing_put_image(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def put_image(self: ECRBackend, repository_name: str, image_manifest: str, *args: Any) -> Any:
        if repository_name not in self.repositories:
            raise RepositoryNotFoundException(repository_name, self.account_id)
        try:
            json.loads(image_manifest)
        except (TypeError, ValueError):
            raise InvalidParameterException(
                "Invalid parameter at 'ImageManifest' failed to satisfy constraint: "
                "'Invalid JSON syntax'"
            ) from None
        return original(self, repository_name, image_manifest, *args)

    setattr(put_image, _PATCHED, True)
    return put_image


def _refusing_missing_key(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_repository(
        self: ECRBackend,
        repository_name: str,
        registry_id: str | None,
        encryption_config: dict[str, str] | None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        config = encryption_config or {}
        key = config.get("kmsKey") if config.get("encryptionType") == "KMS" else None
        # An existing repository is refused as such first (RepositoryAlreadyExistsException).
        missing = repository_name not in self.repositories
        if key and missing and not usable(key, self.account_id, self.region_name):
            raise KmsException(
                f"KMS key {key} cannot be used to encrypt the repository: it does not "
                "exist or is not enabled (NotFoundException)"
            )
        return original(self, repository_name, registry_id, encryption_config, *args, **kwargs)

    setattr(create_repository, _PATCHED, True)
    return create_repository


def _get_download_url_for_layer(self: ECRResponse) -> ActionResult:
    name = self._get_param("repositoryName")
    digest = self._get_param("layerDigest")
    repository = self.ecr_backend._get_repository(name, self._get_param("registryId"))
    if digest not in repository.layers:
        raise LayersNotFoundException()
    host = f"prod-{self.region}-starport-layer-bucket.s3.{self.region}.amazonaws.com"
    return ActionResult(
        {
            "downloadUrl": f"https://{host}/{repository.registry_id}/{name}/{digest}",
            "layerDigest": digest,
        }
    )
