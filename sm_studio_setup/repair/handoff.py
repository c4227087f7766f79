"""Hand a fix to an administrator: the same ``Change``, ready to paste, in four formats.

A Studio role usually may not rewrite its own policies (AccessDenied on iam:PutRolePolicy or
iam:UpdateAssumeRolePolicy), and it should not be able to. Then the fix has to be applied by
someone who may, with whatever they use: the AWS CLI, CloudFormation, Terraform, or a script of
their own reading JSON. Every format carries the very documents the apply step would write, and
they are complete documents (every statement the role already had is kept), so applying any of
them replaces the old document without dropping anything.

Pure: no boto3, no I/O. ``render(change, fmt)`` picks a format by name.
"""

from __future__ import annotations

import json
import re
import shlex
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

import yaml  # type: ignore[import-untyped]

from sm_studio_setup.repair.change import Change

FORMATS: tuple[str, ...] = ("json", "cli", "cloudformation", "terraform")

_TOOL = "sm-studio-setup"


def render(change: Change, fmt: str) -> str:
    """The change in format ``fmt``, one of ``FORMATS``."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown hand-off format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return renderer(change)


def render_json(change: Change) -> str:
    """The change as data, for an administrator's own tooling.

    ``trust_policy`` is null when the trust policy stays as it is.
    """
    data: dict[str, Any] = {
        "role_name": change.role_name,
        "role_arn": change.role_arn,
        "trust_policy": change.trust_policy,
        "inline_policies": change.policies,
    }
    if change.warnings:
        data["warnings"] = list(change.warnings)
    # Unicode kept readable: this is a file for people and JSON parsers, not for a shell.
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _warnings(change: Change) -> str:
    # First, as comments: whoever pastes the text reads them before the documents.
    lines: list[str] = []
    for warning in change.warnings:
        lines += textwrap.wrap(f"WARNING: {warning}", width=96, subsequent_indent="  ")
    return _comments(*lines) + ("\n" if lines else "")


def render_cli(change: Change) -> str:
    """A bash script of AWS CLI commands, one command per policy, to paste into a terminal.

    Inline policies come first and the trust policy last, so that if a command fails part way
    the role has not yet been opened to a new principal without the permissions it needs.
    Deliberately no ``set -e``: pasted into an interactive shell it would close the terminal on
    the first error, and the admin would not see the message.
    """
    return _warnings(change) + _render_cli(change)


def _render_cli(change: Change) -> str:
    if change.empty:
        return _comments(
            f"{_TOOL}: role {_q(change.role_name)} already has what it needs; nothing to change."
        )
    lines = [
        *_comment_lines(
            f"{_TOOL}: apply the fix to role {_q(change.role_name)} ({_q(change.role_arn)}).",
            "Each document is complete: it keeps every statement the role already has, so it",
            "replaces the current document without dropping anything.",
        ),
    ]
    for name, document in change.policies.items():
        lines += [
            "",
            *_comment_lines(f"Inline policy {_q(name)}."),
            *_command(
                ["aws", "iam", "put-role-policy"],
                [
                    ("--role-name", change.role_name),
                    ("--policy-name", name),
                    ("--policy-document", _compact_json(document)),
                ],
            ),
        ]
    if change.trust_policy is not None:
        lines += [
            "",
            "# Trust policy: who may assume the role.",
            *_command(
                ["aws", "iam", "update-assume-role-policy"],
                [
                    ("--role-name", change.role_name),
                    ("--policy-document", _compact_json(change.trust_policy)),
                ],
            ),
        ]
    return "\n".join(lines) + "\n"


def render_cloudformation(change: Change) -> str:
    """A CloudFormation template (YAML) with one ``AWS::IAM::RolePolicy`` per inline policy.

    CloudFormation cannot change the trust policy of a role that the stack does not define, so a
    trust change is given as a second YAML document after ``---``:
    ``{AssumeRolePolicyDocument: ...}``, with comments saying to paste it into the Properties of
    the role's own ``AWS::IAM::Role`` if a stack defines the role, and to use the CLI otherwise.
    Only the first document is the template to deploy.

    With a trust change and no inline policy there is no template at all (a template without
    resources does not deploy), only the commented fragment. An empty change is a comment only.
    ``yaml.safe_load_all`` on the text yields the template (if any), then the fragment (if any).
    """
    return _warnings(change) + _render_cloudformation(change)


def _render_cloudformation(change: Change) -> str:
    if change.empty:
        return _comments(
            f"{_TOOL}: role {_q(change.role_name)} already has what it needs; nothing to change."
        )
    parts: list[str] = []
    if change.policies:
        resources: dict[str, Any] = {}
        for logical_id, (name, document) in zip(
            _unique(_logical_id(name) for name in change.policies),
            change.policies.items(),
            strict=True,
        ):
            resources[logical_id] = {
                "Type": "AWS::IAM::RolePolicy",
                "Properties": {
                    "RoleName": change.role_name,
                    "PolicyName": name,
                    "PolicyDocument": document,
                },
            }
        template = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": f"{_TOOL}: inline policies for role {change.role_name}",
            "Resources": resources,
        }
        parts.append(
            _comments(
                f"{_TOOL}: inline policies for role {_q(change.role_name)} "
                f"({_q(change.role_arn)}).",
                "Each document is complete: it keeps every statement the role already has.",
                "The role itself stays outside this stack; deleting the stack deletes these",
                "inline policies.",
            )
            + _yaml(template)
        )
    if change.trust_policy is not None:
        fragment = {"AssumeRolePolicyDocument": change.trust_policy}
        parts.append(
            _comments(
                f"Trust policy for role {_q(change.role_name)}: not a template.",
                "CloudFormation can change a role's trust policy only through the stack that",
                "defines the role. If a stack defines it, replace AssumeRolePolicyDocument in",
                "that AWS::IAM::Role's Properties with the one below and update that stack.",
                "Otherwise apply it with the AWS CLI (aws iam update-assume-role-policy; the",
                "'cli' format has the exact command).",
                "The document is complete: it keeps every statement the role already has.",
            )
            + _yaml(fragment)
        )
    return "---\n".join(parts)


def render_terraform(change: Change) -> str:
    """Terraform (HCL): one ``aws_iam_role_policy`` resource per inline policy.

    A trust change is an ``aws_iam_role`` block carrying only ``name`` and
    ``assume_role_policy``, under comments saying to merge it into the role's existing resource
    (or to ``terraform import`` the role first): applied as is, Terraform would try to create a
    second role with the same name.

    Documents are JSON heredocs; HCL would read ``${`` and ``%{`` there as template sequences,
    so they are escaped as ``$${`` and ``%%{`` (IAM policy variables such as
    ``${aws:username}`` are legal in policies).
    """
    return _warnings(change) + _render_terraform(change)


def _render_terraform(change: Change) -> str:
    if change.empty:
        return _comments(
            f"{_TOOL}: role {_q(change.role_name)} already has what it needs; nothing to change."
        )
    blocks = [
        _comments(
            f"{_TOOL}: apply the fix to role {_q(change.role_name)} ({_q(change.role_arn)}).",
            "Each document is complete: it keeps every statement the role already has.",
        ).rstrip("\n")
    ]
    for label, (name, document) in zip(
        _unique(_label(name, "policy") for name in change.policies),
        change.policies.items(),
        strict=True,
    ):
        blocks.append(
            f'resource "aws_iam_role_policy" "{label}" {{\n'
            f"  name   = {_hcl_string(name)}\n"
            f"  role   = {_hcl_string(change.role_name)}\n"
            f"  policy = {_heredoc(document)}\n"
            "}"
        )
    if change.trust_policy is not None:
        label = _label(change.role_name, "role")
        import_command = shlex.join(
            ["terraform", "import", f"aws_iam_role.{label}", change.role_name]
        )
        blocks.append(
            _comments(
                f"Trust policy for role {_q(change.role_name)}. Do not apply this block as is: it",
                "would try to create a second role with the same name. Copy assume_role_policy",
                "into the aws_iam_role resource that already manages this role. If Terraform",
                "does not manage the role yet, import it first, then complete the block with",
                "the role's other settings until terraform plan shows only this change:",
                f"  {import_command}",
            )
            + f'resource "aws_iam_role" "{label}" {{\n'
            f"  name               = {_hcl_string(change.role_name)}\n"
            f"  assume_role_policy = {_heredoc(change.trust_policy)}\n"
            "}"
        )
    return "\n\n".join(blocks) + "\n"


_RENDERERS: dict[str, Callable[[Change], str]] = {
    "json": render_json,
    "cli": render_cli,
    "cloudformation": render_cloudformation,
    "terraform": render_terraform,
}


def _compact_json(document: dict[str, Any]) -> str:
    # One line, so each command stays one line once its continuations are joined; ASCII, so
    # no terminal or locale can mangle a character on the way to the API.
    return json.dumps(document, separators=(",", ":"))


def _command(argv: list[str], options: list[tuple[str, str]]) -> list[str]:
    # Backslash continuations: one option per line reads better than one very long line.
    lines = [shlex.join(argv) + " \\"]
    for index, (flag, value) in enumerate(options):
        end = "" if index == len(options) - 1 else " \\"
        lines.append(f"  {flag} {shlex.quote(value)}{end}")
    return lines


def _q(value: str) -> str:
    # A value in a comment is quoted and escaped as a JSON string: readable, and no line
    # break, quote or control character of it can end the comment early.
    return json.dumps(value)


# What ends a comment line in one of the formats (YAML and HCL read some Unicode separators
# as line breaks), or could rewrite the terminal showing it.
_UNSAFE_IN_COMMENT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _comment_lines(*lines: str) -> list[str]:
    """``# line`` for each line (``#`` alone for an empty one); anything that could end the
    comment or reach the terminal is escaped, whatever the caller put in."""

    def safe(line: str) -> str:
        return _UNSAFE_IN_COMMENT.sub(lambda m: f"\\u{ord(m.group()):04x}", line)

    return [f"# {safe(line)}" if line else "#" for line in lines]


def _comments(*lines: str) -> str:
    return "".join(f"{line}\n" for line in _comment_lines(*lines))


class _NoAliasDumper(yaml.SafeDumper):
    # PyYAML writes an object met twice (one document for two policies) as &anchor / *alias,
    # and CloudFormation rejects aliases: write every occurrence out in full.
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _yaml(data: dict[str, Any]) -> str:
    # Key order kept: a template reads Type before Properties, and a policy Version first.
    text: str = yaml.dump(
        data,
        Dumper=_NoAliasDumper,
        sort_keys=False,
        default_flow_style=False,
        # ASCII with escapes: with allow_unicode PyYAML writes some characters (U+0085, found
        # by the round-trip test) in plain style, where YAML reads them as line breaks.
        allow_unicode=False,
        width=100,
    )
    return text


def _logical_id(policy_name: str) -> str:
    # Logical ids are alphanumeric only: CamelCase the words of the name.
    words = re.split(r"[^A-Za-z0-9]+", policy_name)
    logical_id = "".join(word[:1].upper() + word[1:] for word in words)
    return logical_id or "InlinePolicy"


def _label(name: str, kind: str) -> str:
    # Terraform names are identifiers; snake_case by convention, and none may start with a digit.
    label = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not label or label[0].isdigit():
        label = f"{kind}_{label}".rstrip("_")
    return label


def _unique(names: Iterable[str]) -> list[str]:
    # Different policy names can fold to the same id ("a.b" and "a-b"): number the repeats.
    seen: set[str] = set()
    result: list[str] = []
    for name in names:
        candidate, number = name, 2
        while candidate in seen:
            candidate, number = f"{name}{number}", number + 1
        seen.add(candidate)
        result.append(candidate)
    return result


def _escape_template(text: str) -> str:
    # HCL reads ${ and %{ as template sequences even in heredocs; $${ and %%{ are literal.
    return text.replace("${", "$${").replace("%{", "%%{")


def _hcl_string(value: str) -> str:
    # A JSON string literal is also a valid HCL one (same quote, backslash and \u escapes).
    return _escape_template(json.dumps(value))


def _heredoc(document: dict[str, Any]) -> str:
    # Heredocs take no backslash escapes, so the JSON goes in exactly as json.dumps wrote it;
    # ASCII only, so no character can be read as a line break. No line of indented JSON is
    # just "EOT" (every string is quoted), so the delimiter cannot end the document early.
    body = _escape_template(json.dumps(document, indent=2))
    indented = "".join(f"    {line}\n" for line in body.splitlines())
    return f"<<-EOT\n{indented}  EOT"
