"""A request's context keys, looked up the way IAM does: key names case-insensitively."""

from __future__ import annotations

from collections.abc import Mapping

from .model import ContextValue


def _as_text(value: str | bool | int | float) -> str:
    # IAM compares every condition value as text; booleans are the strings "true"/"false".
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class RequestContext:
    """Context values by lower-cased key, each a tuple of strings (multi-valued keys keep all)."""

    def __init__(self, values: Mapping[str, ContextValue] | None = None) -> None:
        self._values: dict[str, tuple[str, ...]] = {}
        for key, value in (values or {}).items():
            if isinstance(value, str | bool | int | float):
                items: tuple[str, ...] = (_as_text(value),)
            else:
                items = tuple(_as_text(v) for v in value)
            self._values[key.lower()] = items

    def get(self, key: str) -> tuple[str, ...] | None:
        """The values of ``key``, or None when the request does not carry it."""
        return self._values.get(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._values

    def with_values(self, extra: Mapping[str, ContextValue]) -> RequestContext:
        merged = RequestContext()
        merged._values = dict(self._values)
        merged._values.update(RequestContext(extra)._values)
        return merged
