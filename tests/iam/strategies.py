"""Hypothesis strategies for IAM differential testing: a request, then policies built around it.

Policy elements are derived from the request (exact, wildcarded, case-changed, templated with
variables, or unrelated) so that matches and non-matches are both common. Each case is a plain
JSON-able dict in the oracle's input shape:

    {"family": ..., "request": {"principal", "action", "resource", "resource_account", "context"},
     "identity_policies": [...], "boundary": ..., "scps": [[...], ...], "resource_policy": ...,
     "session_policy": ...}

What is generated stays inside what both sides define: real actions with ARNs of a resource type
the action takes (iam-simulate rejects anything else), context keys the action accepts, request
ARNs without wildcards, multivalued keys only under ForAllValues/ForAnyValue (AWS: "Multivalued
context keys require a condition set operator" — reference_policies_condition-single-vs-multi-
valued-context-keys), and no wildcard or variable inside an ARN's resource-type prefix (AWS ARN
reference, "Incorrect wildcard usage"). Variables are generated before the resource part too
(partition, service, region, account), where AWS does not substitute them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Json = dict[str, Any]
Draw = Callable[[st.SearchStrategy[Any]], Any]

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
ACCOUNTS = (ACCOUNT, OTHER_ACCOUNT)
REGIONS = ("us-east-1", "eu-west-1")
NAMES = ("sagemaker-studio-d-abc", "SageMaker-Studio-d-abc", "my-model", "alice")
DOMAIN = "d-abc123"


# --- requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An action and how to build an ARN of a resource type it takes.

    ``prefix`` is the ARN up to and including the resource-type segment, where neither
    wildcards nor variables belong; ``service_keys`` are service context keys the action takes.
    """

    action: str
    prefix: str  # may contain {region} and {account}
    wildcard_only: bool = False
    service_keys: tuple[str, ...] = ()


TARGETS = (
    Target("s3:GetObject", "arn:aws:s3:::"),
    Target("s3:PutObject", "arn:aws:s3:::"),
    Target("s3:ListBucket", "arn:aws:s3:::"),
    Target("ecr:PutImage", "arn:aws:ecr:{region}:{account}:repository/"),
    Target("ecr:CreateRepository", "arn:aws:ecr:{region}:{account}:repository/"),
    Target("codebuild:StartBuild", "arn:aws:codebuild:{region}:{account}:project/"),
    Target("codebuild:CreateProject", "arn:aws:codebuild:{region}:{account}:project/"),
    Target("logs:PutLogEvents", "arn:aws:logs:{region}:{account}:log-group:"),
    Target("iam:PassRole", "arn:aws:iam::{account}:role/", service_keys=("iam:PassedToService",)),
    Target("sagemaker:DescribeUserProfile", "arn:aws:sagemaker:{region}:{account}:user-profile/"),
    Target("ecr:GetAuthorizationToken", "", wildcard_only=True),
)


def _resource_id(target: Target, name: str) -> str:
    if target.action == "s3:ListBucket":
        return name.lower()
    if target.action.startswith("s3:"):
        return f"{name.lower()}/codebuild-{name}.zip"
    if target.action.startswith("logs:"):
        return f"/aws/codebuild/{name}:log-stream:{name}-1"
    if target.action.startswith("sagemaker:"):
        return f"{DOMAIN}/{name}"
    return name


@dataclass(frozen=True)
class Arn:
    prefix: str  # "arn:aws:ecr:us-east-1:111122223333:repository/" ("" for "*")
    rid: str  # resource id after the prefix

    @property
    def text(self) -> str:
        return self.prefix + self.rid if self.prefix else "*"


# --- context keys -----------------------------------------------------------------------------

STRING_KEYS: dict[str, tuple[str, ...]] = {
    "aws:username": ("alice", "Alice", "bob"),
    "aws:PrincipalTag/team": ("ml", "ML", "data", "d*ta"),
    "aws:RequestedRegion": REGIONS,
    "aws:SourceAccount": ACCOUNTS,
    "aws:PrincipalAccount": ACCOUNTS,
    "aws:RequestTag/env": ("prod", "dev", "Prod"),
}
ARN_KEYS: dict[str, tuple[str, ...]] = {
    "aws:SourceArn": (
        f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/sagemaker-studio-x",
        f"arn:aws:codebuild:eu-west-1:{OTHER_ACCOUNT}:project/other",
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:domain/{DOMAIN}",
    ),
    "aws:PrincipalArn": (
        f"arn:aws:iam::{ACCOUNT}:role/StudioRole",
        f"arn:aws:iam::{ACCOUNT}:role/service-role/StudioRole",
        f"arn:aws:iam::{OTHER_ACCOUNT}:user/bob",
    ),
}
BOOL_KEYS = ("aws:SecureTransport", "aws:MultiFactorAuthPresent", "aws:ViaAWSService")
NUMERIC_KEY = "aws:MultiFactorAuthAge"
NUMBERS = ("0", "300", "3600", "86400", "3600.5", "-1")
ISO_KEY = "aws:CurrentTime"
ISO_TIMES = (
    "2024-06-01T12:00:00Z",
    "2024-06-01T12:00:00.000Z",
    "2024-06-01T14:00:00+02:00",
    "2023-12-31T23:59:59Z",
    "2025-01-01T00:00:00Z",
)
EPOCH_KEY = "aws:EpochTime"
EPOCHS = ("1717243200", "1704067199", "1735689600", "0")
IP_KEY = "aws:SourceIp"
IPS = ("10.0.0.5", "10.1.2.3", "192.168.1.10", "2001:db8::1", "2001:db9::1")
CIDRS = ("10.0.0.0/8", "10.0.0.5/32", "10.0.0.5", "192.168.0.0/16", "0.0.0.0/0", "2001:db8::/32")
BINARY_KEY = "aws:RequestTag/blob"
BINARIES = ("QmluYXJ5VmFsdWU=", "b3RoZXI=", "QklOQVJZ")
MULTI_KEYS: dict[str, tuple[str, ...]] = {
    "aws:TagKeys": ("env", "team", "Env", "cost-center"),
    "aws:PrincipalServiceNamesList": (
        "codebuild.amazonaws.com",
        "sagemaker.amazonaws.com",
        "lambda.amazonaws.com",
    ),
    "aws:CalledVia": ("athena.amazonaws.com", "cloudformation.amazonaws.com"),
}
# Keys AWS derives from the caller and the resource, filled in from them (principal_context)
# rather than drawn at random: an inconsistent request would test nothing real.
DERIVED_KEYS = frozenset(
    k.lower() for k in ("aws:username", "aws:PrincipalAccount", "aws:PrincipalArn")
)
SERVICES = ("codebuild.amazonaws.com", "sagemaker.amazonaws.com", "glue.amazonaws.com")
SERVICE_KEYS: dict[str, tuple[str, ...]] = {"iam:PassedToService": SERVICES}


def _case_variants(text: str) -> tuple[str, ...]:
    return (text, text.upper(), text.lower(), text.swapcase())


@st.composite
def contexts(draw: Draw, target: Target) -> Json:
    """A request context: a random subset of the keys above with values from small pools."""
    context: Json = {}
    pools: dict[str, tuple[str, ...]] = {**STRING_KEYS, **ARN_KEYS}
    pools.update({k: ("true", "false") for k in BOOL_KEYS})
    pools[NUMERIC_KEY] = NUMBERS
    pools[ISO_KEY] = ISO_TIMES
    pools[EPOCH_KEY] = EPOCHS
    pools[IP_KEY] = IPS
    pools[BINARY_KEY] = BINARIES
    for key in target.service_keys:
        pools[key] = SERVICE_KEYS[key]
    for key, values in pools.items():
        if key.lower() not in DERIVED_KEYS and draw(st.booleans()):
            context[key] = draw(st.sampled_from(values))
    for key, values in MULTI_KEYS.items():
        if draw(st.booleans()):
            context[key] = draw(st.lists(st.sampled_from(values), max_size=3, unique=True))
    return context


def principal_context(principal: str, resource_account: str | None) -> Json:
    """The context keys AWS puts in every signed request of this caller ("AWS global condition
    context keys": aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
    aws:PrincipalIsAWSService, aws:username for IAM users, aws:ResourceAccount); iam-simulate
    does not derive them, so both engines are given them explicitly."""
    context: Json = {}
    if principal.endswith(".amazonaws.com"):
        context["aws:PrincipalIsAWSService"] = "true"
        context["aws:PrincipalServiceName"] = principal
    else:
        account, resource = principal.split(":", 5)[4:]
        context["aws:PrincipalIsAWSService"] = "false"
        context["aws:PrincipalAccount"] = account
        if resource.startswith("assumed-role/"):
            role = resource.split("/")[1]
            context["aws:PrincipalArn"] = f"arn:aws:iam::{account}:role/{role}"
            context["aws:PrincipalType"] = "AssumedRole"
        elif resource.startswith("role/"):
            context["aws:PrincipalArn"] = principal
            context["aws:PrincipalType"] = "AssumedRole"
        else:
            context["aws:PrincipalArn"] = principal
            context["aws:PrincipalType"] = "User"
            context["aws:username"] = resource.rsplit("/", 1)[-1]
    if resource_account:
        context["aws:ResourceAccount"] = resource_account
    return context


@st.composite
def requests(draw: Draw, *, targets: tuple[Target, ...] = TARGETS) -> tuple[Json, Target, Arn]:
    target = draw(st.sampled_from(targets))
    account = draw(st.sampled_from(ACCOUNTS))
    region = draw(st.sampled_from(REGIONS))
    name = draw(st.sampled_from(NAMES))
    if target.wildcard_only:
        arn = Arn("", "")
    else:
        arn = Arn(target.prefix.format(region=region, account=account), _resource_id(target, name))
    caller_account = draw(st.sampled_from((account, account, OTHER_ACCOUNT)))
    role = draw(st.sampled_from(("StudioRole", "BuildRole")))
    principal = draw(
        st.sampled_from(
            (
                f"arn:aws:sts::{caller_account}:assumed-role/{role}/SageMaker",
                f"arn:aws:iam::{caller_account}:role/{role}",
                f"arn:aws:iam::{caller_account}:user/alice",
            )
        )
    )
    resource_account = account if arn.prefix and ":s3:" not in arn.prefix else caller_account
    request = {
        "principal": principal,
        "action": target.action,
        "resource": arn.text,
        "resource_account": resource_account,
        "context": {**draw(contexts(target)), **principal_context(principal, resource_account)},
    }
    return request, target, arn


# --- policy elements --------------------------------------------------------------------------


def _mutate_case(draw: Draw, text: str) -> str:
    return str(draw(st.sampled_from(_case_variants(text))))


@st.composite
def action_patterns(draw: Draw, action: str) -> str:
    service, name = action.split(":")
    other = draw(st.sampled_from([t.action for t in TARGETS]))
    i = draw(st.integers(0, len(name) - 1))
    choices = (
        action,
        f"{_mutate_case(draw, service)}:{_mutate_case(draw, name)}",
        f"{service}:{name[: draw(st.integers(0, len(name)))]}*",
        f"{service}:{name[:i]}?{name[i + 1 :]}",
        f"{service}:*",
        "*",
        other,
        f"{service}:*{name[-3:]}",
    )
    return str(draw(st.sampled_from(choices)))


VARIABLE_KEYS = (
    "aws:username",
    "aws:PrincipalTag/team",
    "aws:RequestTag/env",
    "aws:PrincipalAccount",
)


@st.composite
def variables(draw: Draw, *, allow_default: bool = True) -> str:
    """``${key}`` or ``${key, 'default'}`` (AWS: reference_policies_variables, "Specifying
    default values"); iam-simulate reads the default only after exactly ", "."""
    key = draw(st.sampled_from(VARIABLE_KEYS))
    key = _mutate_case(draw, key) if draw(st.booleans()) else key
    if allow_default and draw(st.booleans()):
        default = draw(st.sampled_from(("alice", "ml", "none", "my-model")))
        return f"${{{key}, '{default}'}}"
    return f"${{{key}}}"


@st.composite
def resource_id_patterns(draw: Draw, rid: str, *, with_variables: bool) -> str:
    i = draw(st.integers(0, max(0, len(rid) - 1)))
    j = draw(st.integers(i, len(rid)))
    choices = [
        rid,
        rid.swapcase(),  # the resource part is case-sensitive
        rid[:j] + "*",
        rid[:i] + "?" + rid[i + 1 :],
        rid[:i] + "*" + rid[j:],
        "*",
        rid + "x",
        "other/*",
    ]
    if with_variables:
        var = draw(variables())
        escape = draw(st.sampled_from(("${*}", "${?}", "${$}")))
        choices += [
            rid[:i] + var,
            var + rid[j:],
            rid[:i] + var + "*",
            rid[:i] + escape + rid[j:],
            rid[:i] + "${*}",
        ]
    return str(draw(st.sampled_from(choices)))


# Variables AWS does not substitute, by the ARN segment they are written in (AWS: "You can't
# use a variable to replace parts of the ARN before the fifth colon, such as the service or
# account", reference_policies_variables). Their keys are in every request (aws:PrincipalAccount)
# or often (aws:RequestedRegion, aws:SourceAccount), so substituting them would resolve.
PREFIX_VARIABLES: dict[int, tuple[str, ...]] = {
    1: ("${aws:PrincipalTag/team, 'aws'}",),
    2: ("${aws:PrincipalTag/team}",),
    3: ("${aws:RequestedRegion}", "${aws:RequestedRegion, 'us-east-1'}"),
    4: (
        "${aws:PrincipalAccount}",
        "${aws:SourceAccount}",
        f"${{aws:PrincipalAccount, '{ACCOUNT}'}}",
        "${*}",
    ),
}
SERVICES_OF_TARGETS = tuple(sorted({t.prefix.split(":")[2] for t in TARGETS if t.prefix}))


@st.composite
def short_patterns(draw: Draw, parts: list[str]) -> str:
    """An ARN pattern of fewer than six segments ending in '*' ("If the * wildcard is the last
    character of a resource ARN segment, it can expand to match beyond the colon boundaries",
    reference_policies_elements_resource), of the request's service or another one."""
    service = draw(st.sampled_from((parts[2], parts[2], *SERVICES_OF_TARGETS)))
    service = _mutate_case(draw, service) if draw(st.integers(0, 3)) == 0 else service
    region = draw(st.sampled_from((parts[3], *REGIONS)))
    account = draw(st.sampled_from((parts[4], *ACCOUNTS)))
    choices = (
        "arn:*",
        f"arn:aws:{service[:1]}*",
        f"arn:aws:{service}:*",
        f"arn:aws:{service}:{region}:*",
        f"arn:aws:{service}:{region}:{account[:4]}*",
    )
    return str(draw(st.sampled_from(choices)))


@st.composite
def resource_patterns(draw: Draw, arn: Arn, *, with_variables: bool = False) -> str:
    if not arn.prefix or draw(st.integers(0, 9)) == 0:
        return "*"
    parts = arn.prefix.split(":")  # arn, partition, service, region, account, type-prefix
    kinds = ["same", "case", "wild", "other_account", "short"]
    if with_variables:
        kinds.append("variable")
    kind = draw(st.sampled_from(kinds))
    if kind == "short":
        return str(draw(short_patterns(parts)))
    # iam-simulate recognises an S3 ARN only when written "arn:...:s3:::"; otherwise it takes the
    # bucket name for a resource type and matches no wildcard in it (docs/iam-divergences.md,
    # "Not generated"). Only the partition of S3 ARNs is varied, but for variables, which make
    # the entry match nothing in both engines.
    last = 1 if parts[2] == "s3" else 4
    if kind == "case":
        # partition, service, region and account compare case-insensitively (IAM User Guide,
        # "IAM JSON policy elements: Resource").
        k = draw(st.integers(1, last))
        parts[k] = parts[k].upper()
    elif kind == "wild":
        k = draw(st.integers(1, last))
        parts[k] = draw(st.sampled_from(("*", "", parts[k][:1] + "*"))) if parts[k] else "*"
        if parts[k] == "" and k in (1, 2):
            parts[k] = "*"
    elif kind == "other_account" and parts[4]:
        parts[4] = OTHER_ACCOUNT if parts[4] == ACCOUNT else ACCOUNT
    elif kind == "variable":
        k = draw(st.sampled_from((1, 2, 3, 3, 4, 4, 4)))
        parts[k] = str(draw(st.sampled_from(PREFIX_VARIABLES[k])))
    prefix = ":".join(parts)
    return prefix + str(draw(resource_id_patterns(arn.rid, with_variables=with_variables)))


# --- conditions -------------------------------------------------------------------------------

STRING_OPS = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
)
NUMERIC_OPS = (
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
)
DATE_OPS = tuple(op.replace("Numeric", "Date") for op in NUMERIC_OPS)
ARN_OPS = ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")
IP_OPS = ("IpAddress", "NotIpAddress")
FAMILIES = ("string", "arn", "bool", "numeric", "date", "ip", "binary", "multi", "null")


def _values(draw: Draw, pool: tuple[Any, ...]) -> Any:
    values = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    return values[0] if len(values) == 1 and draw(st.booleans()) else values


def _string_pool(
    draw: Draw, base: tuple[str, ...], *, like: bool, with_variables: bool
) -> tuple[str, ...]:
    pool = list(base) + [v.swapcase() for v in base[:2]]
    if like:
        pool += [v[:2] + "*" for v in base] + [v[:1] + "?" + v[2:] for v in base if len(v) > 2]
    if with_variables:
        pool.append(draw(variables()))
        pool.append("${aws:username}-x")
    return tuple(pool)


def _arn_pool(base: tuple[str, ...], *, like: bool) -> tuple[str, ...]:
    pool = list(base)
    if like:
        for arn in base:
            head = arn.rpartition("/")[0]
            pool.append(head + "/*")
            pool.append(arn.replace(":us-east-1:", ":*:").replace(ACCOUNT, "*"))
        pool.append("arn:aws:codebuild:*:${aws:SourceAccount}:project/*")
    return tuple(pool)


@st.composite
def conditions(
    draw: Draw, *, family: str | None = None, with_variables: bool = False
) -> tuple[str, str, Any]:
    """One (operator, key, values) triple of a Condition block."""
    family = family or draw(st.sampled_from(FAMILIES))
    set_prefix = ""
    if family == "multi":
        key = draw(st.sampled_from(sorted(MULTI_KEYS)))
        op = draw(st.sampled_from(STRING_OPS))
        set_prefix = draw(st.sampled_from(("ForAllValues:", "ForAnyValue:")))
        pool = _string_pool(
            draw, MULTI_KEYS[key], like=op.endswith("Like"), with_variables=with_variables
        )
        values = _values(draw, pool)
    elif family == "null":
        key = draw(
            st.sampled_from((*STRING_KEYS, *ARN_KEYS, *BOOL_KEYS, NUMERIC_KEY, IP_KEY, *MULTI_KEYS))
        )
        return "Null", key, draw(st.sampled_from(("true", "false", True, False)))
    elif family == "string":
        key = draw(st.sampled_from(sorted(STRING_KEYS)))
        op = draw(st.sampled_from(STRING_OPS))
        pool = _string_pool(
            draw, STRING_KEYS[key], like=op.endswith("Like"), with_variables=with_variables
        )
        values = _values(draw, pool)
    elif family == "arn":
        key = draw(st.sampled_from(sorted(ARN_KEYS)))
        op = draw(st.sampled_from(ARN_OPS))
        values = _values(draw, _arn_pool(ARN_KEYS[key], like=op.endswith("Like")))
    elif family == "bool":
        key = draw(st.sampled_from(BOOL_KEYS))
        op = "Bool"
        values = draw(st.sampled_from(("true", "false", True, False, ["true", "false"])))
    elif family == "numeric":
        key = NUMERIC_KEY
        op = draw(st.sampled_from(NUMERIC_OPS))
        values = _values(draw, (*NUMBERS, 3600, 300, 0.5))
    elif family == "date":
        op = draw(st.sampled_from(DATE_OPS))
        # Each key keeps one format on both sides; mixing epoch and ISO 8601 is divergence D2.
        if draw(st.booleans()):
            key, values = ISO_KEY, _values(draw, (*ISO_TIMES, "2024-06-01"))
        else:
            key, values = EPOCH_KEY, _values(draw, EPOCHS)
    elif family == "ip":
        key = IP_KEY
        op = draw(st.sampled_from(IP_OPS))
        values = _values(draw, CIDRS)
    elif family == "binary":
        key = BINARY_KEY
        op = "BinaryEquals"
        values = _values(draw, BINARIES)
    else:
        raise ValueError(family)
    if family != "multi" and draw(st.integers(0, 4)) == 0:
        set_prefix = draw(st.sampled_from(("ForAllValues:", "ForAnyValue:")))
    suffix = "IfExists" if draw(st.integers(0, 3)) == 0 else ""
    key = _mutate_case(draw, key) if draw(st.integers(0, 5)) == 0 else key
    return f"{set_prefix}{op}{suffix}", key, values


@st.composite
def condition_blocks(
    draw: Draw, *, family: str | None = None, with_variables: bool = False, max_size: int = 3
) -> Json:
    block: Json = {}
    for op, key, values in draw(
        st.lists(conditions(family=family, with_variables=with_variables), max_size=max_size)
    ):
        block.setdefault(op, {})[key] = values
    return block


# --- statements and policies ------------------------------------------------------------------


@st.composite
def statements(
    draw: Draw,
    request: Json,
    arn: Arn,
    *,
    effect: str | None = None,
    not_elements: bool = False,
    with_variables: bool = False,
    condition_family: str | None = None,
    condition_chance: int = 3,
    principal: Any = None,
    not_principal: Any = None,
    resource: bool = True,
) -> Json:
    statement: Json = {"Effect": effect or draw(st.sampled_from(("Allow", "Allow", "Deny")))}
    actions = draw(st.lists(action_patterns(request["action"]), min_size=1, max_size=2))
    action_key = "NotAction" if not_elements and draw(st.booleans()) else "Action"
    statement[action_key] = actions[0] if len(actions) == 1 and draw(st.booleans()) else actions
    if resource:
        resources = draw(
            st.lists(resource_patterns(arn, with_variables=with_variables), min_size=1, max_size=2)
        )
        resource_key = "NotResource" if not_elements and draw(st.booleans()) else "Resource"
        statement[resource_key] = (
            resources[0] if len(resources) == 1 and draw(st.booleans()) else resources
        )
    if principal is not None:
        statement["Principal"] = principal
    if not_principal is not None:
        statement["NotPrincipal"] = not_principal
    if condition_chance and draw(st.integers(0, condition_chance - 1)) == 0:
        block = draw(condition_blocks(family=condition_family, with_variables=with_variables))
        if block:
            statement["Condition"] = block
    return statement


def _document(draw: Draw, stmts: list[Json], *, version: str | None = "2012-10-17") -> Json:
    for i, statement in enumerate(stmts):
        if draw(st.integers(0, 3)) == 0:
            statement["Sid"] = f"S{i}"  # Sids must be unique within a document
    doc: Json = {"Statement": stmts if len(stmts) > 1 or draw(st.booleans()) else stmts[0]}
    if version is not None:
        doc = {"Version": version, **doc}
    return doc


@st.composite
def policies(
    draw: Draw, request: Json, arn: Arn, *, max_statements: int = 3, **kwargs: Any
) -> Json:
    stmts = draw(st.lists(statements(request, arn, **kwargs), min_size=1, max_size=max_statements))
    return _document(draw, stmts)


def _case(family: str, request: Json, **parts: Any) -> Json:
    case: Json = {
        "family": family,
        "request": request,
        "identity_policies": [],
        "boundary": None,
        "scps": [],
        "resource_policy": None,
        "session_policy": None,
    }
    case.update(parts)
    return case


# --- families ---------------------------------------------------------------------------------


@st.composite
def operator_cases(draw: Draw, family: str | None = None) -> Json:
    """Every operator family, with IfExists, ForAllValues/ForAnyValue and Null, against present
    and missing keys."""
    request, _target, arn = draw(requests())
    family = family or draw(st.sampled_from(FAMILIES))
    docs = draw(
        st.lists(
            policies(request, arn, condition_family=family, condition_chance=1),
            min_size=1,
            max_size=2,
        )
    )
    return _case(f"operators:{family}", request, identity_policies=docs)


@st.composite
def variable_cases(draw: Draw) -> Json:
    """Policy variables with defaults and escapes, in resources and condition values."""
    request, _target, arn = draw(requests())
    stmts = draw(
        st.lists(
            statements(
                request, arn, with_variables=True, condition_family="string", condition_chance=2
            ),
            min_size=1,
            max_size=3,
        )
    )
    # Versions other than 2012-10-17 keep ${...} literal: divergence D1, generated rarely.
    version = draw(st.sampled_from(("2012-10-17",) * 9 + (None,)))
    return _case("variables", request, identity_policies=[_document(draw, stmts, version=version)])


@st.composite
def wildcard_cases(draw: Draw) -> Json:
    """Wildcards and case variations in actions and ARNs, no conditions."""
    request, _target, arn = draw(requests())
    docs = draw(st.lists(policies(request, arn, condition_chance=0), min_size=1, max_size=2))
    return _case("wildcards", request, identity_policies=docs)


@st.composite
def not_element_cases(draw: Draw) -> Json:
    """NotAction and NotResource in identity policies; NotPrincipal in resource policies."""
    request, _target, arn = draw(requests())
    # With variables half of the time: a NotResource entry that matches nothing (a variable
    # without a value, or one before the fifth colon) makes its statement apply.
    with_variables = draw(st.booleans())
    docs = draw(
        st.lists(
            policies(
                request, arn, not_elements=True, with_variables=with_variables, condition_chance=4
            ),
            min_size=1,
            max_size=2,
        )
    )
    resource_policy = None
    if arn.prefix and draw(st.booleans()):
        # AWS recommends NotPrincipal only with Deny (reference_policies_elements_notprincipal).
        stmt = draw(
            statements(
                request,
                arn,
                effect="Deny",
                not_principal={"AWS": draw(principal_values(request))},
                condition_chance=0,
            )
        )
        allow = draw(statements(request, arn, effect="Allow", principal="*", condition_chance=0))
        resource_policy = _document(draw, [allow, stmt])
    return _case("not-elements", request, identity_policies=docs, resource_policy=resource_policy)


@st.composite
def principal_values(draw: Draw, request: Json) -> Any:
    principal = request["principal"]
    account = principal.split(":")[4]
    other = OTHER_ACCOUNT if account == ACCOUNT else ACCOUNT
    role_name = principal.split("/")[1]
    choices = (
        account,
        f"arn:aws:iam::{account}:root",
        f"arn:aws:iam::{account}:role/{role_name}",
        f"arn:aws:iam::{account}:user/alice",
        principal,
        other,
        f"arn:aws:iam::{other}:role/{role_name}",
    )
    values = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=2, unique=True))
    return values[0] if len(values) == 1 else values


@st.composite
def resource_policy_cases(draw: Draw) -> Json:
    """Resource policies, same account and cross account, with identity policies."""
    request, _target, arn = draw(requests(targets=tuple(t for t in TARGETS if not t.wildcard_only)))
    principal = draw(st.one_of(st.just("*"), principal_values(request).map(lambda v: {"AWS": v})))
    resource_policy = draw(policies(request, arn, principal=principal, condition_chance=4))
    docs = draw(st.lists(policies(request, arn, condition_chance=4), max_size=2))
    return _case(
        "resource-policy", request, identity_policies=docs, resource_policy=resource_policy
    )


@st.composite
def boundary_cases(draw: Draw) -> Json:
    """Permissions boundaries and session policies intersecting identity policies."""
    request, _target, arn = draw(requests())
    docs = draw(st.lists(policies(request, arn, condition_chance=4), min_size=1, max_size=2))
    boundary = draw(st.one_of(st.none(), policies(request, arn, condition_chance=4)))
    session = None
    if ":assumed-role/" in request["principal"] or ":role/" in request["principal"]:
        session = draw(st.one_of(st.none(), policies(request, arn, condition_chance=4)))
    if boundary is None and session is None:
        boundary = draw(policies(request, arn, condition_chance=4))
    return _case(
        "boundaries", request, identity_policies=docs, boundary=boundary, session_policy=session
    )


@st.composite
def scp_cases(draw: Draw) -> Json:
    """SCP levels, root first; every level must allow and any Deny wins."""
    request, _target, arn = draw(requests())
    docs = draw(st.lists(policies(request, arn, condition_chance=4), min_size=1, max_size=2))
    levels = draw(
        st.lists(
            st.lists(policies(request, arn, condition_chance=4, max_statements=2), max_size=2),
            min_size=1,
            max_size=3,
        )
    )
    return _case("scps", request, identity_policies=docs, scps=levels)


TRUST_KEYS = ("aws:SourceAccount", "aws:SourceArn")


@st.composite
def trust_cases(draw: Draw) -> Json:
    """A service principal assuming a role: trust policies with Service principals and
    conditions on aws:SourceAccount/aws:SourceArn (AWS: confused-deputy prevention)."""
    account = ACCOUNT
    role = (
        f"arn:aws:iam::{account}:role/{draw(st.sampled_from(('StudioRole', 'service-role/Build')))}"
    )
    caller = draw(st.sampled_from(SERVICES))
    context: Json = {}
    if draw(st.booleans()):
        context["aws:SourceAccount"] = draw(st.sampled_from(ACCOUNTS))
    if draw(st.booleans()):
        context["aws:SourceArn"] = draw(st.sampled_from(ARN_KEYS["aws:SourceArn"]))
    request = {
        "principal": caller,
        "action": "sts:AssumeRole",
        "resource": role,
        "resource_account": account,
        "context": {**context, **principal_context(caller, account)},
    }
    stmts = []
    for _ in range(draw(st.integers(1, 3))):
        services = draw(st.lists(st.sampled_from(SERVICES), min_size=1, max_size=2, unique=True))
        principal: Any = {"Service": services[0] if len(services) == 1 else services}
        if draw(st.integers(0, 5)) == 0:
            principal = draw(
                st.sampled_from(("*", {"AWS": account}, {"AWS": f"arn:aws:iam::{account}:root"}))
            )
        stmt: Json = {
            "Effect": draw(st.sampled_from(("Allow", "Allow", "Deny"))),
            "Principal": principal,
            "Action": draw(
                st.sampled_from(("sts:AssumeRole", ["sts:AssumeRole", "sts:TagSession"], "sts:*"))
            ),
        }
        block: Json = {}
        if draw(st.booleans()):
            op = draw(
                st.sampled_from(
                    ("StringEquals", "StringLike", "StringNotEquals", "StringEqualsIfExists")
                )
            )
            block.setdefault(op, {})["aws:SourceAccount"] = _values(draw, ACCOUNTS)
        if draw(st.booleans()):
            op = draw(st.sampled_from(("ArnLike", "ArnEquals", "ArnNotLike", "ArnLikeIfExists")))
            block.setdefault(op, {})["aws:SourceArn"] = _values(
                draw,
                _arn_pool(
                    ARN_KEYS["aws:SourceArn"], like=op.startswith("ArnLike") or op == "ArnNotLike"
                ),
            )
        if draw(st.integers(0, 4)) == 0:
            block.setdefault("Null", {})[draw(st.sampled_from(TRUST_KEYS))] = draw(
                st.sampled_from(("true", "false"))
            )
        if block:
            stmt["Condition"] = block
        stmts.append(stmt)
    return _case("trust", request, resource_policy=_document(draw, stmts))


FAMILY_STRATEGIES: dict[str, Callable[[], st.SearchStrategy[Json]]] = {
    "operators": operator_cases,
    "variables": variable_cases,
    "wildcards": wildcard_cases,
    "not-elements": not_element_cases,
    "resource-policy": resource_policy_cases,
    "boundaries": boundary_cases,
    "scps": scp_cases,
    "trust": trust_cases,
}


def any_case() -> st.SearchStrategy[Json]:
    return st.one_of(*(make() for make in FAMILY_STRATEGIES.values()))
