"""``.dockerignore`` as Docker reads it, matched in time linear in the path's length.

Docker (the docker CLI's classic builder and BuildKit alike) reads the file with moby's
``ignorefile.ReadAll``, checks each pattern with ``patternmatcher.New``, and decides each path of
the build context with ``PatternMatcher.MatchesUsingParentResults`` while ``archive.TarWithOptions``
walks the folder. This module is that, with one difference that matters here: moby turns a
pattern into a Go regular expression, which RE2 matches in linear time, while docker-py turns
``*`` into a backtracking Python regular expression (holding the GIL), so one ``.dockerignore``
line such as ``*a*a*a…*ab`` could freeze the whole Jupyter server. Here no user pattern reaches
Python's ``re``: a pattern is compiled into a short program of tokens and simulated as an NFA
(Thompson's construction, a set of positions kept as the bits of an int), so matching a path
costs O(len(path) * len(pattern)) at worst and nothing ever backtracks. Transitions already
worked out are cached (a lazily built DFA, bounded in size), so ordinary paths cost about one
dictionary look-up per character.

Reading the file (``parse``), as ``ReadAll``: lines split on ``\\n`` (a ``\\r`` before it is
dropped); a UTF-8 byte-order mark is dropped from the first line; a line starting with ``#`` is
a comment (checked before whitespace is trimmed, so `` #x`` is a pattern); whitespace is trimmed
as Go's ``strings.TrimSpace`` trims it; empty lines are skipped; a leading ``!`` marks an
exception, and what follows it is trimmed again; the pattern is cleaned like Go's
``filepath.Clean`` (``a//b`` → ``a/b``, ``./a`` → ``a``, ``a/../b`` → ``b``, ``/..`` → ``/``)
and then loses one leading ``/``. ``Matcher(patterns)`` is moby's ``New``: it trims and cleans
each pattern again (whole, ``!`` included), refuses a lone ``!``, and applies Go's
``filepath.Match`` syntax check, as Docker does.

A pattern is one of four kinds, as in moby: an *exact* name; a *prefix* (``dir/**``); a
*suffix* (``**/name``, ``**.txt``: a leading ``**`` and nothing that needs a regular
expression after it); or a *regular expression* built from the pattern: ``*`` is ``[^/]*``,
``?`` is ``[^/]``, ``**`` is ``(.*/)?`` (``.*`` at the end), ``.+()|{}$`` are literal, ``\\x``
escapes ``x``, ``[`` and ``]`` pass through as Go's (RE2's) bracket expressions, and the
whole path must match. Docker on Linux compares names case-sensitively (docker-py lower-cases
them; we do not). The pattern ``.`` matches nothing (Docker documents it as ignored), and the
root of the context (``""`` or ``"."``) is never excluded.

Where Docker's behaviour is an accident of how moby pastes a pattern into a Go regular
expression, this module refuses the pattern (``DockerignoreError``) instead of guessing: a
refusal costs the user one edit, a wrong guess could send a file they meant to leave out.

- ``*``, ``?`` or ``**`` inside a bracket expression (``[a*]``): moby pastes ``[^/]*`` inside
  the brackets, which Go reads as nested brackets ending early. Refused; ``[a\\*]`` says it.
- A backslash before an ASCII letter or digit (``\\d``, ``\\w``, ``\\1``): Go reads it as a
  class, an assertion, an octal code or an error, never as the letter. Refused. A backslash
  before a non-ASCII character is refused too (Go's regexp rejects it, so Docker does).
- A pattern whose regular expression Go would not compile (``[z-a]``, ``[[:nope:]]``) is
  refused when the file is read. Docker compiles lazily, so it only fails when a path reaches
  that pattern; refusing up front is the same answer, sooner.
- Go's ``filepath.Match`` syntax check is applied as Docker applies it: ``[]a]``, ``[-a]``,
  ``[a-]``, ``[a-b-c]`` and a trailing lone ``\\`` are refused (RE2 alone would take some).
- A pattern starting with a byte-order mark (U+FEFF) is refused: Go's scanner skips the mark
  when compiling but moby slices the pattern by bytes, so Docker's answer is garbage. A
  pattern holding lone surrogates (bytes that were not UTF-8) is refused: Go compares such
  bytes inconsistently between the plain and the regular-expression kinds.
- ``^`` outside brackets in a regular-expression pattern is Go's start anchor, as Docker has
  it: it matches only at the very start of the path (``**/^a`` matches ``a``, never ``x/a``).
  This is followed, not refused: it makes Docker exclude less, and we then send what Docker
  sends.
- ``Matcher.from_text(text, always_keep=...)`` appends ``!name`` for each name, like the docker
  CLI does for the Dockerfile and ``.dockerignore``, but always (the CLI only appends when the
  name would be excluded; the decision is the same) and with ``*?[]\\^`` escaped (the CLI pastes
  the name raw, so ``Dockerfile[1]`` would keep ``Dockerfile1`` instead).

Caps keep the worst case bounded: at most ``MAX_PATTERNS`` patterns of at most
``MAX_PATTERN_LENGTH`` characters (a real ``.dockerignore`` has tens of short lines).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "MAX_PATTERNS",
    "MAX_PATTERN_LENGTH",
    "DockerignoreError",
    "Matcher",
    "ParentState",
    "Pattern",
    "parse",
]

MAX_PATTERNS = 10_000
MAX_PATTERN_LENGTH = 4_096

# Go's unicode.IsSpace, which strings.TrimSpace uses. Python's str.strip() would also strip
# \x1c-\x1f, which Go keeps as part of the pattern.
_GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
# moby escapes these before pasting a pattern into a regular expression (its shouldEscape).
_REGEX_LITERAL = frozenset(".+()|{}$")
_MAX_RUNE = 0x10FFFF
# Transitions cached per pattern (and shared out by a Matcher), so memory stays bounded however
# many patterns and distinct characters meet.
_CACHE_DEFAULT = 4_096
_CACHE_BUDGET = 262_144
_CACHE_MINIMUM = 16


class DockerignoreError(ValueError):
    """A ``.dockerignore`` pattern Docker would refuse, or that this module refuses on purpose.

    ``line`` is 1-based (0 when the pattern did not come from a file), ``pattern`` the pattern
    as read, ``reason`` a phrase saying what is wrong; ``str()`` is one sentence naming them.
    """

    def __init__(self, reason: str, *, pattern: str = "", line: int = 0) -> None:
        self.reason = reason
        self.pattern = pattern
        self.line = line
        super().__init__(self._sentence())

    def _sentence(self) -> str:
        shown = _shown(self.pattern)
        if self.line > 0:
            return f"Line {self.line} of .dockerignore ({shown}) {self.reason}."
        return f"The .dockerignore pattern {shown} {self.reason}."

    def __str__(self) -> str:
        return self._sentence()

    def __reduce__(self) -> tuple[type[DockerignoreError], tuple[str], dict[str, object]]:
        # The keyword-only fields would be lost by the default pickling of an exception.
        return (type(self), (self.reason,), {"pattern": self.pattern, "line": self.line})

    def at(self, line: int, pattern: str) -> DockerignoreError:
        """The same refusal, named by where it was read."""
        return DockerignoreError(self.reason, pattern=pattern, line=line)


def _shown(pattern: str) -> str:
    if len(pattern) > 60:
        pattern = pattern[:57] + "..."
    # Python's repr would double every backslash, and backslashes are half of what goes wrong.
    return f'"{pattern}"' if pattern.isprintable() else repr(pattern)


@dataclass(frozen=True, slots=True)
class ParentState:
    """Which patterns a folder matched (moby's ``MatchInfo``), handed to its entries so each
    path is matched once per pattern rather than once per ancestor. Empty means "unknown":
    the entry's ancestors are then matched one by one, as moby does."""

    flags: tuple[bool, ...] = ()


# --- Go's path handling ---------------------------------------------------------------------


def _go_trim(text: str) -> str:
    return text.strip(_GO_SPACE)


def _go_clean(path: str) -> str:
    """Go's ``filepath.Clean`` on Linux: lexical only, as Docker applies it to patterns."""
    if not path:
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    joined = "/".join(out)
    if rooted:
        return "/" + joined
    return joined or "."


def _ancestors(path: str) -> list[str]:
    """The folders moby tries when it has no parent results: ``filepath.Dir`` split and
    re-joined prefix by prefix (so ``a/b/c`` gives ``a`` and ``a/b``)."""
    parent = _go_clean(path[: path.rfind("/") + 1])
    if parent == ".":
        return []
    parts = parent.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _glob_syntax_error(pattern: str) -> str | None:
    """Go's ``filepath.Match(pattern, ".")`` error check, which moby's ``New`` runs on every
    pattern: the pattern is cut into chunks at stars outside brackets, and every chunk is
    scanned for well-formed brackets and escapes."""
    rest = pattern
    while rest:
        rest = rest.lstrip("*")
        in_range = False
        i = 0
        while i < len(rest):
            c = rest[i]
            if c == "\\":
                if i + 1 < len(rest):
                    i += 1
            elif c == "[":
                in_range = True
            elif c == "]":
                in_range = False
            elif c == "*" and not in_range:
                break
            i += 1
        chunk, rest = rest[:i], rest[i:]
        problem = _chunk_syntax_error(chunk)
        if problem:
            return problem
    return None


def _chunk_syntax_error(chunk: str) -> str | None:
    n = len(chunk)
    i = 0
    while i < n:
        c = chunk[i]
        if c == "[":
            i += 1
            if i < n and chunk[i] == "^":
                i += 1
            ranges = 0
            while True:
                if i < n and chunk[i] == "]" and ranges > 0:
                    i += 1
                    break
                i, problem = _glob_class_char(chunk, i, range_end=False)
                if problem:
                    return problem
                if chunk[i] == "-":
                    i, problem = _glob_class_char(chunk, i + 1, range_end=True)
                    if problem:
                        return problem
                ranges += 1
        elif c == "\\":
            if i + 1 >= n:
                return "ends with a lone backslash, which escapes nothing"
            i += 2
        else:
            i += 1
    return None


def _glob_class_char(chunk: str, i: int, *, range_end: bool) -> tuple[int, str | None]:
    """Go's ``getEsc``: one member of a bracket expression, which must be followed by more."""
    n = len(chunk)
    if i >= n:
        return i, "opens a '[' bracket expression that is never closed"
    if chunk[i] == "]":
        if range_end:
            return i, "has a '-' range with no end before its ']' (write '\\-' for a dash)"
        return i, "has an empty bracket expression or a ']' right after '[', which Docker refuses"
    if chunk[i] == "-":
        return i, (
            "has a '-' at the edge of a bracket expression or in a chained range, "
            "which Go's glob syntax refuses (write '\\-' for a literal dash)"
        )
    if chunk[i] == "\\":
        i += 1
        if i >= n:
            return i, "opens a '[' bracket expression that is never closed"
    i += 1
    if i >= n:
        return i, "opens a '[' bracket expression that is never closed"
    return i, None


# --- the pattern program --------------------------------------------------------------------


class _CharClass:
    """A set of characters as sorted, disjoint, inclusive code-point ranges."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, ranges: Iterable[tuple[int, int]], *, negated: bool = False) -> None:
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(ranges):
            if merged and lo <= merged[-1][1] + 1:
                if hi > merged[-1][1]:
                    merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        if negated:
            merged = _complement(merged)
        self._starts = tuple(lo for lo, _ in merged)
        self._ends = tuple(hi for _, hi in merged)

    def __contains__(self, ch: str) -> bool:
        code = ord(ch)
        i = bisect_right(self._starts, code) - 1
        return i >= 0 and code <= self._ends[i]


def _complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    low = 0
    for lo, hi in ranges:
        if lo > low:
            out.append((low, lo - 1))
        low = hi + 1
    if low <= _MAX_RUNE:
        out.append((low, _MAX_RUNE))
    return out


# Go's POSIX classes inside brackets (ASCII only, as in RE2).
_POSIX: dict[str, tuple[tuple[int, int], ...]] = {
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "ascii": ((0x00, 0x7F),),
    "blank": ((0x09, 0x09), (0x20, 0x20)),
    "cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "digit": ((0x30, 0x39),),
    "graph": ((0x21, 0x7E),),
    "lower": ((0x61, 0x7A),),
    "print": ((0x20, 0x7E),),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "space": ((0x09, 0x0D), (0x20, 0x20)),
    "upper": ((0x41, 0x5A),),
    "word": ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)),
    "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}

# The pieces moby's compile loop pastes into the regular expression, kept apart so that what
# came from a wildcard is never confused with what the user wrote.
_A_DSTAR = 0  # "**" before more pattern: (.*/)?
_A_DSTAR_END = 1  # "**" at the end of a regular-expression pattern: .*
_A_STAR = 2  # [^/]*
_A_QMARK = 3  # [^/]
_A_QUOTED = 4  # one of .+()|{}$, which moby escapes: always literal
_A_ESCAPED = 5  # the user's "\x"
_A_RAW = 6  # anything else, pasted as it is: "[", "]", "^" and "-" mean something to Go

_ATOM_TEXT = {_A_DSTAR: "(.*/)?", _A_DSTAR_END: ".*", _A_STAR: "[^/]*", _A_QMARK: "[^/]"}


@dataclass(frozen=True, slots=True)
class _Atom:
    kind: int
    char: str = ""

    @property
    def text(self) -> str:
        if self.kind in (_A_QUOTED, _A_ESCAPED):
            return "\\" + self.char
        if self.kind == _A_RAW:
            return self.char
        return _ATOM_TEXT[self.kind]

    def is_raw(self, char: str) -> bool:
        return self.kind == _A_RAW and self.char == char


# Tokens of the compiled program. Position i in the NFA is "before token i"; the position
# after the last token accepts.
_T_LIT = 0  # one given character, then i+1
_T_CLASS = 1  # one character of a class, then i+1
_T_STAR = 2  # any number of characters of a class, staying at i; free move to i+1
_T_SKIP = 3  # free moves to i+1 (into the loop) and to i+2 (past it): the "?" of (.*/)?
_T_LOOP = 4  # the ".*/" of (.*/)?: any non-newline stays at i, "/" also moves to i+1
_T_BOL = 5  # Go's "^": a free move to i+1, at the start of the path only

_NOT_SLASH = _CharClass([(ord("/"), ord("/"))], negated=True)
# Go compiles with Perl flags, without "s": "." does not match a newline (but [^/] does).
_NOT_NEWLINE = _CharClass([(ord("\n"), ord("\n"))], negated=True)

Kind = Literal["exact", "prefix", "suffix", "regexp"]


class Pattern:
    """One cleaned pattern (moby's ``Pattern``), compiled; ``match`` says whether a path
    matches it as a whole. Raises ``DockerignoreError`` (line 0) for a pattern Docker refuses
    or this module refuses on purpose (see the module's docstring)."""

    __slots__ = (
        "_accept",
        "_cache_cap",
        "_entries",
        "_epsilon",
        "_literal_masks",
        "_live",
        "_mask_cache",
        "_min_length",
        "_prefix",
        "_shift_classes",
        "_skips",
        "_start",
        "_stay_classes",
        "_suffix",
        "_transitions",
        "exclusion",
        "kind",
        "text",
    )

    def __init__(self, text: str, *, exclusion: bool = False) -> None:
        self.text = text
        self.exclusion = exclusion
        shown = ("!" if exclusion else "") + text
        if len(text) > MAX_PATTERN_LENGTH:
            raise DockerignoreError(
                f"is longer than {MAX_PATTERN_LENGTH:,} characters", pattern=shown
            )
        if text.startswith("\ufeff"):
            raise DockerignoreError(
                "starts with a byte-order mark (U+FEFF), which Docker handles inconsistently",
                pattern=shown,
            )
        if any("\ud800" <= c <= "\udfff" for c in text):
            raise DockerignoreError(
                "holds bytes that are not UTF-8, which Docker compares inconsistently",
                pattern=shown,
            )
        problem = _glob_syntax_error(text)
        if problem:
            raise DockerignoreError(problem, pattern=shown)
        kind, atoms = _scan(text)
        self.kind: Kind = kind
        self._cache_cap = _CACHE_DEFAULT
        self._transitions: dict[int, dict[str, int]] = {}
        self._mask_cache: dict[str, tuple[int, int]] = {}
        self._entries = 0
        if kind == "regexp":
            try:
                tokens = _parse(atoms)
            except _Refused as refused:
                raise DockerignoreError(refused.reason, pattern=shown) from None
            self._build(tokens)

    def __repr__(self) -> str:
        return f"Pattern({self.text!r}, exclusion={self.exclusion}, kind={self.kind!r})"

    def match(self, path: str) -> bool:
        """Whether ``path`` (relative, ``/``-separated) matches the whole pattern."""
        kind = self.kind
        if kind == "exact":
            return path == self.text
        if kind == "prefix":
            return path.startswith(self.text[:-2])
        if kind == "suffix":
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
        return self._run(path)

    # The program is simulated on ints: bit i set means "the NFA may be before token i".

    def _build(self, tokens: list[tuple[int, object]]) -> None:
        literal_masks: dict[str, int] = {}
        stay_classes: list[tuple[int, _CharClass]] = []
        shift_classes: list[tuple[int, _CharClass]] = []
        epsilon = skips = bol = 0
        for i, (kind, data) in enumerate(tokens):
            bit = 1 << i
            if kind == _T_LIT:
                assert isinstance(data, str)
                literal_masks[data] = literal_masks.get(data, 0) | bit
            elif kind == _T_CLASS:
                assert isinstance(data, _CharClass)
                shift_classes.append((bit, data))
            elif kind == _T_STAR:
                assert isinstance(data, _CharClass)
                stay_classes.append((bit, data))
                epsilon |= bit
            elif kind == _T_SKIP:
                epsilon |= bit
                skips |= bit
            elif kind == _T_LOOP:
                stay_classes.append((bit, _NOT_NEWLINE))
                literal_masks["/"] = literal_masks.get("/", 0) | bit
            else:
                bol |= bit
        self._literal_masks = literal_masks
        self._stay_classes = tuple(stay_classes)
        self._shift_classes = tuple(shift_classes)
        self._epsilon = epsilon
        self._skips = skips
        self._accept = 1 << len(tokens)
        self._live = ((self._accept << 1) - 1) & ~bol
        # "^" is a free move only before the first character.
        self._start = self._close(1, epsilon | bol) & self._live
        # Cheap necessary conditions, checked in C before the NFA runs: every literal and
        # class token consumes exactly one character, and leading/trailing literals are fixed.
        self._min_length = sum(1 for kind, _ in tokens if kind in (_T_LIT, _T_CLASS))
        prefix: list[str] = []
        for kind, data in tokens:
            if kind == _T_BOL:
                continue
            if kind != _T_LIT:
                break
            prefix.append(str(data))
        suffix: list[str] = []
        for kind, data in reversed(tokens):
            if kind != _T_LIT:
                break
            suffix.append(str(data))
        self._prefix = "".join(prefix)
        self._suffix = "".join(reversed(suffix))

    def _close(self, state: int, epsilon: int) -> int:
        """Every position reachable by free moves. Free moves to the next position run along
        runs of ``epsilon`` bits, which one addition floods (the carry walks the run); the
        jumps past a loop are shifts. Adjacent (.*/)? groups are merged at compile time, so
        this settles in a few rounds whatever the pattern."""
        skips = self._skips
        while True:
            flooded = state | (((state & epsilon) + epsilon) ^ epsilon)
            flooded |= (flooded & skips) << 2
            if flooded == state:
                return state
            state = flooded

    def _masks(self, ch: str) -> tuple[int, int]:
        masks = self._mask_cache.get(ch)
        if masks is None:
            shift = self._literal_masks.get(ch, 0)
            for bit, cls in self._shift_classes:
                if ch in cls:
                    shift |= bit
            stay = 0
            for bit, cls in self._stay_classes:
                if ch in cls:
                    stay |= bit
            masks = (shift, stay)
            if len(self._mask_cache) >= self._cache_cap:
                self._mask_cache.clear()
            self._mask_cache[ch] = masks
        return masks

    def _run(self, path: str) -> bool:
        if (
            len(path) < self._min_length
            or not path.startswith(self._prefix)
            or not path.endswith(self._suffix)
        ):
            return False
        state = self._start
        transitions = self._transitions
        for ch in path:
            row = transitions.get(state)
            if row is None:
                if self._entries >= self._cache_cap:
                    transitions.clear()
                    self._entries = 0
                row = transitions[state] = {}
            following = row.get(ch)
            if following is None:
                shift, stay = self._masks(ch)
                moved = ((state & shift) << 1) | (state & stay)
                following = self._close(moved, self._epsilon) & self._live
                row[ch] = following
                self._entries += 1
            if not following:
                return False
            state = following
        return bool(state & self._accept)


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _scan(pattern: str) -> tuple[Kind, list[_Atom]]:
    """moby's compile loop: the pattern's kind, and the pieces of its regular expression."""
    kind: Kind = "exact"
    atoms: list[_Atom] = []
    n = len(pattern)
    j = 0
    first = True
    while j < n:
        ch = pattern[j]
        j += 1
        if ch == "*":
            if j < n and pattern[j] == "*":
                j += 1
                if j < n and pattern[j] == "/":
                    j += 1
                if j == n:
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        atoms.append(_Atom(_A_DSTAR_END))
                        kind = "regexp"
                else:
                    atoms.append(_Atom(_A_DSTAR))
                    kind = "regexp"
                if first:
                    kind = "suffix"
            else:
                atoms.append(_Atom(_A_STAR))
                kind = "regexp"
        elif ch == "?":
            atoms.append(_Atom(_A_QMARK))
            kind = "regexp"
        elif ch in _REGEX_LITERAL:
            atoms.append(_Atom(_A_QUOTED, ch))
        elif ch == "\\":
            if j < n:
                atoms.append(_Atom(_A_ESCAPED, pattern[j]))
                j += 1
                kind = "regexp"
            else:
                # Go's filepath.Match check refuses this before compile ever runs.
                raise AssertionError("a trailing backslash passed the glob syntax check")
        elif ch in "[]":
            atoms.append(_Atom(_A_RAW, ch))
            kind = "regexp"
        else:
            atoms.append(_Atom(_A_RAW, ch))
        first = False
    return kind, atoms


def _escaped_char(char: str) -> str:
    """Go's regexp reads "\\x" as x only for ASCII punctuation; see the module's docstring."""
    if char.isascii() and char.isalnum():
        raise _Refused(
            f"escapes the letter or digit {char!r} with a backslash, which Go's regular "
            "expressions read as a class or an error rather than the character itself"
        )
    if not char.isascii():
        raise _Refused(
            f"escapes the non-ASCII character {char!r} with a backslash, which Docker refuses"
        )
    return char


def _parse(atoms: list[_Atom]) -> list[tuple[int, object]]:
    """What Go's regexp parser makes of the pasted pieces, as tokens; refuses where that
    depends on how a wildcard was pasted (see the module's docstring)."""
    tokens: list[tuple[int, object]] = []
    n = len(atoms)
    i = 0
    while i < n:
        atom = atoms[i]
        kind = atom.kind
        if kind == _A_DSTAR:
            # (.*/)?(.*/)? matches what (.*/)? matches; merging keeps closures short.
            if not (tokens and tokens[-1][0] == _T_LOOP):
                tokens += [(_T_SKIP, None), (_T_LOOP, None)]
        elif kind == _A_DSTAR_END:
            tokens.append((_T_STAR, _NOT_NEWLINE))
        elif kind == _A_STAR:
            tokens.append((_T_STAR, _NOT_SLASH))
        elif kind == _A_QMARK:
            tokens.append((_T_CLASS, _NOT_SLASH))
        elif kind == _A_QUOTED:
            tokens.append((_T_LIT, atom.char))
        elif kind == _A_ESCAPED:
            tokens.append((_T_LIT, _escaped_char(atom.char)))
        elif atom.char == "[":
            i, cls = _parse_class(atoms, i + 1)
            tokens.append((_T_CLASS, cls))
            continue
        elif atom.char == "^":
            tokens.append((_T_BOL, None))
        else:
            tokens.append((_T_LIT, atom.char))
        i += 1
    return tokens


def _class_char(atom: _Atom) -> int:
    wildcard = {_A_DSTAR: "**", _A_DSTAR_END: "**", _A_STAR: "*", _A_QMARK: "?"}.get(atom.kind)
    if wildcard:
        raise _Refused(
            f"has a {wildcard!r} inside a bracket expression, which Docker turns into nested "
            f"brackets by accident (write '\\{wildcard[0]}' for the character itself)"
        )
    if atom.kind == _A_ESCAPED:
        return ord(_escaped_char(atom.char))
    return ord(atom.char)


def _parse_class(atoms: list[_Atom], i: int) -> tuple[int, _CharClass]:
    """Go's parseClass, from just after "[" to just after its "]"."""
    n = len(atoms)
    unclosed = "opens a '[' bracket expression that is never closed"
    negated = False
    if i < n and atoms[i].is_raw("^"):
        negated = True
        i += 1
    ranges: list[tuple[int, int]] = []
    first = True
    while True:
        if i >= n:
            raise _Refused(unclosed)
        atom = atoms[i]
        if atom.is_raw("]") and not first:
            i += 1
            break
        first = False
        if atom.is_raw("[") and i + 1 < n and atoms[i + 1].is_raw(":"):
            # Go looks for the closing ":]" anywhere further on, even past this class.
            rest = "".join(a.text for a in atoms[i:]) + "$"
            end = rest.find(":]", 2)
            if end >= 0:
                name = rest[: end + 2]
                inner = name[2:-2]
                group = _POSIX.get(inner.removeprefix("^"))
                if group is None or not all(a.kind == _A_RAW for a in atoms[i : i + len(name)]):
                    raise _Refused(f"names an unknown character class {name!r}")
                ranges += _complement(list(group)) if inner.startswith("^") else group
                i += len(name)
                continue
        low = _class_char(atom)
        i += 1
        high = low
        if i < n and atoms[i].is_raw("-"):
            following = atoms[i + 1].text[0] if i + 1 < n else "$"
            if following != "]":
                if i + 1 >= n:
                    raise _Refused(unclosed)
                high = _class_char(atoms[i + 1])
                i += 2
                if high < low:
                    raise _Refused(
                        f"has a character range '{chr(low)}-{chr(high)}' whose start comes "
                        "after its end"
                    )
        ranges.append((low, high))
    return i, _CharClass(ranges, negated=negated)


# --- the file and the matcher ---------------------------------------------------------------


def _read(text: str) -> list[tuple[int, str]]:
    """moby's ``ignorefile.ReadAll``, keeping each pattern's line number."""
    entries: list[tuple[int, str]] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if line.endswith("\r"):
            line = line[:-1]
        if number == 1:
            line = line.removeprefix("\ufeff")
        if line.startswith("#"):
            continue
        pattern = _go_trim(line)
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = _go_trim(pattern[1:])
        if pattern:
            pattern = _go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise DockerignoreError(
                f"is longer than {MAX_PATTERN_LENGTH:,} characters",
                pattern=("!" if invert else "") + pattern,
                line=number,
            )
        if invert:
            pattern = "!" + pattern
        entries.append((number, pattern))
        if len(entries) > MAX_PATTERNS:
            raise DockerignoreError(
                f"would be pattern {len(entries):,}, beyond the {MAX_PATTERNS:,} a "
                ".dockerignore may hold",
                pattern=pattern,
                line=number,
            )
    return entries


def parse(text: str) -> list[str]:
    """The patterns of a ``.dockerignore`` (cleaned, exceptions keeping their ``!``), each
    checked and compiled; raises ``DockerignoreError`` naming the first bad line."""
    entries = _read(text)
    Matcher._from_entries(entries, allowance=0)
    return [pattern for _, pattern in entries]


def _escape_glob(name: str) -> str:
    if not any(c in "*?[]\\" for c in name):
        return name
    return "".join("\\" + c if c in "*?[]\\^" else c for c in name)


class Matcher:
    """moby's ``PatternMatcher``: the patterns in order, deciding whether a path is excluded
    from the build context. Raises ``DockerignoreError`` for a bad pattern (line 0 unless the
    patterns came from ``from_text``)."""

    __slots__ = ("_exception_dirs", "exclusions", "patterns")

    def __init__(self, patterns: Sequence[str]) -> None:
        self._setup([(0, pattern) for pattern in patterns], allowance=0, numbered=False)

    @classmethod
    def from_text(cls, text: str, always_keep: Sequence[str] = ()) -> Matcher:
        """The matcher of a ``.dockerignore``'s text, with ``!name`` appended for each of
        ``always_keep`` (the Dockerfile's relative path, ``.dockerignore``), as the docker
        CLI appends them."""
        entries = _read(text)
        entries += [(0, "!" + _escape_glob(name)) for name in always_keep]
        return cls._from_entries(entries, allowance=len(always_keep))

    @classmethod
    def _from_entries(cls, entries: list[tuple[int, str]], allowance: int) -> Matcher:
        matcher = cls.__new__(cls)
        matcher._setup(entries, allowance=allowance, numbered=True)
        return matcher

    def _setup(self, entries: list[tuple[int, str]], *, allowance: int, numbered: bool) -> None:
        patterns: list[Pattern] = []
        for line, raw in entries:
            number = line if numbered else 0
            # moby's New: trim, clean (the "!" included), then split off the "!".
            text = _go_trim(raw)
            if not text:
                continue
            if len(patterns) >= MAX_PATTERNS + allowance:
                raise DockerignoreError(
                    f"would be pattern {len(patterns) + 1:,}, beyond the {MAX_PATTERNS:,} a "
                    ".dockerignore may hold",
                    pattern=raw,
                    line=number,
                )
            text = _go_clean(text)
            exclusion = text.startswith("!")
            if exclusion:
                if len(text) == 1:
                    raise DockerignoreError(
                        "is a '!' with no pattern after it", pattern=raw, line=number
                    )
                text = text[1:]
            try:
                patterns.append(Pattern(text, exclusion=exclusion))
            except DockerignoreError as refused:
                raise refused.at(number, raw) from None
        self.patterns: tuple[Pattern, ...] = tuple(patterns)
        self.exclusions: bool = any(p.exclusion for p in patterns)
        self._exception_dirs = tuple(p.text + "/" for p in patterns if p.exclusion)
        regexps = [p for p in patterns if p.kind == "regexp"]
        for pattern in regexps:
            pattern._cache_cap = max(_CACHE_MINIMUM, _CACHE_BUDGET // len(regexps))

    def __repr__(self) -> str:
        return f"Matcher({['!' * p.exclusion + p.text for p in self.patterns]!r})"

    def excluded(self, path: str, parent: ParentState | None = None) -> tuple[bool, ParentState]:
        """Whether ``path`` is left out of the context (moby's MatchesUsingParentResults),
        and the per-pattern results to hand to its entries if it is a folder.

        ``parent`` is what this returned for the folder holding ``path``; without it (or with
        an empty ``ParentState``) every ancestor of ``path`` is tried as well, as moby's
        MatchesOrParentMatches does. The root (``""`` or ``"."``) is never excluded."""
        if path in ("", "."):
            return False, ParentState()
        flags = parent.flags if parent is not None else ()
        patterns = self.patterns
        if flags and len(flags) != len(patterns):
            raise ValueError(
                f"the parent state has {len(flags)} results but this matcher has "
                f"{len(patterns)} patterns"
            )
        matched = False
        results = [False] * len(patterns)
        ancestors: list[str] | None = None
        for i, pattern in enumerate(patterns):
            hit = bool(flags) and flags[i]
            if not hit:
                # An inclusion cannot change an already excluded path, nor an exception one
                # that is not excluded, so moby does not even look.
                if pattern.exclusion != matched:
                    continue
                hit = pattern.match(path)
                if not hit and not flags:
                    if ancestors is None:
                        ancestors = _ancestors(path)
                    hit = any(pattern.match(folder) for folder in ancestors)
            results[i] = hit
            if hit:
                matched = not pattern.exclusion
        return matched, ParentState(tuple(results))

    def may_hold_exceptions(self, directory: str) -> bool:
        """Whether an excluded ``directory`` must still be walked entry by entry: moby's walk
        does so when an exception pattern, with "/" appended, starts with ``directory/``
        (a plain prefix test, so ``!*/keep`` does not reach into ``a``, as in Docker)."""
        if not self.exclusions:
            return False
        prefix = directory + "/"
        return any(pattern.startswith(prefix) for pattern in self._exception_dirs)
