"""Policy variables: substitution, defaults, escapes, literal values, unresolved keys."""

from __future__ import annotations

import pytest

from sm_studio_setup.iam.context import RequestContext
from sm_studio_setup.iam.matching import match_pieces, resource_matches
from sm_studio_setup.iam.variables import expand, has_variables

CONTEXT = RequestContext(
    {
        "aws:username": "alice",
        "sagemaker:DomainId": "d-abc123",
        "aws:PrincipalTag/team": "ml",
        "aws:TagKeys": ["a", "b"],
        "aws:single": ["only"],
        "aws:star": "we*rd?",
        "aws:nested": "${aws:username}",
        "aws:empty": "",
    }
)


def test_plain_text_is_one_pattern_piece() -> None:
    assert expand("arn:aws:s3:::bucket/*", CONTEXT) == (("arn:aws:s3:::bucket/*", False),)


def test_empty_template() -> None:
    assert expand("", CONTEXT) == ()


def test_global_and_service_variables_are_substituted_as_literal_text() -> None:
    assert expand("home/${aws:username}/*", CONTEXT) == (
        ("home/", False),
        ("alice", True),
        ("/*", False),
    )
    assert expand("domain/${sagemaker:DomainId}", CONTEXT) == (
        ("domain/", False),
        ("d-abc123", True),
    )


def test_keys_are_looked_up_case_insensitively() -> None:
    assert expand("${AWS:UserName}", CONTEXT) == (("alice", True),)
    assert expand("${aws:principaltag/TEAM}", CONTEXT) == (("ml", True),)


def test_tag_variable() -> None:
    assert expand("team-${aws:PrincipalTag/team}", CONTEXT) == (
        ("team-", False),
        ("ml", True),
    )


@pytest.mark.parametrize(
    "template",
    [
        "${aws:PrincipalTag/dept, 'none'}",
        "${aws:PrincipalTag/dept,'none'}",
        "${aws:PrincipalTag/dept ,  'none' }",
        "${ aws:PrincipalTag/dept, 'none'}",
    ],
)
def test_default_used_when_key_absent(template: str) -> None:
    assert expand(template, CONTEXT) == (("none", True),)


def test_default_ignored_when_key_present() -> None:
    assert expand("${aws:PrincipalTag/team, 'none'}", CONTEXT) == (("ml", True),)


def test_default_may_contain_comma_brace_and_wildcards_which_stay_literal() -> None:
    assert expand("${aws:missing, 'a,b}*?'}", CONTEXT) == (("a,b}*?", True),)


def test_empty_default() -> None:
    assert expand("x${aws:missing, ''}y", CONTEXT) == (("xy", False),)


def test_unresolved_without_default_is_none() -> None:
    assert expand("home/${aws:missing}/*", CONTEXT) is None
    assert expand("${}", CONTEXT) is None


def test_malformed_default_is_not_a_default() -> None:
    # The default must be in single quotes; otherwise the variable stays unresolved.
    assert expand("${aws:missing, none}", CONTEXT) is None
    assert expand("${aws:username, none}", CONTEXT) == (("alice", True),)


def test_multivalued_key_is_unresolved() -> None:
    # "You can't use multivalued keys as policy variables."
    assert expand("${aws:TagKeys}", CONTEXT) is None
    assert expand("${aws:TagKeys, 'dflt'}", CONTEXT) == (("dflt", True),)


def test_single_element_list_is_a_single_value() -> None:
    assert expand("${aws:single}", CONTEXT) == (("only", True),)


def test_empty_value_substitutes_empty_text() -> None:
    assert expand("a${aws:empty}b", CONTEXT) == (("ab", False),)


@pytest.mark.parametrize(("escape", "char"), [("${*}", "*"), ("${?}", "?"), ("${$}", "$")])
def test_escapes_are_literal_characters(escape: str, char: str) -> None:
    assert expand(f"a{escape}b", CONTEXT) == (("a", False), (char, True), ("b", False))


def test_substitution_is_single_pass() -> None:
    # The value "${aws:username}" is text, not a variable to expand again.
    assert expand("${aws:nested}", CONTEXT) == (("${aws:username}", True),)


def test_substituted_wildcards_are_literal() -> None:
    pieces = expand("obj/${aws:star}", CONTEXT)
    assert pieces == (("obj/", False), ("we*rd?", True))
    assert match_pieces(pieces, "obj/we*rd?")
    assert not match_pieces(pieces, "obj/weXXXrdZ")
    assert not match_pieces(pieces, "obj/we*rd")


def test_unterminated_variable_is_plain_text() -> None:
    assert expand("a${aws:username", CONTEXT) == (("a${aws:username", False),)
    assert not has_variables("a${aws:username")


def test_adjacent_variables_and_text() -> None:
    pieces = expand("${aws:username}${sagemaker:DomainId}-${aws:PrincipalTag/team}", CONTEXT)
    assert pieces == (("alice" + "d-abc123", True), ("-", False), ("ml", True))


def test_has_variables() -> None:
    assert has_variables("${aws:username}")
    assert has_variables("a${*}b")
    assert not has_variables("arn:aws:s3:::bucket/*")
    assert not has_variables("$ {x}")
    assert not has_variables("{aws:username}")


def test_resource_with_variable_matches_only_the_callers_home() -> None:
    pattern = "arn:aws:s3:::bucket/home/${aws:username}/*"
    assert resource_matches(pattern, "arn:aws:s3:::bucket/home/alice/x", CONTEXT)
    assert not resource_matches(pattern, "arn:aws:s3:::bucket/home/bob/x", CONTEXT)
    # Unresolved without default: the element does not match anything.
    assert not resource_matches(
        "arn:aws:s3:::bucket/${aws:missing}/*", "arn:aws:s3:::bucket/x/y", CONTEXT
    )


def test_resource_with_wildcard_value_is_literal() -> None:
    pattern = "arn:aws:s3:::bucket/${aws:star}"
    assert resource_matches(pattern, "arn:aws:s3:::bucket/we*rd?", CONTEXT)
    assert not resource_matches(pattern, "arn:aws:s3:::bucket/weXrdY", CONTEXT)


def test_resource_escape_matches_literal_star_only() -> None:
    pattern = "arn:aws:s3:::bucket/a${*}b"
    assert resource_matches(pattern, "arn:aws:s3:::bucket/a*b", CONTEXT)
    assert not resource_matches(pattern, "arn:aws:s3:::bucket/axxb", CONTEXT)


def test_variables_off_means_literal_dollar_text() -> None:
    # Version 2008-10-17 documents do not substitute: "${aws:username}" is plain text.
    pattern = "arn:aws:s3:::bucket/${aws:username}"
    assert not resource_matches(pattern, "arn:aws:s3:::bucket/alice", CONTEXT, variables=False)
    assert resource_matches(
        pattern, "arn:aws:s3:::bucket/${aws:username}", CONTEXT, variables=False
    )
    assert resource_matches(pattern, "arn:aws:s3:::bucket/alice", CONTEXT)


def test_substituted_colon_is_resource_text() -> None:
    # Only the resource part substitutes, and it keeps its colons: a ':' in the value is text.
    context = RequestContext({"aws:x": "g:log-stream:s"})
    pattern = "arn:aws:logs:us-east-1:123456789012:log-group:${aws:x}"
    assert resource_matches(
        pattern, "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s", context
    )
    assert not resource_matches(
        pattern, "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:t", context
    )


def test_variable_before_the_resource_part_is_not_substituted() -> None:
    # "You can't use a variable to replace parts of the ARN before the fifth colon."
    context = RequestContext({"aws:x": "123456789012:role/r"})
    assert not resource_matches(
        "arn:aws:iam::${aws:x}", "arn:aws:iam::123456789012:role/r", context
    )
    assert resource_matches("arn:aws:iam::${aws:x}", "arn:aws:iam::${aws:x}", context)


def test_literal_before_keeps_earlier_variables_as_written() -> None:
    template = "a:${aws:username}:${*}-${aws:username}"
    assert expand(template, CONTEXT, literal_before=3) == (
        ("a:", False),
        ("${aws:username}", True),
        (":", False),
        ("*", True),
        ("-", False),
        ("alice", True),
    )
    assert expand(template, CONTEXT, literal_before=len(template)) == (
        ("a:", False),
        ("${aws:username}", True),
        (":", False),
        ("${*}", True),
        ("-", False),
        ("${aws:username}", True),
    )
    # Kept as written, an absent key is not "unresolved"; after the limit it still is.
    missing = "a:${aws:missing}:${aws:missing}"
    assert expand(missing, CONTEXT, literal_before=len(missing)) is not None
    assert expand(missing, CONTEXT, literal_before=3) is None
