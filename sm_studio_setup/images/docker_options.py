"""The extra words a user passes to ``docker build`` (after ``--``), read as docker reads them.

Docker's CLI parses its options with cobra and spf13/pflag. Refusing an option by comparing
``word.split("=")[0]`` with a list misses every other spelling pflag accepts: ``-tNAME``,
``-t=NAME``, ``-otype=registry``, ``-fDockerfile``, and shorthand groups such as ``-qt NAME`` or
``-qtNAME``, which all set a tag, an output or a Dockerfile. This module parses the words with
pflag's own rules and the table of every option ``docker build`` has, so that what it reports is
what docker will do:

- ``--`` ends the options; every word after it is positional.
- ``--name=value``; ``--name value`` for an option that takes a value, whatever the next word
  is (``--label -t`` is a label, and ``--label -- -t X`` a label ``--`` and a tag); ``--name``
  alone for a boolean, which also takes ``--name=true`` (or any other spelling Go's
  ``strconv.ParseBool`` reads) but never the next word.
- ``-x value``, ``-xvalue``, ``-x=value``; a group ``-abc`` is read a character at a time: a
  boolean consumes itself, an option that takes a value consumes the rest of the word (less a
  leading ``=``) or, when nothing is left, the next word.
- ``-`` alone, the empty word and any word not starting with ``-`` are positional, wherever they
  stand (``docker build`` lets options and its one argument interleave).
- An unknown option is an error: whether it would consume the next word cannot be known, so no
  word after it can be read safely. An option that takes a value and ends the list is an error.

The table is the union of the legacy builder's ``docker build`` (docker/cli
``cli/command/image/build.go`` through its history, with its BuildKit-era ``--output``,
``--secret``, ``--ssh``, ``--progress`` and the ``--stream`` of 2017 to 2019) and BuildKit's
``docker buildx build`` (docker/buildx ``commands/build.go`` and the root command's persistent
``--builder`` and ``-D/--debug``), with cobra's ``-h/--help``: ``docker build`` is buildx when
the plugin is installed and the legacy builder otherwise, and ``--cache`` runs ``docker buildx
build`` outright. One table serves both only because no option takes a value in one and not in
the other; an option that only one of them has fails there by itself. Options buildx defines only
under ``BUILDX_EXPERIMENTAL=1`` (``--invoke``, ``--root``, ``--detach``, ``--server-config``),
which the build never sets, and Docker 18.06's short-lived ``--console`` are left out: docker
calls them unknown too.

What ``refused`` turns down, and why (``OWN`` holds them all, ``REASONS`` says why each):

- Where the image goes and how it leaves the build: ``-t/--tag``, ``-o/--output``, ``--push``,
  ``--load``. A tag can name another repository, and a ``--cache`` build (buildx ``--push``)
  pushes every tag with the build's own registry login: the bypass that led here.
  ``--iidfile`` and ``--metadata-file`` write files anywhere on the build host.
- What is built and how the product drives it: ``-f/--file`` (the product has ``--file``, and a
  path outside the context or ``-`` escapes the folder it checked), ``--platform`` (it picks the
  CodeBuild image by platform), ``--cache-from``/``--cache-to`` (the product has ``--cache``;
  these import a cache from, or export one to, any registry or path), ``--builder`` (the
  product creates its own; another could run the build elsewhere).
- What a RUN step can reach. ``--secret`` (the product has its own ``--secret``, which never
  puts a secret in plain text; docker's reads any file or variable of the build host, e.g. the
  registry logins or the container-credentials address). ``--ssh``: CodeBuild holds no SSH agent
  of the user's, so all it can do is read key files off the build host. ``--build-context``:
  a named context is any path of the build host (``COPY --from=host /root/.docker/...``),
  outside the folder the product checked. ``--allow``: entitlements are widening by definition
  (``network.host``; ``security.insecure`` is a privileged RUN step, which on CodeBuild's
  privileged Docker is root on the build host; ``device``). ``--security-opt``: its only use is
  relaxing confinement (``seccomp=unconfined``, ``apparmor=unconfined``). ``--network``: the
  build chooses it: ``host`` puts RUN steps on the build host's network with the legacy
  builder needing no entitlement at all, ``container:ID`` joins another container's, and
  Studio's local Docker allows only the ``sagemaker`` network, so the value is the product's to
  set wherever one must be set; ``none`` is refused with the rest, one rule being easier to trust
  than a list of harmless values. ``--policy``: it can replace or switch off
  (``reset=true``/``disabled=true``) the source policy a builder enforces.
- Whatever replaces the build with a report: ``--call``, ``--check``, ``--print`` and
  ``-h/--help`` exit 0 without building, and a ``--cache`` build, which pushes from within
  buildx, would then report success with nothing pushed.

Let through: ``--add-host`` only names an address in RUN steps' ``/etc/hosts``, and a RUN step
can already connect to any address its network reaches (``host-gateway`` included); the
daemon's pulls, pushes and registry logins never read it. Resource limits (``-m``, ``-c``,
``--cpu-*``, ``--cpuset-*``, ``--memory-swap``, ``--shm-size``, ``--ulimit``, ``--resource``,
``--cgroup-parent``) bound a build the user pays for and reach nothing new. ``--attest``,
``--sbom`` and ``--provenance`` add attestations (an SBOM generator is an image, no more than a
RUN step). ``--build-arg``, ``--label``, ``--annotation``, ``--target``, ``--no-cache``,
``--no-cache-filter``, ``--pull``, ``-q``, ``--progress``, ``-D``, ``--isolation`` and the
deprecated booleans (``--compress``, ``--rm``, ``--force-rm``, ``--squash``, ``--stream``,
``--disable-content-trust``) shape the image or the log, not where it goes or what it reaches.

Positionals are returned, not judged: the build sets its context itself, so its caller refuses
any. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class DockerOption:
    """One option as docker reads it."""

    name: str  # long name without dashes, e.g. "tag"
    value: str | None  # None for a boolean given bare
    word: str  # the word(s) as given, for messages, e.g. "-qt NAME"


class DockerArgsError(ValueError):
    """Words docker would refuse, or that cannot be read safely; ``str()`` is one sentence
    naming the offending word, which ``word`` holds."""

    def __init__(self, message: str, word: str) -> None:
        super().__init__(message)
        self.word = word


@dataclass(frozen=True)
class Flag:
    """One option of ``docker build`` or ``docker buildx build``."""

    name: str
    shorthand: str | None
    takes_value: bool


def _value(name: str, shorthand: str | None = None) -> Flag:
    return Flag(name, shorthand, True)


def _boolean(name: str, shorthand: str | None = None) -> Flag:
    return Flag(name, shorthand, False)


FLAGS: tuple[Flag, ...] = (
    # Both builders.
    _value("add-host"),
    _value("build-arg"),
    _value("cache-from"),
    _value("cgroup-parent"),
    _boolean("compress"),
    _value("cpu-period"),
    _value("cpu-quota"),
    _value("cpu-shares", "c"),
    _value("cpuset-cpus"),
    _value("cpuset-mems"),
    _value("file", "f"),
    _boolean("force-rm"),
    _value("iidfile"),
    _value("isolation"),
    _value("label"),
    _value("memory", "m"),
    _value("memory-swap"),
    _value("network"),
    _boolean("no-cache"),
    _value("output", "o"),
    _value("platform"),
    _value("progress"),
    _boolean("pull"),
    _boolean("quiet", "q"),
    _boolean("rm"),
    _value("secret"),
    _value("security-opt"),
    _value("shm-size"),
    _boolean("squash"),
    _value("ssh"),
    _value("tag", "t"),
    _value("target"),
    _value("ulimit"),
    _boolean("help", "h"),  # cobra's, on every command
    # The legacy builder only.
    _boolean("disable-content-trust"),
    _boolean("stream"),
    # buildx only. --check is a boolean in all but name: pflag's NoOptDefVal "true", and
    # strconv.ParseBool for a value given with "=".
    _value("allow"),
    _value("annotation"),
    _value("attest"),
    _value("build-context"),
    _value("builder"),
    _value("cache-to"),
    _value("call"),
    _boolean("check"),
    _boolean("debug", "D"),
    _boolean("load"),
    _value("metadata-file"),
    _value("no-cache-filter"),
    _value("policy"),
    _value("print"),
    _value("provenance"),  # a plain string option: a bare --provenance is an error
    _boolean("push"),
    _value("resource"),
    _value("sbom"),
)

BY_NAME: Mapping[str, Flag] = {flag.name: flag for flag in FLAGS}
BY_SHORTHAND: Mapping[str, Flag] = {flag.shorthand: flag for flag in FLAGS if flag.shorthand}

_IMAGE = "the build sets where the image goes and how it is output"
_HOST_FILE = "the build writes no file on the build host but its own"
_REACH = "it would widen what the build can reach"
_REPORT = "it makes docker exit without building, so no image would be made"

REASONS: Mapping[str, str] = {
    "tag": f"{_IMAGE} (a tag can name another repository, and --cache pushes every tag)",
    "output": _IMAGE,
    "push": _IMAGE,
    "load": _IMAGE,
    "iidfile": _HOST_FILE,
    "metadata-file": _HOST_FILE,
    "file": "the build sets the Dockerfile itself (use its --file)",
    "platform": "the build sets the platform itself (use its --platform)",
    "cache-from": "the build sets the cache itself (use its --cache)",
    "cache-to": "the build sets the cache itself (use its --cache)",
    "builder": "the build runs on the builder it creates itself",
    "secret": (
        "the build passes secrets itself (use its --secret, which never puts one in plain "
        "text), and docker's would read files and variables of the build host"
    ),
    "ssh": f"{_REACH} (on CodeBuild it can only read key files off the build host)",
    "build-context": f"{_REACH} (a named context reads any path of the build host)",
    "allow": f"{_REACH} (entitlements grant the host's network, privileged RUN steps, devices)",
    "security-opt": f"{_REACH} (it only ever relaxes the confinement of RUN steps)",
    "network": (
        "the build sets the network of RUN steps itself ('host' would reach the build host's "
        "own network, and Studio's local Docker allows only the 'sagemaker' network)"
    ),
    "policy": f"{_REACH} (it can replace or switch off the builder's source policy)",
    "call": _REPORT,
    "check": _REPORT,
    "print": _REPORT,
    "help": _REPORT,
}
OWN: frozenset[str] = frozenset(REASONS)

# strconv.ParseBool, which pflag's booleans (and --check) use.
_BOOLEANS = frozenset(
    {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}
)
_SHOWN = 80


def _shown(word: str) -> str:
    # repr: no line break or control character in a word can end the sentence early.
    return repr(word if len(word) <= _SHOWN else f"{word[:_SHOWN]}… ({len(word)} characters)")


def _checked(flag: Flag, value: str | None, word: str) -> DockerOption:
    if not flag.takes_value and value is not None and value not in _BOOLEANS:
        raise DockerArgsError(
            f"{_shown(word)} gives --{flag.name} the value {_shown(value)}, and it takes only "
            "true or false.",
            word,
        )
    return DockerOption(flag.name, value, word)


def _unknown(word: str, shorthand: str | None = None) -> DockerArgsError:
    what = f"holds -{shorthand}, which" if shorthand else "is an option"
    return DockerArgsError(
        f"{_shown(word)} {what} docker build does not have, so whether the next word is its "
        "value cannot be told and no word after it can be read safely.",
        word,
    )


def _long(word: str, words: Sequence[str], at: int) -> tuple[DockerOption, int]:
    body = word[2:]
    if body.startswith(("-", "=")):
        raise DockerArgsError(
            f"{_shown(word)} is not an option: a long option is -- and a name.", word
        )
    name, equals, value = body.partition("=")
    flag = BY_NAME.get(name)
    if flag is None:
        raise _unknown(word)
    if equals:
        return _checked(flag, value, word), at
    if not flag.takes_value:
        return DockerOption(name, None, word), at
    if at < len(words):
        return DockerOption(name, words[at], f"{word} {words[at]}"), at + 1
    raise DockerArgsError(f"{_shown(word)} needs a value, and no word follows it.", word)


def _short(word: str, words: Sequence[str], at: int) -> tuple[list[DockerOption], int]:
    options: list[DockerOption] = []
    rest = word[1:]
    while rest:
        if rest.startswith("test."):
            # pflag drops the rest of such a word without a word of its own (a leftover of Go's
            # `go test` flags); what the user meant by it cannot be known.
            raise DockerArgsError(
                f"{_shown(word)} is a word docker ignores without a warning (pflag drops "
                "'-test.' options), so it cannot be what was meant.",
                word,
            )
        flag = BY_SHORTHAND.get(rest[0])
        if flag is None:
            raise _unknown(word, rest[0])
        if len(rest) > 2 and rest[1] == "=":
            # Only from the third character on: "-t=" gives --tag the value "=", as in pflag.
            options.append(_checked(flag, rest[2:], word))
            rest = ""
        elif not flag.takes_value:
            options.append(DockerOption(flag.name, None, word))
            rest = rest[1:]
        elif len(rest) > 1:
            options.append(DockerOption(flag.name, rest[1:], word))
            rest = ""
        elif at < len(words):
            options.append(DockerOption(flag.name, words[at], f"{word} {words[at]}"))
            at += 1
            rest = ""
        else:
            raise DockerArgsError(
                f"{_shown(word)} ends with -{flag.shorthand}, which needs a value, and no word "
                "follows it.",
                word,
            )
    return options, at


def parse_build_args(words: Sequence[str]) -> tuple[list[DockerOption], list[str]]:
    """``(options, positionals)`` of ``words`` as ``docker build`` reads them; raises
    ``DockerArgsError`` for an unknown option, a missing value, or a malformed word."""
    options: list[DockerOption] = []
    positionals: list[str] = []
    at = 0
    while at < len(words):
        word = words[at]
        at += 1
        if word == "--":
            positionals.extend(words[at:])
            break
        if len(word) < 2 or not word.startswith("-"):
            positionals.append(word)
        elif word.startswith("--"):
            option, at = _long(word, words, at)
            options.append(option)
        else:
            group, at = _short(word, words, at)
            options.extend(group)
    return options, positionals


def refused(options: Sequence[DockerOption]) -> list[DockerOption]:
    """The options the build does not let through (see the module's docstring), in order."""
    return [option for option in options if option.name in OWN]


def explain(option: DockerOption) -> str:
    """One sentence saying why ``option`` is refused."""
    return f"Docker option {_shown(option.word)} is refused: {REASONS[option.name]}."
