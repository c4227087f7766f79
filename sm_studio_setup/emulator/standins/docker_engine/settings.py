"""What the Studio Docker stand-in is set to, and the domain it belongs to.

``EngineSettings`` is changed by the emulator's control API (``POST /_sm_emulator/docker``) and
read by every request. The network settings that decide pulls (``AppNetworkAccessType`` and
``DockerSettings.VpcOnlyTrustedAccounts``) are the seeded domain's own, read live from moto's
SageMaker backend, so an UpdateDomain changes them as the control API does; without a seeded
domain they are the settings' own.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

FAILABLE = ("build", "push")
DEFAULT_BUILD_SECONDS = 1.0
MAX_BUILD_SECONDS = 3600.0
MAX_TRUSTED_ACCOUNTS = 20  # botocore sagemaker model, VpcOnlyTrustedAccounts
_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass
class EngineSettings:
    enabled: bool = False
    vpc_only: bool = False
    trusted_accounts: tuple[str, ...] = ()
    build_seconds: float = DEFAULT_BUILD_SECONDS
    fail: str = ""  # "", "build" or "push": every build or push fails until cleared


@dataclass(frozen=True)
class Network:
    """What decides where a build may pull from."""

    vpc_only: bool
    own_account: str
    trusted_accounts: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class DomainLink:
    """The seeded domain the stand-in's space belongs to."""

    account: str
    region: str
    domain_id: str

    def _domain(self) -> Any | None:
        from moto.sagemaker.models import sagemaker_backends

        backend = sagemaker_backends[self.account][self.region]
        return backend.domains.get(self.domain_id)

    def network(self) -> Network | None:
        domain = self._domain()
        if domain is None:
            return None
        docker = (domain.domain_settings or {}).get("DockerSettings") or {}
        return Network(
            vpc_only=domain.app_network_access_type == "VpcOnly",
            own_account=self.account,
            trusted_accounts=frozenset(docker.get("VpcOnlyTrustedAccounts") or ()),
        )

    def write(self, settings: EngineSettings) -> None:
        """The settings as the domain's: DockerSettings (RootlessDocker kept) and
        AppNetworkAccessType."""
        domain = self._domain()
        if domain is None:
            return
        domain_settings = copy.deepcopy(domain.domain_settings or {})
        docker = dict(domain_settings.get("DockerSettings") or {})
        docker["EnableDockerAccess"] = "ENABLED" if settings.enabled else "DISABLED"
        docker["VpcOnlyTrustedAccounts"] = list(settings.trusted_accounts)
        domain_settings["DockerSettings"] = docker
        domain.domain_settings = domain_settings
        domain.app_network_access_type = "VpcOnly" if settings.vpc_only else "PublicInternetOnly"


def check_changes(body: dict[str, Any]) -> dict[str, Any]:
    """The control API's body, checked: each member's type and range (ValueError names the
    first that is wrong)."""
    changes: dict[str, Any] = {}
    for name in ("enabled", "vpc_only"):
        if name in body:
            if not isinstance(body[name], bool):
                raise ValueError(f"{name} must be true or false")
            changes[name] = body[name]
    if "trusted_accounts" in body:
        accounts = body["trusted_accounts"]
        if (
            not isinstance(accounts, list)
            or len(accounts) > MAX_TRUSTED_ACCOUNTS
            or not all(isinstance(a, str) and _ACCOUNT.match(a) for a in accounts)
        ):
            raise ValueError(
                f"trusted_accounts must be a list of at most {MAX_TRUSTED_ACCOUNTS} "
                "12-digit account ids"
            )
        changes["trusted_accounts"] = tuple(accounts)
    if "build_seconds" in body:
        seconds = body["build_seconds"]
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds <= MAX_BUILD_SECONDS
        ):
            raise ValueError(f"build_seconds must be 0 to {MAX_BUILD_SECONDS:g} seconds")
        changes["build_seconds"] = float(seconds)
    if "fail" in body:
        fail = body["fail"]
        if fail not in ("", *FAILABLE):
            raise ValueError(f"fail must be one of {', '.join(FAILABLE)}, or '' to clear")
        changes["fail"] = fail
    return changes
