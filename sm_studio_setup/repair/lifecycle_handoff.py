"""Hand the installation for a domain to an administrator: one ``LifecycleChange``, in the four
formats of the role fix's hand-off (``handoff.py``, whose quoting it uses).

The change is a lifecycle configuration to create (unless one of that name already holds this
very script) and the domain's default user settings (or a user profile's) with its ARN added.
SageMaker replaces a settings member that an update names, so the member is given whole: every
lifecycle configuration, custom image and setting it already had is kept, as the tool read
them. Each format says so, and says what its tool cannot do (CloudFormation and Terraform can
change a domain only through the stack or the state that manages it).

Pure: no boto3, no I/O. ``render(change, fmt)`` picks a format by name.
"""

from __future__ import annotations

import json
import re
import shlex
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..images.lifecycle import encoded
from .handoff import FORMATS, _comments, _compact_json, _hcl_string, _label, _q, _yaml

__all__ = ["FORMATS", "LifecycleChange", "render", "render_all"]

_TOOL = "sm-studio-setup"
# Where the CLI format writes the script, so that its content is the file's exact bytes.
_DELIMITER = "SM_STUDIO_SETUP_SCRIPT"


@dataclass(frozen=True)
class LifecycleChange:
    name: str
    app_type: str
    script: str
    config_arn: str
    region: str
    scope: str  # "domain" or "user-profile"
    domain_id: str
    user_profile: str | None = None
    create: bool = True  # False: a configuration of this name already holds this script
    # The settings member to send whole ({"JupyterLabAppSettings": {...}}), None when the
    # configuration is already attached as asked (or nothing is attached).
    settings: dict[str, Any] | None = None
    attach: bool = True  # False: create only
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def content(self) -> str:
        return encoded(self.script)

    @property
    def target(self) -> str:
        if self.scope == "user-profile":
            return f"user profile {self.domain_id}/{self.user_profile}"
        return f"domain {self.domain_id}"

    @property
    def settings_member(self) -> str:
        return "UserSettings" if self.scope == "user-profile" else "DefaultUserSettings"

    @property
    def empty(self) -> bool:
        return not self.create and self.settings is None

    def create_request(self) -> dict[str, Any]:
        return {
            "StudioLifecycleConfigName": self.name,
            "StudioLifecycleConfigAppType": self.app_type,
            "StudioLifecycleConfigContent": self.content,
        }

    def update_request(self) -> tuple[str, dict[str, Any]]:
        """(operation, its members) of the settings' update."""
        assert self.settings is not None
        if self.scope == "user-profile":
            return "UpdateUserProfile", {
                "DomainId": self.domain_id,
                "UserProfileName": self.user_profile,
                "UserSettings": self.settings,
            }
        return "UpdateDomain", {"DomainId": self.domain_id, "DefaultUserSettings": self.settings}


def render(change: LifecycleChange, fmt: str) -> str:
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown hand-off format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return renderer(change)


def render_all(change: LifecycleChange) -> dict[str, str]:
    return {fmt: render(change, fmt) for fmt in FORMATS}


def _nothing(change: LifecycleChange) -> str:
    return _comments(
        f"{_TOOL}: lifecycle configuration {_q(change.name)} exists with this script"
        + (f" and is attached to {change.target}" if change.attach else "")
        + "; nothing to change."
    )


def _para(*sentences: str) -> list[str]:
    """One paragraph of a comment, wrapped: the sentences are joined, then cut at 92."""
    return textwrap.wrap(" ".join(sentences), width=92)


def _warnings(change: LifecycleChange) -> str:
    lines: list[str] = []
    for warning in change.warnings:
        lines += textwrap.wrap(f"WARNING: {warning}", width=96, subsequent_indent="  ")
    return _comments(*lines) + ("\n" if lines else "")


def _what(change: LifecycleChange) -> list[str]:
    return _para(
        f"{_TOOL}: install {_TOOL} at every start of a {change.app_type} space of "
        f"{change.target}, with lifecycle configuration {_q(change.name)}.",
        "Its output is in CloudWatch Logs, group /aws/sagemaker/studio, stream",
        f"<domain>/<space>/{change.app_type}/default/LifecycleConfigOnStart; Studio stops it "
        "after 5 minutes.",
    )


def _kept() -> list[str]:
    return _para(
        "The settings are complete: they keep every lifecycle configuration, custom image and",
        "setting the member already has (SageMaker replaces a member an update names).",
    )


# --- JSON: the API requests ------------------------------------------------------------------


def render_json(change: LifecycleChange) -> str:
    """The requests to make, in order, with the script itself for review."""
    requests: list[dict[str, Any]] = []
    if change.create:
        requests.append(
            {"operation": "CreateStudioLifecycleConfig", "parameters": change.create_request()}
        )
    if change.settings is not None:
        operation, parameters = change.update_request()
        requests.append({"operation": operation, "parameters": parameters})
    data: dict[str, Any] = {
        "region": change.region,
        "lifecycle_config_arn": change.config_arn,
        "requests": requests,
        "script": change.script,
    }
    if change.warnings:
        data["warnings"] = list(change.warnings)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- the AWS CLI -----------------------------------------------------------------------------


def _script_file(change: LifecycleChange) -> str:
    return f"{change.name}.sh"


def _heredoc_delimiter(script: str) -> str:
    # A quoted here-document ends at a line that is exactly its delimiter: pick one no line of
    # the script is.
    lines = set(script.splitlines())
    delimiter, number = _DELIMITER, 2
    while delimiter in lines:
        delimiter, number = f"{_DELIMITER}_{number}", number + 1
    return delimiter


def render_cli(change: LifecycleChange) -> str:
    """A bash script: the lifecycle script written to a file (a quoted here-document: nothing
    in it is expanded), ``create-studio-lifecycle-config`` with that file in base64 as AWS's
    own samples do (``openssl base64 -A``), then the update with the complete settings."""
    if change.empty:
        return _warnings(change) + _nothing(change)
    region = shlex.quote(change.region)
    lines = [*_warnings(change).splitlines(), *_comment_block(_what(change))]
    if change.create:
        file = shlex.quote(_script_file(change))
        delimiter = _heredoc_delimiter(change.script)
        lines += [
            "",
            *_comment_block(
                _para("The script, written to a file first: its content is the file's bytes.")
            ),
            f"cat > {file} <<'{delimiter}'",
            *change.script.rstrip("\n").split("\n"),
            delimiter,
            "",
            f"aws sagemaker create-studio-lifecycle-config --region {region} \\",
            f"  --studio-lifecycle-config-name {shlex.quote(change.name)} \\",
            f"  --studio-lifecycle-config-app-type {shlex.quote(change.app_type)} \\",
            f'  --studio-lifecycle-config-content "$(openssl base64 -A < {file})"',
        ]
    else:
        lines += [
            "",
            *_comment_block(
                [
                    f"Lifecycle configuration {_q(change.name)} already holds this "
                    "script: it is reused."
                ]
            ),
        ]
    if change.settings is not None:
        operation, _ = change.update_request()
        command = "update-user-profile" if operation == "UpdateUserProfile" else "update-domain"
        options = [("--domain-id", change.domain_id)]
        if change.scope == "user-profile":
            options.append(("--user-profile-name", change.user_profile or ""))
        flag = "--user-settings" if change.scope == "user-profile" else "--default-user-settings"
        options.append((flag, _compact_json(change.settings)))
        lines += ["", *_comment_block(_kept())]
        lines.append(f"aws sagemaker {command} --region {region} \\")
        for index, (name, value) in enumerate(options):
            end = "" if index == len(options) - 1 else " \\"
            lines.append(f"  {name} {shlex.quote(value)}{end}")
        lines += [
            "",
            "# SageMaker applies the update asynchronously: wait until the status is InService.",
            _wait_command(change),
        ]
    elif change.attach:
        lines += ["", f"# It is already attached to {change.target}."]
    return "\n".join(lines) + "\n"


def _wait_command(change: LifecycleChange) -> str:
    region = shlex.quote(change.region)
    if change.scope == "user-profile":
        describe = (
            f"aws sagemaker describe-user-profile --region {region} --domain-id "
            f"{shlex.quote(change.domain_id)} --user-profile-name "
            f"{shlex.quote(change.user_profile or '')}"
        )
    else:
        describe = (
            f"aws sagemaker describe-domain --region {region} --domain-id "
            f"{shlex.quote(change.domain_id)}"
        )
    return f"{describe} --query '[Status, FailureReason]' --output text"


def _comment_block(lines: list[str]) -> list[str]:
    return _comments(*lines).splitlines()


# --- CloudFormation --------------------------------------------------------------------------


def render_cloudformation(change: LifecycleChange) -> str:
    """A template with the ``AWS::SageMaker::StudioLifecycleConfig``, then (after ``---``) the
    settings as a fragment: ``{DefaultUserSettings: ...}`` for the ``AWS::SageMaker::Domain``
    (or ``{UserSettings: ...}`` for the ``AWS::SageMaker::UserProfile``) of the stack that
    defines it. ``yaml.safe_load_all`` yields the template (if any), then the fragment (if any).
    """
    if change.empty:
        return _warnings(change) + _nothing(change)
    parts: list[str] = []
    if change.create:
        template = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": f"{_TOOL}: lifecycle configuration {change.name}",
            "Resources": {
                _logical_id(change.name): {
                    "Type": "AWS::SageMaker::StudioLifecycleConfig",
                    "Properties": change.create_request(),
                }
            },
            "Outputs": {
                "LifecycleConfigArn": {
                    "Value": {"Fn::GetAtt": [_logical_id(change.name), "StudioLifecycleConfigArn"]}
                }
            },
        }
        parts.append(
            _comments(
                *_what(change),
                *_para(
                    "StudioLifecycleConfigContent is the script in base64 (the 'json' format",
                    "shows it as text).",
                ),
            )
            + _yaml(template)
        )
    if change.settings is not None:
        resource = (
            "AWS::SageMaker::UserProfile"
            if change.scope == "user-profile"
            else "AWS::SageMaker::Domain"
        )
        fragment = {change.settings_member: change.settings}
        parts.append(
            _comments(
                *_para(
                    f"The settings of {change.target}: not a template.",
                    "CloudFormation changes a domain (or user profile) only through the stack",
                    f"that defines it: in that {resource}'s Properties, replace the member of",
                    f"{change.settings_member} named below with this one and update that",
                    "stack. Otherwise apply it with the AWS CLI (the 'cli' format has the",
                    "exact command).",
                ),
                *_kept(),
            )
            + _yaml(fragment)
        )
    if not parts:
        return _warnings(change) + _nothing(change)
    return _warnings(change) + "---\n".join(parts)


def _logical_id(name: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", name)
    return "".join(word[:1].upper() + word[1:] for word in words) or "LifecycleConfig"


# --- Terraform -------------------------------------------------------------------------------


def render_terraform(change: LifecycleChange) -> str:
    """An ``aws_sagemaker_studio_lifecycle_config`` resource, and the ``aws_sagemaker_domain``'s
    ``default_user_settings`` (or the ``aws_sagemaker_user_profile``'s ``user_settings``) block
    to merge into the resource that manages the domain, with how to import it first."""
    if change.empty:
        return _warnings(change) + _nothing(change)
    label = _label(change.name, "lifecycle_config")
    blocks = [_comments(*_what(change)).rstrip("\n")]
    config = (
        f'resource "aws_sagemaker_studio_lifecycle_config" "{label}" {{\n'
        f"  studio_lifecycle_config_name     = {_hcl_string(change.name)}\n"
        f"  studio_lifecycle_config_app_type = {_hcl_string(change.app_type)}\n"
        "  # The script in base64 (the 'json' format shows it as text).\n"
        f"  studio_lifecycle_config_content  = {_hcl_string(change.content)}\n"
        "}"
    )
    if not change.create:
        command = shlex.join(
            ["terraform", "import", f"aws_sagemaker_studio_lifecycle_config.{label}", change.name]
        )
        config = (
            _comments(
                "It exists already with this script; to manage it with Terraform, import it:",
                f"  {command}",
            )
            + config
        )
    blocks.append(config)
    if change.settings is not None:
        blocks.append(_settings_block(change))
    return _warnings(change) + "\n\n".join(blocks) + "\n"


def _settings_block(change: LifecycleChange) -> str:
    assert change.settings is not None
    if change.scope == "user-profile":
        kind, argument = "aws_sagemaker_user_profile", "user_settings"
        label = _label(f"{change.domain_id}-{change.user_profile}", "user_profile")
        # The provider imports a user profile by its ARN.
        profile_arn = change.config_arn.split(":studio-lifecycle-config/")[0] + (
            f":user-profile/{change.domain_id}/{change.user_profile}"
        )
        import_id = profile_arn
    else:
        kind, argument = "aws_sagemaker_domain", "default_user_settings"
        label = _label(change.domain_id, "domain")
        import_id = change.domain_id
    command = shlex.join(["terraform", "import", f"{kind}.{label}", import_id])
    body = "".join(_hcl_block(member, value, 2) for member, value in change.settings.items())
    return (
        _comments(
            *_para(
                f"The settings of {change.target}. Do not apply this block as is: it would",
                f"try to create another one. Copy the block inside {argument} into the",
                f"{kind} that already manages it, keeping its other settings",
                "(execution_role, ...). If Terraform does not manage it yet, import it first,",
                "then complete the block until terraform plan shows only this change:",
            ),
            f"  {command}",
            *_kept(),
        )
        + f'resource "{kind}" "{label}" {{\n'
        + f"  {argument} {{\n"
        + body
        + "  }\n}"
    )


def _snake(member: str) -> str:
    # The provider spells SageMaker as one word: sagemaker_image_arn.
    text = member.replace("SageMaker", "Sagemaker")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text).lower()


def _singular(member: str) -> str:
    # A list of objects is a repeated block named in the singular: custom_image, code_repository.
    name = _snake(member)
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def _hcl_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_hcl_value(item) for item in value) + "]"
    return _hcl_string(str(value))


def _hcl_block(member: str, value: Any, depth: int) -> str:
    """A settings member as the provider writes it: an object is a block, a list of objects
    repeated blocks, anything else an argument."""
    pad = "  " * depth
    if isinstance(value, dict):
        inner = "".join(_hcl_block(k, v, depth + 1) for k, v in value.items())
        return f"{pad}{_snake(member)} {{\n{inner}{pad}}}\n"
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return "".join(_hcl_block(_singular_member(member), item, depth) for item in value)
    return f"{pad}{_snake(member)} = {_hcl_value(value)}\n"


def _singular_member(member: str) -> str:
    # Back to CamelCase, so that _hcl_block's _snake gives the singular block name.
    return "".join(word.capitalize() for word in _singular(member).split("_"))


_RENDERERS: dict[str, Callable[[LifecycleChange], str]] = {
    "json": render_json,
    "cli": render_cli,
    "cloudformation": render_cloudformation,
    "terraform": render_terraform,
}
