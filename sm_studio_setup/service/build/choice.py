"""The engine a build will use, found out: the space's Docker asked, the domain described.

The facts are gathered here (DOCKER_HOST, the ping and version over the socket, DescribeDomain's
``DomainSettings.DockerSettings`` and ``AppNetworkAccessType``) and judged by the pure
``images/engine_choice.py``. The domain is described only when the space's Docker answers: a
space without Docker costs no AWS call. For a build on Studio's Docker in a VpcOnly domain, each
base image from a registry the domain's Docker may not pull from is a finding an administrator
must fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from ...aws.docker_api import DockerClient, DockerUnavailable, api_version_at_least
from ...aws.metadata import read_metadata
from ...aws.session import client, error_code, is_access_denied
from ...errors import BadInput, SetupError
from ...images.engine_choice import DockerFacts, EngineChoice, EngineRefused, choose_engine
from ...images.local_build import Need, Pull, codebuild_needs, untrusted_pulls
from ...requirements.model import Requirement

if TYPE_CHECKING:
    from ..check import Finding
    from ..options import CheckOptions


def gathers(options: CheckOptions) -> bool:
    """Whether the engine depends on the space: image-build with engine auto or local."""
    return options.profile == "image-build" and options.engine in ("auto", "local")


def docker_facts(
    session: Any, domain_id: str | None, environ: Mapping[str, str] | None = None
) -> DockerFacts:
    """What the space's Docker and the domain say; never raises (a failure is a fact)."""
    env = os.environ if environ is None else environ
    host = env.get("DOCKER_HOST") or None
    if host is None:
        return DockerFacts(domain_id=domain_id)
    try:
        docker = DockerClient.from_host(host)
        docker.ping()
        version = str(docker.version().get("ApiVersion") or "")
    except SetupError as exc:
        return DockerFacts(docker_host=host, problem=exc.message.rstrip("."), domain_id=domain_id)
    if not api_version_at_least(version):
        return DockerFacts(
            docker_host=host,
            problem=f"its Engine API is {version or 'unknown'}, and 1.41 or later is needed",
            api_version=version or None,
            domain_id=domain_id,
        )
    facts = DockerFacts(docker_host=host, api_version=version, domain_id=domain_id)
    if domain_id is None:
        return facts
    try:
        domain = client(session, "sagemaker").describe_domain(DomainId=domain_id)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        why = (
            "sagemaker:DescribeDomain is denied"
            if is_access_denied(exc)
            else f"DescribeDomain failed: {error_code(exc) or type(exc).__name__}"
        )
        return DockerFacts(
            docker_host=host, api_version=version, domain_id=domain_id, domain_unread=why
        )
    settings = (domain.get("DomainSettings") or {}).get("DockerSettings") or {}
    access = settings.get("EnableDockerAccess")
    return DockerFacts(
        docker_host=host,
        api_version=version,
        domain_id=domain_id,
        # Not set at all is Studio's default: Docker is off.
        access=str(access) if access else "DISABLED",
        vpc_only=domain.get("AppNetworkAccessType") == "VpcOnly",
        trusted_accounts=tuple(str(a) for a in settings.get("VpcOnlyTrustedAccounts") or ()),
    )


def facts_for(session: Any, options: CheckOptions) -> DockerFacts | None:
    """The facts ``options``' engine depends on, or None when it does not depend on any."""
    if not gathers(options):
        return None
    meta = read_metadata()
    domain_id = options.domain_id or (meta.domain_id if meta else None)
    return docker_facts(session, domain_id)


@dataclass(frozen=True)
class Resolved:
    """The engine, and what follows from it for the check."""

    choice: EngineChoice
    facts: DockerFacts | None
    untrusted: tuple[Pull, ...]

    @property
    def requirements_engine(self) -> str:
        """Whose requirements the role is judged against (sm-docker's are CodeBuild's)."""
        return "local" if self.choice.engine == "local" else "codebuild"

    def notes(self) -> list[str]:
        facts = self.facts
        if self.choice.engine != "local" or facts is None or facts.vpc_only is not None:
            return []
        return [
            "whether the domain is VpcOnly could not be read, so its base images were not "
            "checked against it: in a VpcOnly domain Studio's Docker pulls only from the "
            "domain's account and DockerSettings.VpcOnlyTrustedAccounts"
        ]


def resolve(
    options: CheckOptions,
    facts: DockerFacts | None,
    account: str,
    needs: Sequence[Need] | None = None,
) -> Resolved:
    """The engine for ``options`` (``needs``: what only CodeBuild can do, by default from the
    options themselves); ``BadInput`` for engine local that cannot be."""
    found_needs = tuple(codebuild_needs(options) if needs is None else needs)
    untrusted: tuple[Pull, ...] = ()
    if facts is not None and facts.vpc_only:
        untrusted = untrusted_pulls(options.base_images, account, facts.trusted_accounts)
    try:
        choice = choose_engine(options.engine, facts, found_needs, untrusted)
    except EngineRefused as exc:
        raise BadInput(str(exc), exc.hint, field=exc.field) from None
    return Resolved(choice, facts, untrusted if choice.engine == "local" else ())


def domain_findings(resolved: Resolved, profile: str) -> list[tuple[Requirement, Finding]]:
    """A VpcOnly domain's Docker pulls only from the domain's account and its trusted ones:
    each base image from elsewhere is blocked until an administrator changes the domain (or
    the image is copied into this account's ECR). Each comes with a requirement of its own,
    so a fix plans from requirements and findings side by side."""
    from ..check import Finding

    facts = resolved.facts
    found: list[tuple[Requirement, Finding]] = []
    for pull in resolved.untrusted:
        if pull.account is not None:
            fix = (
                f"an administrator adds account {pull.account} to the domain's "
                "DockerSettings.VpcOnlyTrustedAccounts (or copy the image into this "
                "account's ECR)"
            )
        else:
            fix = (
                f"{pull.registry} is not an ECR registry of an account, so no setting can trust "
                "it: copy the base image into this account's ECR (docker pull, tag, push "
                "where the registry is reachable) and use that image in FROM"
            )
        why = (
            "In a VpcOnly domain Studio's Docker pulls only from the domain's own account and "
            "the accounts in DockerSettings.VpcOnlyTrustedAccounts."
        )
        requirement = Requirement(
            "caller",
            "docker pull",
            pull.image,
            "pull the base image",
            why,
            "SageMaker Studio, DockerSettings",
        )
        trusted = ", ".join(facts.trusted_accounts) if facts and facts.trusted_accounts else "none"
        evidence = (
            f"DescribeDomain {facts.domain_id if facts else ''}: AppNetworkAccessType VpcOnly, "
            f"VpcOnlyTrustedAccounts {trusted}"
        )
        found.append(
            (
                requirement,
                Finding(
                    step=requirement.step,
                    status="blocked",
                    who="caller",
                    action=requirement.action,
                    resource=pull.image,
                    why=why,
                    source="domain",
                    evidence=evidence,
                    fix=fix,
                    blocked_by="docker-settings",
                ),
            )
        )
    return found


__all__ = [
    "DockerUnavailable",
    "Resolved",
    "docker_facts",
    "domain_findings",
    "facts_for",
    "gathers",
    "resolve",
]
