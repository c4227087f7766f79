"""The notebook panel (``%sm_setup panel``, ``sm_studio_setup.panel()``): ipywidgets on the
service API, imported only when a panel is made so the CLI and the magic stay cheap."""

from __future__ import annotations

from typing import Any

from .panel import Panel

__all__ = ["Panel", "panel"]


def panel(**defaults: Any) -> Panel:
    """A new panel; ``defaults`` fill its fields (``profile``, ``role``, ``repository``,
    ``bucket``, ``context``, ``compute_type``, ``platform``, ``engine``: auto, local or
    codebuild; ``region`` picks the region)."""
    return Panel(**defaults)
