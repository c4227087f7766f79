"""Robustness: random and malformed documents raise nothing but PolicyValidationError.

About 10,000 documents in all: random JSON values, policy-shaped documents with random parts,
real AWS managed policies with random mutations, random and percent-encoded text, and deeply
nested junk. ``parse_policy`` must return a ``Policy`` or raise ``PolicyValidationError``;
whatever parses is then evaluated (``evaluate`` and ``can_assume``) against random requests,
which must not raise anything but ``PolicyValidationError`` either.

Documents are built by ``random.Random(seed)``, hypothesis choosing the seeds:
building them with hypothesis strategies element by element is ~50x slower, and a failure
message here prints the offending document, which is what one needs to debug it.
"""

from __future__ import annotations

import copy
import json
import random
import string
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sm_studio_setup.iam.model import (
    ContextValue,
    Policy,
    PolicyKind,
    PolicyValidationError,
    Request,
)
from sm_studio_setup.iam.parse import parse_policy

from ..fixtures import managed_policy_files

MANAGED: list[dict[str, Any]] = [json.loads(path.read_text()) for path in managed_policy_files()]

KINDS: list[PolicyKind] = ["identity", "resource", "trust", "scp", "boundary", "session"]
IDENTITY_LIKE: tuple[PolicyKind, ...] = ("identity", "boundary", "session", "scp")

# Each hypothesis example builds BATCH documents; examples * BATCH per test add up to
# ~10,000 documents over the file.
BATCH = 50
# A seed per example: the documents come from random.Random(seed), which is fast (drawing
# every choice from hypothesis is not) and reproducible from the seed hypothesis reports.
SEEDS = st.integers(min_value=0, max_value=2**64 - 1)
FAST = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -------------------------------------------------------------------------- vocabulary

ELEMENT_NAMES = [
    "Version", "Id", "Statement", "Sid", "Effect", "Principal", "NotPrincipal", "Action",
    "NotAction", "Resource", "NotResource", "Condition", "AWS", "Service", "Federated",
    "CanonicalUser", "statement", "effect",
]  # fmt: skip
OPERATORS = [
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
    "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
    "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals",
    "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
]  # fmt: skip
KEYS = [
    "aws:username", "aws:SourceAccount", "aws:SourceArn", "aws:PrincipalTag/team",
    "aws:TagKeys", "aws:SecureTransport", "aws:CurrentTime", "aws:EpochTime", "aws:SourceIp",
    "aws:PrincipalArn", "iam:PassedToService", "sagemaker:DomainId", "s3:max-keys",
    "aws:RequestTag/x", "ec2:ResourceTag/y", "aws:PrincipalAccount", "aws:x",
]  # fmt: skip
TEXT_VALUES = [
    "", "*", "?", "true", "false", "True", "1", "-1.5", "1e5", "0x10", "abc",
    "2024-01-01T00:00:00Z", "2024-13-45", "1700000000", "10.0.0.0/8", "::1/128", "10.0.0.1",
    "not-an-ip", "999.1.1.1/33", "QUJD", "!!", "arn:aws:iam::123456789012:role/R", "arn:*",
    "arn:aws:s3:::b/${aws:username}", "${aws:username}", "${aws:missing}", "${*}${?}${$}",
    "${", "${aws:x, 'd'}", "123456789012", "codebuild.amazonaws.com", "ab*c?d", ":::",
    "arn:aws:s3", "\u00e9\u0130\u0000", "a" * 300,
]  # fmt: skip
ACTIONS = [
    "*", "s3:GetObject", "s3:*", "iam:PassRole", "sts:AssumeRole", "ecr:Put?mage",
    "codebuild:*Project", "S3:GETOBJECT", "sagemaker:*", "s3:Get*", "a-b:c_d",
]  # fmt: skip
BAD_ACTIONS = ["bad", "s3:", ":x", "s3:Get Object", "s3*:x", "", "s3:a:b"]
RESOURCES = [
    "*", "arn:aws:s3:::b/*", "arn:aws:s3:*", "arn:aws:iam::*:role/${aws:username}",
    "arn:aws:sagemaker:*:*:domain/${sagemaker:DomainId}", "arn:aws:s3:::${aws:missing}",
    "arn:aws:s3:::a${*}b", "arn:*", "arn::::::", "arn:aws:logs:*:*:log-group:*:*",
    "arn:aws:s3:::${aws:x, 'd*'}/?", "arn:aws:iam::${aws:PrincipalAccount}:role/*",
    "arn:aws:s3:::" + "*a" * 60, "ARN:AWS:S3:::B",
]  # fmt: skip
PRINCIPAL_VALUES = [
    "*", "123456789012", "arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:role/p/R",
    "arn:aws:sts::123456789012:assumed-role/R/s", "codebuild.amazonaws.com",
    "arn:aws:iam::123456789012:role/*", "AROAEXAMPLEEXAMPLE12", "", "12345",
]  # fmt: skip
PRINCIPAL_TYPES = ["AWS", "Service", "Federated", "CanonicalUser", "aws", "Other"]
CALLERS = [
    "arn:aws:sts::123456789012:assumed-role/R/s", "codebuild.amazonaws.com",
    "arn:aws:iam::123456789012:user/u", "123456789012", "AIDAEXAMPLE",
    "arn:aws:iam::123456789012:role/p/R", "arn:aws:iam::123456789012:root", "", "*",
]  # fmt: skip
REQUEST_RESOURCES = [
    "*", "arn:aws:s3:::b/k", "arn:aws:iam::123456789012:role/R", "arn:aws:s3:::a*b",
    "arn:aws:sagemaker:us-east-1:123456789012:domain/d-1", "arn:aws:s3", "", "not-an-arn",
    "arn:aws:s3:::b/${aws:username}", "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s",
]  # fmt: skip
CHARS = string.ascii_letters + string.digits + ":/*?${}',. -_\u00e9\u0000\n"


class Junk:
    """Random policy-ish values from a seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: list[Any]) -> Any:
        return items[self.rng.randrange(len(items))]

    def text(self, size: int = 12) -> str:
        return "".join(self.pick(list(CHARS)) for _ in range(self.rng.randrange(size + 1)))

    def scalar(self) -> object:
        choice = self.rng.randrange(7)
        if choice == 0:
            return None
        if choice == 1:
            return self.chance(0.5)
        if choice == 2:
            return self.rng.randint(-(2**70), 2**70)
        if choice == 3:
            return self.pick([0.5, -0.0, 1e300, float("nan"), float("inf"), 2.0, 1e-9])
        if choice == 4:
            return self.text()
        return self.pick(TEXT_VALUES)

    def key(self) -> str:
        return self.pick(ELEMENT_NAMES + OPERATORS + KEYS) if self.chance(0.7) else self.text(6)

    def json_value(self, depth: int = 3) -> object:
        if depth <= 0 or self.chance(0.5):
            return self.scalar()
        if self.chance(0.5):
            return [self.json_value(depth - 1) for _ in range(self.rng.randrange(4))]
        return {self.key(): self.json_value(depth - 1) for _ in range(self.rng.randrange(4))}

    def either(self, good: Callable[[], object], p_good: float = 0.7) -> object:
        return good() if self.chance(p_good) else self.json_value()

    def one_or_list(self, items: list[str]) -> object:
        if self.chance(0.5):
            return self.pick(items)
        return [self.pick(items) for _ in range(self.rng.randrange(4))]

    def principal(self) -> object:
        if self.chance(0.2):
            return "*"
        return {
            self.pick(PRINCIPAL_TYPES): self.either(lambda: self.one_or_list(PRINCIPAL_VALUES))
            for _ in range(self.rng.randrange(1, 3))
        }

    def operator(self, valid: bool = False) -> str:
        base = self.pick(OPERATORS)
        prefix = self.pick(["", "", "ForAllValues:", "ForAnyValue:"])
        suffix = "" if base == "Null" else self.pick(["", "IfExists"])
        if not valid and self.chance(0.2):
            prefix = self.pick(["forallvalues:", "X:", ""])
            suffix = self.pick(["ifexists", "IfExists", "Foo"])
            if self.chance(0.3):
                return self.text(10)
        return prefix + base + suffix

    def condition_value(self, valid: bool = False) -> object:
        def legal() -> object:
            value = self.pick([self.pick(TEXT_VALUES), self.chance(0.5), self.rng.randint(-5, 5)])
            if self.chance(0.3):
                value = [self.pick(TEXT_VALUES) for _ in range(self.rng.randrange(4))]
            return value

        return legal() if valid else self.either(legal)

    def conditions(self, valid: bool = False) -> object:
        def legal() -> object:
            return {
                self.operator(valid): {
                    self.pick(KEYS) if valid or self.chance(0.8) else self.text(6): (
                        self.condition_value(valid)
                    )
                    for _ in range(self.rng.randrange(1, 3))
                }
                for _ in range(self.rng.randrange(1, 3))
            }

        return legal() if valid else self.either(legal)

    def statement(self) -> object:
        fields: dict[str, Callable[[], object]] = {
            "Sid": lambda: self.either(lambda: self.pick(["A", "B", "Sid1", "has space", ""])),
            "Effect": lambda: self.either(lambda: self.pick(["Allow", "Deny"]), 0.9),
            "Action": lambda: self.either(lambda: self.one_or_list(ACTIONS + BAD_ACTIONS[:2])),
            "NotAction": lambda: self.either(lambda: self.one_or_list(ACTIONS)),
            "Resource": lambda: self.either(lambda: self.one_or_list([*RESOURCES, "bucket"])),
            "NotResource": lambda: self.either(lambda: self.one_or_list(RESOURCES)),
            "Principal": self.principal,
            "NotPrincipal": self.principal,
            "Condition": self.conditions,
        }
        statement = {name: make() for name, make in fields.items() if self.chance(0.45)}
        if self.chance(0.1):
            statement[self.text(6)] = self.json_value()
        return statement if self.chance(0.95) else self.json_value()

    def plausible_statement(self) -> dict[str, Any]:
        """A statement that is valid for some kind, now and then with one bad part."""
        statement: dict[str, Any] = {"Effect": self.pick(["Allow", "Deny"])}
        statement[self.pick(["Action", "NotAction"])] = self.one_or_list(ACTIONS) or ["*"]
        if self.chance(0.6):
            statement[self.pick(["Resource", "NotResource"])] = self.one_or_list(RESOURCES) or "*"
        if self.chance(0.5):
            principal = self.principal()
            statement["Principal"] = (
                principal
                if self.chance(0.5)
                else self.pick(
                    ["*", {"Service": "codebuild.amazonaws.com"}, {"AWS": "123456789012"}]
                )
            )
        if self.chance(0.4):
            statement["Condition"] = self.conditions(valid=self.chance(0.7))
        if self.chance(0.5):
            statement["Sid"] = self.pick(["A", "B", "C1", "with space"])
        if self.chance(0.2):
            statement[self.pick(list(statement))] = self.json_value()
        return statement

    def document(self) -> object:
        if self.chance(0.5):
            plausible = [self.plausible_statement() for _ in range(self.rng.randrange(1, 4))]
            return {"Version": self.pick(["2012-10-17", "2008-10-17"]), "Statement": plausible}
        document: dict[str, Any] = {}
        if self.chance(0.8):
            document["Version"] = self.either(lambda: self.pick(["2012-10-17", "2008-10-17"]), 0.9)
        if self.chance(0.95):
            statements = [self.statement() for _ in range(self.rng.randrange(5))]
            document["Statement"] = statements[0] if len(statements) == 1 else statements
        if self.chance(0.1):
            document[self.key()] = self.json_value()
        return document

    def valid_identity_document(self) -> dict[str, Any]:
        """A document that parses as an identity policy, with odd but legal values."""
        body = []
        for _ in range(self.rng.randrange(1, 5)):
            statement: dict[str, Any] = {"Effect": self.pick(["Allow", "Deny"])}
            statement[self.pick(["Action", "NotAction"])] = (
                self.pick(ACTIONS) if self.chance(0.5) else
                [self.pick(ACTIONS) for _ in range(self.rng.randrange(1, 4))]
            )  # fmt: skip
            statement[self.pick(["Resource", "NotResource"])] = (
                self.pick(RESOURCES) if self.chance(0.5) else
                [self.pick(RESOURCES) for _ in range(self.rng.randrange(1, 4))]
            )  # fmt: skip
            if self.chance(0.7):
                statement["Condition"] = self.conditions(valid=True)
            body.append(statement)
        document: dict[str, Any] = {"Statement": body}
        version = self.pick(["2012-10-17", "2012-10-17", "2008-10-17", None])
        if version is not None:
            document["Version"] = version
        return document

    def mutated_managed(self) -> object:
        document: Any = copy.deepcopy(self.pick(MANAGED))
        for _ in range(self.rng.randrange(1, 5)):
            paths = _paths(document)
            path = self.pick(paths)
            if not path:
                if self.chance(0.2):
                    document = self.json_value()
                continue
            parent: Any = document
            for step in path[:-1]:
                parent = parent[step]
            last = path[-1]
            action = self.pick(["replace", "delete", "wrap", "rename", "duplicate"])
            if action == "replace":
                parent[last] = self.json_value()
            elif action == "delete":
                del parent[last]
            elif action == "wrap":
                parent[last] = [parent[last]] if self.chance(0.5) else {"x": parent[last]}
            elif action == "rename" and isinstance(parent, dict):
                parent[self.key()] = parent.pop(last)
            elif isinstance(parent, list):
                parent.append(copy.deepcopy(parent[last]))
            else:
                parent[last] = copy.deepcopy(parent)
            if not isinstance(document, dict | list):
                break
        return document

    def deeply_nested(self) -> object:
        depth = self.rng.randrange(50, 3000)
        junk: object = self.scalar()
        for _ in range(depth):
            junk = [junk] if depth > 300 or self.chance(0.5) else {self.key(): junk}
        where = self.pick(["top", "statement", "action", "condition", "principal", "version"])
        if where == "top":
            return junk
        if where == "statement":
            return {"Version": "2012-10-17", "Statement": junk}
        if where == "version":
            return {"Version": junk, "Statement": [{"Effect": "Allow"}]}
        statement: dict[str, Any] = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
        if where == "action":
            statement["Action"] = junk
        elif where == "condition":
            statement["Condition"] = {"StringEquals": {"aws:username": junk}}
        else:
            statement["Principal"] = {"AWS": junk}
        return {"Version": "2012-10-17", "Statement": [statement]}

    def text_document(self) -> str:
        choice = self.rng.randrange(8)
        if choice == 0:
            return self.text(60)
        if choice == 1:
            alphabet = '{}[]":,0123456789.eE-+ tfnrulasNIy\\%'
            return "".join(self.pick(list(alphabet)) for _ in range(self.rng.randrange(80)))
        if choice == 2:
            return _text_of(self.json_value())
        if choice == 3:
            return _text_of(self.document())
        if choice == 4:
            return quote(_text_of(self.document()), safe="")
        if choice == 5:
            text = _text_of(self.mutated_managed())
            return text[: self.rng.randrange(len(text) + 1)]
        if choice == 6:
            n = self.rng.randrange(1, 50_000)
            return "[" * n + "]" * n
        n = self.rng.randrange(1, 50_000)
        return '{"a":' * n + "1" + "}" * n

    def context(self) -> dict[str, ContextValue]:
        values: dict[str, ContextValue] = {}
        for _ in range(self.rng.randrange(6)):
            key = self.pick(KEYS) if self.chance(0.8) else self.text(6)
            choice = self.rng.randrange(5)
            if choice == 0:
                values[key] = self.pick(TEXT_VALUES)
            elif choice == 1:
                values[key] = self.chance(0.5)
            elif choice == 2:
                values[key] = self.pick([0, 7, -3, 2**64, 1.5, float("nan")])
            elif choice == 3:
                values[key] = [self.pick(TEXT_VALUES) for _ in range(self.rng.randrange(4))]
            else:
                values[key] = self.text()
        return values

    def request(self) -> Request:
        return Request(
            action=self.pick(ACTIONS + BAD_ACTIONS) if self.chance(0.8) else self.text(),
            resource=self.pick(REQUEST_RESOURCES) if self.chance(0.8) else self.text(16),
            principal=self.pick([*CALLERS, None]) if self.chance(0.8) else self.text(),
            context=self.context(),
        )


def _paths(value: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _text_of(value: object) -> str:
    try:
        return json.dumps(value)
    except (ValueError, TypeError, RecursionError):
        return "{"


def _shown(document: object) -> str:
    text = _text_of(document)
    return text if len(text) < 2000 else text[:2000] + "..."


def check_parse(document: object, kind: PolicyKind) -> Policy | None:
    """Parse; only a Policy or PolicyValidationError may come out."""
    try:
        policy = parse_policy(document, kind=kind)  # type: ignore[arg-type]
    except PolicyValidationError as error:
        assert error.problems, f"PolicyValidationError without problems for {_shown(document)}"
        for path, rule in error.problems:
            assert isinstance(path, str) and isinstance(rule, str) and rule
        str(error)  # the message must render
        return None
    except Exception as error:
        raise AssertionError(
            f"parse_policy(kind={kind!r}) raised {type(error).__name__}: {error} for "
            f"{_shown(document)}"
        ) from error
    assert isinstance(policy, Policy)
    assert policy.kind == kind
    assert policy.statements
    return policy


def _batch(rng: random.Random, make: Callable[[Junk], object]) -> None:
    junk = Junk(rng)
    for _ in range(BATCH):
        check_parse(make(junk), junk.pick(KINDS))


# ------------------------------------------------------------------------------ parse
# 2,000 + 2,500 + 2,000 + 1,000 + 250 documents.


@settings(FAST, max_examples=40)
@given(SEEDS)
def test_random_json_values(seed: int) -> None:
    rng = random.Random(seed)
    _batch(rng, lambda junk: junk.json_value(4))


@settings(FAST, max_examples=50)
@given(SEEDS)
def test_policy_shaped_junk(seed: int) -> None:
    rng = random.Random(seed)
    _batch(rng, Junk.document)


@settings(FAST, max_examples=40)
@given(SEEDS)
def test_mutated_managed_policies(seed: int) -> None:
    rng = random.Random(seed)
    _batch(rng, Junk.mutated_managed)


@settings(FAST, max_examples=20)
@given(SEEDS)
def test_random_text(seed: int) -> None:
    rng = random.Random(seed)
    _batch(rng, Junk.text_document)


@settings(FAST, max_examples=5)
@given(SEEDS)
def test_deeply_nested_junk(seed: int) -> None:
    rng = random.Random(seed)
    _batch(rng, Junk.deeply_nested)


def test_unmutated_managed_policies_parse() -> None:
    for document in MANAGED:
        assert check_parse(document, "identity") is not None


def test_strategies_reach_both_outcomes() -> None:
    """The generators must produce valid documents too, or evaluate is never exercised."""
    junk = Junk(random.Random(0))
    parsed = sum(
        check_parse(junk.document(), kind) is not None for kind in KINDS for _ in range(200)
    )
    assert 30 < parsed < 1000, parsed
    assert all(
        check_parse(junk.valid_identity_document(), "identity") is not None for _ in range(200)
    )


# --------------------------------------------------------------------------- evaluate
# 1,000 + 1,250 documents, each with a random request.


def _only_validation_errors(
    call: Callable[[PolicyKind, Any, Request], None],
    kind: PolicyKind,
    given_input: Any,
    request: Request,
    document: object,
) -> None:
    try:
        call(kind, given_input, request)
    except PolicyValidationError as error:
        assert error.problems
    except Exception as error:
        raise AssertionError(
            f"evaluation raised {type(error).__name__}: {error} for {_shown(document)}"
        ) from error


def _evaluate_as(kind: PolicyKind, given_input: Any, request: Request) -> None:
    from sm_studio_setup.iam.evaluate import evaluate
    from sm_studio_setup.iam.trust import can_assume

    if kind in IDENTITY_LIKE:
        decision = evaluate(
            request,
            [given_input] if kind == "identity" else [MANAGED[0]],
            boundary=given_input if kind == "boundary" else None,
            session_policy=given_input if kind == "session" else None,
            scps=[[given_input]] if kind == "scp" else (),
        )
    elif kind == "resource":
        decision = evaluate(request, [MANAGED[0]], resource_policy=given_input)
    else:
        decision = can_assume(
            given_input, request.principal or "codebuild.amazonaws.com", request.context
        )
    assert decision.result in ("allowed", "implicit_deny", "explicit_deny")
    assert isinstance(decision.explain(), str)


@settings(FAST, max_examples=20)
@given(SEEDS)
def test_evaluate_raises_only_validation_errors(seed: int) -> None:
    rng = random.Random(seed)
    junk = Junk(rng)
    makers: list[Callable[[], object]] = [
        junk.document,
        junk.document,
        junk.mutated_managed,
        junk.valid_identity_document,
        lambda: junk.pick(MANAGED),
        junk.json_value,
        junk.text_document,
    ]
    for _ in range(BATCH):
        document = junk.pick(makers)()
        kind: PolicyKind = junk.pick(KINDS)
        request = junk.request()
        given_input: Any = document
        if junk.chance(0.5):
            policy = check_parse(document, kind)
            if policy is None:
                continue
            given_input = policy
        _only_validation_errors(_evaluate_as, kind, given_input, request, document)


@settings(FAST, max_examples=25)
@given(SEEDS)
def test_valid_policies_evaluate_cleanly(seed: int) -> None:
    """Valid policies with odd values (bad numbers, dates, CIDRs, variables) never raise."""
    rng = random.Random(seed)
    from sm_studio_setup.iam.evaluate import evaluate

    junk = Junk(rng)
    for _ in range(BATCH):
        document = junk.valid_identity_document()
        policy = check_parse(document, "identity")
        assert policy is not None, f"not a valid identity policy: {_shown(document)}"
        request = junk.request()
        for _ in range(2):  # the second run uses what evaluate cached on the Policy
            try:
                decision = evaluate(request, [policy], boundary=policy, session_policy=policy)
            except Exception as error:
                raise AssertionError(
                    f"evaluate raised {type(error).__name__}: {error} for {_shown(document)} "
                    f"and {request}"
                ) from error
            assert decision.result in ("allowed", "implicit_deny", "explicit_deny")
            assert isinstance(decision.explain(), str)
