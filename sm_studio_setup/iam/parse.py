"""Parse and validate policy documents the way AWS does, into the model of ``model.py``.

Every problem found is collected (not just the first) and raised together as one
``PolicyValidationError`` whose ``problems`` name the JSON path and the rule.

The rules come from the IAM User Guide, "IAM JSON policy element reference"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html) and the
grammar page "Grammar of the IAM JSON policy language"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html); each
rule below cites the element page it comes from.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, get_args
from urllib.parse import unquote

from .conditions import parse_operator
from .model import (
    Condition,
    Effect,
    Policy,
    PolicyKind,
    PolicyValidationError,
    Principal,
    Statement,
)

PolicyInput = str | Mapping[str, Any] | Policy

_KINDS: tuple[str, ...] = get_args(PolicyKind)
# Kinds attached to an identity (or bounding one): no Principal, Resource required.
_IDENTITY_LIKE = frozenset({"identity", "boundary", "session", "scp"})
# Kinds IAM itself stores; IAM restricts their Sids ("Sids must be alphanumeric").
_IAM_STORED = frozenset({"identity", "boundary", "trust"})

# "Version": only these two values exist ("IAM JSON policy elements: Version").
_VERSIONS = ("2012-10-17", "2008-10-17")
# "If you do not include a Version element, the value defaults to 2008-10-17" (same page).
_DEFAULT_VERSION = "2008-10-17"

_TOP_KEYS = ("Version", "Id", "Statement")
_STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")

# "IAM JSON policy elements: Action": service prefix, a colon, the action name; wildcards
# allowed in the name. Service prefixes are letters, digits and hyphens.
_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9_*?-]+$")
# IAM's own message: "Statement IDs (SID) must be alpha-numeric" ([0-9A-Za-z]*).
_IAM_SID = re.compile(r"^[0-9A-Za-z]*$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
# IAM unique ids (AIDA..., AROA..., ...) appear in place of ARNs of deleted principals.
_UNIQUE_ID = re.compile(r"^[A-Z0-9]{16,128}$")


_KIND_WORDS = {
    "identity": "an identity policy",
    "boundary": "a permissions boundary",
    "session": "a session policy",
    "scp": "a service control policy",
    "resource": "a resource policy",
    "trust": "a role trust policy",
}


def _describe(value: object) -> str:
    """A short, safe description of a bad value (never a repr of deep structures)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return json.dumps(shown)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def valid_operator(operator: str) -> bool:
    """Whether AWS knows the condition operator ``operator``; the rules live with the operators
    themselves in ``conditions``, so parse and evaluation can never disagree."""
    return parse_operator(operator) is not None


class _Collector:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def add(self, path: str, rule: str) -> None:
        self.problems.append((path, rule))


def _load_text(text: str, out: _Collector) -> object:
    stripped = text.strip()
    if not stripped.startswith("{") and "%" in stripped:
        # GetRole/ListRoles return AssumeRolePolicyDocument URL-encoded (RFC 3986: '+' is a
        # literal plus, so unquote, not unquote_plus).
        stripped = unquote(stripped).strip()

    def reject_constant(name: str) -> object:
        # Python's json accepts NaN/Infinity; JSON (and IAM) do not.
        raise ValueError(f"{name} is not valid JSON")

    try:
        return json.loads(stripped, parse_constant=reject_constant)
    except json.JSONDecodeError as error:
        out.add(
            "",
            f"the policy is not valid JSON: {error.msg} at line {error.lineno} "
            f"column {error.colno}",
        )
    except (ValueError, RecursionError) as error:
        # RecursionError: absurdly deep nesting, which no policy has.
        reason = str(error) if isinstance(error, ValueError) else "nested too deeply"
        out.add("", f"the policy is not valid JSON: {reason}")
    return None


def _string_list(value: object, path: str, element: str, out: _Collector) -> tuple[str, ...] | None:
    """A string or a non-empty list of strings ("Action", "Resource" and principal values)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        if not value:
            out.add(path, f"{element} must not be an empty list")
            return None
        items: list[str] = []
        ok = True
        for i, item in enumerate(value):
            if isinstance(item, str):
                items.append(item)
            else:
                out.add(
                    f"{path}[{i}]", f"each {element} entry must be a string, not {_describe(item)}"
                )
                ok = False
        return tuple(items) if ok else None
    out.add(path, f"{element} must be a string or a list of strings, not {_describe(value)}")
    return None


def _item_path(path: str, index: int, raw: object) -> str:
    # A single string is reported at the element itself, a list entry at its index.
    return f"{path}[{index}]" if isinstance(raw, list | tuple) else path


def _parse_actions(
    value: object, path: str, element: str, out: _Collector
) -> tuple[str, ...] | None:
    actions = _string_list(value, path, element, out)
    if actions is None:
        return None
    ok = True
    for i, action in enumerate(actions):
        if action != "*" and not _ACTION.match(action):
            out.add(
                _item_path(path, i, value),
                f'{_describe(action)} is not an action: write "*" or "service:ActionName" '
                "(service prefix of letters, digits and hyphens; '*' and '?' allowed in the "
                'action name), e.g. "s3:GetObject"',
            )
            ok = False
    return actions if ok else None


def _parse_resources(
    value: object, path: str, element: str, out: _Collector
) -> tuple[str, ...] | None:
    resources = _string_list(value, path, element, out)
    if resources is None:
        return None
    ok = True
    for i, resource in enumerate(resources):
        # IAM: "Resource ... must be in ARN format or \"*\"".
        if resource != "*" and resource[:4].lower() != "arn:":
            out.add(
                _item_path(path, i, value),
                f'{_describe(resource)} is not a resource: write "*" or an ARN '
                "(arn:partition:service:region:account:resource)",
            )
            ok = False
    return resources if ok else None


def _parse_principal(value: object, path: str, out: _Collector) -> Principal | None:
    """ "IAM JSON policy elements: Principal": "*" or {type: value or list of values}."""
    if value == "*":
        return Principal(wildcard=True)
    if not isinstance(value, Mapping):
        out.add(
            path,
            f'must be "*" or an object such as {{"AWS": "123456789012"}} or '
            f'{{"Service": "codebuild.amazonaws.com"}}, not {_describe(value)}',
        )
        return None
    if not value:
        out.add(
            path, "must name at least one principal type (AWS, Service, Federated or CanonicalUser)"
        )
        return None
    values: dict[str, tuple[str, ...]] = {}
    ok = True
    for kind, raw in value.items():
        kind_path = f"{path}.{kind}" if isinstance(kind, str) else path
        if kind not in _PRINCIPAL_TYPES:
            out.add(
                kind_path,
                f"unknown principal type {_describe(kind)}; use AWS, Service, "
                "Federated or CanonicalUser",
            )
            ok = False
            continue
        items = _string_list(raw, kind_path, f"{kind} principal", out)
        if items is None:
            ok = False
            continue
        for i, item in enumerate(items):
            item_path = _item_path(kind_path, i, raw)
            problem = _principal_value_problem(kind, item)
            if problem:
                out.add(item_path, problem)
                ok = False
        values[kind] = items
    return Principal(values=values) if ok else None


def _principal_value_problem(kind: str, item: str) -> str | None:
    if not item.strip():
        return f"a {kind} principal must not be empty"
    if kind != "AWS":
        return None
    if item == "*" or _ACCOUNT_ID.match(item) or _UNIQUE_ID.match(item):
        return None
    if not item.startswith("arn:"):
        return (
            f'{_describe(item)} is not an AWS principal: write "*", a 12-digit account '
            "id or an ARN such as arn:aws:iam::123456789012:role/NAME"
        )
    if "*" in item or "?" in item:
        # "You cannot use a wildcard to match part of a principal name or ARN."
        return (
            f"{_describe(item)}: wildcards cannot match part of a principal ARN; use "
            '"*" with a condition on aws:PrincipalArn (ArnLike) instead'
        )
    return None


def _condition_values(raw: object, path: str, out: _Collector) -> tuple[str, ...] | None:
    def scalar(value: object, where: str) -> str | None:
        # Conditions compare text: booleans are "true"/"false", numbers as written.
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return value
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float) and math.isfinite(value):
            return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
        out.add(
            where, f"condition values must be strings, numbers or booleans, not {_describe(value)}"
        )
        return None

    if isinstance(raw, list | tuple):
        results: list[str] = []
        ok = True
        for i, item in enumerate(raw):
            text = scalar(item, f"{path}[{i}]")
            if text is None:
                ok = False
            else:
                results.append(text)
        return tuple(results) if ok else None
    text = scalar(raw, path)
    return None if text is None else (text,)


def _parse_conditions(value: object, path: str, out: _Collector) -> tuple[Condition, ...] | None:
    """ "IAM JSON policy elements: Condition": {operator: {key: value or values}}."""
    if not isinstance(value, Mapping):
        out.add(
            path,
            f'Condition must be an object of the form {{"StringEquals": '
            f'{{"aws:SourceAccount": "123456789012"}}}}, not {_describe(value)}',
        )
        return None
    conditions: list[Condition] = []
    ok = True
    for operator, block in value.items():
        if not isinstance(operator, str):
            out.add(path, "condition operators must be strings")
            ok = False
            continue
        op_path = f"{path}.{operator}"
        known = valid_operator(operator)
        if not known:
            hint = (
                " (Null cannot take IfExists)"
                if operator.lower().startswith("null") or ":null" in operator.lower()
                else ""
            )
            out.add(
                op_path,
                f"unknown condition operator {_describe(operator)}{hint}; use one "
                "of StringEquals, StringLike, ArnLike, NumericLessThan, Bool, "
                "IpAddress, Null, ... optionally prefixed with ForAllValues: or "
                "ForAnyValue: and suffixed with IfExists, spelled exactly",
            )
            ok = False
        if not isinstance(block, Mapping):
            out.add(
                op_path,
                f"an operator must map condition keys to values, e.g. "
                f'{{"aws:SourceAccount": "123456789012"}}, not '
                f"{_describe(block)}",
            )
            ok = False
            continue
        if not block:
            out.add(op_path, "an operator must name at least one condition key")
            ok = False
            continue
        for key, raw in block.items():
            if not isinstance(key, str) or not key.strip():
                out.add(
                    op_path, 'condition keys must be non-empty strings such as "aws:SourceAccount"'
                )
                ok = False
                continue
            key_path = f"{op_path}.{key}"
            values = _condition_values(raw, key_path, out)
            if values is None or not known:
                ok = False
                continue
            conditions.append(Condition(operator=operator, key=key, values=values, path=key_path))
    return tuple(conditions) if ok else None


def _parse_statement(
    raw: object, index: int, kind: str, sids: dict[str, int], out: _Collector
) -> Statement | None:
    path = f"Statement[{index}]"
    if not isinstance(raw, Mapping):
        out.add(path, f"each statement must be an object, not {_describe(raw)}")
        return None
    before = len(out.problems)
    words = _KIND_WORDS[kind]
    for key in raw:
        if not isinstance(key, str):
            out.add(path, "element names must be strings")
        elif key not in _STATEMENT_KEYS:
            out.add(
                f"{path}.{key}",
                f"unknown element {_describe(key)}; a statement has only "
                + ", ".join(_STATEMENT_KEYS)
                + " (names are case-sensitive)",
            )

    # Sid ("IAM JSON policy elements: Sid"): optional; unique within the policy.
    sid: str | None = None
    if "Sid" in raw:
        value = raw["Sid"]
        if not isinstance(value, str):
            out.add(f"{path}.Sid", f"Sid must be a string, not {_describe(value)}")
        else:
            sid = value
            if kind in _IAM_STORED and not _IAM_SID.match(value):
                out.add(f"{path}.Sid", "IAM Sids may contain only letters A-Z, a-z and digits 0-9")
            if value and value in sids:
                out.add(
                    f"{path}.Sid",
                    f"Sid {_describe(value)} is already used by "
                    f"Statement[{sids[value]}]; Sids must be unique in a "
                    "policy",
                )
            elif value:
                sids[value] = index

    # Effect ("IAM JSON policy elements: Effect"): required, exactly Allow or Deny.
    effect = raw.get("Effect")
    if "Effect" not in raw:
        out.add(path, 'Effect is required: "Allow" or "Deny"')
    elif effect not in ("Allow", "Deny"):
        out.add(
            f"{path}.Effect",
            f'Effect must be exactly "Allow" or "Deny" (case-sensitive), not {_describe(effect)}',
        )

    # Action / NotAction: exactly one ("IAM JSON policy elements: NotAction").
    actions = not_actions = None
    if "Action" in raw and "NotAction" in raw:
        out.add(path, "use either Action or NotAction, not both")
    elif "Action" in raw:
        actions = _parse_actions(raw["Action"], f"{path}.Action", "Action", out)
    elif "NotAction" in raw:
        not_actions = _parse_actions(raw["NotAction"], f"{path}.NotAction", "NotAction", out)
    else:
        out.add(path, "Action or NotAction is required")

    # Resource / NotResource ("IAM JSON policy elements: Resource": "Statements must include
    # either a Resource or a NotResource element"; role trust policies may not have one,
    # IAM: "Has prohibited field Resource"; resource policies name their resource implicitly
    # on some services, e.g. ECR repository policies).
    resources = not_resources = None
    has_resource = "Resource" in raw or "NotResource" in raw
    if "Resource" in raw and "NotResource" in raw:
        out.add(path, "use either Resource or NotResource, not both")
    elif kind == "trust" and has_resource:
        element = "Resource" if "Resource" in raw else "NotResource"
        out.add(
            f"{path}.{element}",
            f"{element} is not allowed in a role trust policy: the resource is the role itself",
        )
    elif "Resource" in raw:
        resources = _parse_resources(raw["Resource"], f"{path}.Resource", "Resource", out)
    elif "NotResource" in raw:
        not_resources = _parse_resources(
            raw["NotResource"], f"{path}.NotResource", "NotResource", out
        )
    elif kind in _IDENTITY_LIKE:
        out.add(
            path, f'Resource or NotResource is required in {words} (use "*" for every resource)'
        )

    # Principal / NotPrincipal ("IAM JSON policy elements: Principal" and "NotPrincipal").
    principal = not_principal = None
    if kind in _IDENTITY_LIKE:
        for element in ("Principal", "NotPrincipal"):
            if element in raw:
                out.add(
                    f"{path}.{element}",
                    f"{element} is not allowed in {words}: it applies "
                    "to the identity it is attached to",
                )
    elif "Principal" in raw and "NotPrincipal" in raw:
        out.add(path, "use either Principal or NotPrincipal, not both")
    elif "Principal" in raw:
        principal = _parse_principal(raw["Principal"], f"{path}.Principal", out)
    elif "NotPrincipal" in raw:
        if kind == "trust":
            # "You cannot use the NotPrincipal element in ... an IAM role trust policy."
            out.add(
                f"{path}.NotPrincipal",
                "NotPrincipal is not allowed in a role trust "
                "policy; name who may assume the role in Principal",
            )
        elif effect == "Allow":
            # "NotPrincipal must be used with "Effect":"Deny". Using it with Allow is not
            # supported."
            out.add(
                f"{path}.NotPrincipal",
                'NotPrincipal can only be used with "Effect": '
                '"Deny"; use Principal with a condition on '
                "aws:PrincipalArn instead",
            )
        else:
            not_principal = _parse_principal(raw["NotPrincipal"], f"{path}.NotPrincipal", out)
    else:
        out.add(
            path,
            f"Principal is required in {words}: name who the statement applies to, "
            'e.g. {"Service": "codebuild.amazonaws.com"}',
        )

    conditions: tuple[Condition, ...] | None = ()
    if "Condition" in raw:
        conditions = _parse_conditions(raw["Condition"], f"{path}.Condition", out)

    if len(out.problems) != before or conditions is None:
        return None
    assert effect in ("Allow", "Deny")
    typed_effect: Effect = "Allow" if effect == "Allow" else "Deny"
    return Statement(
        effect=typed_effect,
        index=index,
        sid=sid,
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        principal=principal,
        not_principal=not_principal,
        conditions=conditions,
    )


def parse_policy(
    document: PolicyInput, *, kind: PolicyKind = "identity", name: str | None = None
) -> Policy:
    """Parse and validate a policy document (a mapping, JSON text, URL-encoded JSON text).

    A ``Policy`` is returned as it is, so callers may pass parsed policies freely. Anything
    AWS would reject raises ``PolicyValidationError`` listing every problem with its JSON
    path; no other exception escapes for bad input.
    """
    if isinstance(document, Policy):
        return document
    if kind not in _KINDS:
        raise PolicyValidationError(
            [
                (
                    "",
                    f"unknown policy kind {_describe(kind)}; use one of "
                    + ", ".join(sorted(_KINDS)),
                )
            ],
            policy_name=name,
        )
    out = _Collector()
    source: object = document
    if isinstance(document, str):
        source = _load_text(document, out)
        if out.problems:
            raise PolicyValidationError(out.problems, policy_name=name)
    if not isinstance(source, Mapping):
        raise PolicyValidationError(
            [
                (
                    "",
                    f"a policy must be a JSON object with Version and Statement, not "
                    f"{_describe(source)}",
                )
            ],
            policy_name=name,
        )

    for key in source:
        if not isinstance(key, str):
            out.add("", "element names must be strings")
        elif key not in _TOP_KEYS:
            out.add(
                key,
                f"unknown element {_describe(key)}; a policy has only Version, Id "
                "and Statement (names are case-sensitive)",
            )

    version = _DEFAULT_VERSION
    if "Version" in source:
        raw_version = source["Version"]
        if raw_version in _VERSIONS:
            assert isinstance(raw_version, str)
            version = raw_version
        else:
            out.add(
                "Version",
                f'Version must be "2012-10-17" (or the legacy '
                f'"2008-10-17"), not {_describe(raw_version)}',
            )

    policy_id: str | None = None
    if "Id" in source:
        raw_id = source["Id"]
        if isinstance(raw_id, str):
            policy_id = raw_id
        else:
            out.add("Id", f"Id must be a string, not {_describe(raw_id)}")

    raw_statements: Sequence[object] = ()
    if "Statement" not in source:
        out.add("", "Statement is required")
    else:
        value = source["Statement"]
        if isinstance(value, Mapping):
            raw_statements = (value,)
        elif isinstance(value, list | tuple):
            raw_statements = value
            if not value:
                # IAM answers "Syntax errors in policy" for an empty statement list.
                out.add("Statement", "Statement must contain at least one statement")
        else:
            out.add(
                "Statement",
                f"Statement must be an object or a list of objects, not {_describe(value)}",
            )

    sids: dict[str, int] = {}
    statements: list[Statement] = []
    for index, raw in enumerate(raw_statements):
        statement = _parse_statement(raw, index, kind, sids, out)
        if statement is not None:
            statements.append(statement)

    if out.problems:
        raise PolicyValidationError(out.problems, policy_name=name)
    return Policy(
        statements=tuple(statements),
        kind=kind,
        version=version,
        id=policy_id,
        name=name,
        source=source,
    )
