"""Extra ``docker build`` words: parsed as pflag parses them, and the build's own options refused
whatever their spelling."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sm_studio_setup.images.docker_options import (
    BY_NAME,
    BY_SHORTHAND,
    FLAGS,
    OWN,
    REASONS,
    DockerArgsError,
    DockerOption,
    explain,
    parse_build_args,
    refused,
)

OTHER = "123456789012.dkr.ecr.us-east-1.amazonaws.com/other-repo:evil"


def parsed(*words: str) -> list[tuple[str, str | None]]:
    options, positionals = parse_build_args(words)
    assert positionals == []
    return [(option.name, option.value) for option in options]


def refused_names(*words: str) -> list[str]:
    options, _ = parse_build_args(words)
    return [option.name for option in refused(options)]


# ------------------------------------------------------------------ the bypasses


@pytest.mark.parametrize(
    ("words", "name", "value"),
    [
        ((f"-t{OTHER}",), "tag", OTHER),
        (("-t", OTHER), "tag", OTHER),
        ((f"-t={OTHER}",), "tag", OTHER),
        ((f"--tag={OTHER}",), "tag", OTHER),
        (("--tag", OTHER), "tag", OTHER),
        (("-qt", OTHER), "tag", OTHER),
        ((f"-qt{OTHER}",), "tag", OTHER),
        ((f"-qt={OTHER}",), "tag", OTHER),
        (("-otype=registry",), "output", "type=registry"),
        (("-o", "type=local,dest=/tmp/out"), "output", "type=local,dest=/tmp/out"),
        (("-fDockerfile",), "file", "Dockerfile"),
        (("-f=../elsewhere/Dockerfile",), "file", "../elsewhere/Dockerfile"),
        (("--platform=linux/arm64",), "platform", "linux/arm64"),
        (("--push",), "push", None),
        (("--push=true",), "push", "true"),
        (("--load",), "load", None),
        (("--cache-to", f"type=registry,ref={OTHER}"), "cache-to", f"type=registry,ref={OTHER}"),
        (("--cache-from=type=local,src=/",), "cache-from", "type=local,src=/"),
        (("--iidfile", "/tmp/id"), "iidfile", "/tmp/id"),
        (("--metadata-file=/tmp/m.json",), "metadata-file", "/tmp/m.json"),
        (("--builder", "remote"), "builder", "remote"),
        (
            ("--secret", "id=aws,src=/root/.aws/credentials"),
            "secret",
            "id=aws,src=/root/.aws/credentials",
        ),
        (("--ssh", "default"), "ssh", "default"),
        (("--build-context", "host=/"), "build-context", "host=/"),
        (("--allow", "security.insecure"), "allow", "security.insecure"),
        (("--allow=network.host",), "allow", "network.host"),
        (("--security-opt", "seccomp=unconfined"), "security-opt", "seccomp=unconfined"),
        (("--network=host",), "network", "host"),
        (("--network", "sagemaker"), "network", "sagemaker"),
        (("--policy", "reset=true"), "policy", "reset=true"),
        (("--check",), "check", None),
        (("--call=outline",), "call", "outline"),
        (("--print", "targets"), "print", "targets"),
        (("-h",), "help", None),
        (("-qh",), "help", None),
    ],
)
def test_every_spelling_of_an_own_option_is_refused(
    words: tuple[str, ...], name: str, value: str | None
) -> None:
    options, positionals = parse_build_args(words)
    assert positionals == []
    refusals = refused(options)
    assert [(option.name, option.value) for option in refusals] == [(name, value)]
    # The message names the word as it was given, and says why.
    assert words[0] in explain(refusals[0])
    assert REASONS[name] in explain(refusals[0])


def test_the_word_of_each_option_is_what_the_user_typed() -> None:
    options, _ = parse_build_args(["-qt", OTHER, f"-t{OTHER}", "--tag", "x", "--no-cache"])
    assert [option.word for option in options] == [
        "-qt",
        f"-qt {OTHER}",
        f"-t{OTHER}",
        "--tag x",
        "--no-cache",
    ]


def test_a_refusal_among_allowed_options_is_found() -> None:
    words = ["--no-cache", "--label", "a=b", "-q", f"-t{OTHER}", "--pull"]
    assert refused_names(*words) == ["tag"]


# ------------------------------------------------------------------ what passes


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (("--no-cache",), [("no-cache", None)]),
        (("--no-cache=false",), [("no-cache", "false")]),
        (("--pull",), [("pull", None)]),
        (("--label", "a=b"), [("label", "a=b")]),
        (("--label=a=b",), [("label", "a=b")]),
        (("--target", "stage"), [("target", "stage")]),
        (("-q",), [("quiet", None)]),
        (("-q=false",), [("quiet", "false")]),
        (("--build-arg", "X=1"), [("build-arg", "X=1")]),
        (("--build-arg=X=1",), [("build-arg", "X=1")]),
        (("--add-host", "db:10.0.0.5"), [("add-host", "db:10.0.0.5")]),
        (("--add-host=gw:host-gateway",), [("add-host", "gw:host-gateway")]),
        (("-m2g", "-c", "512"), [("memory", "2g"), ("cpu-shares", "512")]),
        (("--progress=plain", "-D"), [("progress", "plain"), ("debug", None)]),
        (
            ("--sbom=true", "--provenance", "mode=max"),
            [("sbom", "true"), ("provenance", "mode=max")],
        ),
        (("--attest", "type=sbom"), [("attest", "type=sbom")]),
        (
            ("--annotation", "k=v", "--no-cache-filter", "s"),
            [("annotation", "k=v"), ("no-cache-filter", "s")],
        ),
        (
            ("--ulimit", "nofile=1024:1024", "--shm-size=1g"),
            [("ulimit", "nofile=1024:1024"), ("shm-size", "1g")],
        ),
        (
            ("--rm=false", "--force-rm", "--compress", "--squash"),
            [("rm", "false"), ("force-rm", None), ("compress", None), ("squash", None)],
        ),
        (
            ("--stream", "--disable-content-trust=false"),
            [("stream", None), ("disable-content-trust", "false")],
        ),
        (
            ("--isolation", "default", "--cgroup-parent", "p"),
            [("isolation", "default"), ("cgroup-parent", "p")],
        ),
        (("-qq",), [("quiet", None), ("quiet", None)]),
    ],
)
def test_legitimate_options_pass_with_their_values(
    words: tuple[str, ...], expected: list[tuple[str, str | None]]
) -> None:
    assert parsed(*words) == expected
    assert refused_names(*words) == []


def test_a_value_that_looks_like_an_option_is_the_value() -> None:
    # --label takes the next word whatever it is: "-t" is the label, and no tag is set.
    assert parsed("--label", "-t") == [("label", "-t")]
    assert parsed("--label", "-t", "--no-cache") == [("label", "-t"), ("no-cache", None)]
    assert parsed("--build-arg", "--tag=x") == [("build-arg", "--tag=x")]
    assert parsed("-c", "-5") == [("cpu-shares", "-5")]
    assert parsed("--label=-t") == [("label", "-t")]
    assert refused_names("--label", "-t") == []
    # Even "--": as a value it ends nothing, and the tag after it is a tag (pflag does the same).
    assert parsed("--label", "--", "-t", "x") == [("label", "--"), ("tag", "x")]
    assert refused_names("--label", "--", "-t", "x") == ["tag"]


def test_a_boolean_never_takes_the_next_word() -> None:
    # pflag: "--no-cache false" is the boolean and a positional, not --no-cache=false.
    options, positionals = parse_build_args(["--no-cache", "false", "-q", "true"])
    assert options == [
        DockerOption("no-cache", None, "--no-cache"),
        DockerOption("quiet", None, "-q"),
    ]
    assert positionals == ["false", "true"]


def test_a_value_shorthand_in_a_group_takes_the_rest_of_the_word() -> None:
    # "-tq": the t takes "q" as its value; it is not -t and -q.
    assert parsed("-tq") == [("tag", "q")]
    assert parsed("-qD") == [("quiet", None), ("debug", None)]
    assert parsed("-qDt", "x") == [("quiet", None), ("debug", None), ("tag", "x")]
    # Only the third character on counts as "=": "-t=" gives the tag "=", as in pflag.
    assert parsed("-t=") == [("tag", "=")]
    assert parsed("-t==x") == [("tag", "=x")]


# ------------------------------------------------------------------ positionals and "--"


def test_positionals_are_returned_wherever_they_stand() -> None:
    options, positionals = parse_build_args([".", "--no-cache", "-", "", "ctx"])
    assert [option.name for option in options] == ["no-cache"]
    assert positionals == [".", "-", "", "ctx"]


def test_double_dash_ends_the_options() -> None:
    options, positionals = parse_build_args(["--no-cache", "--", "-t", "x", "--", "--push"])
    assert [option.name for option in options] == ["no-cache"]
    assert positionals == ["-t", "x", "--", "--push"]
    assert refused(options) == []


def test_nothing_parses_to_nothing() -> None:
    assert parse_build_args([]) == ([], [])


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("words", "named"),
    [
        (("--frobnicate", "x"), "--frobnicate"),
        (("--frobnicate=x",), "--frobnicate=x"),
        (("--no-cache", "--tags", "x"), "--tags"),
        (("-z",), "-z"),
        (("-qz", "x"), "-qz"),
        (("-H", "tcp://elsewhere"), "-H"),  # docker's own global options are not build's
        (("--invoke", "sh"), "--invoke"),  # experimental buildx only
        (("-q=",), "-q="),  # the "=" is read as a shorthand
    ],
)
def test_an_unknown_option_is_an_error_naming_the_word(words: tuple[str, ...], named: str) -> None:
    with pytest.raises(DockerArgsError) as raised:
        parse_build_args(words)
    assert repr(named) in str(raised.value)
    assert raised.value.word == named
    assert str(raised.value).endswith(".") and "\n" not in str(raised.value)


@pytest.mark.parametrize("words", [("--tag",), ("-t",), ("-qt",), ("--no-cache", "--label")])
def test_a_value_missing_at_the_end_is_an_error(words: tuple[str, ...]) -> None:
    with pytest.raises(DockerArgsError, match="needs a value") as raised:
        parse_build_args(words)
    assert raised.value.word == words[-1]
    assert repr(words[-1]) in str(raised.value)


@pytest.mark.parametrize("word", ["---tag", "--=x", "-test.v", "-qtest.v"])
def test_malformed_words_are_errors(word: str) -> None:
    with pytest.raises(DockerArgsError) as raised:
        parse_build_args([word])
    assert repr(word) in str(raised.value)


@pytest.mark.parametrize("word", ["--no-cache=maybe", "--push=", "-q=yes", "--check=2"])
def test_a_boolean_takes_only_what_strconv_parsebool_reads(word: str) -> None:
    with pytest.raises(DockerArgsError, match="true or false"):
        parse_build_args([word])


def test_a_long_word_is_cut_in_the_message() -> None:
    with pytest.raises(DockerArgsError) as raised:
        parse_build_args(["--" + "x" * 5000])
    assert len(str(raised.value)) < 400


# ------------------------------------------------------------------ the table


def test_the_table_is_consistent() -> None:
    assert len(BY_NAME) == len(FLAGS)
    assert len(BY_SHORTHAND) == sum(1 for flag in FLAGS if flag.shorthand)
    assert set(BY_NAME) >= OWN
    assert set(REASONS) == OWN
    for name in ("tag", "file", "platform", "push", "load", "output", "cache-to", "cache-from"):
        assert name in OWN
    for name in ("iidfile", "metadata-file", "builder", "secret", "ssh", "network", "allow"):
        assert name in OWN
    for name in ("build-arg", "label", "target", "no-cache", "pull", "quiet", "add-host"):
        assert name not in OWN


def test_the_products_own_argv_parses_as_it_means() -> None:
    # The words the build itself gives docker (buildspec.docker_argv) read back as meant.
    words = [
        "--tag",
        OTHER,
        "--file",
        "sub/Dockerfile",
        "--platform",
        "linux/amd64",
        "--build-arg",
        "A=b c",
        "--cache-from",
        "type=registry,ref=r",
        "--push",
        ".",
    ]
    options, positionals = parse_build_args(words)
    assert [o.name for o in options] == [
        "tag",
        "file",
        "platform",
        "build-arg",
        "cache-from",
        "push",
    ]
    assert positionals == ["."]


# ------------------------------------------------------------------ round trip

_SHORT_BOOLEANS = sorted(s for s, flag in BY_SHORTHAND.items() if not flag.takes_value)
_SHORT_VALUES = sorted(s for s, flag in BY_SHORTHAND.items() if flag.takes_value)
_BOOL_TEXT = st.sampled_from(["true", "false", "1", "0", "t", "F", "TRUE", "False"])
_POSITIONAL = st.one_of(
    st.just("-"), st.just(""), st.text(min_size=1).filter(lambda w: not w.startswith("-"))
)

Rendered = tuple[list[tuple[str, str | None, str]], list[str]]  # (name, value, word), words


@st.composite
def _long_option(draw: st.DrawFn) -> Rendered:
    flag = draw(st.sampled_from(FLAGS))
    dashed = f"--{flag.name}"
    if flag.takes_value:
        value = draw(st.text())
        if draw(st.booleans()):
            return [(flag.name, value, f"{dashed}={value}")], [f"{dashed}={value}"]
        return [(flag.name, value, f"{dashed} {value}")], [dashed, value]
    if draw(st.booleans()):
        return [(flag.name, None, dashed)], [dashed]
    text = draw(_BOOL_TEXT)
    return [(flag.name, text, f"{dashed}={text}")], [f"{dashed}={text}"]


@st.composite
def _short_group(draw: st.DrawFn) -> Rendered:
    # Booleans first, then at most one option that takes a value: the shape pflag reads.
    letters = draw(st.lists(st.sampled_from(_SHORT_BOOLEANS), max_size=3))
    group = "-" + "".join(letters)
    expected: list[tuple[str, str | None]] = [(BY_SHORTHAND[s].name, None) for s in letters]
    words: list[str] = []
    value: str | None = None
    tail = draw(st.sampled_from(["none", "attached", "equals", "next"]))
    if tail != "none" or not letters:
        letter = draw(st.sampled_from(_SHORT_VALUES))
        value = draw(st.text())
        group += letter
        form = tail if tail != "none" else "next"
        if form == "attached" and value and not value.startswith("="):
            group += value
        elif form in ("attached", "equals") and value:
            group += "=" + value
        else:
            words = [value]
        expected.append((BY_SHORTHAND[letter].name, value))
    rendered = [(name, v, group) for name, v in expected]
    if words:
        name, v, _ = rendered[-1]
        rendered[-1] = (name, v, f"{group} {words[0]}")
    return rendered, [group, *words]


@given(
    st.lists(
        st.one_of(
            _long_option(),
            _short_group(),
            _POSITIONAL.map(lambda w: ([("", w, "")], [w])),
        ),
        max_size=12,
    ),
    st.lists(st.text(), max_size=3),
)
def test_rendered_options_parse_back(items: list[Rendered], after: list[str]) -> None:
    words: list[str] = []
    expected: list[DockerOption] = []
    positionals: list[str] = []
    for rendered, item_words in items:
        words += item_words
        for name, value, word in rendered:
            if name:
                expected.append(DockerOption(name, value, word))
            else:
                positionals.append(value or "")
    words += ["--", *after]
    assert parse_build_args(words) == (expected, positionals + after)
