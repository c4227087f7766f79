"""What a build on Studio's own Docker is: the Engine API's build request, and what it cannot do.

Studio's Docker accepts only the ``sagemaker`` network and no privileged container, so
BuildKit's container driver cannot run there: the build uses the classic builder
(``version=1``), which has no build secrets, no registry cache export and no other platform
than the space's own (x86_64). An option only CodeBuild honours is a ``Need``: with
``--engine local`` it is refused, and ``--engine auto`` chooses CodeBuild for it.

Options that simply do not apply to a build in the space (the bucket, the CodeBuild project's
tags) are not needs; the timeout is honoured as a deadline, the KMS key for the repository it
creates. Pure: no I/O (the environment is passed in).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .docker_options import DockerArgsError, DockerOption, parse_build_args

# CodeBuild's default machine: a compute type other than this one was asked for.
DEFAULT_COMPUTE_TYPE = "BUILD_GENERAL1_SMALL"
# The only network Studio's Docker lets a build use (docs/aws-behaviours.md, "Studio's Docker").
NETWORK = "sagemaker"
PLATFORM = "linux/amd64"

# docker buildx's own options: the classic builder has none of them.
_BUILDKIT_ONLY = frozenset(
    {"annotation", "attest", "sbom", "provenance", "no-cache-filter", "resource"}
)
# Options only the docker CLI reads (or the builder already does by itself): nothing to send.
_CLIENT_ONLY = frozenset({"compress", "stream", "disable-content-trust", "progress", "debug"})
_STRINGS = {
    "target": "target",
    "cpuset-cpus": "cpusetcpus",
    "cpuset-mems": "cpusetmems",
    "cgroup-parent": "cgroupparent",
    "isolation": "isolation",
}
_INTEGERS = {"cpu-shares": "cpushares", "cpu-period": "cpuperiod", "cpu-quota": "cpuquota"}
_SIZES = {"memory": "memory", "memory-swap": "memswap", "shm-size": "shmsize"}
_BOOLEANS = {"no-cache": "nocache", "pull": "pull", "quiet": "q", "squash": "squash"}
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
# docker/go-units RAMInBytes: a number, an optional binary unit, an optional "b".
_SIZE = re.compile(r"(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?")
_ULIMIT = re.compile(r"([a-z]+)=(-?\d+)(?::(-?\d+))?")


@dataclass(frozen=True)
class Need:
    """An option only CodeBuild honours: the input's name and why (one clause, no surface's
    own spelling, so a reason and an error can both say it)."""

    field: str
    why: str


# What of a Dockerfile only BuildKit builds (Docker's Dockerfile reference: the syntax parser
# directive, RUN --mount/--network/--security, here-documents, COPY/ADD --link, --chmod in
# Docker 20.10, ADD --checksum); Studio's Docker runs the classic builder, which refuses them.
_BUILDKIT_ONLY_LINES = (
    (re.compile(r"^\s*#\s*syntax\s*=", re.I), "a syntax directive (# syntax=)"),
    (re.compile(r"^\s*RUN\s+(?:--\S+\s+)*--(?:mount|network|security)\b", re.I), "RUN --mount"),
    # A here-document's marker ends the line or a word (<<EOF, <<-"EOF" >file), not quoted.
    (
        re.compile(
            r"^\s*(?:RUN|COPY|ADD)\b.*(?<![\"'\w])<<-?[\"']?[A-Za-z_]\w*[\"']?(?:\s|$)", re.I
        ),
        "a here-document",
    ),
    (
        re.compile(r"^\s*(?:COPY|ADD)\s+(?:--\S+\s+)*--(?:link|chmod|checksum)\b", re.I),
        "COPY/ADD --link, --chmod or --checksum",
    ),
)


def dockerfile_needs(text: str) -> tuple[Need, ...]:
    """What of the Dockerfile ``text`` only CodeBuild (BuildKit) can build, at most one Need
    naming the first such feature."""
    for line in text.splitlines():
        for pattern, what in _BUILDKIT_ONLY_LINES:
            if pattern.search(line):
                return (
                    Need(
                        "engine",
                        f"the Dockerfile uses {what}, which only BuildKit builds (CodeBuild); "
                        "Studio's Docker runs the classic builder",
                    ),
                )
    return ()


def codebuild_needs(options: Any) -> tuple[Need, ...]:
    """What in ``options`` (a CheckOptions or BuildOptions) only CodeBuild can do."""
    needs: list[Need] = []
    if getattr(options, "secrets", ()):
        needs.append(
            Need(
                "secrets",
                "a build secret needs BuildKit, and Studio's Docker runs the classic builder "
                "(BuildKit's container driver needs privileges Studio does not give)",
            )
        )
    if getattr(options, "cache", False):
        needs.append(
            Need(
                "cache",
                "the layer cache in ECR is BuildKit's (buildx), which Studio's Docker cannot run",
            )
        )
    if getattr(options, "platform", PLATFORM) != PLATFORM:
        needs.append(
            Need(
                "platform",
                f"a {options.platform} image needs CodeBuild: the space is x86_64, and the "
                "classic builder builds for its own platform only",
            )
        )
    if getattr(options, "vpc_id", None):
        needs.append(
            Need(
                "vpc_id",
                "a VPC for the build is CodeBuild's setting; Studio's Docker builds in the "
                "space's own network",
            )
        )
    if getattr(options, "compute_type", DEFAULT_COMPUTE_TYPE) != DEFAULT_COMPUTE_TYPE:
        needs.append(
            Need("compute_type", f"the compute type {options.compute_type} is CodeBuild's machine")
        )
    try:
        parsed, _ = parse_build_args(tuple(getattr(options, "docker_args", ())))
    except DockerArgsError:
        parsed = []  # the options' own check says what is wrong with them
    for option in parsed:
        if option.name in _BUILDKIT_ONLY:
            needs.append(
                Need(
                    "docker_args",
                    f"docker option --{option.name} is BuildKit's (buildx), which Studio's "
                    "Docker cannot run",
                )
            )
            break
    return tuple(needs)


def _true(option: DockerOption) -> bool:
    return option.value is None or option.value in _TRUE


def _size(option: DockerOption) -> int:
    value = (option.value or "").strip()
    if option.name == "memory-swap" and value == "-1":
        return -1
    found = _SIZE.fullmatch(value)
    if found is None:
        raise ValueError(f"{option.word!r} is not a size such as 512m or 2g")
    unit = (found.group(2) or "").lower()
    return int(float(found.group(1)) * 1024 ** (" kmgtp".index(unit) if unit else 0))


def _ulimit(option: DockerOption) -> dict[str, Any]:
    found = _ULIMIT.fullmatch(option.value or "")
    if found is None:
        raise ValueError(f"{option.word!r} is not a ulimit such as nofile=1024:2048")
    soft = int(found.group(2))
    hard = int(found.group(3)) if found.group(3) is not None else soft
    return {"Name": found.group(1), "Soft": soft, "Hard": hard}


def build_query(
    *,
    image: str,
    dockerfile: str,
    build_args: Sequence[tuple[str, str]],
    docker_args: Sequence[str],
    environ: Mapping[str, str],
) -> list[tuple[str, str]]:
    """``POST /build``'s query: the classic builder on the ``sagemaker`` network, for
    linux/amd64, intermediate containers removed whatever happens, tagged ``image``; the
    build arguments and the docker options after ``--`` as the docker CLI would send them.
    ``ValueError`` (one sentence) for a value docker would refuse."""
    query: list[tuple[str, str]] = [
        ("t", image),
        ("dockerfile", dockerfile),
        ("networkmode", NETWORK),
        ("version", "1"),
        ("platform", PLATFORM),
    ]
    args: dict[str, str | None] = dict(build_args)
    labels: dict[str, str] = {}
    ulimits: list[dict[str, Any]] = []
    flags = {"rm": "1", "forcerm": "1"}
    try:
        parsed, _ = parse_build_args(tuple(docker_args))
    except DockerArgsError as exc:
        raise ValueError(str(exc)) from None
    for option in parsed:
        name, value = option.name, option.value or ""
        if name in _CLIENT_ONLY:
            continue
        if name in _BUILDKIT_ONLY:
            raise ValueError(
                f"docker option --{name} is BuildKit's, which Studio's Docker cannot run"
            )
        if name == "build-arg":
            key, equals, given = value.partition("=")
            # As the docker CLI: KEY alone takes the value of the environment, or none.
            args[key] = given if equals else environ.get(key)
        elif name == "label":
            key, _, given = value.partition("=")
            labels[key] = given
        elif name == "add-host":
            query.append(("extrahosts", value))
        elif name == "ulimit":
            ulimits.append(_ulimit(option))
        elif name in ("rm", "force-rm"):
            flags["rm" if name == "rm" else "forcerm"] = "1" if _true(option) else "0"
        elif name in _BOOLEANS:
            if _true(option):
                query.append((_BOOLEANS[name], "1"))
        elif name in _STRINGS:
            query.append((_STRINGS[name], value))
        elif name in _INTEGERS:
            try:
                query.append((_INTEGERS[name], str(int(value))))
            except ValueError:
                raise ValueError(f"{option.word!r} is not a whole number") from None
        elif name in _SIZES:
            query.append((_SIZES[name], str(_size(option))))
        else:
            # parse_build_args knows every option; the refused ones never get here.
            raise ValueError(f"docker option --{name} has no equivalent in Docker's API")
    query += sorted(flags.items())
    if args:
        query.append(("buildargs", json.dumps(args, separators=(",", ":"))))
    if labels:
        query.append(("labels", json.dumps(labels, separators=(",", ":"))))
    if ulimits:
        query.append(("ulimits", json.dumps(ulimits, separators=(",", ":"))))
    return query


# --- where a FROM line pulls from ----------------------------------------------------------------

_ECR_HOST = re.compile(r"(\d{12})\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?")


def registry_of(image: str) -> str:
    """The registry host an image reference pulls from, as docker reads it: the first part
    when it holds a dot or a colon or is ``localhost``, else Docker Hub (``docker.io``)."""
    name = image.split("@", 1)[0]
    first, slash, _ = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return "docker.io"


def ecr_account(registry: str) -> str | None:
    """The account of a private ECR registry host, None for any other registry."""
    found = _ECR_HOST.fullmatch(registry)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Pull:
    """A base image a VpcOnly domain's Docker may not pull: its registry, and the ECR
    account it belongs to (None for a registry no account can be trusted for)."""

    image: str
    registry: str
    account: str | None


def untrusted_pulls(
    base_images: Sequence[str], account: str, trusted: Sequence[str]
) -> tuple[Pull, ...]:
    """The base images outside the domain's own account and its VpcOnlyTrustedAccounts."""
    found = []
    for image in base_images:
        registry = registry_of(image)
        owner = ecr_account(registry)
        if owner is not None and (owner == account or owner in trusted):
            continue
        found.append(Pull(image, registry, owner))
    return tuple(found)
