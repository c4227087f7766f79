"""Image references as docker reads them, shared by the ``docker`` CLI stand-in and the Engine
API stand-in (``docker_engine``): which registry a reference names, ``:latest`` when it names no
tag, and docker's reference grammar (distribution/reference, without digests)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

DOCKER_HUB = "docker.io"
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*(?::[0-9]+)?/)?"
REFERENCE = re.compile(rf"^{_HOST}{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?$")
# A repository without its tag, for ``repo`` of ``POST /images/{name}/tag``.
REPOSITORY = re.compile(rf"^{_HOST}{_COMPONENT}(?:/{_COMPONENT})*$")
TAG = re.compile(r"^[\w][\w.-]{0,127}$")


def registry_host(server: str) -> str:
    """The host a ``docker login`` argument names: ECR's proxy endpoint is an https URL."""
    text = server.strip()
    host = urlsplit(text).netloc if "://" in text else text.split("/", 1)[0]
    host = host.lower()
    if host in ("index.docker.io", "registry-1.docker.io", DOCKER_HUB, ""):
        return DOCKER_HUB
    return host


def registry_of(reference: str) -> str:
    first, slash, _ = reference.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return DOCKER_HUB


def normalize(reference: str) -> str:
    """A reference as docker stores it: without a tag it means ``:latest``."""
    last = reference.rsplit("/", 1)[-1]
    return reference if ":" in last or "@" in reference else f"{reference}:latest"


def split_tag(reference: str) -> tuple[str, str]:
    """(repository, tag) of a reference, ``latest`` when it names none."""
    repository, _, tag = normalize(reference).rpartition(":")
    return repository, tag


def is_valid(reference: str) -> bool:
    return REFERENCE.match(reference) is not None
