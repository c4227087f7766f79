"""Condition evaluation: every operator family, ``IfExists``, ``Null`` and the set operators.

Sources (IAM User Guide), cited below by title:

- "IAM JSON policy elements: Condition operators"
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- "Single-valued vs. multivalued context keys"
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
- "Creating a condition with multiple context keys or values"
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
- "IAM policy elements: Variables and tags"
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

Semantics, in the order ``condition_matches`` applies them:

1. Operator names are case-sensitive, exactly as AWS writes them: IAM rejects
   ``"stringEquals"`` with ``MalformedPolicyDocument: Invalid Condition type : stringEquals``
   (observed by users creating roles; the grammar's ``condition_type_string`` lists the names).
   An operator this module does not know raises ``PolicyValidationError``; parsing normally
   rejects it first. Key names compare case-insensitively ("Condition element": "Condition key
   names are not case-sensitive"); ``RequestContext`` does that.
2. ``Null`` tests presence only: ``"true"`` matches an absent key, ``"false"`` a present one
   ("Condition operator to check existence of condition keys"). The values are compared
   case-insensitively; a key carried with an empty list is present.
3. An absent key: ``...IfExists`` is true ("If the key is not present, evaluate the condition
   element as true"); ``ForAllValues`` is true ("It also returns true if there are no context
   keys in the request"); ``ForAnyValue`` is false ("if the key does not exist, the condition
   returns false"); a plain negated operator (StringNotEquals, StringNotEqualsIgnoreCase,
   StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals, ArnNotLike) is
   true and every other plain operator false ("Condition operators", the *Important* note).
4. A present key with a set operator applies the single-value test to each request value:
   ``ForAllValues`` needs every request value to pass (an empty list passes: "null dataset"),
   ``ForAnyValue`` at least one. Under a negated operator the single-value test is itself
   negated, so ``ForAllValues:StringNotEquals`` means *no* request value is in the list and
   ``ForAnyValue:StringNotEquals`` means *some* request value is outside it -- the per-value
   reading the user guide's examples give ("Multivalued context key examples",
   ``ForAllValues`` with ``StringNotLike``, and "Single-valued vs. multivalued context keys").
5. A present key without a set operator must carry exactly one value. "Multivalued context keys
   require a condition set operator"; a plain operator given several request values (or an
   empty list) does not match, negated or not. That is what AWS does in practice (a bare
   ``StringEquals`` on ``aws:CalledVia`` with two services in the chain denies, the
   ``ForAnyValue:`` form allows) and what @cloud-copilot/iam-simulate does. A one-element list
   cannot be told from a single value here (``RequestContext`` keeps tuples), so it is judged
   as a single value.
6. The single-value test: the values of one key are ORed, and under a negated operator NORed
   ("Creating a condition with multiple context keys or values": "...listed in a policy with
   negated matching condition operators such as StringNotEquals..., the effective permissions
   work like a logical AND"). A comparison has three outcomes: match, no match, or *cannot be
   compared* (a non-numeric value under ``Numeric*``, a date that does not parse, a request
   value that is not an ARN under ``Arn*``, an unresolved policy variable...). "Cannot be
   compared" satisfies neither the operator nor its negation: "If AWS cannot resolve a
   variable, this might cause the entire statement to be invalid" (Variables), and the
   principal-key table says a missing variable "causes the statement to be invalid". So X and
   NotX are exact complements only when every value is well formed.

Per family:

- String: ``Equals`` exact and case-sensitive, ``EqualsIgnoreCase`` ignoring case, ``Like``
  with ``*`` (any run, also empty) and ``?`` (one character), case-sensitive.
- Numeric: "an integer or decimal value": ``[+-]digits[.digits]``, compared exactly (Decimal);
  anything else (exponents, NaN, blanks) cannot be compared. "You can not use a policy
  variable with the Numeric condition operator."
- Date: one of "the W3C implementations of the ISO 8601 date formats"
  (https://www.w3.org/TR/NOTE-datetime: YYYY-MM, YYYY-MM-DD, with hh:mm, hh:mm:ss or
  hh:mm:ss.s and a zone ``Z`` or ``+hh:mm``/``-hh:mm``) "or in epoch (UNIX) time" (whole
  seconds). An all-digit value is epoch seconds (so the bare-year form reads as epoch, as
  iam-simulate also does); a time without a zone is taken as UTC. No variables.
- Bool: the values ``true``/``false`` compared case-insensitively; any other value cannot be
  compared. Variables are substituted: "You can use a policy variable with the Boolean
  condition operator" ("Condition operators"; the Variables page lists Boolean among the
  operators without variables -- the operator page, which iam-simulate follows, wins here).
- BinaryEquals: both sides are base-64 text (a request context carries strings) and are
  compared "byte for byte" after decoding; text that is not base-64 cannot be compared.
- IpAddress/NotIpAddress: "standard CIDR format"; "If you specify an IP address without the
  associated routing prefix, IAM uses the default prefix value of /32" (and /128 for IPv6).
  Host bits in the policy value are ignored (203.0.113.5/24 is 203.0.113.0/24). An IPv4
  request value is simply outside an IPv6 range and vice versa. No variables.
- Arn: "Each of the six colon-delimited components of the ARN is checked separately and each
  can include multi-character match wildcards (*) or single-character match wildcards (?).
  The ArnEquals and ArnLike condition operators behave identically" (likewise ArnNotEquals and
  ArnNotLike). So ``ArnEquals`` takes wildcards too. Matching is "Case-sensitive" in every
  segment (unlike the Resource element). Both values split at the first five colons; the sixth
  part (the resource) keeps its colons, and ``*`` may span them there. A value with fewer than
  six parts, or not starting with ``arn``, cannot be compared.
- Policy variables (only when ``variables=True``, i.e. Version 2012-10-17) apply to the
  String, Arn and Bool families. Substituted text is literal: in ``Like``/``Arn`` a ``*`` that
  came from a variable is not a wildcard; ``Equals`` compares the concatenated text. Arn
  values are split into segments after substitution. A variable with no value and no default
  makes that one policy value impossible to compare.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

from .context import RequestContext
from .matching import match_pieces
from .model import Condition, PolicyValidationError
from .variables import Piece, expand, has_variables

# The outcome of comparing one request value with one policy value: True (match), False (no
# match) or None (the two cannot be compared; satisfies neither an operator nor its negation).
Outcome = bool | None
Comparator = Callable[[str, str, RequestContext, bool], Outcome]

_SET_OPERATORS = ("ForAllValues", "ForAnyValue")


# -- string family -------------------------------------------------------------------------


def _policy_pieces(
    value: str, context: RequestContext, variables: bool
) -> tuple[Piece, ...] | None:
    """The policy value as glob pieces, variables substituted when this policy allows them."""
    if variables and "${" in value and has_variables(value):
        return expand(value, context)
    return ((value, False),)


def _policy_text(value: str, context: RequestContext, variables: bool) -> str | None:
    """The policy value with variables substituted, as plain text (for Equals-style operators)."""
    if variables and "${" in value and has_variables(value):
        pieces = expand(value, context)
        if pieces is None:
            return None
        return "".join(text for text, _literal in pieces)
    return value


def _string_equals(request: str, policy: str, context: RequestContext, variables: bool) -> Outcome:
    text = _policy_text(policy, context, variables)
    return None if text is None else request == text


def _string_equals_ignore_case(
    request: str, policy: str, context: RequestContext, variables: bool
) -> Outcome:
    text = _policy_text(policy, context, variables)
    return None if text is None else request.lower() == text.lower()


def _string_like(request: str, policy: str, context: RequestContext, variables: bool) -> Outcome:
    pieces = _policy_pieces(policy, context, variables)
    return None if pieces is None else match_pieces(pieces, request)


# -- numeric family ------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


@lru_cache(maxsize=4096)
def _number(text: str) -> Decimal | None:
    # "an integer or decimal value" (Condition operators): no exponents, NaN or infinities.
    if not _NUMBER.fullmatch(text):
        return None
    return Decimal(text)


def _ordered(
    convert: Callable[[str], Decimal | None], compare: Callable[[Decimal, Decimal], bool]
) -> Comparator:
    """Numeric and Date operators: both sides converted to numbers, then compared; a value
    that does not convert satisfies neither the operator nor its negation."""

    def comparator(
        request: str, policy: str, _context: RequestContext, _variables: bool
    ) -> Outcome:
        left, right = convert(request), convert(policy)
        if left is None or right is None:
            return None
        return compare(left, right)

    return comparator


# -- date family ---------------------------------------------------------------------------

_EPOCH = re.compile(r"-?\d+")
_W3C_DATE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})"
    r"(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?)?)?",
    re.IGNORECASE,
)
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@lru_cache(maxsize=4096)
def _instant(text: str) -> Decimal | None:
    """Seconds since the Unix epoch (exact), or None when ``text`` is no date AWS accepts."""
    if _EPOCH.fullmatch(text):
        return Decimal(text)
    match = _W3C_DATE.fullmatch(text)
    if not match:
        return None
    zone_text = match["zone"]
    offset = timedelta(0)
    if zone_text and zone_text.upper() != "Z":
        digits = zone_text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes)
        if zone_text[0] == "-":
            offset = -offset
    try:
        moment = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"] or 1),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None
    delta = moment - _UNIX_EPOCH
    seconds = Decimal(delta.days * 86400 + delta.seconds)
    if match["fraction"]:
        seconds += Decimal("0." + match["fraction"])
    return seconds


# -- Bool, BinaryEquals, IP ------------------------------------------------------------------


def _bool(request: str, policy: str, context: RequestContext, variables: bool) -> Outcome:
    text = _policy_text(policy, context, variables)
    if text is None:
        return None
    left, right = request.lower(), text.lower()
    if left not in ("true", "false") or right not in ("true", "false"):
        return None
    return left == right


@lru_cache(maxsize=1024)
def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _binary_equals(
    request: str, policy: str, _context: RequestContext, _variables: bool
) -> Outcome:
    left, right = _binary(request), _binary(policy)
    if left is None or right is None:
        return None
    return left == right


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=1024)
def _network(text: str) -> IpNetwork | None:
    try:
        # strict=False: host bits are ignored; a bare address becomes /32 or /128.
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def _address(text: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _ip_in(request: str, policy: str, _context: RequestContext, _variables: bool) -> Outcome:
    address, network = _address(request), _network(policy)
    if address is None or network is None:
        return None
    # An address of the other IP version is a valid address outside the range.
    return address.version == network.version and address in network


# -- ARN family ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _arn_segments(pieces: tuple[Piece, ...]) -> tuple[tuple[Piece, ...], ...] | None:
    """Split pieces at the first five colons into six segments; None when there are fewer.

    A colon from a substituted variable separates too: substitution comes first, then the
    value is compared "segment by segment". Cached: a policy's patterns recur on every request.
    """
    segments: list[list[Piece]] = [[]]
    for text, literal in pieces:
        start = 0
        while len(segments) < 6:
            colon = text.find(":", start)
            if colon < 0:
                break
            if colon > start:
                segments[-1].append((text[start:colon], literal))
            segments.append([])
            start = colon + 1
        if start < len(text):
            segments[-1].append((text[start:], literal))
    if len(segments) != 6:
        return None
    return tuple(tuple(segment) for segment in segments)


def _segment_matches(segment: tuple[Piece, ...], text: str) -> bool:
    # Most segments ("aws", "iam", an account id) hold no wildcard: compare them directly.
    if len(segment) == 1:
        pattern, literal = segment[0]
        if literal or ("*" not in pattern and "?" not in pattern):
            return pattern == text
    elif not segment:
        return not text
    return match_pieces(segment, text)


def _arn_like(request: str, policy: str, context: RequestContext, variables: bool) -> Outcome:
    parts = request.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    pieces = _policy_pieces(policy, context, variables)
    if pieces is None:
        return None
    segments = _arn_segments(pieces)
    if segments is None or not _segment_matches(segments[0], "arn"):
        return None
    # "Case-sensitive matching of the ARN. Each of the six colon-delimited components of the
    # ARN is checked separately" (Condition operators, ARN).
    return all(
        _segment_matches(segment, part) for segment, part in zip(segments, parts, strict=True)
    )


# -- operator table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Base:
    comparator: Comparator
    negated: bool


_BASE_OPERATORS: dict[str, _Base] = {
    "StringEquals": _Base(_string_equals, False),
    "StringNotEquals": _Base(_string_equals, True),
    "StringEqualsIgnoreCase": _Base(_string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": _Base(_string_equals_ignore_case, True),
    "StringLike": _Base(_string_like, False),
    "StringNotLike": _Base(_string_like, True),
    "NumericEquals": _Base(_ordered(_number, lambda r, p: r == p), False),
    "NumericNotEquals": _Base(_ordered(_number, lambda r, p: r == p), True),
    "NumericLessThan": _Base(_ordered(_number, lambda r, p: r < p), False),
    "NumericLessThanEquals": _Base(_ordered(_number, lambda r, p: r <= p), False),
    "NumericGreaterThan": _Base(_ordered(_number, lambda r, p: r > p), False),
    "NumericGreaterThanEquals": _Base(_ordered(_number, lambda r, p: r >= p), False),
    "DateEquals": _Base(_ordered(_instant, lambda r, p: r == p), False),
    "DateNotEquals": _Base(_ordered(_instant, lambda r, p: r == p), True),
    "DateLessThan": _Base(_ordered(_instant, lambda r, p: r < p), False),
    "DateLessThanEquals": _Base(_ordered(_instant, lambda r, p: r <= p), False),
    "DateGreaterThan": _Base(_ordered(_instant, lambda r, p: r > p), False),
    "DateGreaterThanEquals": _Base(_ordered(_instant, lambda r, p: r >= p), False),
    "Bool": _Base(_bool, False),
    "BinaryEquals": _Base(_binary_equals, False),
    "IpAddress": _Base(_ip_in, False),
    "NotIpAddress": _Base(_ip_in, True),
    # "The ArnEquals and ArnLike condition operators behave identically."
    "ArnEquals": _Base(_arn_like, False),
    "ArnLike": _Base(_arn_like, False),
    "ArnNotEquals": _Base(_arn_like, True),
    "ArnNotLike": _Base(_arn_like, True),
}

#: Every base operator name AWS documents, ``Null`` included (for parse and lint).
BASE_OPERATORS: frozenset[str] = frozenset({*_BASE_OPERATORS, "Null"})
#: The operators that are true for an absent key without ``IfExists``.
NEGATED_OPERATORS: frozenset[str] = frozenset(
    name for name, base in _BASE_OPERATORS.items() if base.negated
)


@dataclass(frozen=True)
class Operator:
    """A condition operator taken apart: ``ForAnyValue:StringLikeIfExists`` is
    set_operator="ForAnyValue", base="StringLike", if_exists=True."""

    set_operator: str | None
    base: str
    if_exists: bool

    @property
    def negated(self) -> bool:
        return self.base in NEGATED_OPERATORS


@lru_cache(maxsize=512)
def parse_operator(operator: str) -> Operator | None:
    """Split an operator name into its parts, or None when AWS would not accept it.

    Names are case-sensitive (IAM answers ``Invalid Condition type : stringEquals``).
    ``IfExists`` may follow any operator except ``Null`` ("...IfExists condition operators").
    """
    set_operator: str | None = None
    rest = operator
    prefix, colon, tail = operator.partition(":")
    if colon:
        if prefix not in _SET_OPERATORS:
            return None
        set_operator, rest = prefix, tail
    if rest in BASE_OPERATORS:
        return Operator(set_operator, rest, False)
    if rest.endswith("IfExists"):
        base = rest[: -len("IfExists")]
        if base in _BASE_OPERATORS:
            return Operator(set_operator, base, True)
    return None


def _operator(condition: Condition) -> Operator:
    parsed = parse_operator(condition.operator)
    if parsed is None:
        raise PolicyValidationError(
            [
                (
                    condition.path,
                    f"unknown condition operator {condition.operator!r}: use one of the operators "
                    "in the IAM documentation, spelled exactly (e.g. StringEquals, "
                    "ForAnyValue:StringLike, ArnLikeIfExists)",
                )
            ]
        )
    return parsed


def _single_value(
    base: _Base,
    request: str,
    values: Sequence[str],
    context: RequestContext,
    variables: bool,
) -> bool:
    """One request value against the policy values: ORed, or NORed under a negated operator."""
    if base.negated:
        # True only when every policy value can be compared and none of them matches.
        return all(base.comparator(request, value, context, variables) is False for value in values)
    return any(base.comparator(request, value, context, variables) is True for value in values)


def condition_matches(
    condition: Condition, context: RequestContext, *, variables: bool = True
) -> bool:
    """Whether the request context satisfies one operator/key pair of a Condition block.

    ``variables`` is False for policies whose Version does not substitute policy variables
    (anything but "2012-10-17"); their ``${...}`` text is then compared literally.
    """
    operator = _operator(condition)
    request_values = context.get(condition.key)

    if operator.base == "Null":
        wanted = "true" if request_values is None else "false"
        return any(value.lower() == wanted for value in condition.values)

    if request_values is None:
        if operator.if_exists or operator.set_operator == "ForAllValues":
            return True
        if operator.set_operator == "ForAnyValue":
            return False
        return operator.negated

    base = _BASE_OPERATORS[operator.base]
    values = condition.values
    if operator.set_operator is None:
        if len(request_values) != 1:
            return False
        return _single_value(base, request_values[0], values, context, variables)
    if operator.set_operator == "ForAllValues":
        return all(_single_value(base, r, values, context, variables) for r in request_values)
    return any(_single_value(base, r, values, context, variables) for r in request_values)


def conditions_match(
    conditions: Sequence[Condition], context: RequestContext, *, variables: bool = True
) -> tuple[bool, Condition | None]:
    """AND over a Condition block: (True, None), or (False, the first condition that failed).

    Every condition is checked for a known operator first, so a bad operator raises even when an
    earlier condition already failed.
    """
    for condition in conditions:
        _operator(condition)
    for condition in conditions:
        if not condition_matches(condition, context, variables=variables):
            return False, condition
    return True, None
