"""Glob, action, resource and principal matching with AWS's case and wildcard rules."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sm_studio_setup.iam.context import RequestContext
from sm_studio_setup.iam.matching import (
    action_matches,
    glob_matches,
    match_pieces,
    principal_matches,
    resource_matches,
)
from sm_studio_setup.iam.model import Principal

EMPTY = RequestContext()

# ------------------------------------------------------------------------------ globs


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("abc", "abc", True),
        ("abc", "abcd", False),
        ("abc", "ab", False),
        ("", "", True),
        ("", "a", False),
        ("*", "", True),
        ("*", "anything/at:all", True),
        ("a*", "a", True),
        ("a*", "abc", True),
        ("*c", "abc", True),
        ("*c", "abd", False),
        ("a*c", "ac", True),
        ("a*c", "abbbc", True),
        ("a*c", "abbbcd", False),
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "acb", False),
        ("a**c", "ac", True),
        ("?", "", False),  # '?' is exactly one character, never zero
        ("?", "a", True),
        ("?", "ab", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("a?c", "abbc", False),
        ("??", "ab", True),
        ("*?", "", False),
        ("*?", "a", True),
        ("?*?", "ab", True),
        ("?*?", "a", False),
        ("a*?c", "abc", True),
        ("a*?c", "ac", False),
        ("*a?b*", "xxaZbyy", True),
        ("*a?b*", "xxabyy", False),
        ("*/*", "a/b/c", True),  # '*' spans '/'
        ("a*", "a:b:c", True),  # '*' spans ':'
        ("a.c", "abc", False),  # regex metacharacters are literal
        ("a+c", "a+c", True),
        ("[ab]", "a", False),
        ("[ab]", "[ab]", True),
        ("a\\*", "a\\xyz", True),  # backslash is not an escape in IAM globs
        ("(x)|y", "(x)|y", True),
    ],
)
def test_glob(pattern: str, text: str, expected: bool) -> None:
    assert glob_matches(pattern, text) is expected
    assert match_pieces([(pattern, False)], text) is expected


def test_glob_case() -> None:
    assert not glob_matches("ABC", "abc")
    assert glob_matches("ABC", "abc", ignore_case=True)
    assert glob_matches("A?C*", "abcdef", ignore_case=True)


def test_literal_pieces_have_no_wildcards() -> None:
    assert match_pieces([("a", False), ("*", True)], "a*")
    assert not match_pieces([("a", False), ("*", True)], "ab")
    assert match_pieces([("?", True), ("*", False)], "?anything")
    assert not match_pieces([("?", True)], "x")
    assert match_pieces([("A*", True)], "a*", ignore_case=True)


def _reference(pattern: str, text: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


@settings(max_examples=400, deadline=None)
@given(st.text("ab*?:/", max_size=10), st.text("ab:/*?", max_size=14))
def test_glob_agrees_with_a_regex_reference(pattern: str, text: str) -> None:
    assert glob_matches(pattern, text) is _reference(pattern, text)


def test_no_backtracking_blowup() -> None:
    pattern = "a*" * 40 + "b"
    text = "a" * 5000
    started = time.perf_counter()
    assert not glob_matches(pattern, text)
    assert not resource_matches("arn:aws:s3:::" + pattern, "arn:aws:s3:::" + text, EMPTY)
    assert not resource_matches("arn:aws:s3:" + pattern, "arn:aws:s3:::" + text, EMPTY)
    assert time.perf_counter() - started < 2.0


# ---------------------------------------------------------------------------- actions


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("*", "s3:GetObject", True),
        ("s3:*", "s3:GetObject", True),
        ("s3:*", "S3:getobject", True),
        ("S3:GETOBJECT", "s3:GetObject", True),
        ("s3:Get*", "s3:GetObjectAcl", True),
        ("s3:Get*", "s3:PutObject", False),
        ("s3:*Object", "s3:PutObject", True),
        ("s3:?etObject", "s3:GetObject", True),
        ("s3:?etObject", "s3:etObject", False),
        ("s3:GetObject", "s3:GetObjectAcl", False),
        ("s3:*", "s3-outposts:GetObject", False),
        ("s3*", "s3-outposts:GetObject", True),
        ("ecr:*", "ecr-public:GetAuthorizationToken", False),
        ("iam:PassRole", "iam:passrole", True),
    ],
)
def test_action_matches(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


# -------------------------------------------------------------------------- resources


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("*", "arn:aws:s3:::bucket", True),
        ("*", "*", True),
        ("*", "not-an-arn", True),
        ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket", True),
        ("arn:aws:s3:::bucket", "arn:aws:s3:::Bucket", False),  # resource part: case-sensitive
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", True),  # '*' spans '/'
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
        ("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket", True),
        ("arn:aws:s3:::*", "arn:aws:s3:::any/key", True),
        # partition, service, region and account: case-insensitive
        ("ARN:AWS:S3:::bucket", "arn:aws:s3:::bucket", True),
        (
            "arn:aws:ECR:US-EAST-1:123456789012:repository/x",
            "arn:aws:ecr:us-east-1:123456789012:repository/x",
            True,
        ),
        (
            "arn:aws:ecr:us-east-1:123456789012:Repository/x",
            "arn:aws:ecr:us-east-1:123456789012:repository/x",
            False,
        ),
        # wildcards within segments
        (
            "arn:aws:sagemaker:*:*:domain/*",
            "arn:aws:sagemaker:us-east-1:123456789012:domain/d-1",
            True,
        ),
        (
            "arn:aws:sagemaker:*:*:domain/*",
            "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-1/u",
            False,
        ),
        ("arn:aws:ec2:us-*-1:*:vpc/*", "arn:aws:ec2:us-west-1:1:vpc/v", True),
        ("arn:aws:ec2:us-*-1:*:vpc/*", "arn:aws:ec2:eu-west-1:1:vpc/v", False),
        ("arn:aws:ec2:us-east-?:*:vpc/*", "arn:aws:ec2:us-east-1:1:vpc/v", True),
        ("arn:aws:ec2:us-east-?:*:vpc/*", "arn:aws:ec2:us-east-:1:vpc/v", False),
        # empty region/account segments must be empty unless a wildcard allows anything
        ("arn:aws:s3:::b", "arn:aws:s3:us-east-1::b", False),
        ("arn:aws:s3:*::b", "arn:aws:s3:::b", True),
        # ':' inside the resource part
        (
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/*",
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/p:log-stream:x",
            True,
        ),
        (
            "arn:aws:logs:*:*:log-group:*:log-stream:*",
            "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s",
            True,
        ),
        (
            "arn:aws:lambda:*:*:function:f",
            "arn:aws:lambda:us-east-1:1:function:f:PROD",
            False,
        ),
        ("arn:aws:lambda:*:*:function:f*", "arn:aws:lambda:us-east-1:1:function:f:PROD", True),
        # wildcard in a middle segment does not swallow other segments
        ("arn:aws:iam::*:role/x", "arn:aws:iam::1:2:role/x", False),
        # a request on "*" (actions without resource types) only matches "*"
        ("arn:aws:s3:::*", "*", False),
        ("arn:*", "*", False),
        # non-ARN patterns compare as whole strings, case-sensitively
        ("bucket*", "bucket-1", True),
        ("bucket*", "Bucket-1", False),
        ("arn:aws:s3:::bucket", "not-an-arn", False),
    ],
)
def test_resource_matches(pattern: str, arn: str, expected: bool) -> None:
    assert resource_matches(pattern, arn, EMPTY) is expected


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        # Fewer than six segments: a trailing '*' expands beyond the colons (IAM User Guide,
        # "Using wildcards in resource ARNs").
        ("arn:aws:s3:*", "arn:aws:s3:::bucket/key", True),
        ("arn:aws:*", "arn:aws:iam::123456789012:role/r", True),
        ("arn:aws:*", "arn:aws-cn:iam::123456789012:role/r", False),
        ("arn:*", "arn:aws:iam::123456789012:role/r", True),
        ("arn:aws:s3:*", "arn:aws:ec2:us-east-1:1:vpc/v", False),
        ("arn:aws:*:role/r", "arn:aws:iam::123456789012:role/r", True),
        ("arn:aws:*:role/r", "arn:aws:iam::123456789012:role/R", False),
        # the prefix segments stay case-insensitive, the resource part case-sensitive
        ("arn:AWS:S3:*", "arn:aws:s3:::Bucket", True),
        ("arn:aws:*:Role/r", "arn:aws:iam::1:role/r", False),
        ("arn:aws:s3", "arn:aws:s3:::b", False),
    ],
)
def test_short_patterns_span_colons(pattern: str, arn: str, expected: bool) -> None:
    assert resource_matches(pattern, arn, EMPTY) is expected


def test_question_mark_is_one_character_in_the_resource_part() -> None:
    assert resource_matches("arn:aws:s3:::b/?", "arn:aws:s3:::b/x", EMPTY)
    assert not resource_matches("arn:aws:s3:::b/?", "arn:aws:s3:::b/", EMPTY)
    assert not resource_matches("arn:aws:s3:::b/?", "arn:aws:s3:::b/xy", EMPTY)


def test_variables_in_resources() -> None:
    context = RequestContext({"sagemaker:DomainId": "d-abc", "aws:username": "alice"})
    pattern = "arn:aws:sagemaker:*:123456789012:user-profile/${sagemaker:DomainId}/*"
    assert resource_matches(
        pattern, "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-abc/u", context
    )
    assert not resource_matches(
        pattern, "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-xyz/u", context
    )
    assert not resource_matches(
        pattern, "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-abc/u", EMPTY
    )
    # In the resource part a substituted value is case-sensitive like the rest of it.
    assert not resource_matches(
        pattern, "arn:aws:sagemaker:us-east-1:123456789012:user-profile/D-ABC/u", context
    )
    assert resource_matches(
        "arn:aws:s3:::bucket/${aws:username}/*", "arn:aws:s3:::bucket/alice/notes.txt", context
    )


ACCOUNT_CONTEXT = RequestContext(
    {
        "aws:PrincipalAccount": "123456789012",
        "aws:RequestedRegion": "us-east-1",
        "aws:username": "alice",
    }
)


@pytest.mark.parametrize(
    ("pattern", "arn"),
    [
        # "You can't use a variable to replace parts of the ARN before the fifth colon, such as
        # the service or account" (IAM User Guide, "IAM policy elements: Variables and tags").
        ("arn:aws:iam::${aws:PrincipalAccount}:role/*", "arn:aws:iam::123456789012:role/x"),
        (
            "arn:aws:ecr:${aws:RequestedRegion}:123456789012:repository/x",
            "arn:aws:ecr:us-east-1:123456789012:repository/x",
        ),
        (
            "arn:aws:ecr:us-east-1:${aws:PrincipalAccount, '123456789012'}:repository/x",
            "arn:aws:ecr:us-east-1:123456789012:repository/x",
        ),
        ("arn:aws:iam::${*}:role/x", "arn:aws:iam::123456789012:role/x"),
        ("arn:aws:iam::${aws:PrincipalAccount}:*", "arn:aws:iam::123456789012:role/x"),
        ("arn:aws:iam::${aws:PrincipalAccount}*", "arn:aws:iam::123456789012:role/x"),
        # Fewer than five colons: no resource portion, nothing is substituted.
        ("arn:aws:s3:${aws:username}*", "arn:aws:s3:::alice/x"),
        ("${aws:PrincipalAccount}*", "123456789012"),
    ],
)
def test_variables_before_the_fifth_colon_are_literal_text(pattern: str, arn: str) -> None:
    assert not resource_matches(pattern, arn, ACCOUNT_CONTEXT)
    # Literal, not "unresolved": the text as written matches itself, its '*' included.
    literal = pattern.replace("*", "x") if pattern.endswith("*") else pattern
    assert resource_matches(pattern, literal, ACCOUNT_CONTEXT)
    assert resource_matches(pattern, literal, EMPTY)


def test_only_the_variables_before_the_fifth_colon_are_literal() -> None:
    context = RequestContext({"aws:PrincipalAccount": "123456789012", "aws:username": "alice"})
    # The ':' inside "${aws:PrincipalAccount}" counts: "${aws" is the account segment as
    # written and "${aws:username}" comes after the fifth colon, so it is substituted.
    pattern = "arn:aws:iam::${aws:PrincipalAccount}:role/${aws:username}"
    assert resource_matches(pattern, "arn:aws:iam::${aws:PrincipalAccount}:role/alice", context)
    assert not resource_matches(pattern, "arn:aws:iam::${aws:PrincipalAccount}:role/bob", context)
    assert not resource_matches(pattern, "arn:aws:iam::123456789012:role/alice", context)
    # Still a variable after the fifth colon: unresolved there, the entry matches nothing.
    assert not resource_matches(pattern, "arn:aws:iam::${aws:PrincipalAccount}:role/alice", EMPTY)
    # Literal text keeps '*' literal; the '*' outside it stays a wildcard.
    assert not resource_matches("arn:aws:iam::${*}:role/x", "arn:aws:iam::${ab}:role/x", EMPTY)
    wild = "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*"
    assert resource_matches(
        wild, "arn:aws:ecr:eu-west-1:${aws:PrincipalAccount}:repository/y", EMPTY
    )


# ------------------------------------------------------------------------- principals

ROLE = "arn:aws:iam::123456789012:role/path/StudioRole"
SESSION = "arn:aws:sts::123456789012:assumed-role/StudioRole/SageMaker"
USER = "arn:aws:iam::123456789012:user/alice"
OTHER = "arn:aws:sts::999999999999:assumed-role/StudioRole/SageMaker"


def aws(*values: str) -> Principal:
    return Principal(values={"AWS": values})


def test_wildcard_principal_matches_anyone() -> None:
    for caller in (ROLE, SESSION, "codebuild.amazonaws.com", "anonymous"):
        assert principal_matches(Principal(wildcard=True), caller)
        assert principal_matches(aws("*"), caller)


def test_account_id_and_root_match_every_principal_of_the_account() -> None:
    for principal in (aws("123456789012"), aws("arn:aws:iam::123456789012:root")):
        assert principal_matches(principal, ROLE)
        assert principal_matches(principal, SESSION)
        assert principal_matches(principal, USER)
        assert principal_matches(principal, "arn:aws:iam::123456789012:root")
        assert principal_matches(principal, "123456789012")
        assert not principal_matches(principal, OTHER)
        assert not principal_matches(principal, "codebuild.amazonaws.com")


def test_role_arn_matches_the_role_and_its_sessions() -> None:
    principal = aws(ROLE)
    assert principal_matches(principal, ROLE)
    assert principal_matches(principal, SESSION)
    assert not principal_matches(principal, OTHER)
    assert not principal_matches(principal, "arn:aws:sts::123456789012:assumed-role/Studio/x")
    assert not principal_matches(principal, "arn:aws:sts::123456789012:assumed-role/StudioRoleX/x")
    assert not principal_matches(principal, "arn:aws:sts::123456789012:assumed-role/StudioRole/")
    assert not principal_matches(principal, USER)


def test_session_arn_matches_exactly() -> None:
    assert principal_matches(aws(SESSION), SESSION)
    assert not principal_matches(aws(SESSION), ROLE)
    assert not principal_matches(aws(SESSION), SESSION[:-1] + "X")


def test_user_arn_matches_exactly() -> None:
    assert principal_matches(aws(USER), USER)
    assert not principal_matches(aws(USER), "arn:aws:iam::123456789012:user/bob")


def test_unique_id_matches_only_itself() -> None:
    assert principal_matches(aws("AROAEXAMPLEEXAMPLE12"), "AROAEXAMPLEEXAMPLE12")
    assert not principal_matches(aws("AROAEXAMPLEEXAMPLE12"), ROLE)


def test_account_of_callback() -> None:
    principal = aws("123456789012")
    assert principal_matches(principal, "AIDAEXAMPLE", account_of=lambda _: "123456789012")
    assert not principal_matches(principal, "AIDAEXAMPLE", account_of=lambda _: None)


def test_service_principals_compare_case_insensitively() -> None:
    principal = Principal(
        values={"Service": ("codebuild.amazonaws.com", "sagemaker.amazonaws.com")}
    )
    assert principal_matches(principal, "codebuild.amazonaws.com")
    assert principal_matches(principal, "CodeBuild.amazonaws.com")
    assert principal_matches(principal, "sagemaker.amazonaws.com")
    assert not principal_matches(principal, "glue.amazonaws.com")
    assert not principal_matches(principal, ROLE)
    # An AWS account principal does not cover a service principal.
    assert not principal_matches(aws("123456789012"), "codebuild.amazonaws.com")


def test_federated_and_canonical_user_match_exactly() -> None:
    federated = Principal(values={"Federated": ("arn:aws:iam::123456789012:saml-provider/X",)})
    assert principal_matches(federated, "arn:aws:iam::123456789012:saml-provider/X")
    assert not principal_matches(federated, "arn:aws:iam::123456789012:saml-provider/x")
    web = Principal(values={"Federated": ("cognito-identity.amazonaws.com",)})
    assert principal_matches(web, "cognito-identity.amazonaws.com")
    canonical = Principal(values={"CanonicalUser": ("79a59df900b949e55d96a1e698fbaced",)})
    assert principal_matches(canonical, "79a59df900b949e55d96a1e698fbaced")
    assert not principal_matches(canonical, "79A59DF900B949E55D96A1E698FBACED")


def test_mixed_principal_types() -> None:
    principal = Principal(
        values={"AWS": ("111122223333",), "Service": ("codebuild.amazonaws.com",)}
    )
    assert principal_matches(principal, "codebuild.amazonaws.com")
    assert principal_matches(principal, "arn:aws:iam::111122223333:role/x")
    assert not principal_matches(principal, ROLE)


def test_no_partial_wildcards_in_principals() -> None:
    # "You cannot use a wildcard to match part of a principal name or ARN."
    assert not principal_matches(aws("arn:aws:iam::123456789012:role/*"), ROLE)


def _arn_reference(pattern: str, arn: str) -> bool:
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    for index, (p, a) in enumerate(zip(pattern_parts, arn_parts, strict=True)):
        if index < 5:
            if not _reference(p.lower(), a.lower()):
                return False
        elif not _reference(p, a):
            return False
    return True


segment = st.text("aA*?", max_size=3)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(segment, min_size=4, max_size=4),
    st.text("aA*?:/", max_size=6),
    st.lists(st.text("aA", max_size=2), min_size=4, max_size=4),
    st.text("aA:/", max_size=6),
)
def test_six_segment_patterns_match_segment_by_segment(
    pattern_segments: list[str], pattern_resource: str, arn_segments: list[str], resource: str
) -> None:
    pattern = ":".join(["arn", *pattern_segments, pattern_resource])
    arn = ":".join(["arn", *arn_segments, resource])
    assert resource_matches(pattern, arn, EMPTY) is _arn_reference(pattern, arn)
