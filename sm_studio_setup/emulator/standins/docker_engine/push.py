"""``POST /images/{name}/push``: a local image to the emulator's ECR, as the principal whose
ECR authorization token ``X-Registry-Auth`` carries, so IAM decides the push.

Streamed as the daemon streams it: ``The push refers to repository [...]``, ``Preparing`` and
``Pushed`` (or ``Layer already exists``) per layer, ``<tag>: digest: sha256:... size: N`` and
``{"aux": {"Tag", "Digest", "Size"}}`` per tag; a refusal as ``{"error": ...}`` in docker's
words (``no basic auth credentials``, ``denied: ...``, ``name unknown: ...``). Without a tag in
the name or the query, every local tag of the repository is pushed (Engine API 1.41). The
token is never echoed: messages name the registry, never what was sent to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..common import ECR_HOST
from ..references import is_valid, registry_of, split_tag
from ..registry import RegistryError, layer_of, push_to_ecr
from .auth import RegistryDenied, ecr_grant, push_auth
from .store import Image
from .wire import ClientGone, Exchange, HttpError

if TYPE_CHECKING:
    from .engine import DockerEngine

INJECTED = (
    "received unexpected HTTP status: 500 Internal Server Error (failure injected by the "
    'emulator: POST /_sm_emulator/docker {"fail": "push"})'
)


def _targets(engine: DockerEngine, name: str, tag: str) -> tuple[str, list[tuple[str, Image]]]:
    """The repository and the (tag, image) pairs a push of ``name`` (``tag``) sends."""
    last = name.rsplit("/", 1)[-1]
    if ":" in last and not tag:
        repository, tag = split_tag(name)
    else:
        repository = name
    if not is_valid(repository) or (tag and not is_valid(f"{repository}:{tag}")):
        raise HttpError(400, f"invalid reference format: {name}")
    if tag:
        image = engine.store.find(f"{repository}:{tag}")
        return repository, [(tag, image)] if image is not None else []
    return repository, engine.store.references(repository)


def run(
    engine: DockerEngine, exchange: Exchange, name: str, query: Mapping[str, list[str]]
) -> None:
    tag = (query.get("tag") or [""])[-1]
    repository, targets = _targets(engine, name, tag)
    exchange.discard_body(1024 * 1024)
    exchange.start_stream()
    try:
        exchange.send({"status": f"The push refers to repository [{repository}]"})
        try:
            _push(engine, exchange, repository, targets)
        except (RegistryDenied, RegistryError) as refused:
            exchange.send({"errorDetail": {"message": refused.message}, "error": refused.message})
        exchange.end_stream()
    except ClientGone:
        return


def _push(
    engine: DockerEngine, exchange: Exchange, repository: str, targets: list[tuple[str, Image]]
) -> None:
    if not targets:
        raise RegistryError(f"An image does not exist locally with the tag: {repository}")
    host, _, path = repository.partition("/")
    registry = ECR_HOST.match(registry_of(repository))
    if registry is None:
        raise RegistryError(
            "denied: requested access to the resource is denied (the emulator's Docker pushes "
            f"only to the emulator's ECR, <account>.dkr.ecr.<region>.amazonaws.com/<repository>, "
            f"not {host})"
        )
    grant = ecr_grant(push_auth(exchange.headers.get("X-Registry-Auth")), registry["region"])
    if engine.settings.fail == "push":
        raise RegistryError(INJECTED)
    ecr = engine.ecr_client(grant, registry["region"])

    def report(layer: str, status: str) -> None:
        exchange.send({"status": status, "progressDetail": {}, "id": layer})

    for tag, image in targets:
        layer = layer_of(image.id)[1].removeprefix("sha256:")[:12]
        exchange.send({"status": "Preparing", "progressDetail": {}, "id": layer})
        pushed = push_to_ecr(
            ecr,
            account=registry["account"],
            repository=path,
            tag=tag,
            config=image.config,
            image_id=image.id,
            on_layer=report,
        )
        engine.store.record_push(image.id, repository, pushed.digest)
        exchange.send({"status": f"{tag}: digest: {pushed.digest} size: {pushed.size}"})
        exchange.send(
            {
                "progressDetail": {},
                "aux": {"Tag": tag, "Digest": pushed.digest, "Size": pushed.size},
            }
        )
