"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team, 'none'}``, ``${*}``.

AWS rules this module follows (IAM User Guide, "IAM policy elements: Variables and tags",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):

- A variable is ``${key}``; the key names a request context key and is looked up
  case-insensitively, like every context key.
- ``${key, 'default'}`` supplies a value for a key the request does not carry; whitespace
  around the comma is allowed and the default is written in single quotes.
- ``${*}``, ``${?}`` and ``${$}`` stand for a literal ``*``, ``?`` and ``$`` ("Special
  characters"), so a policy can name a resource whose ARN contains those characters.
- A substituted value is literal: "If the value of a variable contains a wildcard character,
  it is not treated as a wildcard". Substitution happens once; a value that itself contains
  ``${`` is not expanded again.
- A variable whose key is absent (and has no default) makes the element it is in not match
  ("If there is no value... the policy element is not matched" -- "Request information that
  you can use for policy variables").
- Only single-valued keys can be used as variables ("You can't use multivalued keys as policy
  variables"), so a multi-valued key is treated as unresolved.
- Only ``"Version": "2012-10-17"`` policies substitute; callers decide that (see
  ``resource_matches(..., variables=False)``).
- In the Resource element a variable is substituted "only in the resource portion of the ARN.
  This portion of the ARN appears after the fifth colon (:). You can't use a variable to
  replace parts of the ARN before the fifth colon, such as the service or account." Callers
  pass where that portion begins (``expand(..., literal_before=...)``); a ``${...}`` before it
  is kept as written.
"""

from __future__ import annotations

from collections.abc import Iterator

from .context import RequestContext

# (text, literal): literal=True means '*' and '?' in text are NOT wildcards.
Piece = tuple[str, bool]

_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def _closing_brace(text: str, start: int) -> int:
    """Index of the '}' that closes a variable whose body starts at ``start``, or -1.

    A quoted default may contain '}' (``${k, 'a}b'}``), so quotes are skipped.
    """
    in_quote = False
    for i in range(start, len(text)):
        char = text[i]
        if char == "'":
            in_quote = not in_quote
        elif char == "}" and not in_quote:
            return i
    if in_quote:
        # An unbalanced quote: fall back to the first '}' so "${a'}" is still one variable.
        return text.find("}", start)
    return -1


def _split_default(body: str) -> tuple[str, str | None]:
    """Split ``key, 'default'`` into the key and the default (None when absent or malformed)."""
    in_quote = False
    for i, char in enumerate(body):
        if char == "'":
            in_quote = not in_quote
        elif char == "," and not in_quote:
            key = body[:i].strip()
            default = body[i + 1 :].strip()
            if len(default) >= 2 and default[0] == "'" and default[-1] == "'":
                return key, default[1:-1]
            # A default that is not in single quotes is not a default AWS recognises.
            return key, None
    return body.strip(), None


def _add(pieces: list[Piece], text: str, literal: bool) -> None:
    if not text:
        return
    if pieces and pieces[-1][1] == literal:
        pieces[-1] = (pieces[-1][0] + text, literal)
    else:
        pieces.append((text, literal))


def variable_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where the ``${...}`` variables and escapes of ``text`` are: (start, end) index pairs,
    ``end`` just past the closing brace, left to right, as ``expand`` reads them."""
    pos = 0
    while True:
        start = text.find("${", pos)
        if start < 0:
            return
        end = _closing_brace(text, start + 2)
        if end < 0:
            # "${" with no closing brace is not a variable; it stays ordinary text.
            return
        yield start, end + 1
        pos = end + 1


def resource_portion(pattern: str) -> int:
    """Where the resource portion of a Resource/NotResource pattern begins: the index of its
    fifth ':' as written (colons inside ``${...}`` count), or its length when it has fewer.
    AWS substitutes no variable that begins before it."""
    at = -1
    for _ in range(5):
        at = pattern.find(":", at + 1)
        if at < 0:
            return len(pattern)
    return at


def expand(
    template: str, context: RequestContext, *, literal_before: int = 0
) -> tuple[Piece, ...] | None:
    """Substitute the policy variables of ``template`` from ``context``.

    Returns the pieces of the result (pattern text and literal text), or None when a variable
    has no value and no default (the element then does not match). A ``${...}`` that begins
    before index ``literal_before`` is not substituted: it stays as written, as literal text
    (``*`` and ``?`` in it are not wildcards).
    """
    pieces: list[Piece] = []
    pos = 0
    for start, end in variable_spans(template):
        _add(pieces, template[pos:start], False)
        body = template[start + 2 : end - 1]
        if start < literal_before:
            _add(pieces, template[start:end], True)
        elif body in _ESCAPES:
            _add(pieces, _ESCAPES[body], True)
        else:
            key, default = _split_default(body)
            values = context.get(key) if key else None
            if values is not None and len(values) == 1:
                _add(pieces, values[0], True)
            elif default is not None:
                _add(pieces, default, True)
            else:
                return None
        pos = end
    _add(pieces, template[pos:], False)
    return tuple(pieces)


def has_variables(text: str) -> bool:
    """Whether ``text`` contains a ``${...}`` variable or escape."""
    start = text.find("${")
    return start >= 0 and _closing_brace(text, start + 2) >= 0
