"""``images/dockerignore.py``: Docker's ``.dockerignore`` rules (moby's ignorefile and
patternmatcher, the walk of ``archive.TarWithOptions``), matched without backtracking.

The cases come from Docker's documentation (docs.docker.com, "Build context", the
.dockerignore section) and from moby/patternmatcher's own tests; a property test compares the
NFA with Python's ``re`` running moby's translation on short inputs, where ``re`` is safe."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sm_studio_setup.images.dockerignore import (
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS,
    DockerignoreError,
    Matcher,
    ParentState,
    Pattern,
    parse,
)

# --- helpers --------------------------------------------------------------------------------


def excluded(text: str, path: str, keep: tuple[str, ...] = ()) -> bool:
    """The decision for ``path`` given without parent results (moby's MatchesOrParentMatches)."""
    return Matcher.from_text(text, always_keep=keep).excluded(path)[0]


def walked(matcher: Matcher, path: str) -> tuple[bool, ParentState]:
    """The decision for ``path`` as the walk makes it: each ancestor first, its results handed
    down (moby's MatchesUsingParentResults), the top level with no results."""
    parts = path.split("/")
    state: ParentState | None = None
    for depth in range(1, len(parts)):
        _, state = matcher.excluded("/".join(parts[:depth]), state)
    return matcher.excluded(path, state)


def context(matcher: Matcher, tree: dict[str, object]) -> list[str]:
    """The files a build context holds, walking an in-memory tree (a dict is a folder) as
    moby's TarWithOptions does: an excluded folder is skipped whole unless an exception
    pattern reaches into it."""
    sent: list[str] = []

    def visit(folder: dict[str, object], prefix: str, state: ParentState | None) -> None:
        for name in sorted(folder):
            path = prefix + name
            out, below = matcher.excluded(path, state)
            child = folder[name]
            if isinstance(child, dict):
                if out and not matcher.may_hold_exceptions(path):
                    continue
                visit(child, path + "/", below)
            elif not out:
                sent.append(path)

    visit(tree, "", None)
    return sent


def single(pattern: str) -> Matcher:
    """moby's New on one pattern (trimmed and cleaned, as Docker does before matching)."""
    return Matcher([pattern])


# --- Docker's documentation -----------------------------------------------------------------

DOCS_EXAMPLE = """\
# comment
*/temp*
*/*/temp*
temp?
"""


@pytest.mark.parametrize(
    ("path", "out"),
    [
        # "*/temp*": names starting with temp in any immediate subdirectory of the root.
        ("somedir/temporary.txt", True),
        ("somedir/temp", True),
        ("somedir/temp/inside.txt", True),
        ("temporary.txt", False),
        # "*/*/temp*": the same two levels below the root.
        ("somedir/subdir/temporary.txt", True),
        ("a/b/c/temporary.txt", False),
        # "temp?": names in the root one character longer than temp.
        ("tempa", True),
        ("tempb", True),
        ("temp", False),
        ("tempab", False),
        ("# comment", False),
    ],
)
def test_documented_wildcards(path: str, out: bool) -> None:
    assert excluded(DOCS_EXAMPLE, path) is out
    assert walked(Matcher.from_text(DOCS_EXAMPLE), path)[0] is out


@pytest.mark.parametrize(
    ("path", "out"),
    [
        ("main.go", True),
        ("cmd/tool/main.go", True),
        ("a.go/inside", True),
        ("main.goo", False),
        ("go", False),
    ],
)
def test_double_star_matches_any_number_of_folders(path: str, out: bool) -> None:
    assert excluded("**/*.go", path) is out


def test_exception_keeps_readme_and_only_at_the_root() -> None:
    text = "*.md\n!README.md\n"
    assert excluded(text, "CHANGELOG.md")
    assert not excluded(text, "README.md")
    # "*" does not cross "/": markdown files below the root are not excluded at all.
    assert not excluded(text, "docs/guide.md")


def test_last_matching_line_wins() -> None:
    first = "*.md\n!README*.md\nREADME-secret.md\n"
    assert excluded(first, "README-secret.md")
    assert not excluded(first, "README.md")
    assert excluded(first, "notes.md")
    second = "*.md\nREADME-secret.md\n!README*.md\n"
    assert not excluded(second, "README-secret.md")
    assert not excluded(second, "README.md")


def test_leading_slash_and_dot_dot_are_cleaned() -> None:
    assert parse("/foo/bar\nfoo/../bar\n./baz//qux/\n/..\n!/x/./y\n") == [
        "foo/bar",
        "bar",
        "baz/qux",
        "/",
        "!x/y",
    ]
    assert excluded("/foo/bar", "foo/bar")
    assert excluded("/foo/bar", "foo/bar/inside")
    assert not excluded("/foo/bar", "foo/barn")
    assert excluded("foo/../bar", "bar")
    assert not excluded("foo/../bar", "foo/bar")


def test_the_dot_pattern_is_ignored() -> None:
    assert parse(".\n./\n") == [".", "."]
    matcher = Matcher.from_text(".\n")
    for path in ("a", "a/b", ".hidden", ""):
        assert not matcher.excluded(path)[0]
    assert context(matcher, {"a": "", "b": {"c": ""}}) == ["a", "b/c"]


def test_whitespace_comments_bom_and_line_endings() -> None:
    text = "\ufeff# comment\r\n  spaced  \r\n\t!  kept \n\n   \n #notacomment\nlast"
    assert parse(text) == ["spaced", "!kept", "#notacomment", "last"]
    # A byte-order mark is dropped from the first line only.
    assert parse("\ufeffa\n") == ["a"]
    # Go's TrimSpace strips U+00A0 and U+3000 but keeps \x1c-\x1f (Python's strip would not).
    assert parse("\xa0a\u3000\n\x1cb\n") == ["a", "\x1cb"]
    # Only "\n" ends a line, as in Go's bufio.Scanner: \v, \f and U+2028 do not.
    assert parse("a\u2028b\n") == ["a\u2028b"]


def test_moby_readall_cases() -> None:
    content = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n"
    assert parse(content) == ["test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path"]


@pytest.mark.parametrize(
    ("text", "other", "same"),
    [
        ("*.MD", "a.md", "a.MD"),
        ("README", "readme", "README"),
        ("Docs/**", "docs/x", "Docs/x"),
        ("[A-Z]x", "ax", "Ax"),
        ("**/*.Pyc", "a/b.pyc", "a/b.Pyc"),
    ],
)
def test_names_are_compared_case_sensitively(text: str, other: str, same: str) -> None:
    """Docker on Linux is case-sensitive; docker-py lower-cases, which excludes too much."""
    assert not excluded(text, other)
    assert excluded(text, same)


# --- moby/patternmatcher's own cases --------------------------------------------------------

EXACT, INEXACT, FAIL = "exact", "inexact", "fail"

MOBY_MATCHES = [
    ("**", "file", EXACT),
    ("**", "file/", EXACT),
    ("**/", "file", EXACT),
    ("**/", "file/", EXACT),
    ("**", "/", EXACT),
    ("**/", "/", EXACT),
    ("**", "dir/file", EXACT),
    ("**/", "dir/file", EXACT),
    ("**", "dir/file/", EXACT),
    ("**/", "dir/file/", EXACT),
    ("**/**", "dir/file", EXACT),
    ("**/**", "dir/file/", EXACT),
    ("dir/**", "dir/file", EXACT),
    ("dir/**", "dir/file/", EXACT),
    ("dir/**", "dir/dir2/file", EXACT),
    ("dir/**", "dir/dir2/file/", EXACT),
    ("**/dir", "dir", EXACT),
    ("**/dir", "dir/file", INEXACT),
    ("**/dir2/*", "dir/dir2/file", EXACT),
    ("**/dir2/*", "dir/dir2/file/", INEXACT),
    ("**/dir2/**", "dir/dir2/dir3/file", EXACT),
    ("**/dir2/**", "dir/dir2/dir3/file/", EXACT),
    ("**file", "file", EXACT),
    ("**file", "dir/file", EXACT),
    ("**/file", "dir/file", EXACT),
    ("**file", "dir/dir/file", EXACT),
    ("**/file", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file.txt", EXACT),
    ("**/file*txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt*", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt2", "dir/dir/file.txt", FAIL),
    ("**/*.txt", "file.txt", EXACT),
    ("**/**/*.txt", "file.txt", EXACT),
    ("a**/*.txt", "a/file.txt", EXACT),
    ("a**/*.txt", "a/dir/file.txt", EXACT),
    ("a**/*.txt", "a/dir/dir/file.txt", EXACT),
    ("a/*.txt", "a/dir/file.txt", FAIL),
    ("a/*.txt", "a/file.txt", EXACT),
    ("a/*.txt**", "a/file.txt", EXACT),
    ("a[b-d]e", "ae", FAIL),
    ("a[b-d]e", "ace", EXACT),
    ("a[b-d]e", "aae", FAIL),
    ("a[^b-d]e", "aze", EXACT),
    (".*", ".foo", EXACT),
    (".*", "foo", FAIL),
    ("abc.def", "abcdef", FAIL),
    ("abc.def", "abc.def", EXACT),
    ("abc.def", "abcZdef", FAIL),
    ("abc?def", "abcZdef", EXACT),
    ("abc?def", "abcdef", FAIL),
    ("**/foo/bar", "foo/bar", EXACT),
    ("**/foo/bar", "dir/foo/bar", EXACT),
    ("**/foo/bar", "dir/dir2/foo/bar", EXACT),
    ("abc/**", "abc", FAIL),
    ("abc/**", "abc/def", EXACT),
    ("abc/**", "abc/def/ghi", EXACT),
    ("**/.foo", ".foo", EXACT),
    ("**/.foo", "bar.foo", FAIL),
    ("a(b)c/def", "a(b)c/def", EXACT),
    ("a(b)c/def", "a(b)c/xyz", FAIL),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", EXACT),
    (
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        EXACT,
    ),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    ("a\\\\", "a\\", EXACT),
    ("a\\*b", "a*b", EXACT),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), MOBY_MATCHES)
def test_moby_matches(pattern: str, path: str, expected: str) -> None:
    matcher = single(pattern)
    # MatchesExact: the path alone.
    assert matcher.patterns[0].match(path) is (expected == EXACT)
    # MatchesOrParentMatches and MatchesUsingParentResults: folders count too.
    assert matcher.excluded(path)[0] is (expected != FAIL)
    assert walked(matcher, path)[0] is (expected != FAIL)


@pytest.mark.parametrize(
    ("patterns", "path", "out"),
    [
        (["**", "!util/docker/web"], "util/docker/web/foo", False),
        (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", True),
        (
            ["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"],
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            False,
        ),
        (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", False),
        (["*.go"], "fileutils.go", True),
        (["*"], "fileutils.go", True),
        (["!fileutils.go", "*.go"], "fileutils.go", True),
        (["*.go", "!fileutils.go"], "fileutils.go", False),
        (["docs", "!docs/README.md"], "docs/README.md", False),
        (["docs/", "!docs/README.md"], "docs/README.md", False),
        (["docs/*", "!docs/README.md"], "docs/README.md", False),
        ([], "any/path/there", False),
    ],
)
def test_moby_multiple_patterns(patterns: list[str], path: str, out: bool) -> None:
    matcher = Matcher(patterns)
    assert matcher.excluded(path)[0] is out
    assert walked(matcher, path)[0] is out


# Go's filepath.Match cases, as moby runs them through its matcher.
@pytest.mark.parametrize(
    ("pattern", "path", "out"),
    [
        ("abc", "abc", True),
        ("*", "abc", True),
        ("*c", "abc", True),
        ("a*", "a", True),
        ("a*", "abc", True),
        ("a*", "ab/c", True),
        ("a*/b", "abc/b", True),
        ("a*/b", "a/c/b", False),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", True),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
        ("a*b?c*x", "abxbbxdbxebxczzx", True),
        ("a*b?c*x", "abxbbxdbxebxczzy", False),
        ("ab[c]", "abc", True),
        ("ab[b-d]", "abc", True),
        ("ab[e-g]", "abc", False),
        ("ab[^c]", "abc", False),
        ("ab[^b-d]", "abc", False),
        ("ab[^e-g]", "abc", True),
        ("a\\*b", "a*b", True),
        ("a\\*b", "ab", False),
        ("a?b", "a☺b", True),
        ("a[^a]b", "a☺b", True),
        ("a???b", "a☺b", False),
        ("a[^a][^a][^a]b", "a☺b", False),
        ("[a-ζ]*", "\u03b1", True),
        ("*[a-ζ]", "A", False),
        ("a?b", "a/b", False),
        ("a*b", "a/b", False),
        ("[\\]a]", "]", True),
        ("[\\-]", "-", True),
        ("[x\\-]", "x", True),
        ("[x\\-]", "-", True),
        ("[x\\-]", "z", False),
        ("[\\-x]", "x", True),
        ("[\\-x]", "-", True),
        ("[\\-x]", "a", False),
        ("*x", "xxx", True),
    ],
)
def test_go_filepath_match_cases(pattern: str, path: str, out: bool) -> None:
    assert single(pattern).excluded(path)[0] is out


@pytest.mark.parametrize(
    "pattern",
    ["[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "[Local-Only]/"],
)
def test_patterns_docker_refuses(pattern: str) -> None:
    with pytest.raises(DockerignoreError):
        single(pattern)


@pytest.mark.parametrize(
    ("pattern", "kind"),
    [
        ("*", "regexp"),
        ("file*", "regexp"),
        ("*file", "regexp"),
        ("a*/b", "regexp"),
        ("**", "suffix"),
        ("**/**", "regexp"),
        ("dir/**", "prefix"),
        ("**/dir", "suffix"),
        ("**/dir2/*", "regexp"),
        ("**/dir2/**", "regexp"),
        ("**file", "suffix"),
        ("**/file*txt", "regexp"),
        ("**/**/*.txt", "regexp"),
        ("a[b-d]e", "regexp"),
        (".*", "regexp"),
        ("abc.def", "exact"),
        ("abc?def", "regexp"),
        ("**/foo/bar", "suffix"),
        ("a(b)c/def", "exact"),
        ("a.|)$(}+{bc", "exact"),
        ("a^b", "exact"),
        ("a\\-b", "regexp"),
    ],
)
def test_pattern_kinds(pattern: str, kind: str) -> None:
    assert Pattern(pattern).kind == kind


def test_brackets_follow_go() -> None:
    # "!" does not negate a bracket expression in Docker: it is a member.
    assert Pattern("[!a]").match("!")
    assert not Pattern("[!a]").match("b")
    assert Pattern("[^a]").match("b")
    assert Pattern("[[:alpha:]]1").match("Q1")
    assert not Pattern("[[:alpha:]]1").match("11")
    assert Pattern("[[:^digit:]]").match("x")
    assert not Pattern("[[:^digit:]]").match("5")
    assert Pattern("[a.+]").match("+")
    assert not Pattern("[a.+]").match("b")
    # "[^/]" matches a newline, "." does not (Go's Perl flags without "s").
    assert Pattern("a?b").match("a\nb")
    assert not Pattern("**/x*").match("a\nb/xy")
    assert Pattern("**/x*").match("a b/xy")


def test_caret_is_go_start_anchor_in_a_regexp_pattern() -> None:
    assert Pattern("**/^a*").match("ab")
    assert not Pattern("**/^a*").match("x/ab")
    assert not Pattern("a*^b").match("a^b")
    # Without a wildcard the pattern is an exact name, caret and all.
    assert Pattern("a^b").match("a^b")


# --- time -----------------------------------------------------------------------------------

PATHOLOGICAL = [
    "*a" * 24 + "b",
    "*?" * 24 + "b",
    "?*" * 24 + "b",
    "**/" + "*a" * 24 + "b",
    "*a**" * 24 + "b",
    "[a]*" * 24 + "b",
    "*[^b]" * 24 + "b",
    "*[[:alpha:]]" * 24 + "b",
    "**/*" * 24 + "b",
]


@pytest.mark.parametrize("line", PATHOLOGICAL)
def test_pathological_patterns_answer_quickly(line: str) -> None:
    """docker-py's backtracking regex takes seconds on "*a" * 8 + "b" against 60 a's and
    about ten times longer for each "*a" more; here every match is bounded."""
    matcher = Matcher.from_text(line + "\n")
    # The 60 a's are the line that froze the server; the others get past the cheap checks
    # on length and fixed ends, so the NFA runs over the whole path.
    for path in ("a" * 60, "a" * 59 + "b", "a" * 22 + "c" * 36 + "ab", "d/" + "a" * 57 + "b"):
        started = time.perf_counter()
        matcher.excluded(path)
        assert time.perf_counter() - started < 0.05, path


@pytest.mark.parametrize(
    ("line", "miss", "hit"),
    [
        # Up to a thousand NFA positions alive at once, every step a new set.
        ("*a" * 2047 + "b", "b" * 3000 + "a" * 1000 + "ab", "a" * 2047 + "b"),
        # A thousand (.*/)? groups: their free moves must not cost a round each.
        ("**/a" * 1000 + "b", "a/" * 1500 + "xb", "a/" * 999 + "ab"),
        ("**/?" * 1000 + "b", "a/" * 1500 + "a", "a/" * 1500 + "ab"),
    ],
)
def test_the_longest_patterns_and_paths_stay_bounded(line: str, miss: str, hit: str) -> None:
    assert len(line) <= MAX_PATTERN_LENGTH
    matcher = Matcher.from_text(line)
    started = time.perf_counter()
    assert not matcher.excluded(miss)[0]
    assert matcher.excluded(hit)[0]
    assert time.perf_counter() - started < 2.0


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("[z-a]", "z-a"),
        ("[unclosed", "never closed"),
        ("!", "'!'"),
        ("a[b*]c", "inside a bracket"),
        ("a[?]", "inside a bracket"),
        ("[**]", "inside a bracket"),
        ("\\d", "letter or digit"),
        ("src/\\1", "letter or digit"),
        ("\\é", "non-ASCII"),
        ("[[:nope:]]", "unknown character class"),
        ("a\\", "lone backslash"),
        ("\ufeffx", "byte-order mark"),
    ],
)
def test_invalid_patterns_name_their_line(line: str, words: str) -> None:
    text = f"# header\nfine\n\n{line}\nlater\n"
    with pytest.raises(DockerignoreError) as raised:
        parse(text)
    error = raised.value
    assert error.line == 4
    assert error.pattern == line
    sentence = str(error)
    assert sentence.startswith("Line 4 of .dockerignore")
    assert words in sentence
    assert sentence.endswith(".") and sentence.count(". ") == 0
    with pytest.raises(DockerignoreError, match="Line 4"):
        Matcher.from_text(text)


def test_an_error_outside_a_file_has_no_line() -> None:
    with pytest.raises(DockerignoreError) as raised:
        Matcher(["ok", "[z-a]"])
    assert raised.value.line == 0
    assert raised.value.pattern == "[z-a]"
    assert "z-a" in raised.value.reason
    assert str(raised.value).startswith('The .dockerignore pattern "[z-a]"')


def test_an_exception_with_nothing_after_it() -> None:
    for text in ("!\n", "  !  \n", "!/\n"):
        with pytest.raises(DockerignoreError, match=r"Line 1 .*'!' with no pattern"):
            parse(text)


def test_caps() -> None:
    assert len(parse("a\n" * MAX_PATTERNS)) == MAX_PATTERNS
    with pytest.raises(DockerignoreError, match=rf"Line {MAX_PATTERNS + 2} .*10,000"):
        parse("# many\n" + "a\n" * (MAX_PATTERNS + 1))
    parse("a" * MAX_PATTERN_LENGTH)
    with pytest.raises(DockerignoreError, match=r"Line 1 .*4,096 characters"):
        parse("a" * (MAX_PATTERN_LENGTH + 1))
    with pytest.raises(DockerignoreError, match="4,096 characters"):
        Matcher(["*" * (MAX_PATTERN_LENGTH + 1)])
    # The kept names come on top of a full file.
    Matcher.from_text("a\n" * MAX_PATTERNS, always_keep=("Dockerfile", ".dockerignore"))


# --- the decision and the walk --------------------------------------------------------------


def test_parent_results_are_handed_down() -> None:
    matcher = Matcher.from_text("build\n!build/keep.txt\n")
    out, state = matcher.excluded("build")
    assert out
    assert state == ParentState((True, False))
    assert matcher.excluded("build/other.txt", state)[0]
    assert not matcher.excluded("build/keep.txt", state)[0]
    assert not matcher.excluded("src")[0]
    with pytest.raises(ValueError, match="2 patterns"):
        matcher.excluded("x", ParentState((True,)))
    # An empty state means "unknown": the ancestors are tried.
    assert matcher.excluded("build/deep/file", ParentState())[0]
    assert matcher.excluded("")[0] is False
    assert matcher.excluded(".")[0] is False


def test_excluded_folders_are_skipped_unless_an_exception_reaches_in() -> None:
    tree: dict[str, object] = {
        "Dockerfile": "",
        "docs": {"README.md": "", "guide.md": "", "img": {"a.png": ""}},
        "node_modules": {"x": {"index.js": ""}},
        "src": {"app.py": "", "app.pyc": ""},
    }
    matcher = Matcher.from_text("docs\nnode_modules\n**/*.pyc\n!docs/README.md\n")
    assert matcher.exclusions
    assert matcher.may_hold_exceptions("docs")
    assert not matcher.may_hold_exceptions("node_modules")
    assert not matcher.may_hold_exceptions("doc")
    assert context(matcher, tree) == ["Dockerfile", "docs/README.md", "src/app.py"]
    # moby's test is a plain prefix: a wildcard exception does not reach into a folder.
    wild = Matcher.from_text("docs\n!*/README.md\n")
    assert not wild.may_hold_exceptions("docs")
    assert context(wild, tree) == [
        "Dockerfile",
        "node_modules/x/index.js",
        "src/app.py",
        "src/app.pyc",
    ]
    assert not Matcher.from_text("docs\n").may_hold_exceptions("docs")


def test_dockerfile_and_dockerignore_are_always_kept() -> None:
    tree: dict[str, object] = {
        ".dockerignore": "",
        "docker": {"Dockerfile": "", "other": ""},
        "app.py": "",
    }
    keep = ("docker/Dockerfile", ".dockerignore")
    matcher = Matcher.from_text("*\n", always_keep=keep)
    assert [p.text for p in matcher.patterns] == ["*", "docker/Dockerfile", ".dockerignore"]
    assert context(matcher, tree) == [".dockerignore", "docker/Dockerfile"]
    # A name with glob characters keeps exactly that file.
    odd = Matcher.from_text("**\n", always_keep=("Dockerfile[1]", "a^*b"))
    assert not odd.excluded("Dockerfile[1]")[0]
    assert odd.excluded("Dockerfile1")[0]
    assert not odd.excluded("a^*b")[0]
    assert odd.excluded("a^xb")[0]


# --- property: the NFA against Python's re on moby's translation ----------------------------


def reference(pattern: str) -> tuple[str, str]:
    """moby's compile, written out again: the kind and a Python regex for the regexp kind. Safe
    with ``re`` here only because the inputs are a few characters long."""
    regex, kind, i, j = "", "exact", 0, 0
    while j < len(pattern):
        ch = pattern[j]
        j += 1
        if ch == "*" and pattern[j : j + 1] == "*":
            j += 1
            if pattern[j : j + 1] == "/":
                j += 1
            if j == len(pattern):
                if kind == "exact":
                    kind = "prefix"
                else:
                    regex, kind = regex + ".*", "regexp"
            else:
                regex, kind = regex + "(.*/)?", "regexp"
            if i == 0:
                kind = "suffix"
        elif ch == "*":
            regex, kind = regex + "[^/]*", "regexp"
        elif ch == "?":
            regex, kind = regex + "[^/]", "regexp"
        elif ch in ".+()|{}$":
            regex += "\\" + ch
        elif ch == "\\":
            regex, kind, j = regex + "\\" + pattern[j], "regexp", j + 1
        elif ch in "[]":
            regex, kind = regex + ch, "regexp"
        else:
            regex += ch
        i += 1
    return kind, regex


def reference_match(pattern: str, path: str) -> bool:
    kind, regex = reference(pattern)
    if kind == "exact":
        return path == pattern
    if kind == "prefix":
        return path.startswith(pattern[:-2])
    if kind == "suffix":
        suffix = pattern[2:]
        return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
    return re.fullmatch(regex, path) is not None


def reference_decision(
    patterns: list[tuple[bool, str]], path: str, parent: tuple[bool, ...] | None
) -> tuple[bool, tuple[bool, ...]]:
    """moby's MatchesUsingParentResults (MatchesOrParentMatches when ``parent`` is None)."""
    parts = path.split("/")
    ancestors = ["/".join(parts[:k]) for k in range(1, len(parts))]
    matched, flags = False, []
    for k, (exclusion, text) in enumerate(patterns):
        hit = bool(parent and parent[k])
        if not hit:
            if exclusion != matched:
                flags.append(False)
                continue
            hit = reference_match(text, path)
            if not hit and parent is None:
                hit = any(reference_match(text, folder) for folder in ancestors)
        flags.append(hit)
        if hit:
            matched = not exclusion
    return matched, tuple(flags)


# The pieces the brief names, plus Go's caret anchor, a quoted dot, an escape and a range.
PIECES = ["a", "b", "/", "*", "?", "**", "[ab]", "[^a]", "!", "^", ".", "\\*", "[a-b]"]
patterns_ = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join)
texts = st.text(alphabet="ab/!^.*", max_size=10)
names = st.text(alphabet="ab!", min_size=1, max_size=3)
paths = st.lists(names, min_size=1, max_size=4).map("/".join)


@settings(max_examples=600, deadline=timedelta(milliseconds=250))
@given(patterns_, st.lists(texts, min_size=1, max_size=8))
def test_pattern_agrees_with_re_on_moby_translation(pattern: str, candidates: list[str]) -> None:
    compiled = Pattern(pattern)
    assert compiled.kind == reference(pattern)[0]
    for path in candidates:
        assert compiled.match(path) is reference_match(pattern, path), (pattern, path)


@settings(max_examples=300, deadline=timedelta(milliseconds=500))
@given(
    st.lists(st.tuples(st.booleans(), patterns_), min_size=1, max_size=5),
    st.lists(paths, min_size=1, max_size=6),
)
def test_decisions_agree_with_moby_rules(
    lines: list[tuple[bool, str]], candidates: list[str]
) -> None:
    try:
        matcher = Matcher(["!" * exclusion + text for exclusion, text in lines])
    except DockerignoreError as refused:
        # "!/" or "!a/.." cleans to a lone "!", which Docker refuses too.
        assert "'!' with no pattern" in refused.reason
        assume(False)
    cleaned = [(p.exclusion, p.text) for p in matcher.patterns]
    for path in candidates:
        out, state = matcher.excluded(path)
        assert (out, state.flags) == reference_decision(cleaned, path, None)
        parts = path.split("/")
        parent: tuple[bool, ...] | None = None
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            expected = reference_decision(cleaned, prefix, parent)
            got = matcher.excluded(prefix, ParentState(parent) if parent else None)
            assert (got[0], got[1].flags) == expected, (prefix, cleaned)
            parent = expected[1]
