"""The ``docker`` stand-in: what a build does with docker, recorded instead of done.

Every call first prints ``[docker] <JSON array of its arguments>`` on stdout (the build log).
Then, with state kept in the build's stand-in folder (``state.py``):

- ``login [-u USER] [-p PASS | --password-stdin] [REGISTRY]`` records the login (a password is
  required; stdin loses one trailing newline, as docker's does) and prints ``Login Succeeded``.
- ``build`` / ``buildx build`` lists the context after ``.dockerignore`` with moby's matcher
  (``[docker] context-file <JSON path>`` per regular file or symlink, sorted), says each
  ``--secret id=ID,env=VAR`` by its length only (``[docker] secret <JSON id> (N bytes)``), prints
  ``[docker] pull <JSON image>`` per image the Dockerfile pulls (an ECR registry needs a prior
  login), ``[docker] cache-import <JSON ref> hit|miss`` and ``[docker] cache-export <JSON
  ref>`` for registry caches, and tags an image whose id is the SHA-256 of a canonical JSON of
  the context (paths with the SHA-256 of their bytes, or of the link target: links are never
  followed), the Dockerfile text and the build arguments. That JSON is also the image's config
  blob, so the id is the config digest a registry would compute. ``--push`` pushes every tag.
- ``tag SRC DST`` copies a local tag; ``push REF`` registers a locally built image in the
  emulator's ECR through the ECR API (the blobs through the layer-upload calls, then
  PutImage with a Docker schema 2 manifest), with the build's credentials, so the service
  role's IAM permissions decide as they would for a real push. Registry errors are printed as
  docker prints them (``denied: ...``, ``name unknown: ...``) with exit status 1.
- ``buildx create|use|inspect|version|ls``, ``version``, ``info``, ``images``, ``pull`` and
  ``logout`` print something plausible. Anything else fails: a buildspec that needs more than
  this should not appear to work.

Flag errors exit 125, as the docker CLI's do.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import ECR_HOST, StandinError, client, log_call, say, warn
from .image_config import canonical_config
from .image_config import image_id as image_id_of
from .references import DOCKER_HUB, is_valid, normalize, registry_host, registry_of
from .registry import RegistryError, push_to_ecr
from .state import known_cache_refs, locked_state, state_dir

DOCKER_VERSION = "24.0.7"
BUILDX_VERSION = "v0.11.2"


@dataclass
class Options:
    values: dict[str, list[str]] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    positionals: list[str] = field(default_factory=list)

    def last(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[-1] if found else None


def parse_options(
    args: list[str],
    command: str,
    *,
    values: Mapping[str, str] | None = None,
    flags: Mapping[str, str] | None = None,
    optional: Mapping[str, str] | None = None,
) -> Options:
    """pflag's rules, which the docker CLI uses: flags anywhere, ``--name=value`` or ``--name
    value``, ``-tVALUE``, combined short booleans, ``--`` ends the flags. ``optional`` flags
    take a value only after ``=`` (pflag's NoOptDefVal, e.g. buildx's ``--provenance``)."""
    values = values or {}
    flags = flags or {}
    optional = optional or {}
    parsed = Options()
    index = 0

    def take(name: str) -> str:
        nonlocal index
        index += 1
        if index >= len(args):
            raise StandinError(
                f"flag needs an argument: {name}\nSee 'docker {command} --help'.", 125
            )
        return args[index]

    while index < len(args):
        arg = args[index]
        if arg == "--":
            parsed.positionals.extend(args[index + 1 :])
            break
        if arg.startswith("--"):
            name, eq, inline = arg.partition("=")
            if name in values:
                parsed.values.setdefault(values[name], []).append(inline if eq else take(name))
            elif name in flags:
                parsed.flags[flags[name]] = _boolean(inline, name, command) if eq else True
            elif name in optional:
                parsed.values.setdefault(optional[name], []).append(inline if eq else "true")
            else:
                raise StandinError(f"unknown flag: {name}\nSee 'docker {command} --help'.", 125)
        elif arg.startswith("-") and arg != "-":
            position = 1
            while position < len(arg):
                short = "-" + arg[position]
                if short in values:
                    rest = arg[position + 1 :].removeprefix("=")
                    parsed.values.setdefault(values[short], []).append(rest or take(short))
                    break
                if short in flags:
                    parsed.flags[flags[short]] = True
                    position += 1
                    continue
                raise StandinError(
                    f"unknown shorthand flag: {arg[position]!r} in {arg}\n"
                    f"See 'docker {command} --help'.",
                    125,
                )
        else:
            parsed.positionals.append(arg)
        index += 1
    return parsed


def _boolean(text: str, name: str, command: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1", "t"):
        return True
    if lowered in ("false", "0", "f"):
        return False
    raise StandinError(
        f'invalid argument "{text}" for "{name}" flag: strconv.ParseBool: parsing "{text}": '
        f"invalid syntax\nSee 'docker {command} --help'.",
        125,
    )


# --- references -----------------------------------------------------------------------------


def check_reference(reference: str) -> str:
    if not is_valid(reference):
        raise StandinError(f'ERROR: invalid tag "{reference}": invalid reference format', 1)
    return normalize(reference)


def _resolve_local(state: Mapping[str, Any], reference: str) -> str | None:
    tags: Mapping[str, str] = state["tags"]
    if reference in tags or normalize(reference) in tags:
        return tags.get(reference) or tags[normalize(reference)]
    wanted = reference.removeprefix("sha256:")
    if len(wanted) >= 12 and re.fullmatch(r"[0-9a-f]+", wanted):
        matches = [i for i in state["images"] if i.removeprefix("sha256:").startswith(wanted)]
        if len(matches) == 1:
            return str(matches[0])
    return None


# --- commands -------------------------------------------------------------------------------


def main(args: list[str]) -> int:
    log_call("docker", args, sys.stdout)
    rest = _global_options(args)
    if rest is None:
        return 0
    if not rest:
        say("Usage:  docker [OPTIONS] COMMAND")
        return 0
    command, tail = rest[0], rest[1:]
    handler = _COMMANDS.get(command)
    if handler is None:
        raise StandinError(
            f"docker: '{command}' is not supported by the emulator's docker stand-in (it "
            "emulates login, logout, build, buildx, tag, push, pull, images, version, info)",
            1,
        )
    return handler(tail)


_GLOBAL_FLAG_PREFIXES = ("-D", "--debug", "--tls")


def _global_options(args: list[str]) -> list[str] | None:
    index = 0
    with_value = {"--config", "-c", "--context", "-H", "--host", "-l", "--log-level"}
    while index < len(args) and args[index].startswith("-"):
        arg = args[index]
        if arg in ("-v", "--version"):
            say(f"Docker version {DOCKER_VERSION}, build emulator")
            return None
        name = arg.partition("=")[0]
        if name in with_value and "=" not in arg:
            index += 1
        elif name not in with_value and not name.startswith(_GLOBAL_FLAG_PREFIXES):
            raise StandinError(f"unknown flag: {name}\nSee 'docker --help'.", 125)
        index += 1
    return args[index:]


def login(args: list[str]) -> int:
    options = parse_options(
        args,
        "login",
        values={
            "-u": "username",
            "--username": "username",
            "-p": "password",
            "--password": "password",
        },
        flags={"--password-stdin": "password-stdin"},
    )
    if len(options.positionals) > 1:
        raise StandinError('"docker login" requires at most 1 argument.', 1)
    server = options.positionals[0] if options.positionals else "https://index.docker.io/v1/"
    user = options.last("username")
    password = options.last("password")
    if options.flags.get("password-stdin"):
        if password:
            raise StandinError("--password and --password-stdin are mutually exclusive", 1)
        if not user:
            raise StandinError("Must provide --username with --password-stdin", 1)
        password = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    elif password:
        warn("WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
    if not user or not password:
        raise StandinError("Error: Cannot perform an interactive login from a non TTY device", 1)
    host = registry_host(server)
    with locked_state() as state:
        state["logins"][host] = user
    say("Login Succeeded")
    return 0


def logout(args: list[str]) -> int:
    options = parse_options(args, "logout")
    host = registry_host(options.positionals[0] if options.positionals else DOCKER_HUB)
    with locked_state() as state:
        state["logins"].pop(host, None)
    say(f"Removing login credentials for {host}")
    return 0


_BUILD_VALUES = {
    "-t": "tag",
    "--tag": "tag",
    "-f": "file",
    "--file": "file",
    "--build-arg": "build-arg",
    "--platform": "platform",
    "--cache-from": "cache-from",
    "--cache-to": "cache-to",
    "--progress": "progress",
    "--target": "target",
    "--label": "label",
    "--network": "network",
    "-o": "output",
    "--output": "output",
    "--iidfile": "iidfile",
    "--metadata-file": "metadata-file",
    "--builder": "builder",
    "--secret": "secret",
    "--ssh": "ssh",
    "--add-host": "add-host",
    "--shm-size": "shm-size",
    "--ulimit": "ulimit",
    "--annotation": "annotation",
    "--build-context": "build-context",
    "--attest": "attest",
    "--allow": "allow",
    "--no-cache-filter": "no-cache-filter",
}
_BUILD_FLAGS = {
    "--push": "push",
    "--load": "load",
    "--pull": "pull",
    "--no-cache": "no-cache",
    "-q": "quiet",
    "--quiet": "quiet",
    "--rm": "rm",
    "--force-rm": "force-rm",
    "--compress": "compress",
    "--squash": "squash",
}
_BUILD_OPTIONAL = {"--provenance": "provenance", "--sbom": "sbom"}


def _cache_ref(spec: str) -> str | None:
    """The registry ref of a ``--cache-from``/``--cache-to`` value (``type=registry,ref=R``
    or a bare ``R``); None for other cache types (inline, local, gha, s3)."""
    if "=" not in spec:
        return spec
    fields: dict[str, str] = {}
    for part in spec.split(","):
        key, _, value = part.partition("=")
        fields[key.strip()] = value.strip()
    if fields.get("type", "registry") != "registry":
        return None
    return fields.get("ref") or None


def context_files(context: Path, dockerfile: Path) -> list[str]:
    """The files the build context holds after ``.dockerignore``, as Docker decides (moby's
    pattern matcher and walk, ``images/dockerignore.py``)."""
    from sm_studio_setup.images.dockerignore import DockerignoreError, Matcher
    from sm_studio_setup.service.build.context import walk

    relative = os.path.relpath(os.path.abspath(dockerfile), os.path.abspath(context))
    # A Dockerfile outside the context is not part of it; name something no file is called.
    keep = relative if not relative.startswith("..") else ".dockerfile.outside-context"
    try:
        text = (context / ".dockerignore").read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        text = ""
    try:
        matcher = Matcher.from_text(text, always_keep=(keep, ".dockerignore"))
    except DockerignoreError as exc:
        raise StandinError(f"ERROR: failed to solve: error from sender: {exc}", 1) from None
    from sm_studio_setup.errors import SetupError

    try:
        entries = list(walk(context.resolve(), matcher))
    except SetupError as exc:
        raise StandinError(f"ERROR: failed to solve: error from sender: {exc.message}", 1) from None
    return sorted(e.path for e in entries if not e.excluded and e.kind in ("file", "link"))


def _digest_of(context: Path, path: str) -> str:
    full = context / path
    if stat.S_ISLNK(os.lstat(full).st_mode):
        return hashlib.sha256(os.fsencode(os.readlink(full))).hexdigest()
    digest = hashlib.sha256()
    fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _build_args(options: Options) -> dict[str, str]:
    args: dict[str, str] = {}
    for spec in options.values.get("build-arg", []):
        name, eq, value = spec.partition("=")
        if eq:
            args[name] = value
        elif name in os.environ:  # docker takes a bare --build-arg NAME from the environment
            args[name] = os.environ[name]
    return args


def _secrets(options: Options, command: str) -> dict[str, int]:
    """``--secret id=ID,env=VAR``: the secret's length by id (its value never leaves here: a
    real build mounts it for a RUN only). The classic builder has no secrets."""
    found: dict[str, int] = {}
    specs = options.values.get("secret", [])
    if specs and command == "build" and os.environ.get("DOCKER_BUILDKIT") == "0":
        raise StandinError('ERROR: "--secret" requires BuildKit (DOCKER_BUILDKIT=0 is set)', 1)
    for spec in specs:
        fields = dict(part.partition("=")[::2] for part in spec.split(","))
        ident = fields.get("id", "")
        variable = fields.get("env") or (ident if "src" not in fields else "")
        if not ident or not variable:
            raise StandinError(
                f"ERROR: the emulator's docker stand-in takes --secret id=ID,env=VAR, not {spec!r}",
                1,
            )
        if variable not in os.environ:
            raise StandinError(f"ERROR: secret {ident}: environment variable {variable} not set", 1)
        found[ident] = len(os.environ[variable].encode())
        say(f"[docker] secret {json.dumps(ident)} ({found[ident]} bytes)")
    return found


def build(args: list[str], command: str = "buildx build") -> int:
    options = parse_options(
        args, command, values=_BUILD_VALUES, flags=_BUILD_FLAGS, optional=_BUILD_OPTIONAL
    )
    if len(options.positionals) != 1:
        raise StandinError(f'ERROR: "docker {command}" requires exactly 1 argument.', 1)
    context_arg = options.positionals[0]
    if context_arg == "-" or "://" in context_arg or context_arg.startswith("git@"):
        raise StandinError(
            f"ERROR: the emulator's docker stand-in builds only a local context folder, not "
            f"{context_arg!r}",
            1,
        )
    tags = [check_reference(tag) for tag in options.values.get("tag", [])]
    outputs = options.values.get("output", [])
    pushing = options.flags.get("push") or any(
        "type=registry" in o or "push=true" in o for o in outputs
    )
    if pushing and not tags:
        raise StandinError("ERROR: failed to build: tag is needed when pushing to registry", 1)
    context = Path(context_arg)
    if not context.is_dir():
        raise StandinError(f'ERROR: unable to prepare context: path "{context_arg}" not found', 1)
    given = options.last("file")
    dockerfile = Path(given) if given else context / "Dockerfile"
    try:
        dockerfile_text = dockerfile.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise StandinError(
            "ERROR: failed to solve: failed to read dockerfile: open "
            f"{given or dockerfile.name}: no such file or directory",
            1,
        ) from None
    build_args = _build_args(options)
    _secrets(options, command)

    files = context_files(context, dockerfile)
    for path in files:
        say(f"[docker] context-file {json.dumps(path)}")

    from sm_studio_setup.requirements.params import parse_dockerfile_from

    try:
        pulls = parse_dockerfile_from(dockerfile_text, build_args)
    except ValueError as exc:
        raise StandinError(f"ERROR: failed to solve: dockerfile parse error: {exc}", 1) from None
    folder = state_dir()
    with locked_state(folder) as state:
        logins = dict(state["logins"])
        exported_here = set(state["cache_exports"])
    for image in pulls:
        say(f"[docker] pull {json.dumps(image)}")
        host = registry_of(image)
        if ECR_HOST.match(host) and host not in logins:
            raise StandinError(
                f"ERROR: failed to solve: {image}: failed to resolve source metadata for "
                f"{image}: pull access denied, repository does not exist or may require "
                "authorization: no basic auth credentials",
                1,
            )
    known = known_cache_refs(folder) | exported_here
    for spec in options.values.get("cache-from", []):
        ref = _cache_ref(spec)
        if ref is not None:
            say(f"[docker] cache-import {json.dumps(ref)} {'hit' if ref in known else 'miss'}")

    config = canonical_config(
        [(path, _digest_of(context, path)) for path in files], dockerfile_text, build_args
    )
    image_id = image_id_of(config)
    exports = [r for r in map(_cache_ref, options.values.get("cache-to", [])) if r is not None]
    with locked_state(folder) as state:
        state["images"][image_id] = config
        for tag in tags:
            state["tags"][tag] = image_id
        for ref in exports:
            if ref not in state["cache_exports"]:
                state["cache_exports"].append(ref)
    for ref in exports:
        say(f"[docker] cache-export {json.dumps(ref)}")
    say(f"Successfully built {image_id.removeprefix('sha256:')[:12]}")
    for tag in tags:
        say(f"Successfully tagged {tag}")
    iidfile = options.last("iidfile")
    if iidfile:
        Path(iidfile).write_text(image_id, encoding="utf-8")
    if pushing:
        # Only buildx's own --push pushes an index; `docker push` of a built image does not.
        attested = command == "buildx build" and _attested(options)
        for tag in tags:
            push_image(tag, attested=attested)
    return 0


def buildx(args: list[str]) -> int:
    if not args:
        say("Usage:  docker buildx [OPTIONS] COMMAND")
        return 0
    sub, rest = args[0], args[1:]
    if sub == "build":
        return build(rest)
    if sub == "create":
        name = next((rest[i + 1] for i, a in enumerate(rest[:-1]) if a == "--name"), None)
        say(name or "emulator-builder")
    elif sub == "use":
        pass
    elif sub == "inspect":
        say("Name:          default\nDriver:        docker\n\nNodes:\nName:      default")
        say("Endpoint:  default\nStatus:    running\nPlatforms: linux/amd64, linux/arm64")
    elif sub == "version":
        say(f"github.com/docker/buildx {BUILDX_VERSION} emulator")
    elif sub == "ls":
        say("NAME/NODE    DRIVER/ENDPOINT  STATUS   BUILDKIT  PLATFORMS")
        say("default *    docker")
        say("  default    default          running  v0.11.7  linux/amd64, linux/arm64")
    else:
        raise StandinError(
            f"docker: 'buildx {sub}' is not supported by the emulator's docker stand-in", 1
        )
    return 0


def tag(args: list[str]) -> int:
    options = parse_options(args, "tag")
    if len(options.positionals) != 2:
        raise StandinError('"docker tag" requires exactly 2 arguments.', 1)
    source, target = options.positionals
    target = check_reference(target)
    with locked_state() as state:
        image_id = _resolve_local(state, source)
        if image_id is None:
            raise StandinError(f"Error response from daemon: No such image: {source}", 1)
        state["tags"][target] = image_id
    return 0


def push(args: list[str]) -> int:
    options = parse_options(args, "push", flags={"-q": "quiet", "--quiet": "quiet"})
    if len(options.positionals) != 1:
        raise StandinError('"docker push" requires exactly 1 argument.', 1)
    push_image(options.positionals[0])
    return 0


def _attested(options: Options) -> bool:
    """Whether buildx adds a provenance attestation: by default since buildx 0.10 (the
    stand-in is v0.11), unless --provenance=false (docker/buildx #1507)."""
    value = (options.last("provenance") or "true").strip().lower()
    return value not in ("false", "0", "mode=none")


def push_image(reference: str, *, attested: bool = False) -> None:
    """``docker push`` of a local image to the emulator's ECR. ``attested`` (buildx with a
    provenance attestation) pushes what buildx does then: an OCI image index over the image
    and an attestation manifest, the tag on the index (SageMaker refuses such an image)."""
    ref = normalize(reference)
    name, _, image_tag = ref.rpartition(":")
    host, _, repository = name.partition("/")
    registry = ECR_HOST.match(host)
    if registry is None or not repository:
        raise StandinError(
            f"denied: requested access to the resource is denied (the emulator's docker "
            f"stand-in pushes only to the emulator's ECR, <account>.dkr.ecr.<region>."
            f"amazonaws.com/<repository>, not {reference})",
            1,
        )
    with locked_state() as state:
        image_id = _resolve_local(state, ref)
        config = state["images"].get(image_id) if image_id else None
        logged_in = host in state["logins"]
    if image_id is None or config is None:
        raise StandinError(f"An image does not exist locally with the tag: {name}", 1)
    say(f"The push refers to repository [{name}]")
    if not logged_in:
        raise StandinError("no basic auth credentials", 1)
    try:
        pushed = push_to_ecr(
            client("ecr", registry["region"]),
            account=registry["account"],
            repository=repository,
            tag=image_tag,
            config=config,
            image_id=image_id,
            on_layer=lambda layer, status: say(f"{layer}: {status}"),
            attested=attested,
        )
    except RegistryError as exc:
        raise StandinError(exc.message, 1) from None
    say(f"{image_tag}: digest: {pushed.digest} size: {pushed.size}")


def pull(args: list[str]) -> int:
    options = parse_options(
        args,
        "pull",
        values={"--platform": "platform"},
        flags={"-q": "quiet", "--quiet": "quiet", "-a": "all", "--all-tags": "all"},
    )
    if len(options.positionals) != 1:
        raise StandinError('"docker pull" requires exactly 1 argument.', 1)
    image = options.positionals[0]
    say(f"[docker] pull {json.dumps(image)}")
    host = registry_of(image)
    with locked_state() as state:
        if ECR_HOST.match(host) and host not in state["logins"]:
            raise StandinError(
                f'Error response from daemon: Head "https://{host}/v2/": no basic auth credentials',
                1,
            )
        config = json.dumps({"pulled": normalize(image)}, sort_keys=True)
        image_id = "sha256:" + hashlib.sha256(config.encode()).hexdigest()
        state["images"][image_id] = config
        state["tags"][normalize(image)] = image_id
    say(f"Status: Downloaded newer image for {normalize(image)}")
    return 0


def images(args: list[str]) -> int:
    options = parse_options(
        args,
        "images",
        values={"--format": "format", "-f": "filter", "--filter": "filter"},
        flags={"-q": "quiet", "--quiet": "quiet", "-a": "all", "--all": "all"},
    )
    with locked_state() as state:
        tags = dict(state["tags"])
    if options.flags.get("quiet"):
        for image_id in dict.fromkeys(tags.values()):
            say(image_id.removeprefix("sha256:")[:12])
        return 0
    say(f"{'REPOSITORY':<40} {'TAG':<20} {'IMAGE ID':<14} {'CREATED':<16} SIZE")
    for ref, image_id in sorted(tags.items()):
        repository, _, image_tag = ref.rpartition(":")
        short = image_id.removeprefix("sha256:")[:12]
        say(f"{repository:<40} {image_tag:<20} {short:<14} {'Less than a second':<16} 0B")
    return 0


def version(args: list[str]) -> int:
    options = parse_options(args, "version", values={"-f": "format", "--format": "format"})
    if options.positionals:
        raise StandinError('"docker version" accepts no arguments.', 1)
    if options.last("format"):
        say(DOCKER_VERSION)
        return 0
    say(f"Client:\n Version:           {DOCKER_VERSION}\n API version:       1.43")
    say(" OS/Arch:           linux/amd64\n Context:           default\n")
    say("Server: sm-studio-setup emulator (stand-in, no daemon)")
    say(f" Engine:\n  Version:   {DOCKER_VERSION}")
    return 0


def info(args: list[str]) -> int:
    say("Client:\n Context:    default\n Debug Mode: false\n\nServer:")
    say(
        f" Server Version: {DOCKER_VERSION}\n Storage Driver: emulator\n Operating System: emulator"
    )
    return 0


_COMMANDS = {
    "login": login,
    "logout": logout,
    "build": lambda args: build(args, "build"),
    "buildx": buildx,
    "tag": tag,
    "push": push,
    "pull": pull,
    "images": images,
    "version": version,
    "info": info,
}
