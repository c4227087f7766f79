"""Pushing an emulated image to the emulator's ECR, shared by both docker stand-ins.

What ``docker push`` does against ECR, through the ECR API with the caller's credentials, so
IAM enforcement judges the pushing principal as it would a real push: the layer and the config
blob through BatchCheckLayerAvailability and the layer-upload calls (a blob ECR already has is
not sent again), then PutImage with a Docker schema 2 manifest. ``attested`` (buildx with a
provenance attestation) pushes what buildx does then: the image manifest untagged, and an OCI
image index over it and an attestation manifest under the tag (SageMaker refuses such an image).
Registry errors are worded as docker prints them (``denied: ...``, ``name unknown: ...``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"

# (short layer id, "Pushed" | "Layer already exists")
LayerReport = Callable[[str, str], None]


class RegistryError(Exception):
    """A push the registry refused, with docker's wording."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Pushed:
    digest: str  # what the tag names now
    size: int  # of the manifest (or index) the tag names


def blob(text: str) -> tuple[bytes, str]:
    data = text.encode()
    return data, "sha256:" + hashlib.sha256(data).hexdigest()


def layer_of(image_id: str) -> tuple[bytes, str]:
    """The one layer an emulated image has: its bytes and digest follow from the image id."""
    return blob(f"sm-studio-setup emulator layer of {image_id}\n")


def push_to_ecr(
    ecr: Any,
    *,
    account: str,
    repository: str,
    tag: str,
    config: str,
    image_id: str,
    on_layer: LayerReport,
    attested: bool = False,
) -> Pushed:
    config_blob, config_digest = blob(config)
    layer_blob, layer_digest = layer_of(image_id)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {
                "mediaType": CONFIG_MEDIA_TYPE,
                "size": len(config_blob),
                "digest": config_digest,
            },
            "layers": [
                {"mediaType": LAYER_MEDIA_TYPE, "size": len(layer_blob), "digest": layer_digest}
            ],
        },
        indent=3,
    )
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    short_layer = layer_digest.removeprefix("sha256:")[:12]
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        where = {"registryId": account, "repositoryName": repository}
        found = ecr.batch_check_layer_availability(
            **where, layerDigests=[layer_digest, config_digest]
        )
        available = {
            layer["layerDigest"]
            for layer in found.get("layers", [])
            if layer.get("layerAvailability") == "AVAILABLE"
        }
        for data, data_digest in ((layer_blob, layer_digest), (config_blob, config_digest)):
            if data_digest in available:
                if data_digest == layer_digest:
                    on_layer(short_layer, "Layer already exists")
                continue
            upload = ecr.initiate_layer_upload(**where)["uploadId"]
            ecr.upload_layer_part(
                **where,
                uploadId=upload,
                partFirstByte=0,
                partLastByte=len(data) - 1,
                layerPartBlob=data,
            )
            ecr.complete_layer_upload(**where, uploadId=upload, layerDigests=[data_digest])
            if data_digest == layer_digest:
                on_layer(short_layer, "Pushed")
        try:
            if attested:
                manifest, digest = _push_index(ecr, where, manifest, digest, tag)
            else:
                pushed = ecr.put_image(
                    **where,
                    imageTag=tag,
                    imageManifest=manifest,
                    imageManifestMediaType=MANIFEST_MEDIA_TYPE,
                    imageDigest=digest,
                )
                digest = pushed["image"]["imageId"]["imageDigest"]
        except ecr.exceptions.ImageAlreadyExistsException:
            pass  # the same manifest under the same tag: docker reports it pushed
    except (ClientError, BotoCoreError) as exc:
        raise RegistryError(registry_message(exc)) from None
    return Pushed(digest=digest, size=len(manifest.encode()))


def _push_index(
    ecr: Any, where: dict[str, str], manifest: str, digest: str, image_tag: str
) -> tuple[str, str]:
    """The image manifest untagged (by its digest), then the index naming it and an
    attestation manifest, tagged: the (index, its digest) that the tag now names."""
    ecr.put_image(
        **where,
        imageTag=f"sha256-{digest.removeprefix('sha256:')}",
        imageManifest=manifest,
        imageManifestMediaType=MANIFEST_MEDIA_TYPE,
        imageDigest=digest,
    )
    attestation = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST_MEDIA_TYPE})
    attestation_digest = "sha256:" + hashlib.sha256(attestation.encode()).hexdigest()
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": INDEX_MEDIA_TYPE,
            "manifests": [
                {
                    "mediaType": MANIFEST_MEDIA_TYPE,
                    "digest": digest,
                    "size": len(manifest.encode()),
                    "platform": {"architecture": "amd64", "os": "linux"},
                },
                {
                    "mediaType": OCI_MANIFEST_MEDIA_TYPE,
                    "digest": attestation_digest,
                    "size": len(attestation.encode()),
                    "annotations": {
                        "vnd.docker.reference.digest": digest,
                        "vnd.docker.reference.type": "attestation-manifest",
                    },
                    "platform": {"architecture": "unknown", "os": "unknown"},
                },
            ],
        },
        indent=3,
    )
    index_digest = "sha256:" + hashlib.sha256(index.encode()).hexdigest()
    pushed = ecr.put_image(
        **where,
        imageTag=image_tag,
        imageManifest=index,
        imageManifestMediaType=INDEX_MEDIA_TYPE,
        imageDigest=index_digest,
    )
    return index, str(pushed["image"]["imageId"]["imageDigest"])


def registry_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return f"error pushing to the emulator's ECR: {exc}"
    error = response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
        return f"denied: {message}"
    if code == "RepositoryNotFoundException":
        return f"name unknown: {message}"
    return f"error from registry: {code}: {message}"
