"""Condition evaluation: each operator family, missing keys, IfExists, Null, set operators,
policy variables, and properties that must hold whatever the values."""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sm_studio_setup.iam.conditions import (
    BASE_OPERATORS,
    NEGATED_OPERATORS,
    Operator,
    condition_matches,
    conditions_match,
    parse_operator,
)
from sm_studio_setup.iam.context import RequestContext
from sm_studio_setup.iam.model import Condition, ContextValue, PolicyValidationError

ABSENT: Mapping[str, ContextValue] = {}


def cond(operator: str, key: str, *values: str) -> Condition:
    return Condition(operator, key, tuple(values), f"Statement[0].Condition.{operator}.{key}")


def check(
    operator: str,
    values: str | tuple[str, ...],
    context: Mapping[str, ContextValue],
    *,
    key: str = "k:key",
    variables: bool = True,
) -> bool:
    vals = (values,) if isinstance(values, str) else values
    return condition_matches(
        cond(operator, key, *vals), RequestContext(context), variables=variables
    )


Row = tuple[str, "str | tuple[str, ...]", "Mapping[str, ContextValue]", bool]


def run_table(rows: list[Row]) -> None:
    failures = [
        f"{op} {values!r} with {ctx!r}: expected {expected}"
        for op, values, ctx, expected in rows
        if check(op, values, ctx) is not expected
    ]
    assert not failures, "\n".join(failures)


def k(value: ContextValue) -> dict[str, ContextValue]:
    return {"k:key": value}


# -- operator names ----------------------------------------------------------------------------


def test_operator_names_are_parsed_exactly() -> None:
    assert parse_operator("StringEquals") == Operator(None, "StringEquals", False)
    assert parse_operator("ForAnyValue:StringLikeIfExists") == Operator(
        "ForAnyValue", "StringLike", True
    )
    assert parse_operator("ForAllValues:ArnNotLike") == Operator(
        "ForAllValues", "ArnNotLike", False
    )
    assert parse_operator("Null") == Operator(None, "Null", False)
    # IAM rejects mis-cased names ("Invalid Condition type : stringEquals"), NullIfExists, and
    # misspelt set operators.
    for bad in (
        "stringequals",
        "stringEquals",
        "STRINGEQUALS",
        "StringEqualsIfexists",
        "NullIfExists",
        "ForAllValue:StringEquals",
        "foranyvalue:StringEquals",
        "ForAnyValue:",
        "ForAnyValue:ForAllValues:StringEquals",
        "StringLikeIgnoreCase",
        "IfExists",
        "",
    ):
        assert parse_operator(bad) is None, bad


def test_operator_sets_cover_the_documented_families() -> None:
    assert len(BASE_OPERATORS) == 27  # 6 string, 6 numeric, 6 date, Bool, Binary, 2 IP, 4 ARN, Null
    negated = {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
        "ArnNotEquals",
        "ArnNotLike",
    }
    assert negated == NEGATED_OPERATORS


def test_unknown_operator_raises_validation_error_with_path() -> None:
    with pytest.raises(PolicyValidationError) as info:
        check("stringEquals", "a", k("a"))
    assert info.value.problems[0][0] == "Statement[0].Condition.stringEquals.k:key"
    assert "stringEquals" in info.value.problems[0][1]


def test_condition_key_names_compare_case_insensitively() -> None:
    ctx = RequestContext({"aws:sourceaccount": "123456789012"})
    assert condition_matches(cond("StringEquals", "AWS:SourceAccount", "123456789012"), ctx)
    assert not condition_matches(cond("StringEquals", "AWS:SourceAccount", "000000000000"), ctx)


# -- missing keys ------------------------------------------------------------------------------

_SAMPLE_VALUE = {
    "String": "x",
    "Numeric": "1",
    "Date": "2020-01-01T00:00:00Z",
    "Bool": "true",
    "Binary": "QQ==",
    "IpAddress": "10.0.0.0/8",
    "NotIpAddress": "10.0.0.0/8",
    "Arn": "arn:aws:s3:::b",
}


def _sample(base: str) -> str:
    return next(v for prefix, v in _SAMPLE_VALUE.items() if base.startswith(prefix))


@pytest.mark.parametrize("base", sorted(BASE_OPERATORS - {"Null"}))
def test_missing_key_plain_operator(base: str) -> None:
    # "If the policy condition requires that the key is not matched, such as StringNotLike or
    # ArnNotLike, and the right key is not present, the condition is true."
    assert check(base, _sample(base), ABSENT) is (base in NEGATED_OPERATORS)


@pytest.mark.parametrize("base", sorted(BASE_OPERATORS - {"Null"}))
def test_missing_key_if_exists_is_true(base: str) -> None:
    assert check(base + "IfExists", _sample(base), ABSENT) is True
    assert check("ForAnyValue:" + base + "IfExists", _sample(base), ABSENT) is True


@pytest.mark.parametrize("base", sorted(BASE_OPERATORS - {"Null"}))
def test_missing_key_set_operators(base: str) -> None:
    # ForAllValues: "also returns true if there are no context keys in the request";
    # ForAnyValue: "if the key does not exist, the condition returns false" -- negated or not.
    assert check("ForAllValues:" + base, _sample(base), ABSENT) is True
    assert check("ForAnyValue:" + base, _sample(base), ABSENT) is False


# -- string ------------------------------------------------------------------------------------


def test_string_operators() -> None:
    run_table(
        [
            ("StringEquals", "abc", k("abc"), True),
            ("StringEquals", "abc", k("ABC"), False),
            ("StringEquals", "a*", k("abc"), False),  # no wildcards in Equals
            ("StringEquals", "a*", k("a*"), True),
            ("StringEquals", ("x", "abc"), k("abc"), True),  # values ORed
            ("StringEquals", "", k(""), True),
            ("StringEquals", "abc", k(""), False),
            ("StringNotEquals", "abc", k("abd"), True),
            ("StringNotEquals", "abc", k("abc"), False),
            ("StringNotEquals", ("x", "abc"), k("abc"), False),  # values NORed
            ("StringNotEquals", ("x", "y"), k("abc"), True),
            ("StringEqualsIgnoreCase", "AbC", k("aBc"), True),
            ("StringEqualsIgnoreCase", "abc", k("abd"), False),
            ("StringEqualsIgnoreCase", "a?c", k("abc"), False),
            ("StringNotEqualsIgnoreCase", "AbC", k("abc"), False),
            ("StringNotEqualsIgnoreCase", ("x", "ABC"), k("abc"), False),
            ("StringNotEqualsIgnoreCase", ("x", "y"), k("abc"), True),
            ("StringLike", "a*", k("abc"), True),
            ("StringLike", "a*", k("a"), True),  # '*' matches an empty run
            ("StringLike", "*", k(""), True),
            ("StringLike", "a?c", k("abc"), True),
            ("StringLike", "a?c", k("ac"), False),  # '?' is exactly one character
            ("StringLike", "a?c", k("abbc"), False),
            ("StringLike", "A*", k("abc"), False),  # case-sensitive
            ("StringLike", "*/home/*", k("x/home/y/z"), True),
            ("StringLike", "abc", k("abcd"), False),  # anchored
            ("StringLike", ("x*", "*c"), k("abc"), True),
            ("StringNotLike", "a*", k("abc"), False),
            ("StringNotLike", ("x*", "y*"), k("abc"), True),
            ("StringNotLike", ("x*", "*c"), k("abc"), False),
        ]
    )


def test_string_values_from_json_numbers_and_booleans() -> None:
    # Parse normalises 5 and true to "5" and "true"; context booleans become "true"/"false".
    assert check("StringEquals", "5", k(5))
    assert check("StringEquals", "true", k(True))
    assert not check("StringEquals", "True", k(True))


# -- numeric -----------------------------------------------------------------------------------


def test_numeric_operators() -> None:
    run_table(
        [
            ("NumericEquals", "10", k("10"), True),
            ("NumericEquals", "10", k(10), True),
            ("NumericEquals", "1.50", k("1.5"), True),  # decimals compare by value
            ("NumericEquals", "10", k("010"), True),
            ("NumericEquals", "-3", k("-3.0"), True),
            ("NumericEquals", "+3", k("3"), True),
            ("NumericEquals", ".5", k("0.5"), True),
            ("NumericEquals", "10", k("11"), False),
            ("NumericEquals", ("1", "2", "3"), k("2"), True),
            ("NumericEquals", "0.1", k("0.10000000000000001"), False),  # exact, not float
            ("NumericNotEquals", "10", k("11"), True),
            ("NumericNotEquals", "10", k("10.0"), False),
            ("NumericNotEquals", ("1", "2"), k("2"), False),
            ("NumericLessThan", "10", k("9"), True),
            ("NumericLessThan", "10", k("10"), False),
            ("NumericLessThan", "10", k("9.999"), True),
            ("NumericLessThanEquals", "10", k("10"), True),
            ("NumericLessThanEquals", "10", k("10.001"), False),
            ("NumericGreaterThan", "10", k("10.5"), True),
            ("NumericGreaterThan", "10", k("10"), False),
            ("NumericGreaterThan", "-1", k("0"), True),
            ("NumericGreaterThanEquals", "10", k("10"), True),
            ("NumericGreaterThanEquals", "10", k("9"), False),
            ("NumericLessThan", ("1", "100"), k("50"), True),  # ORed: 50 < 100
        ]
    )


@pytest.mark.parametrize("bad", ["abc", "", " 1", "1e3", "NaN", "Infinity", "0x10", "1,5", "1.2.3"])
@pytest.mark.parametrize("base", sorted(b for b in BASE_OPERATORS if b.startswith("Numeric")))
def test_non_numeric_values_never_match(base: str, bad: str) -> None:
    # A value that is not a number satisfies neither the operator nor its negation.
    assert check(base, "1", k(bad)) is False
    assert check(base, bad, k("1")) is False


def test_numeric_values_take_no_policy_variables() -> None:
    # "You can not use a policy variable with the Numeric condition operator."
    ctx = {"k:key": "5", "aws:n": "5"}
    assert check("NumericEquals", "${aws:n}", ctx) is False


# -- date --------------------------------------------------------------------------------------

NEW_YEAR_2020 = "1577836800"  # 2020-01-01T00:00:00Z


def test_date_operators() -> None:
    run_table(
        [
            ("DateEquals", "2020-01-01T00:00:00Z", k("2020-01-01T00:00:00Z"), True),
            ("DateEquals", NEW_YEAR_2020, k("2020-01-01T00:00:00Z"), True),  # epoch vs ISO
            ("DateEquals", "2020-01-01T00:00:00Z", k(NEW_YEAR_2020), True),
            ("DateEquals", "2020-01-01T00:00:00Z", k(1577836800), True),
            ("DateEquals", "2020-01-01T01:00:00+01:00", k("2020-01-01T00:00:00Z"), True),
            ("DateEquals", "2019-12-31T19:00:00-05:00", k("2020-01-01T00:00:00Z"), True),
            ("DateEquals", "2020-01-01T05:30:00+0530", k("2020-01-01T00:00:00Z"), True),
            ("DateEquals", "2020-01-01", k("2020-01-01T00:00:00Z"), True),  # date precision
            ("DateEquals", "2020-01", k("2020-01-01T00:00:00Z"), True),  # month precision
            ("DateEquals", "2020-01-01T00:00Z", k("2020-01-01T00:00:00Z"), True),  # minutes
            ("DateEquals", "2020-01-01T00:00:00.000Z", k("2020-01-01T00:00:00Z"), True),
            ("DateEquals", "2020-01-01T00:00:00z", k("2020-01-01T00:00:00Z"), True),
            ("DateEquals", "2020-01-01T00:00:00", k("2020-01-01T00:00:00Z"), True),  # no zone: UTC
            ("DateEquals", "2020-01-01T00:00:00.5Z", k("2020-01-01T00:00:00Z"), False),
            ("DateEquals", "2020-01-01T00:00:01Z", k("2020-01-01T00:00:00Z"), False),
            ("DateNotEquals", "2020-01-01T00:00:01Z", k("2020-01-01T00:00:00Z"), True),
            ("DateNotEquals", NEW_YEAR_2020, k("2020-01-01T00:00:00Z"), False),
            ("DateLessThan", "2020-01-01T00:00:00Z", k("2019-12-31T23:59:59Z"), True),
            ("DateLessThan", "2020-01-01T00:00:00Z", k("2020-01-01T00:00:00Z"), False),
            ("DateLessThan", "2020-01-01T00:00:00Z", k("2020-01-01T00:30:00+01:00"), True),
            ("DateLessThanEquals", "2020-01-01T00:00:00Z", k("2020-01-01T00:00:00Z"), True),
            ("DateGreaterThan", "2020-01-01T00:00:00Z", k("2020-01-01T00:00:00.001Z"), True),
            ("DateGreaterThan", "2020-01-01T00:00:00Z", k(NEW_YEAR_2020), False),
            ("DateGreaterThan", NEW_YEAR_2020, k("1577836801"), True),
            ("DateGreaterThanEquals", "2020-01-01", k("2020-01-01T00:00:00Z"), True),
            ("DateGreaterThanEquals", "2020-01-02", k("2020-01-01T23:59:59Z"), False),
            ("DateLessThan", ("2000-01-01", "2030-01-01"), k("2020-06-01T00:00:00Z"), True),
        ]
    )


@pytest.mark.parametrize(
    "bad",
    [
        "not a date",
        "",
        "2020-13-01",
        "2020-02-30",
        "2020-01-01T24:00:00Z",
        "2020-01-01T00:00:00+24:00",
        "2020-01-01 00:00:00Z",
        "1577836800.5",
    ],
)
def test_invalid_dates_match_nothing(bad: str) -> None:
    for base in ("DateEquals", "DateNotEquals", "DateLessThan", "DateGreaterThan"):
        assert check(base, "2020-01-01T00:00:00Z", k(bad)) is False, base
        assert check(base, bad, k("2020-01-01T00:00:00Z")) is False, base


def test_all_digit_dates_are_epoch_seconds() -> None:
    # Not the W3C year-only or basic forms: "20200101" is 1970-08-22T19:08:21Z.
    assert check("DateEquals", "20200101", k("1970-08-22T19:08:21Z")) is True
    assert check("DateEquals", "20200101", k("2020-01-01")) is False
    assert check("DateEquals", "2020", k("1970-01-01T00:33:40Z")) is True


# -- Bool, Binary ------------------------------------------------------------------------------


def test_bool_and_binary() -> None:
    run_table(
        [
            ("Bool", "true", k("true"), True),
            ("Bool", "true", k(True), True),
            ("Bool", "TRUE", k("true"), True),  # case-insensitive
            ("Bool", "true", k("True"), True),
            ("Bool", "false", k(False), True),
            ("Bool", "false", k(True), False),
            ("Bool", "true", k("yes"), False),
            ("Bool", "yes", k("yes"), False),  # not a boolean on either side
            ("Bool", ("false", "true"), k(True), True),
            ("BoolIfExists", "false", ABSENT, True),
            (
                "BinaryEquals",
                "QmluYXJ5VmFsdWVJbkJhc2U2NA==",
                k("QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
                True,
            ),
            (
                "BinaryEquals",
                "QmluYXJ5VmFsdWVJbkJhc2U2NA==",
                k("QmluYXJ5VmFsdWVJbkJhc2U2NQ=="),
                False,
            ),
            ("BinaryEquals", "AAEC", k("AAEC"), True),
            ("BinaryEquals", "AAEC", k("AAED"), False),
            ("BinaryEquals", ("AAED", "AAEC"), k("AAEC"), True),
            ("BinaryEquals", "not base64!", k("not base64!"), False),
            ("BinaryEquals", "QQ", k("QQ"), False),  # missing padding: not base-64
        ]
    )


# -- IP addresses ------------------------------------------------------------------------------


def test_ip_address_operators() -> None:
    run_table(
        [
            ("IpAddress", "203.0.113.0/24", k("203.0.113.7"), True),
            ("IpAddress", "203.0.113.0/24", k("203.0.114.7"), False),
            ("IpAddress", "203.0.113.5/24", k("203.0.113.200"), True),  # host bits ignored
            ("IpAddress", "203.0.113.5", k("203.0.113.5"), True),  # bare IP is /32
            ("IpAddress", "203.0.113.5", k("203.0.113.6"), False),
            ("IpAddress", "0.0.0.0/0", k("8.8.8.8"), True),
            ("IpAddress", "2001:DB8:1234:5678::/64", k("2001:db8:1234:5678::1"), True),
            ("IpAddress", "2001:DB8:1234:5678::/64", k("2001:db8:1234:5679::1"), False),
            ("IpAddress", "2001:db8::1", k("2001:0db8:0000::0001"), True),  # bare IPv6 is /128
            ("IpAddress", "2001:db8::1", k("2001:db8::2"), False),
            ("IpAddress", "::/0", k("203.0.113.7"), False),  # other IP version
            ("IpAddress", "0.0.0.0/0", k("::1"), False),
            ("IpAddress", ("10.0.0.0/8", "2001:db8::/32"), k("2001:db8::5"), True),
            ("IpAddress", "203.0.113.0/24", k("not-an-ip"), False),
            ("IpAddress", "300.0.0.0/8", k("10.0.0.1"), False),
            ("NotIpAddress", "203.0.113.0/24", k("198.51.100.1"), True),
            ("NotIpAddress", "203.0.113.0/24", k("203.0.113.1"), False),
            ("NotIpAddress", ("10.0.0.0/8", "203.0.113.0/24"), k("203.0.113.1"), False),
            ("NotIpAddress", "2001:db8::/32", k("203.0.113.1"), True),
            ("NotIpAddress", "203.0.113.0/24", k("not-an-ip"), False),  # cannot be compared
        ]
    )


# -- ARNs --------------------------------------------------------------------------------------

ROLE = "arn:aws:iam::123456789012:role/service/MyRole"


def test_arn_operators() -> None:
    run_table(
        [
            ("ArnLike", ROLE, k(ROLE), True),
            ("ArnLike", "*:aws:iam::123456789012:role/service/MyRole", k(ROLE), True),
            ("ArnLike", "arn:*:iam::123456789012:role/service/MyRole", k(ROLE), True),
            (
                "ArnLike",
                "arn:aws:iam::123456789012:role/service/MyRole",
                k("arn:aws-cn:iam::123456789012:role/service/MyRole"),
                False,
            ),
            ("ArnLike", "arn:aws-*:iam::1:role/R", k("arn:aws-us-gov:iam::1:role/R"), True),
            ("ArnLike", "arn:aws:*:*:*:*", k(ROLE), True),
            ("ArnLike", "arn:aws:i?m::123456789012:role/service/MyRole", k(ROLE), True),
            ("ArnLike", "arn:aws:sts::123456789012:role/service/MyRole", k(ROLE), False),
            ("ArnLike", "arn:aws:sqs:us-east-?:1:q", k("arn:aws:sqs:us-east-2:1:q"), True),
            ("ArnLike", "arn:aws:sqs:us-east-?:1:q", k("arn:aws:sqs:us-west-2:1:q"), False),
            ("ArnLike", "arn:aws:sqs:*:1:q", k("arn:aws:sqs::1:q"), True),  # '*' empty region
            ("ArnLike", "arn:aws:iam::12345678901?:role/*", k(ROLE), True),
            ("ArnLike", "arn:aws:iam::*:role/*", k(ROLE), True),
            ("ArnLike", "arn:aws:iam::210987654321:role/*", k(ROLE), False),
            ("ArnLike", "arn:aws:iam::123456789012:role/*", k(ROLE), True),
            ("ArnLike", "arn:aws:iam::123456789012:role/???????/MyRole", k(ROLE), True),
            ("ArnLike", "arn:aws:iam::123456789012:role/service/myrole", k(ROLE), False),
            ("ArnLike", "ARN:AWS:IAM::123456789012:role/service/MyRole", k(ROLE), False),
            ("ArnLike", "arn:aws:iam::123456789012:user/*", k(ROLE), False),
            # ArnEquals "behaves identically" to ArnLike, wildcards included.
            ("ArnEquals", "arn:aws:iam::*:role/*", k(ROLE), True),
            ("ArnEquals", ROLE, k(ROLE), True),
            ("ArnEquals", "arn:aws:iam::123456789012:role/Other", k(ROLE), False),
            ("ArnNotLike", "arn:aws:iam::*:role/service/*", k(ROLE), False),
            ("ArnNotLike", ("arn:aws:iam::*:user/*", "arn:aws:s3:::*"), k(ROLE), True),
            ("ArnNotEquals", "arn:aws:iam::*:role/*", k(ROLE), False),
            ("ArnNotEquals", "arn:aws:iam::*:user/*", k(ROLE), True),
            # The resource part keeps its colons and '*' may span them there.
            (
                "ArnLike",
                "arn:aws:logs:us-east-1:1:log-group:/aws/codebuild/*",
                k("arn:aws:logs:us-east-1:1:log-group:/aws/codebuild/p:log-stream:x"),
                True,
            ),
            ("ArnLike", "arn:aws:s3:::bucket/*", k("arn:aws:s3:::bucket/a:b/c"), True),
            # Not six segments / not an ARN: cannot be compared, so neither X nor NotX.
            ("ArnLike", "arn:aws:s3:::b", k("arn:aws:s3:b"), False),
            ("ArnNotLike", "arn:aws:s3:::b", k("arn:aws:s3:b"), False),
            ("ArnLike", "*", k(ROLE), False),
            ("ArnLike", "arn:aws:s3:::b", k("urn:aws:s3:::b"), False),
            ("ArnNotLike", "arn:aws:s3:::b", k("urn:aws:s3:::b"), False),
        ]
    )


def test_arn_segments_do_not_span_colons_unlike_string_like() -> None:
    # The user guide's own example (Condition operators, ARN).
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    assert check("StringLike", pattern, k(value)) is True
    assert check("ArnLike", pattern, k(value)) is False


# -- Null --------------------------------------------------------------------------------------


def test_null() -> None:
    run_table(
        [
            ("Null", "true", ABSENT, True),
            ("Null", "true", k("x"), False),
            ("Null", "false", k("x"), True),
            ("Null", "false", ABSENT, False),
            ("Null", "TRUE", ABSENT, True),
            ("Null", "False", k(""), True),  # an empty string is still a value
            ("Null", "false", k([]), True),  # a key carried with no values is present
            ("Null", ("true", "false"), ABSENT, True),
            ("Null", "maybe", ABSENT, False),
        ]
    )


# -- IfExists ----------------------------------------------------------------------------------


def test_if_exists_applies_the_base_operator_when_present() -> None:
    run_table(
        [
            ("StringEqualsIfExists", "a", ABSENT, True),
            ("StringEqualsIfExists", "a", k("a"), True),
            ("StringEqualsIfExists", "a", k("b"), False),
            ("StringNotEqualsIfExists", "a", k("a"), False),
            ("StringNotEqualsIfExists", "a", ABSENT, True),
            ("StringLikeIfExists", ("t1.*", "t2.*"), k("t2.micro"), True),
            ("StringLikeIfExists", ("t1.*", "t2.*"), k("m5.large"), False),
            ("NumericLessThanIfExists", "10", k("11"), False),
            ("DateGreaterThanIfExists", "2020-01-01", k("2021-01-01T00:00:00Z"), True),
            ("IpAddressIfExists", "10.0.0.0/8", k("11.0.0.1"), False),
            ("ArnLikeIfExists", "arn:aws:iam::*:role/*", k(ROLE), True),
            ("BinaryEqualsIfExists", "AAEC", k("AAED"), False),
        ]
    )


# -- multi-valued keys -------------------------------------------------------------------------


def test_set_operators() -> None:
    tags = ("Owner", "DataClass")
    run_table(
        [
            # ForAllValues: every request value matches some policy value; vacuous when empty.
            ("ForAllValues:StringEquals", tags, k(["Owner"]), True),
            ("ForAllValues:StringEquals", tags, k(["Owner", "DataClass"]), True),
            ("ForAllValues:StringEquals", tags, k(["Owner", "Dept"]), False),
            ("ForAllValues:StringEquals", tags, k([]), True),
            ("ForAllValues:StringEquals", tags, ABSENT, True),
            ("ForAllValues:StringEquals", tags, k("Owner"), True),  # single value: one-element set
            ("ForAllValues:StringLike", ("key1*",), k(["key1a", "key1b"]), True),
            ("ForAllValues:StringLike", ("key1*",), k(["key1a", "key2"]), False),
            # ForAnyValue: at least one request value matches; false when absent or empty.
            ("ForAnyValue:StringEquals", tags, k(["Dept", "Owner"]), True),
            ("ForAnyValue:StringEquals", tags, k(["Dept", "SIC"]), False),
            ("ForAnyValue:StringEquals", tags, k([]), False),
            ("ForAnyValue:StringEquals", tags, ABSENT, False),
            ("ForAnyValue:StringEquals", tags, k("Owner"), True),
            # Negated operators apply to each request value: ForAllValues:StringNotEquals is
            # "none of the request values is in the list" ...
            ("ForAllValues:StringNotEquals", tags, k(["Dept"]), True),
            ("ForAllValues:StringNotEquals", tags, k(["Dept", "SIC"]), True),
            ("ForAllValues:StringNotEquals", tags, k(["Dept", "SIC", "DataClass"]), False),
            ("ForAllValues:StringNotEquals", tags, k(["Owner", "DataClass"]), False),
            ("ForAllValues:StringNotEquals", tags, k([]), True),
            ("ForAllValues:StringNotEquals", tags, ABSENT, True),
            # ... and ForAnyValue:StringNotEquals "at least one request value is not in it".
            ("ForAnyValue:StringNotEquals", tags, k(["Owner", "DataClass"]), False),
            ("ForAnyValue:StringNotEquals", tags, k(["Dept", "DataClass"]), True),
            ("ForAnyValue:StringNotEquals", tags, k(["Dept", "SIC"]), True),
            ("ForAnyValue:StringNotEquals", tags, k([]), False),
            ("ForAnyValue:StringNotEquals", tags, ABSENT, False),
            ("ForAllValues:StringNotLike", ("aws:*",), k(["team", "cost"]), True),
            ("ForAllValues:StringNotLike", ("aws:*",), k(["team", "aws:x"]), False),
            ("ForAnyValue:StringNotLike", ("aws:*",), k(["aws:y", "aws:x"]), False),
            ("ForAnyValue:StringEqualsIfExists", tags, ABSENT, True),
            ("ForAnyValue:StringEqualsIfExists", tags, k(["Dept"]), False),
            ("ForAllValues:NumericLessThan", ("10",), k(["1", "2", "9"]), True),
            ("ForAllValues:NumericLessThan", ("10",), k(["1", "20"]), False),
            (
                "ForAnyValue:ArnLike",
                ("arn:aws:iam::*:role/Admin",),
                k([ROLE, "arn:aws:iam::1:role/Admin"]),
                True,
            ),
            ("ForAnyValue:IpAddress", ("10.0.0.0/8",), k(["192.168.0.1", "10.1.1.1"]), True),
            # Without a set operator a multi-valued request value matches nothing, negated or
            # not ("Multivalued context keys require a condition set operator").
            ("StringEquals", tags, k(["Owner", "DataClass"]), False),
            ("StringEquals", tags, k(["Owner", "Owner"]), False),
            ("StringNotEquals", tags, k(["Dept", "SIC"]), False),
            ("StringEqualsIfExists", tags, k(["Owner", "DataClass"]), False),
            ("StringEquals", tags, k([]), False),
            ("StringNotEquals", tags, k([]), False),
            ("StringEquals", tags, k(["Owner"]), True),  # one value is a single value
        ]
    )


# -- policy variables --------------------------------------------------------------------------


def test_policy_variables_in_condition_values() -> None:
    ctx: dict[str, ContextValue] = {
        "aws:username": "alice",
        "aws:PrincipalAccount": "123456789012",
        "aws:PrincipalTag/team": "ml*",
        "aws:SecureTransport": True,
    }

    def with_key(value: ContextValue) -> dict[str, ContextValue]:
        return {**ctx, "k:key": value}

    rows: list[Row] = [
        ("StringEquals", "${aws:username}", with_key("alice"), True),
        ("StringEquals", "home/${aws:username}/", with_key("home/alice/"), True),
        ("StringEquals", "home/${aws:username}/", with_key("home/bob/"), False),
        ("StringEquals", "${aws:username}", with_key("${aws:username}"), False),
        ("StringEqualsIgnoreCase", "${aws:username}", with_key("ALICE"), True),
        ("StringNotEquals", "${aws:username}", with_key("bob"), True),
        ("StringNotEquals", "${aws:username}", with_key("alice"), False),
        ("StringLike", "home/${aws:username}/*", with_key("home/alice/x/y"), True),
        ("StringLike", "home/${aws:username}/*", with_key("home/bob/x"), False),
        # A substituted value is literal: the '*' in the tag value is no wildcard.
        ("StringLike", "${aws:PrincipalTag/team}", with_key("ml*"), True),
        ("StringLike", "${aws:PrincipalTag/team}", with_key("mlops"), False),
        ("StringLike", "${aws:PrincipalTag/team}-*", with_key("ml*-x"), True),
        ("StringNotLike", "${aws:PrincipalTag/team}", with_key("mlops"), True),
        ("StringEquals", "${aws:PrincipalTag/team}", with_key("ml*"), True),
        # Defaults and escapes.
        ("StringEquals", "${aws:PrincipalTag/none, 'nobody'}", with_key("nobody"), True),
        ("StringLike", "a${*}b", with_key("a*b"), True),
        ("StringLike", "a${*}b", with_key("axb"), False),
        # An unresolved variable without default: that value matches nothing, and the negated
        # operator cannot be satisfied by it either.
        ("StringEquals", "${aws:PrincipalTag/none}", with_key("x"), False),
        ("StringEquals", ("${aws:PrincipalTag/none}", "x"), with_key("x"), True),
        ("StringNotEquals", "${aws:PrincipalTag/none}", with_key("x"), False),
        ("StringLike", "${aws:PrincipalTag/none}*", with_key("x"), False),
        # ARN operators substitute, then compare segment by segment.
        ("ArnLike", "arn:aws:iam::${aws:PrincipalAccount}:role/*", with_key(ROLE), True),
        ("ArnEquals", "arn:aws:iam::${aws:PrincipalAccount}:role/*", with_key(ROLE), True),
        (
            "ArnLike",
            "arn:aws:iam::${aws:PrincipalAccount}:role/*",
            with_key(ROLE.replace("1234", "9999")),
            False,
        ),
        ("ArnLike", "arn:aws:iam::${aws:PrincipalTag/none}:role/*", with_key(ROLE), False),
        ("ArnNotLike", "arn:aws:iam::${aws:PrincipalTag/none}:role/*", with_key(ROLE), False),
        ("Bool", "${aws:SecureTransport}", with_key("true"), True),
        # Numeric, Date, IP and Binary take no variables: the text stays as written.
        ("DateEquals", "${k:when}", {**ctx, "k:key": "2020-01-01", "k:when": "2020-01-01"}, False),
        ("IpAddress", "${k:net}", {**ctx, "k:key": "10.0.0.1", "k:net": "10.0.0.0/8"}, False),
    ]
    run_table(rows)


def test_variables_off_compares_text_literally() -> None:
    # Policies without Version 2012-10-17 treat "${aws:username}" as literal text.
    ctx = {"aws:username": "alice", "k:key": "${aws:username}"}
    assert check("StringEquals", "${aws:username}", ctx, variables=False) is True
    assert (
        check("StringEquals", "${aws:username}", {**ctx, "k:key": "alice"}, variables=False)
        is False
    )
    assert check("StringEquals", "${aws:username}", {**ctx, "k:key": "alice"}) is True


# -- blocks ------------------------------------------------------------------------------------


def test_conditions_match_ands_the_block_and_names_the_first_failure() -> None:
    ctx = RequestContext({"aws:SourceAccount": "123456789012", "aws:SecureTransport": True})
    first = cond("StringEquals", "aws:SourceAccount", "123456789012")
    second = cond("Bool", "aws:SecureTransport", "false")
    third = cond("Null", "aws:SourceArn", "false")
    assert conditions_match([], ctx) == (True, None)
    assert conditions_match([first], ctx) == (True, None)
    assert conditions_match([first, second, third], ctx) == (False, second)
    assert conditions_match([first, third], ctx) == (False, third)


def test_conditions_match_rejects_an_unknown_operator_anywhere_in_the_block() -> None:
    ctx = RequestContext({})
    failing = cond("StringEquals", "aws:SourceAccount", "1")
    bad = cond("StringEqual", "aws:SourceAccount", "1")
    with pytest.raises(PolicyValidationError):
        conditions_match([failing, bad], ctx)


# -- properties --------------------------------------------------------------------------------

PAIRS = [
    ("StringEquals", "StringNotEquals"),
    ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"),
    ("StringLike", "StringNotLike"),
    ("NumericEquals", "NumericNotEquals"),
    ("DateEquals", "DateNotEquals"),
    ("IpAddress", "NotIpAddress"),
    ("ArnLike", "ArnNotLike"),
    ("ArnEquals", "ArnNotEquals"),
]

plain_text = st.text(alphabet=string.ascii_letters + string.digits + "*?/:-_ .", max_size=12)
numbers = st.decimals(
    allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000
)
instants = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)
).map(lambda d: d.replace(microsecond=0))
segment = st.text(alphabet=string.ascii_lowercase + string.digits + "-", max_size=6)
arns = st.builds(
    lambda p, s, r, a, res: f"arn:{p}:{s}:{r}:{a}:{res}",
    segment,
    segment,
    segment,
    segment,
    st.text(alphabet=string.ascii_letters + "/:-", max_size=10),
)
arn_patterns = st.builds(
    lambda p, s, r, a, res: f"arn:{p}:{s}:{r}:{a}:{res}",
    *([st.one_of(segment, st.just("*"), st.just("?*"))] * 4),
    st.text(alphabet=string.ascii_letters + "/:-*?", max_size=10),
)
ipv4 = st.ip_addresses(v=4).map(str)
ipv4_networks = st.builds(
    lambda a, p: str(IPv4Network(f"{a}/{p}", strict=False)),
    st.ip_addresses(v=4),
    st.integers(0, 32),
)
ipv6 = st.ip_addresses(v=6).map(str)
ipv6_networks = st.builds(
    lambda a, p: str(IPv6Network(f"{a}/{p}", strict=False)),
    st.ip_addresses(v=6),
    st.integers(0, 128),
)


def _date_spellings(moment: datetime) -> list[str]:
    plus_two = moment.astimezone(timezone(timedelta(hours=2)))
    minus_five_thirty = moment.astimezone(timezone(-timedelta(hours=5, minutes=30)))
    return [
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        str(int(moment.timestamp())),
        plus_two.isoformat(),
        minus_five_thirty.isoformat(),
        minus_five_thirty.strftime("%Y-%m-%dT%H:%M:%S%z"),
    ]


@st.composite
def value_and_policy(draw: st.DrawFn, operator: str) -> tuple[str, tuple[str, ...]]:
    """A well-formed request value and policy values for ``operator``'s family."""
    if operator.startswith("String"):
        request, values = plain_text, st.lists(plain_text, min_size=1, max_size=3)
    elif operator.startswith("Numeric"):
        request = numbers.map(str)
        values = st.lists(numbers.map(str), min_size=1, max_size=3)
    elif operator.startswith("Date"):
        moment = draw(instants)
        spellings = _date_spellings(moment)
        request = st.sampled_from(spellings)
        values = st.lists(
            st.one_of(st.sampled_from(spellings), instants.map(lambda d: _date_spellings(d)[0])),
            min_size=1,
            max_size=3,
        )
    elif "Ip" in operator:
        if draw(st.booleans()):
            request, values = (
                ipv4,
                st.lists(st.one_of(ipv4_networks, ipv4, ipv6_networks), min_size=1, max_size=3),
            )
        else:
            request, values = (
                ipv6,
                st.lists(st.one_of(ipv6_networks, ipv6, ipv4_networks), min_size=1, max_size=3),
            )
    else:
        request, values = arns, st.lists(st.one_of(arn_patterns, arns), min_size=1, max_size=3)
    return draw(request), tuple(draw(values))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize(("positive", "negative"), PAIRS)
def test_operator_and_its_negation_are_complements_for_one_present_value(
    positive: str, negative: str, data: st.DataObject
) -> None:
    request, values = data.draw(value_and_policy(positive))
    context = {"k:key": request}
    assert check(positive, values, context) is not check(negative, values, context)
    # Under IfExists with the key present, each is its base operator.
    assert check(positive + "IfExists", values, context) is check(positive, values, context)
    assert check(negative + "IfExists", values, context) is check(negative, values, context)


@settings(max_examples=60, deadline=None)
@given(
    operator=st.sampled_from(sorted(BASE_OPERATORS - {"Null"})),
    values=st.lists(plain_text, min_size=1, max_size=3),
    request=st.one_of(plain_text, st.lists(plain_text, max_size=3)),
    set_operator=st.sampled_from(["", "ForAllValues:", "ForAnyValue:"]),
)
def test_if_exists_equals_the_base_operator_when_the_key_is_present(
    operator: str, values: list[str], request: str | list[str], set_operator: str
) -> None:
    context = {"k:key": request}
    base = check(set_operator + operator, tuple(values), context)
    assert check(set_operator + operator + "IfExists", tuple(values), context) is base


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(plain_text, min_size=1, max_size=3),
    request=st.one_of(st.none(), st.lists(plain_text, max_size=4)),
    pair=st.sampled_from(PAIRS[:3]),
)
def test_set_operators_are_per_value_and_obey_de_morgan(
    values: list[str], request: list[str] | None, pair: tuple[str, str]
) -> None:
    positive, negative = pair
    context: dict[str, ContextValue] = {} if request is None else {"k:key": request}
    policy = tuple(values)
    every = check("ForAllValues:" + positive, policy, context)
    some = check("ForAnyValue:" + positive, policy, context)
    if request is not None:
        assert every is all(check(positive, policy, {"k:key": r}) for r in request)
        assert some is any(check(positive, policy, {"k:key": r}) for r in request)
    # "No request value is in the list" is "not (some request value is in the list)".
    assert check("ForAllValues:" + negative, policy, context) is not some
    assert check("ForAnyValue:" + negative, policy, context) is not every


@settings(max_examples=60, deadline=None)
@given(moment=instants, data=st.data())
def test_every_spelling_of_an_instant_is_the_same_date(
    moment: datetime, data: st.DataObject
) -> None:
    spellings = _date_spellings(moment)
    a = data.draw(st.sampled_from(spellings))
    b = data.draw(st.sampled_from(spellings))
    assert check("DateEquals", a, k(b))
    assert not check("DateLessThan", a, k(b))
    later = (moment + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert check("DateGreaterThan", a, k(later))
    assert check("DateLessThan", later, k(b))


@settings(max_examples=80, deadline=None)
@given(request=numbers, policy=numbers)
def test_numeric_trichotomy(request: Decimal, policy: Decimal) -> None:
    ctx = k(str(request))
    outcomes = [
        check(op, str(policy), ctx)
        for op in ("NumericLessThan", "NumericEquals", "NumericGreaterThan")
    ]
    assert outcomes.count(True) == 1
    assert check("NumericLessThanEquals", str(policy), ctx) is (outcomes[0] or outcomes[1])
    assert check("NumericGreaterThanEquals", str(policy), ctx) is (outcomes[1] or outcomes[2])


@settings(max_examples=80, deadline=None)
@given(pattern=st.text(alphabet=string.ascii_letters + "/:-.", max_size=10), request=plain_text)
def test_like_without_wildcards_is_equals(pattern: str, request: str) -> None:
    assert check("StringLike", pattern, k(request)) is check("StringEquals", pattern, k(request))
    assert check("StringLike", "*", k(request))


@settings(max_examples=60, deadline=None)
@given(name=st.text(alphabet=string.ascii_letters + "*?", min_size=1, max_size=8), other=plain_text)
def test_substituted_variable_text_is_literal(name: str, other: str) -> None:
    ctx = {"aws:username": name}
    assert check("StringLike", "${aws:username}", {**ctx, "k:key": name})
    assume(other != name)
    assert not check("StringLike", "${aws:username}", {**ctx, "k:key": other})


@settings(max_examples=60, deadline=None)
@given(address=st.ip_addresses())
def test_bare_address_is_a_single_host_range(address: IPv4Address | IPv6Address) -> None:
    prefix = 32 if address.version == 4 else 128
    assert check("IpAddress", str(address), k(str(address)))
    assert check("IpAddress", f"{address}/{prefix}", k(str(address)))
    neighbour = address + 1 if int(address) < (2**prefix - 1) else address - 1
    assert not check("IpAddress", str(address), k(str(neighbour)))
    assert check("NotIpAddress", str(address), k(str(neighbour)))
