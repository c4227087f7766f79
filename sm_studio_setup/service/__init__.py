"""The one service API every surface (sidebar via REST, magic, widgets, CLI) calls."""

from .api import Service

__all__ = ["Service"]
