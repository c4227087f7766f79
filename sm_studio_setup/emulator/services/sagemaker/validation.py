"""SageMaker's front-end checks of a request, worded as AWS words them.

Request members are checked against the length, pattern and enum constraints of botocore's
service model (boto3 checks only types and required members), so a malformed name fails with
``ValidationException`` here as it does in AWS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import Any

import botocore.session
from moto.sagemaker.exceptions import ValidationError


@lru_cache(maxsize=1)
def _service_model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


@cache
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: AWS would check it, we cannot
        return None


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _failed(value: Any, path: str, constraint: str) -> str:
    return f"Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"


def _missing(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


def _violations(shape: Any, value: Any, path: str) -> list[str]:
    """AWS's front-end checks, worded as AWS words them."""
    if value is None:
        return []
    kind = shape.type_name
    meta = shape.metadata
    found: list[str] = []
    if kind == "structure" and isinstance(value, Mapping):
        for name, member in shape.members.items():
            sub = f"{path}.{_lower_first(name)}" if path else _lower_first(name)
            if name in value:
                found += _violations(member, value[name], sub)
            elif name in shape.required_members:
                found.append(_missing(sub))
    elif kind == "list" and isinstance(value, list):
        found += _bound_violations(value, len(value), meta, path, "length")
        for i, item in enumerate(value, start=1):
            found += _violations(shape.member, item, f"{path}.{i}.member")
    elif kind == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            allowed = ", ".join(shape.enum)
            found.append(_failed(value, path, f"Member must satisfy enum value set: [{allowed}]"))
        found += _bound_violations(value, len(value), meta, path, "length")
        regex = _regex(meta["pattern"]) if "pattern" in meta else None
        if regex is not None and not regex.fullmatch(value):
            pattern = meta["pattern"]
            found.append(
                _failed(value, path, f"Member must satisfy regular expression pattern: {pattern}")
            )
    elif kind in ("integer", "long") and isinstance(value, int):
        found += _bound_violations(value, value, meta, path, "value")
    return found


def _bound_violations(
    value: Any, measured: int, meta: Mapping[str, Any], path: str, what: str
) -> list[str]:
    """The ``min`` and ``max`` of a number's value, or of a string's or list's length."""
    found = []
    if "min" in meta and measured < meta["min"]:
        found.append(
            _failed(value, path, f"Member must have {what} greater than or equal to {meta['min']}")
        )
    if "max" in meta and measured > meta["max"]:
        found.append(
            _failed(value, path, f"Member must have {what} less than or equal to {meta['max']}")
        )
    return found


def validate_request(
    operation: str,
    params: Mapping[str, Any],
    *,
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> None:
    """Raise ValidationException for every constraint ``params`` break; ``skip`` names
    top-level members not to check, ``only`` (when given) the only ones to check."""
    shape = _service_model().operation_model(operation).input_shape
    skipped = set(skip)
    checked = set(only) if only is not None else None
    found: list[str] = []
    for name, member in shape.members.items():
        if name in skipped or (checked is not None and name not in checked):
            continue
        if name in params:
            found += _violations(member, params[name], _lower_first(name))
        elif name in shape.required_members:
            found.append(_missing(_lower_first(name)))
    if found:
        plural = "s" if len(found) > 1 else ""
        raise ValidationError(
            f"{len(found)} validation error{plural} detected: " + "; ".join(found)
        )
