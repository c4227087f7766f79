"""IAM ``SimulatePrincipalPolicy`` for moto, answered by the same decision point that enforces
requests (``access.decide``), so the simulator never disagrees with what the emulator does.

AWS's request and response shapes: ``PolicySourceArn`` must name a user, group or role (an
``assumed-role`` session ARN is rejected with ``InvalidInput``), results are one per
action x resource and are paginated with ``MaxItems``/``Marker`` (default page size 100).

``SimulateCustomPolicy`` is not added: it evaluates policy documents passed in the request,
which a decider keyed on a principal cannot answer truthfully.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from moto.core.responses import ActionResult
from moto.iam.exceptions import IAMException, NotFoundException, ValidationError
from moto.iam.models import IAMBackend
from moto.iam.responses import IamResponse

from ..core import access

_DEFAULT_MAX_ITEMS = 100
_SOURCE_ARN = re.compile(
    r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):(?P<kind>user|group|role)(?P<path>/(?:[^/]+/)*)(?P<name>[^/]+)$"
)
_LIST_CONTEXT_TYPES = frozenset(
    {"stringList", "numericList", "booleanList", "ipList", "binaryList", "dateList"}
)


class InvalidInput(IAMException):
    code = "InvalidInput"


def install() -> None:
    """Idempotent: adds the operation to moto's IAM response class (not to an instance), so
    it serves both ``mock_aws`` and the loopback server."""
    IamResponse.simulate_principal_policy = _simulate_principal_policy  # type: ignore[attr-defined]


def _simulate_principal_policy(self: IamResponse) -> ActionResult:
    source = self._get_param("PolicySourceArn")
    actions: list[str] = self._get_param("ActionNames") or []
    resources: list[str] = self._get_param("ResourceArns") or ["*"]
    entries: list[dict[str, Any]] = self._get_param("ContextEntries") or []
    max_items = self._get_param("MaxItems")
    marker = self._get_param("Marker")

    _validate_shape(source, self._get_param("ActionNames"), max_items)
    principal = _principal(self.backend, source)
    _validate_actions(actions)
    _validate_resources(resources)
    context = _context(entries)

    pairs = [(a, r) for a in actions for r in resources]
    fingerprint = _fingerprint(principal, actions, resources, entries)
    start = _decode_marker(marker, fingerprint, len(pairs)) if marker else 0
    limit = _DEFAULT_MAX_ITEMS if max_items is None else int(max_items)
    page = pairs[start : start + limit]
    results = [_evaluate(principal, action, resource, context) for action, resource in page]

    result: dict[str, Any] = {"EvaluationResults": results, "IsTruncated": False}
    if start + limit < len(pairs):
        result["IsTruncated"] = True
        result["Marker"] = _encode_marker(start + limit, fingerprint)
    return ActionResult(result)


def _validate_shape(source: object, actions: object, max_items: object) -> None:
    # What AWS's request validation answers before looking at any entity.
    if source is None:
        raise ValidationError(_constraint("null", "policySourceArn", "must not be null"))
    if actions is None:
        raise ValidationError(_constraint("null", "actionNames", "must not be null"))
    if isinstance(source, str) and not 20 <= len(source) <= 2048:
        bound = "greater than or equal to 20" if len(source) < 20 else "less than or equal to 2048"
        raise ValidationError(
            _constraint(f"'{source}'", "policySourceArn", f"must have length {bound}")
        )
    if max_items is not None:
        value = int(str(max_items))
        if value < 1:
            raise ValidationError(
                _constraint(f"'{value}'", "maxItems", "must have value greater than or equal to 1")
            )
        if value > 1000:
            raise ValidationError(
                _constraint(f"'{value}'", "maxItems", "must have value less than or equal to 1000")
            )


def _constraint(value: str, field: str, rule: str) -> str:
    return (
        f"1 validation error detected: Value {value} at '{field}' failed to satisfy "
        f"constraint: Member {rule}"
    )


def _principal(backend: IAMBackend, source: str) -> str:
    match = _SOURCE_ARN.match(source)
    if match is None:
        raise InvalidInput(
            f"Invalid Entity Arn: {source} does not clearly define entity type and name."
        )
    kind, name = match["kind"], match["name"]
    missing = NotFoundException(f"The {kind} with name {name} cannot be found.")
    try:
        if kind == "role":
            arn = backend.get_role(name).arn
        elif kind == "user":
            arn = backend.get_user(name).arn
        else:
            arn = backend.get_group(name).arn
    except IAMException:
        raise missing from None
    # The name alone is not the entity: a different path or account is another entity.
    if arn != source:
        raise missing
    return arn


def _validate_actions(actions: Sequence[str]) -> None:
    for action in actions:
        service, _, name = action.partition(":")
        if not service or not name:
            raise InvalidInput("The action is invalid since it is missing names")


def _validate_resources(resources: Sequence[str]) -> None:
    for resource in resources:
        if resource == "*" and len(resources) == 1:
            continue
        parts = resource.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
            raise InvalidInput(f"ResourceNames are not in a valid ARN format: {resource}.")


def _context(entries: Sequence[Mapping[str, Any]]) -> dict[str, access.ContextValue]:
    context: dict[str, access.ContextValue] = {}
    for entry in entries:
        name = entry.get("ContextKeyName")
        if not isinstance(name, str) or not 5 <= len(name) <= 256:
            raise InvalidInput(f"Invalid context key name: {name}.")
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        if entry.get("ContextKeyType") in _LIST_CONTEXT_TYPES or len(values) != 1:
            context[name] = tuple(values)
        else:
            context[name] = values[0]
    return context


def _evaluate(
    principal: str, action: str, resource: str, context: Mapping[str, access.ContextValue]
) -> dict[str, Any]:
    judged = access.judge(access.AccessRequest(principal, action, resource, context))
    decision = judged.decision
    # Which statements matched is not reported here; the boundary's and the SCPs' own verdicts
    # are (botocore's IAM model: PermissionsBoundaryDecisionDetail, OrganizationsDecisionDetail).
    result: dict[str, Any] = {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": decision,
        "MatchedStatements": [],
        "MissingContextValues": [],
    }
    if judged.boundary_allowed is not None:
        result["PermissionsBoundaryDecisionDetail"] = {
            "AllowedByPermissionsBoundary": judged.boundary_allowed
        }
    if judged.organizations_allowed is not None:
        result["OrganizationsDecisionDetail"] = {
            "AllowedByOrganizations": judged.organizations_allowed
        }
    details = _cross_account_details(principal, resource, decision)
    if details:
        result["EvalDecisionDetails"] = details
    if resource != "*":
        specific: dict[str, Any] = {
            "EvalResourceName": resource,
            "EvalResourceDecision": decision,
            "MatchedStatements": [],
            "MissingContextValues": [],
        }
        if details:
            specific["EvalDecisionDetails"] = details
        result["ResourceSpecificResults"] = [specific]
    return result


def _cross_account_details(principal: str, resource: str, decision: str) -> dict[str, str]:
    # AWS fills EvalDecisionDetails only when the resource lives in another account.
    parts = resource.split(":", 5)
    principal_account = principal.split(":", 5)[4]
    if len(parts) == 6 and parts[4] and parts[4] != principal_account:
        return {"IAM Policy": decision}
    return {}


def _fingerprint(
    principal: str,
    actions: Sequence[str],
    resources: Sequence[str],
    entries: Sequence[Mapping[str, Any]],
) -> str:
    text = json.dumps([principal, list(actions), list(resources), list(entries)], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _encode_marker(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_marker(marker: str, fingerprint: str, total: int) -> int:
    # A marker only continues the request it was issued for.
    try:
        data = json.loads(base64.urlsafe_b64decode(marker.encode()))
        offset = int(data["o"])
        valid = data["f"] == fingerprint and 0 < offset < total
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise InvalidInput("Invalid Marker.")
    return offset
