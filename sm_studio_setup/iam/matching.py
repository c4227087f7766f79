"""Wildcard matching of actions, resource ARNs and principals, the way IAM matches them.

Globs are matched without backtracking regular expressions: a pattern is split at its ``*``
into fixed-length segments, and each segment is found leftmost in turn (greedy leftmost
placement is exact for ``*``-only separators). The cost is at most O(len(pattern) *
len(text)), whatever the number of ``*``, so a long ARN pattern cannot blow up.

AWS rules (IAM User Guide):

- Actions: "Action names are case-insensitive"; ``*`` matches any run of characters and
  ``?`` exactly one ("IAM JSON policy elements: Action",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
- Resources: "IAM JSON policy elements: Resource", section "Using wildcards in resource ARNs"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html):
  wildcards may appear in any ARN segment; "If the * wildcard is the last character of a
  resource ARN segment, it can expand to match beyond the colon boundaries". The resource
  part is case-sensitive ("In the Resource element, the IAM user name is case sensitive");
  partition, service, region and account compare case-insensitively.
- Variables in resources ("IAM policy elements: Variables and tags", Resource element,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html): "You
  can use a policy variable in the Resource element, but only in the resource portion of the
  ARN. This portion of the ARN appears after the fifth colon (:). You can't use a variable to
  replace parts of the ARN before the fifth colon, such as the service or account." A
  ``${...}`` that begins before the pattern's fifth ``:`` (counted in the text as written) is
  therefore literal text, and a pattern with fewer than five colons substitutes nothing.
- Principals: "IAM JSON policy elements: Principal"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
  an account (id or ``:root`` ARN) stands for every principal of that account, a role ARN
  stands for the role and its sessions, "You cannot use a wildcard to match part of a
  principal name or ARN".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from .context import RequestContext
from .model import Principal
from .variables import Piece, expand, has_variables, resource_portion

_STAR = object()
_QMARK = object()
_Token = str | object  # a literal character, _STAR or _QMARK


class _Segment:
    """A fixed-length run of literal characters and '?' between two '*'."""

    __slots__ = ("length", "regex", "text")

    def __init__(self, tokens: Sequence[_Token]) -> None:
        self.length = len(tokens)
        if all(isinstance(t, str) for t in tokens):
            self.text: str | None = "".join(t for t in tokens if isinstance(t, str))
            self.regex: re.Pattern[str] | None = None
        else:
            # Fixed length, no quantifiers: a search is linear per start position.
            source = "".join(re.escape(t) if isinstance(t, str) else "." for t in tokens)
            self.text = None
            self.regex = re.compile(source, re.DOTALL)

    def match_at(self, text: str, pos: int) -> bool:
        if self.text is not None:
            return text.startswith(self.text, pos)
        assert self.regex is not None
        return self.regex.match(text, pos) is not None

    def find(self, text: str, pos: int, end: int) -> int:
        if self.text is not None:
            return text.find(self.text, pos, end)
        assert self.regex is not None
        found = self.regex.search(text, pos, end)
        return -1 if found is None else found.start()


class _Glob:
    """A compiled glob: '*' any run (also empty), '?' exactly one character."""

    __slots__ = ("exact", "fixed", "head", "ignore_case", "middle", "star", "tail")

    def __init__(self, tokens: Sequence[_Token], ignore_case: bool) -> None:
        self.ignore_case = ignore_case
        parts: list[list[_Token]] = [[]]
        for token in tokens:
            if token is _STAR:
                parts.append([])
            else:
                parts[-1].append(token)
        self.star = len(parts) > 1
        segments = [_Segment(p) for p in parts]
        self.head = segments[0]
        self.tail = segments[-1]
        self.middle = tuple(segments[1:-1])
        self.fixed = sum(s.length for s in segments)
        # Most real patterns are plain strings: compare them directly.
        self.exact = self.head.text if not self.star else None

    def match(self, text: str) -> bool:
        if self.ignore_case:
            text = text.lower()
        if not self.star:
            if self.exact is not None:
                return text == self.exact
            return len(text) == self.fixed and self.head.match_at(text, 0)
        size = len(text)
        if size < self.fixed:
            return False
        head, tail = self.head, self.tail
        if head.length and not head.match_at(text, 0):
            return False
        end = size - tail.length
        if tail.length and not tail.match_at(text, end):
            return False
        pos = head.length
        for segment in self.middle:
            found = segment.find(text, pos, end)
            if found < 0:
                return False
            pos = found + segment.length
        return True


def _tokens(pieces: Sequence[Piece], ignore_case: bool) -> list[_Token]:
    tokens: list[_Token] = []
    for text, literal in pieces:
        if ignore_case:
            text = text.lower()
        for char in text:
            if literal:
                tokens.append(char)
            elif char == "*":
                # Consecutive stars are one star; collapsing keeps segment counts small.
                if not tokens or tokens[-1] is not _STAR:
                    tokens.append(_STAR)
            elif char == "?":
                tokens.append(_QMARK)
            else:
                tokens.append(char)
    return tokens


@lru_cache(maxsize=8192)
def _compile_pieces(pieces: tuple[Piece, ...], ignore_case: bool) -> _Glob:
    return _Glob(_tokens(pieces, ignore_case), ignore_case)


def _compile(pattern: str, ignore_case: bool) -> _Glob:
    return _compile_pieces(((pattern, False),), ignore_case)


def match_pieces(pieces: Sequence[Piece], text: str, *, ignore_case: bool = False) -> bool:
    """Glob-match ``text`` against ``pieces``; wildcards count only in non-literal pieces."""
    return _compile_pieces(tuple(pieces), ignore_case).match(text)


def glob_matches(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """Glob-match ``text`` against a plain pattern (no variables)."""
    return _compile(pattern, ignore_case).match(text)


@lru_cache(maxsize=8192)
def _action_glob(pattern: str) -> _Glob:
    return _Glob(_tokens(((pattern, False),), True), True)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action/NotAction entry matches an action, case-insensitively."""
    if pattern == "*":
        return True
    return _action_glob(pattern).match(action)


# ---------------------------------------------------------------------------------- ARNs


def _split_pieces(pieces: Sequence[Piece], limit: int) -> list[tuple[Piece, ...]]:
    """Split pieces at ':' (in any piece: the ':' of a ``${aws:...}`` kept literally before the
    resource part separates too, as the colons of the text as written) into at most
    ``limit + 1`` parts, the last keeping its colons."""
    parts: list[list[Piece]] = [[]]
    for text, literal in pieces:
        rest = text
        while rest:
            if len(parts) > limit:
                parts[-1].append((rest, literal))
                break
            colon = rest.find(":")
            if colon < 0:
                parts[-1].append((rest, literal))
                break
            if colon:
                parts[-1].append((rest[:colon], literal))
            parts.append([])
            rest = rest[colon + 1 :]
    return [tuple(p) for p in parts]


class _ArnPattern:
    """A compiled Resource entry.

    Six-segment patterns match segment by segment: partition, service, region and account
    case-insensitively, the resource part (which may itself contain ':') case-sensitively.
    A pattern with fewer segments can only match a full ARN through a '*' that spans colons
    ("it can expand to match beyond the colon boundaries"), so it is matched against the
    whole ARN as one glob, each character compared with the case rule of the ARN segment it
    falls in. A pattern that is not an ARN is compared case-sensitively as a whole.

    Choice: in a six-segment pattern a '*' ending one of the first five segments does not
    reach into the next one ("arn:aws:iam::*:role/x" does not match an ARN whose resource
    part is "2:role/x" after account "1"): both have six segments, so each ARN segment
    already has its own pattern segment, and the User Guide recommends exactly this reading
    ("We recommend you use wildcards (* and ?) within ARN segments separated by a colon").
    iam-simulate matches six-segment patterns segment by segment too.
    """

    __slots__ = ("prefix", "resource", "spanning")

    def __init__(self, pieces: tuple[Piece, ...]) -> None:
        parts = _split_pieces(pieces, 5)
        first = "".join(text for text, _ in parts[0]).lower()
        self.prefix: tuple[tuple[int, _Glob], ...] = ()
        self.resource: _Glob | None = None
        self.spanning: _SpanningGlob | None = None
        if len(parts) == 6 and first == "arn":
            # Segments that are just "*" match anything: skip them when matching.
            self.prefix = tuple(
                (index, _compile_pieces(p, True))
                for index, p in enumerate(parts[1:5], start=1)
                if p != (("*", False),)
            )
            self.resource = _compile_pieces(parts[5], False)
        else:
            self.spanning = _SpanningGlob(_tokens(pieces, False))

    def match(self, arn: str) -> bool:
        if self.spanning is not None:
            return self.spanning.match(arn)
        segments = arn.split(":", 5)
        if len(segments) != 6 or segments[0].lower() != "arn":
            return False
        assert self.resource is not None
        for index, glob in self.prefix:
            if not glob.match(segments[index]):
                return False
        return self.resource.match(segments[5])


class _SpanningGlob:
    """Whole-string glob with per-position case rules (the rare short-pattern case).

    A dynamic-programming matcher over the text: O(len(pattern) * len(text)), no recursion.
    Characters before the ARN's fifth colon compare case-insensitively.
    """

    __slots__ = ("folded", "strict", "tokens")

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.strict = _Glob(tokens, False)
        self.folded = _Glob([t.lower() if isinstance(t, str) else t for t in tokens], True)

    def match(self, text: str) -> bool:
        # Fast answers first: an exact-case match is a match, and without a match ignoring
        # case everywhere there is none. Only mixed-case cases need the per-position DP.
        if self.strict.match(text):
            return True
        if not self.folded.match(text):
            return False
        return self._match_by_position(text)

    def _match_by_position(self, text: str) -> bool:
        folded = [False] * len(text)
        if text[:4].lower() == "arn:" and text.count(":") >= 5:
            boundary = -1
            for _ in range(5):
                boundary = text.index(":", boundary + 1)
            for i in range(boundary):
                folded[i] = True
        # reachable[i]: the pattern prefix consumed so far can end just before text[i].
        reachable = [False] * (len(text) + 1)
        reachable[0] = True
        for token in self.tokens:
            if token is _STAR:
                seen = False
                for i in range(len(text) + 1):
                    seen = seen or reachable[i]
                    reachable[i] = seen
                continue
            following = [False] * (len(text) + 1)
            for i, char in enumerate(text):
                if not reachable[i]:
                    continue
                if token is _QMARK or (
                    isinstance(token, str)
                    and (char == token or (folded[i] and char.lower() == token.lower()))
                ):
                    following[i + 1] = True
            reachable = following
            if not any(reachable):
                return False
        return reachable[len(text)]


@lru_cache(maxsize=8192)
def _arn_pattern(pieces: tuple[Piece, ...]) -> _ArnPattern:
    return _ArnPattern(pieces)


@lru_cache(maxsize=8192)
def _plain_arn_pattern(pattern: str) -> _ArnPattern:
    return _ArnPattern(((pattern, False),))


def resource_matches(
    pattern: str, arn: str, context: RequestContext, *, variables: bool = True
) -> bool:
    """Whether a Resource/NotResource entry matches a request's resource.

    ``"*"`` matches everything, including resources that are not ARNs (actions without a
    resource type are requested on ``"*"``). Variables are expanded when ``variables``
    (Version 2012-10-17 documents), and only in the resource portion of the ARN (after the
    fifth colon); an unresolved variable without a default never matches.
    """
    if pattern == "*":
        return True
    if variables and has_variables(pattern):
        pieces = expand(pattern, context, literal_before=resource_portion(pattern))
        if pieces is None:
            return False
        return _arn_pattern(pieces).match(arn)
    return _plain_arn_pattern(pattern).match(arn)


# ----------------------------------------------------------------------------- principals

_ACCOUNT_ID = re.compile(r"^\d{12}$")


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and _ACCOUNT_ID.match(parts[4]):
        return parts[4]
    return None


def _aws_value_matches(
    value: str, caller: str, account_of: Callable[[str], str | None] | None
) -> bool:
    if value == "*":
        return True
    if value == caller:
        return True
    account: str | None = None
    if _ACCOUNT_ID.match(value):
        account = value
    else:
        parts = value.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            return False  # a unique id (AROA...) matches only itself
        if parts[2] == "iam" and parts[5] == "root":
            account = parts[4]
        elif parts[2] == "iam" and parts[5].startswith("role/"):
            # A role principal covers the role's sessions. Session ARNs drop the role path:
            # arn:aws:iam::A:role/path/R -> arn:aws:sts::A:assumed-role/R/SESSION
            # ("Role session principals" and "IAM identifiers" in the IAM User Guide).
            name = parts[5].rsplit("/", 1)[-1]
            prefix = f"arn:{parts[1]}:sts::{parts[4]}:assumed-role/{name}/"
            return caller.startswith(prefix) and len(caller) > len(prefix)
        else:
            return False
    caller_account = account_of(caller) if account_of is not None else None
    if caller_account is None:
        caller_account = _arn_account(caller)
    if caller_account is None and _ACCOUNT_ID.match(caller):
        caller_account = caller
    return caller_account == account


def principal_matches(
    principal: Principal,
    request_principal: str,
    *,
    account_of: Callable[[str], str | None] | None = None,
) -> bool:
    """Whether a Principal/NotPrincipal element names the request's principal.

    ``account_of`` maps a principal to its account when the caller is not an ARN (for
    example a unique id); by default the account is read from the ARN.
    """
    if principal.wildcard:
        return True
    for kind, values in principal.values.items():
        if kind == "AWS":
            if any(_aws_value_matches(v, request_principal, account_of) for v in values):
                return True
        elif kind == "Service":
            # Service principal names are DNS names: compared case-insensitively.
            lowered = request_principal.lower()
            if any(v.lower() == lowered for v in values):
                return True
        elif request_principal in values:
            # Federated and CanonicalUser identifiers match exactly.
            return True
    return False
