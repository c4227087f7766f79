"""Which engine a build uses, and why: decided from gathered facts, with no I/O.

``auto`` (the default) builds in the space, on Studio's own Docker, when the space has it
(DOCKER_HOST set, its ping answered, Engine API 1.41 or later), the domain allows it
(DescribeDomain's ``DomainSettings.DockerSettings.EnableDockerAccess`` is ENABLED; when
DescribeDomain may not be called, the reachable proxy socket is itself the evidence: Studio
mounts it only for a domain that enables Docker), the build is in a Studio domain, and no
option needs CodeBuild (``images/local_build.py``), nor, in a VpcOnly domain, a base image
from a registry the domain's Docker may not pull from. Otherwise CodeBuild, with the first
reason that decided it.

``local`` asked for is refused with a sentence when the space's Docker is missing or the
domain disables it, or an option needs CodeBuild; a VpcOnly domain's untrusted registries are
then findings of the check (an administrator's to fix), not a refusal. ``codebuild`` and
``sm-docker`` are taken as asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .local_build import Need, Pull

ENGINES = ("auto", "local", "codebuild", "sm-docker")
_SETTINGS = "DomainSettings.DockerSettings.EnableDockerAccess"


@dataclass(frozen=True)
class DockerFacts:
    """What was found out about the space's Docker and the domain's Docker settings."""

    docker_host: str | None = None  # DOCKER_HOST, as set
    problem: str | None = None  # why the space's Docker cannot be used; None when it answers
    api_version: str | None = None
    domain_id: str | None = None
    access: str | None = None  # EnableDockerAccess as DescribeDomain says; None: not read
    domain_unread: str | None = None  # why DescribeDomain told nothing
    vpc_only: bool | None = None  # AppNetworkAccessType == VpcOnly; None: not read
    trusted_accounts: tuple[str, ...] = ()

    @property
    def answers(self) -> bool:
        return self.docker_host is not None and self.problem is None

    def to_json(self) -> dict[str, object]:
        return {
            "docker_host": self.docker_host,
            "problem": self.problem,
            "api_version": self.api_version,
            "domain_id": self.domain_id,
            "docker_access": self.access,
            "vpc_only": self.vpc_only,
            "trusted_accounts": list(self.trusted_accounts),
        }


@dataclass(frozen=True)
class EngineChoice:
    engine: str  # local, codebuild or sm-docker
    reason: str  # "local: ..." / "codebuild: ..."
    asked: str  # auto, local, codebuild or sm-docker


class EngineRefused(ValueError):
    """``local`` asked for, and it cannot be: the sentence, and the input that fixes it."""

    def __init__(self, message: str, field: str, hint: str) -> None:
        super().__init__(message)
        self.field = field
        self.hint = hint


def _docker_evidence(facts: DockerFacts) -> str:
    where = f"domain {facts.domain_id}" if facts.domain_id else "the domain"
    if facts.access == "ENABLED":
        return f"this space has Studio's Docker (DOCKER_HOST) and {where} enables it"
    if facts.domain_unread:
        return (
            f"this space has Studio's Docker (DOCKER_HOST); {where}'s settings could not be "
            f"read ({facts.domain_unread}), and the reachable proxy socket is itself the "
            "evidence: Studio mounts it only when the domain enables Docker"
        )
    return "this space has a Docker that answers on DOCKER_HOST"


def _no_docker(facts: DockerFacts) -> str:
    if facts.docker_host is None:
        return (
            "this space has no Docker (DOCKER_HOST is not set; an administrator can enable "
            f"Docker for the domain: {_SETTINGS}, then restart the JupyterLab app)"
        )
    return f"Studio's Docker cannot be used ({facts.problem})"


def _disabled(facts: DockerFacts) -> str:
    where = f"domain {facts.domain_id}" if facts.domain_id else "the domain"
    return f"{where} does not enable Docker ({_SETTINGS} is {facts.access})"


def _untrusted(facts: DockerFacts, pulls: Sequence[Pull]) -> str:
    where = f"domain {facts.domain_id}" if facts.domain_id else "the domain"
    shown = ", ".join(p.image for p in pulls[:3]) + (" …" if len(pulls) > 3 else "")
    return (
        f"{where} is VpcOnly, and its Docker may not pull {shown} (only from the domain's "
        "account and DockerSettings.VpcOnlyTrustedAccounts)"
    )


def choose_engine(
    asked: str,
    facts: DockerFacts | None,
    needs: Sequence[Need] = (),
    untrusted: Sequence[Pull] = (),
) -> EngineChoice:
    """The engine for ``asked`` and the reason. ``facts`` is None when none were gathered
    (codebuild or sm-docker asked for). Raises ``EngineRefused`` for ``local`` that cannot
    be."""
    if asked in ("codebuild", "sm-docker") or facts is None:
        engine = asked if asked in ("codebuild", "sm-docker") else "codebuild"
        return EngineChoice(engine, f"{engine}: asked for", asked)
    if asked == "local":
        if needs:
            need = needs[0]
            raise EngineRefused(
                f"The local engine cannot do this build: {need.why}.",
                need.field,
                "Leave {option} out, or build on CodeBuild (engine auto or codebuild).",
            )
        if not facts.answers:
            raise EngineRefused(
                f"The local engine needs Studio's Docker, and {_no_docker(facts)}.",
                "engine",
                "Choose auto or codebuild for {option}.",
            )
        if facts.access == "DISABLED":
            raise EngineRefused(
                f"The local engine needs Studio's Docker, and {_disabled(facts)}.",
                "engine",
                "Choose auto or codebuild for {option}, or ask an administrator to enable "
                "Docker for the domain.",
            )
        return EngineChoice("local", f"local: asked for; {_docker_evidence(facts)}", asked)
    if not facts.answers:
        return EngineChoice("codebuild", f"codebuild: {_no_docker(facts)}", asked)
    if facts.access == "DISABLED":
        return EngineChoice("codebuild", f"codebuild: {_disabled(facts)}", asked)
    if facts.domain_id is None:
        return EngineChoice(
            "codebuild",
            "codebuild: Docker answers on DOCKER_HOST, but no Studio domain was found, and "
            "only Studio's Docker is built on automatically (engine local to use it anyway)",
            asked,
        )
    if needs:
        return EngineChoice(
            "codebuild", "codebuild: " + "; ".join(need.why for need in needs), asked
        )
    if untrusted:
        return EngineChoice("codebuild", f"codebuild: {_untrusted(facts, untrusted)}", asked)
    return EngineChoice("local", f"local: {_docker_evidence(facts)}", asked)
