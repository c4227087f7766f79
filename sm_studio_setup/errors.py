"""Errors every surface knows how to show: one sentence of what is wrong, one of what to do."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any, Literal

# Who shows the error. A hint names what to change in that surface's own words: a command-line
# option, the same option on the %sm_setup line, or a field of the REST request body.
Surface = Literal["cli", "magic", "rest"]


@dataclass(frozen=True)
class _Input:
    flag: str | None  # the command-line (and magic) option
    rest: str | None  # the REST request field; None: the server's environment decides
    what: str = ""  # what a valid value is, for the sentence that asks for it
    env: str | None = None  # where the server side takes it from when there is no field


# The inputs a hint can point at, by the service API's name for them (CheckOptions' fields,
# plus the parameters only the offline `requirements` command takes).
INPUTS: dict[str, _Input] = {
    "profile": _Input("--profile", "profile", "a workflow profile such as image-build"),
    "role": _Input("--role", "role", "the execution role: a role name, path/name or ARN"),
    "repository": _Input("--repository", "repository", "an ECR repository name[:tag]"),
    "bucket": _Input("--bucket", "bucket", "an S3 bucket name"),
    "compute_type": _Input("--compute-type", "compute_type", "a CodeBuild compute type"),
    "vpc_id": _Input("--vpc-id", "vpc_id", "a VPC id (vpc-...)"),
    "subnet_ids": _Input("--subnet-ids", "subnet_ids", "subnet ids (subnet-...)"),
    "security_group_ids": _Input(
        "--security-group-ids", "security_group_ids", "security group ids (sg-...)"
    ),
    "kms_key_arn": _Input("--kms-key", "kms_key_arn", "a KMS key ARN"),
    "base_images": _Input("--dockerfile", "base_images", "the Dockerfile the build uses"),
    "force": _Input("--force", "force"),
    "backup_id": _Input("--undo", "backup_id", "a backup id"),
    "list_backups": _Input("--list-backups", None),
    "plan_id": _Input(None, "plan_id", "the id of a plan from fix/plan"),
    "context": _Input("PATH", "context", "the build folder, holding the Dockerfile"),
    "dockerfile": _Input("--file", "dockerfile", "the Dockerfile, relative to the build folder"),
    "build_args": _Input("--build-arg", "build_args", "KEY=VALUE"),
    "platform": _Input("--platform", "platform", "linux/amd64 or linux/arm64"),
    "timeout_minutes": _Input("--timeout", "timeout_minutes", "5 to 2160 minutes"),
    "tags": _Input("--tag", "tags", "KEY=VALUE"),
    "attach": _Input("--attach", "attach", "a SageMaker image name"),
    "engine": _Input("--engine", "engine", "auto, local, codebuild or sm-docker"),
    "secrets": _Input("--secret", "secrets", "id=ID,env=VAR, id=ID,src=ARN or id=ID,src=NAME"),
    "cache": _Input("--cache", "cache"),
    "docker_args": _Input("-- ARGS", "docker_args", "further docker build arguments"),
    "rebuild": _Input("--rebuild", "rebuild", "build even when these inputs were built"),
    "image_uri": _Input("IMAGE_URI", "image_uri", "an ECR image URI"),
    "image_name": _Input("--image-name", "image_name", "a SageMaker image name"),
    "display_name": _Input("--display-name", "display_name", "the name Studio shows"),
    "app_type": _Input("--app-type", "app_type", "JupyterLab, CodeEditor or KernelGateway"),
    "scope": _Input("--scope", "scope", "domain or user-profile"),
    "build_id": _Input(None, "build_id", "the id of a build from POST builds"),
    "region": _Input("--region", None, "an AWS region such as us-east-1", "AWS_DEFAULT_REGION"),
    "account": _Input("--account", None, "12 digits"),
    "domain_id": _Input("--domain-id", None, "the Studio domain id (d-...)"),
    "user_profile": _Input("--user-profile", None, "the Studio user profile name"),
    # The lifecycle configuration that installs this tool for a domain: a command-line (and
    # magic) command only, so no REST field but the check's.
    "lifecycle_config": _Input(
        "--lifecycle-config", "lifecycle_config", "a lifecycle configuration name"
    ),
    "create": _Input("--create", None, "a lifecycle configuration name"),
    "attach_to": _Input("--attach", None, "domain or user-profile"),
    "source": _Input("--source", None, "pypi, codeartifact or s3"),
    "index_url": _Input("--index-url", None, "a package index URL"),
    "codeartifact_domain": _Input("--codeartifact-domain", None, "a domain"),
    "codeartifact_owner": _Input("--codeartifact-owner", None, "12 digits"),
    "codeartifact_repository": _Input("--codeartifact-repository", None, "a repository"),
    "codeartifact_region": _Input("--codeartifact-region", None, "a region"),
    "s3_uri": _Input("--s3-uri", None, "s3://BUCKET/FOLDER/"),
    "wheelhouse": _Input("--wheelhouse", None, "a folder"),
    "installed": _Input("--installed", None, "a pip list --format=freeze file"),
    "python_versions": _Input("--python", None, "3.10, 3.11 or 3.12"),
    "format": _Input("--format", None, "json, cli, cloudformation or terraform"),
}


def spell_input(name: str, surface: Surface) -> str:
    """How ``surface`` names input ``name``: ``--role`` or ``"role"`` (REST)."""
    spec = INPUTS.get(name)
    if spec is None:
        return name
    if surface == "rest":
        if spec.rest is not None:
            return f'"{spec.rest}"'
        return spec.env or name
    return spec.flag or name


def _pass(name: str, surface: Surface) -> str:
    spec = INPUTS.get(name)
    spelled = spell_input(name, surface)
    what = f" ({spec.what})" if spec is not None and spec.what else ""
    if surface == "rest":
        if spec is not None and spec.rest is None:
            where = f": set {spec.env} where the JupyterLab server runs" if spec.env else ""
            return f"The server decides this{where}."
        return f"Set {spelled}{what} in the request body."
    if surface == "magic":
        return f"Add {spelled}{what} to the %sm_setup line."
    env = f", or set {spec.env}" if spec is not None and spec.env else ""
    return f"Pass {spelled}{what}{env}."


@dataclass(frozen=True)
class Command:
    """A follow-up the user runs, spelled by each surface: ``sm-studio-setup fix --undo ID``,
    ``%sm_setup fix --undo ID`` or ``POST fix/undo {"backup_id": "ID"}``."""

    command: str  # the CLI subcommand, e.g. "fix"
    flags: tuple[tuple[str, str], ...] = ()  # (input name, value), value "" for a switch
    route: str = ""  # the REST route under /sm-studio-setup/, e.g. "POST fix/undo"
    body: dict[str, Any] = field(default_factory=dict)

    def spell(self, surface: Surface) -> str:
        if surface == "rest":
            body = f" {json.dumps(self.body)}" if self.body else ""
            return f"{self.route}{body}" if self.route else ""
        # Values are quoted for the shell (and IPython's line, which splits like one), so a
        # command copied from an error runs as shown, whatever the value holds.
        words = [
            spell_input(name, surface) + (f" {shlex.quote(value)}" if value else "")
            for name, value in self.flags
        ]
        prefix = "%sm_setup" if surface == "magic" else "sm-studio-setup"
        return " ".join([prefix, self.command, *words])


class SetupError(Exception):
    """An error the user can act on. Surfaces print ``message`` and ``hint_for(surface)``,
    never a traceback.

    ``hint`` is worded for every surface: ``{option}`` in it stands for input ``field`` (and
    without it, a sentence saying to pass or set that input comes first), ``{command}`` for
    ``command``. The REST body also carries ``field``, so a form can point at its input.
    """

    # Stable machine-readable code; REST clients and the CLI's --json output use it.
    code = "error"
    http_status = 500

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        details: dict[str, Any] | None = None,
        field: str | None = None,
        command: Command | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or {}
        self.field = field
        self.command = command

    def hint_for(self, surface: Surface) -> str:
        hint = self.hint
        if self.field is not None:
            if "{option}" in hint:
                hint = hint.replace("{option}", spell_input(self.field, surface))
            else:
                hint = f"{_pass(self.field, surface)} {hint}".strip()
        if self.command is not None:
            spelled = self.command.spell(surface)
            if "{command}" in hint:
                hint = hint.replace("{command}", f"`{spelled}`" if spelled else "it")
            elif spelled:
                hint = f"{hint} Run `{spelled}`.".strip()
        return hint

    def to_json(self, surface: Surface = "rest") -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "hint": self.hint_for(surface),
        }
        if self.field is not None:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        if surface == "rest" and self.command is not None and self.command.route:
            # The follow-up as a request a client can make as it is (the sidebar's "Plan this
            # fix"), so no client rebuilds it from the hint.
            method, _, path = self.command.route.partition(" ")
            body["then"] = {"method": method, "path": path, "body": dict(self.command.body)}
        return body

    def __str__(self) -> str:
        return f"{self.message} {self.hint_for('cli')}".strip()


def undo_command(backup_id: str) -> Command:
    return Command("fix", (("backup_id", backup_id),), "POST fix/undo", {"backup_id": backup_id})


LIST_BACKUPS = Command("fix", (("list_backups", ""),), "GET fix/backups")


class BadInput(SetupError):
    """A value the user gave is refused: the field names it, the message says why."""

    code = "bad_input"
    http_status = 400


class CredentialsError(SetupError):
    code = "no_credentials"
    http_status = 401


class RegionError(SetupError):
    code = "no_region"
    http_status = 400


class EndpointError(SetupError):
    code = "endpoint_unreachable"
    http_status = 502


class AwsAccessDenied(SetupError):
    code = "access_denied"
    http_status = 403


class AwsError(SetupError):
    code = "aws_error"
    http_status = 502


class UnsafeEndpointError(SetupError):
    code = "unsafe_endpoint"
    http_status = 400


# The fix's errors: what stopped it, always saying whether the role was changed.


class RoleChangedError(SetupError):
    """The role changed since the plan (or since the fix, for an undo): nothing was written."""

    code = "role_changed"
    http_status = 409


class QuotaExceededError(SetupError):
    code = "quota_exceeded"
    http_status = 409


class FixFailedError(SetupError):
    """A write or its verification failed; ``details["restored"]`` says if the role is back."""

    code = "fix_failed"
    http_status = 502


class BackupNotFoundError(SetupError):
    code = "backup_not_found"
    http_status = 404
