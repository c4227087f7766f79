"""``POST /build``: the classic builder, as Studio's Docker proxy lets it run.

Before anything streams (answered with an HTTP status and ``{"message": ...}``): Studio's
refusals (``networkmode`` other than ``sagemaker``, ``version=2``), the query's checks, the
context (``context.py``), the Dockerfile (``dockerfile.py``). Then, streamed as the daemon
streams (HTTP 200, JSON messages): a ``Step i/n`` line per instruction spread over the
settings' ``build_seconds``, pulls for ``FROM`` (refused by the domain's network, or for lack of
ECR credentials in ``X-Registry-Config``), ``COPY``/``ADD`` sources checked against the context,
then ``{"aux": {"ID": ...}}``, ``Successfully built`` and ``Successfully tagged``. A failure
once streaming has begun is ``{"error": ..., "errorDetail": {...}}``. A client that goes away
stops the build, and no image is left.

Like the daemon, the stand-in does not apply ``.dockerignore`` to the context it is sent (the
client does, before sending), except that the Dockerfile and ``.dockerignore`` themselves are
removed when ``.dockerignore`` names them (moby builder/remotecontext/detect.go,
``removeDockerfile``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sm_studio_setup.images.dockerignore import DockerignoreError, Matcher

from ..common import ECR_HOST
from ..image_config import canonical_config, image_id
from ..references import DOCKER_HUB, is_valid, normalize, registry_of, split_tag
from .auth import AuthConfig, RegistryDenied, build_auths, ecr_grant
from .context import Context, read_context
from .dockerfile import Plan, Step, missing_source, plan
from .settings import Network
from .store import Image
from .wire import ClientGone, Exchange, HttpError

if TYPE_CHECKING:
    from .engine import DockerEngine

MAX_BODY_BYTES = 512 * 1024**2
# http.server refuses a request line above 64 KiB (414) before any of this is read.
MAX_JSON_PARAM = 32 * 1024
# docs/aws-behaviours.md ("Studio's Docker"): Studio's proxy accepts only the sagemaker network.
REFUSED_NETWORK = "[ImageBuild] 'sagemaker' is the only user allowed network input"
# Unconfirmed wording: Studio refuses privileged mode, which BuildKit's container driver needs.
REFUSED_BUILDKIT = (
    "[ImageBuild] BuildKit (version=2) is not allowed: it needs privileged mode, which Studio "
    "refuses; build with the classic builder (version=1, DOCKER_BUILDKIT=0)"
)
_DOCKER_HUB_HOST = "registry-1.docker.io"
INJECTED_BY = 'POST /_sm_emulator/docker {"fail": "build"}'


@dataclass(frozen=True)
class Options:
    tags: tuple[str, ...]
    dockerfile: str
    build_args: dict[str, str]
    labels: dict[str, str]
    target: str
    platform: str
    quiet: bool
    pull: bool
    nocache: bool


class _Failed(Exception):
    """The build fails in the stream (HTTP 200 already sent)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _one(query: Mapping[str, list[str]], name: str, default: str = "") -> str:
    values = query.get(name)
    return values[-1] if values else default


def _flag(query: Mapping[str, list[str]], name: str) -> bool:
    # moby's httputils.BoolValue: anything but "", "0", "no", "false", "none" is true.
    return _one(query, name).strip().lower() not in ("", "0", "no", "false", "none")


def _json_map(query: Mapping[str, list[str]], name: str) -> dict[str, str]:
    text = _one(query, name)
    if not text:
        return {}
    if len(text) > MAX_JSON_PARAM:
        raise HttpError(400, f"{name} is longer than {MAX_JSON_PARAM // 1024} KiB")
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = None
    if not isinstance(loaded, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in loaded.items()
    ):
        raise HttpError(400, f"{name} must be a JSON object of strings")
    return {k: v for k, v in loaded.items() if v is not None}


def refusal(query: Mapping[str, list[str]]) -> HttpError | None:
    """What Studio's proxy refuses before the daemon sees the request."""
    if _one(query, "networkmode") != "sagemaker":
        return HttpError(403, REFUSED_NETWORK)
    version = _one(query, "version")
    if version == "2":
        return HttpError(403, REFUSED_BUILDKIT)
    if version not in ("", "1"):
        return HttpError(400, f'invalid version "{version}"')
    return None


def options(query: Mapping[str, list[str]]) -> Options:
    tags = tuple(query.get("t", []))
    for tag in tags:
        if not is_valid(tag):
            raise HttpError(400, f'invalid reference format: "{tag}"')
    dockerfile = _one(query, "dockerfile", "Dockerfile") or "Dockerfile"
    return Options(
        tags=tuple(normalize(t) for t in tags),
        dockerfile=posixpath.normpath(dockerfile.lstrip("/")),
        build_args=_json_map(query, "buildargs"),
        labels=_json_map(query, "labels"),
        target=_one(query, "target"),
        platform=_one(query, "platform"),
        quiet=_flag(query, "q"),
        pull=_flag(query, "pull"),
        nocache=_flag(query, "nocache"),
    )


def _dockerfile_name(context: Context, wanted: str) -> str:
    if wanted in context.kept:
        return wanted
    # moby: a missing "Dockerfile" falls back to "dockerfile".
    if wanted == "Dockerfile" and "dockerfile" in context.kept:
        return "dockerfile"
    raise HttpError(500, f"Cannot locate specified Dockerfile: {wanted}")


def _remove_ignored(context: Context, dockerfile: str) -> None:
    text = context.kept.get(".dockerignore")
    if text is None:
        return
    try:
        matcher = Matcher.from_text(text.decode("utf-8", "replace"))
    except DockerignoreError as exc:
        raise HttpError(500, str(exc)) from None
    for name in (".dockerignore", dockerfile):
        if matcher.excluded(name)[0]:
            context.remove(name)


def run(engine: DockerEngine, exchange: Exchange, query: Mapping[str, list[str]]) -> None:
    refused = refusal(query)
    if refused is not None:
        exchange.discard_body(MAX_BODY_BYTES)
        raise refused
    chosen = options(query)
    auths = build_auths(exchange.headers.get("X-Registry-Config"))
    with exchange.read_body(MAX_BODY_BYTES) as body:
        wanted = {chosen.dockerfile, "dockerfile", ".dockerignore"}
        context = read_context(body, wanted)
    dockerfile = _dockerfile_name(context, chosen.dockerfile)
    text = context.kept[dockerfile].decode("utf-8", "replace")
    steps = plan(text, chosen.build_args, chosen.target)
    _remove_ignored(context, dockerfile)
    labels = {**steps.labels, **chosen.labels}
    config = canonical_config(
        context.files.items(),
        text,
        chosen.build_args,
        {"labels": labels, "target": chosen.target, "platform": chosen.platform},
    )
    image = Image(
        id=image_id(config),
        config=config,
        labels=labels,
        architecture=chosen.platform.rpartition("/")[2] or "amd64",
    )
    exchange.start_stream()
    try:
        _stream(engine, exchange, chosen, steps, context, auths, image)
    except ClientGone:
        engine.count_build("cancelled")
        return
    except _Failed as failed:
        detail: dict[str, Any] = {"message": failed.message}
        if failed.code is not None:
            detail["code"] = failed.code
        engine.count_build("failed")
        _send(exchange, {"errorDetail": detail, "error": failed.message})
        exchange.end_stream()
        return
    engine.count_build("completed")
    exchange.end_stream()


def _send(exchange: Exchange, message: Mapping[str, Any]) -> None:
    with contextlib.suppress(ClientGone):
        exchange.send(message)


def _stream(
    engine: DockerEngine,
    exchange: Exchange,
    chosen: Options,
    steps: Plan,
    context: Context,
    auths: Mapping[str, AuthConfig],
    image: Image,
) -> None:
    settings = engine.settings
    network = engine.network()
    cached = not chosen.nocache and engine.store.has(image.id)
    total = len(steps.steps)
    pause = 0.0 if cached else settings.build_seconds / total
    failing = settings.fail == "build"
    runs = [i for i, step in enumerate(steps.steps) if step.keyword == "RUN"]
    fail_at = runs[0] if runs else total - 1

    def say(text: str) -> None:
        if not chosen.quiet:
            exchange.send({"stream": text})

    for index, step in enumerate(steps.steps):
        say(f"Step {index + 1}/{total} : {step.text}\n")
        for pulled in step.pulls:
            _pull(engine, exchange, pulled, network, auths, force=chosen.pull, quiet=chosen.quiet)
        missing = missing_source(step, context)
        if missing is not None:
            raise _Failed(
                f"{step.keyword} failed: file not found in build context or excluded by "
                f".dockerignore: stat {missing}: file does not exist"
            )
        layer = _layer_id(image.id, index)
        container = _layer_id(image.id, -index - 1)
        if failing and index == fail_at:
            say(f" ---> Running in {container}\n")
            exchange.pause(pause)
            _fail_injected(exchange, step, chosen.quiet)
        elif cached and step.keyword != "FROM":
            say(" ---> Using cache\n")
        elif step.keyword == "RUN":
            say(f" ---> Running in {container}\n")
            exchange.pause(pause)
            say(f"Removing intermediate container {container}\n")
        else:
            exchange.pause(pause)
        say(f" ---> {layer}\n")
    engine.store.add(image, list(chosen.tags))
    exchange.send({"aux": {"ID": image.id}})
    if chosen.quiet:
        exchange.send({"stream": f"{image.id}\n"})
        return
    exchange.send({"stream": f"Successfully built {image.short}\n"})
    for tag in chosen.tags:
        exchange.send({"stream": f"Successfully tagged {tag}\n"})


def _fail_injected(exchange: Exchange, step: Step, quiet: bool) -> None:
    if not quiet:
        exchange.send({"stream": f"failure injected by the emulator ({INJECTED_BY})\n"})
    if step.keyword == "RUN":
        raise _Failed(
            f"The command '/bin/sh -c {step.arguments}' returned a non-zero code: 1", code=1
        )
    raise _Failed(f"failure injected by the emulator at {step.keyword}")


def _layer_id(image: str, index: int) -> str:
    return hashlib.sha256(f"{image}/{index}".encode()).hexdigest()[:12]


# --- pulls ----------------------------------------------------------------------------------


def pull_problem(image: str, network: Network, auths: Mapping[str, AuthConfig]) -> str | None:
    """Why ``image`` cannot be pulled, in the daemon's words; None when it can.

    In a VpcOnly domain only ECR registries of the domain's own account and of
    ``VpcOnlyTrustedAccounts`` are reachable (what Studio answers otherwise is unconfirmed:
    the stand-in answers as a daemon without a route does, naming the registry). A private
    ECR registry needs an ``X-Registry-Config`` entry with a token the emulator issued."""
    host = registry_of(image)
    ecr = ECR_HOST.match(host)
    repository, tag = split_tag(image)
    if network.vpc_only:
        if ecr is None:
            shown = _DOCKER_HUB_HOST if host == DOCKER_HUB else host
            return (
                f'Get "https://{shown}/v2/": net/http: request canceled while waiting for '
                "connection (Client.Timeout exceeded while awaiting headers) (the domain is "
                "VpcOnly: no route to a public registry)"
            )
        account = ecr["account"]
        if account != network.own_account and account not in network.trusted_accounts:
            return (
                f"pull access denied for {repository}: registry {host} is not reachable from "
                f"this VpcOnly domain: account {account} is neither the domain's own nor in "
                "DockerSettings.VpcOnlyTrustedAccounts"
            )
    if ecr is not None:
        try:
            ecr_grant(auths.get(host), ecr["region"])
        except RegistryDenied as denied:
            path = repository.partition("/")[2]
            return f'Head "https://{host}/v2/{path}/manifests/{tag}": {denied.message}'
    return None


def _pull(
    engine: DockerEngine,
    exchange: Exchange,
    image: str,
    network: Network,
    auths: Mapping[str, AuthConfig],
    *,
    force: bool,
    quiet: bool,
) -> None:
    problem = pull_problem(image, network, auths)
    if problem is not None:
        raise _Failed(problem)
    if engine.store.pulled(image) and not force:
        return
    reference = normalize(image)
    repository, tag = split_tag(image)
    host = registry_of(image)
    if host == DOCKER_HUB:
        path = repository.removeprefix("docker.io/")
        path = path if "/" in path else f"library/{path}"
    else:
        path = repository.partition("/")[2]
    digest = hashlib.sha256(reference.encode()).hexdigest()
    layer = digest[:12]
    if not quiet:
        for message in (
            {"status": f"Pulling from {path}", "id": tag},
            {"status": "Pulling fs layer", "progressDetail": {}, "id": layer},
            {"status": "Pull complete", "progressDetail": {}, "id": layer},
            {"status": f"Digest: sha256:{digest}"},
            {"status": f"Status: Downloaded newer image for {image}"},
        ):
            exchange.send(message)
    base_config = json.dumps({"pulled": reference}, sort_keys=True)
    engine.store.add(Image(id=image_id(base_config), config=base_config), [reference])
    engine.store.mark_pulled(image)
