"""The plan's rule for trust changes: admit exactly what the requirements name, nothing more.

A trust change adds statements; it must never let in a principal or a request that the
original policy refused, other than the services the requirements name with the context they
name (``requirements/trust.py``). ``new_admissions`` checks that on a set of requests built
from everything both documents and the requirements mention (every principal, and every value
of every condition key, plus strangers for each), judged by the engine before and after.

Pure: no boto3, no I/O.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sm_studio_setup.iam import can_assume
from sm_studio_setup.iam.matching import glob_matches
from sm_studio_setup.requirements.model import ContextValue, Requirement

# Requests nobody named: another account, another organisation, another resource.
_STRANGER_ACCOUNT = "999999999999"
_STRANGER_ORG = "o-stranger0000"
_STRANGER_ARN = f"arn:aws:sagemaker:eu-west-1:{_STRANGER_ACCOUNT}:training-job/stranger"
_STRANGER_SERVICE = "ec2.amazonaws.com"
_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
# Contexts judged per principal: enough for every value of a handful of keys at once; a
# policy with many more is still checked on that many combinations.
_MAX_CONTEXTS = 4096


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = document.get("Statement", [])
    items = found if isinstance(found, list) else [found]
    return [s for s in items if isinstance(s, Mapping)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _principals(documents: Iterable[Mapping[str, Any]], named: Iterable[str]) -> set[str]:
    found = {*named, _STRANGER_SERVICE, f"arn:aws:sts::{_STRANGER_ACCOUNT}:assumed-role/R/s"}
    for document in documents:
        for statement in _statements(document):
            for element in ("Principal", "NotPrincipal"):
                principal = statement.get(element)
                if not isinstance(principal, Mapping):
                    continue
                found.update(_strings(principal.get("Service")))
                for value in _strings(principal.get("AWS")):
                    if value.isdigit():
                        found.add(f"arn:aws:sts::{value}:assumed-role/R/s")
                    elif ":role/" in value:
                        account, name = value.split(":")[4], value.rsplit("/", 1)[-1]
                        found.add(f"arn:aws:sts::{account}:assumed-role/{name}/s")
                    elif value.startswith("arn:"):
                        found.add(value.replace(":root", ":user/u"))
    return found


def _condition_values(
    documents: Iterable[Mapping[str, Any]], requirements: Sequence[Requirement]
) -> dict[str, set[str]]:
    """Every value each condition key is compared with, keyed by the key in lower case."""
    values: dict[str, set[str]] = {}
    for document in documents:
        for statement in _statements(document):
            condition = statement.get("Condition")
            if not isinstance(condition, Mapping):
                continue
            for block in condition.values():
                if not isinstance(block, Mapping):
                    continue
                for key, value in block.items():
                    bucket = values.setdefault(str(key).lower(), set())
                    for text in _strings(value):
                        # A pattern both as written and as one name it matches.
                        bucket.update({text, text.replace("*", "x").replace("?", "y")})
    for req in requirements:
        for key, value in req.context.items():
            values.setdefault(key.lower(), set()).update(_strings(value) or list(value))
    strangers = {
        "aws:sourceaccount": _STRANGER_ACCOUNT,
        "aws:sourcearn": _STRANGER_ARN,
        "aws:principalorgid": _STRANGER_ORG,
    }
    for key, stranger in strangers.items():
        values.setdefault(key, set()).add(stranger)
    return values


def _named(req: Requirement, principal: str, context: Mapping[str, ContextValue]) -> bool:
    """Whether the requirement names this request: its service, and every key it pins."""
    if (req.principal or "").lower() != principal.lower():
        return False
    given = {k.lower(): v for k, v in context.items()}
    for key, wanted in req.context.items():
        value = given.get(key.lower())
        if not isinstance(value, str) or not isinstance(wanted, str):
            return False
        if key.lower() == "aws:sourcearn":
            if not glob_matches(wanted, value):
                return False
        elif value != wanted:
            return False
    return True


def new_admissions(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    requirements: Sequence[Requirement],
) -> list[str]:
    """Requests ``after`` admits and ``before`` refused that no requirement names, described
    one per line (empty: the change is exactly what was asked)."""
    documents = (before, after)
    principals = _principals(documents, (r.principal for r in requirements if r.principal))
    values = _condition_values(documents, requirements)
    keys = sorted(values)
    choices = [[*sorted(values[k]), ""] for k in keys]  # "" leaves the key out
    found: list[str] = []
    for principal in sorted(principals):
        for combination in itertools.islice(itertools.product(*choices), _MAX_CONTEXTS):
            context = {k: v for k, v in zip(keys, combination, strict=True) if v}
            for action in _ACTIONS:
                if not can_assume(after, principal, context, action=action).allowed:
                    continue
                if can_assume(before, principal, context, action=action).allowed:
                    continue
                if action == "sts:AssumeRole" and any(
                    _named(r, principal, context) for r in requirements
                ):
                    continue
                found.append(f"{principal} {action} with {context}")
                if len(found) >= 5:
                    return found
    return found
