"""An emulated image's config and id, shared by both docker stand-ins.

The config is a canonical JSON of what decides the image: the context's files (each path with
the SHA-256 of its bytes, or of its link target: links are never followed), the Dockerfile's
text and the build arguments, plus (Engine API builds only) labels, target and platform. The
id is the SHA-256 of that JSON, which is also the image's config blob when pushed, so the id is
the config digest a registry computes, as with Docker.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any


def canonical_config(
    files: Iterable[tuple[str, str]],
    dockerfile: str,
    args: Mapping[str, str],
    extra: Mapping[str, Any] | None = None,
) -> str:
    """``extra`` members are added only when given, so the CLI stand-in's ids stay as they were."""
    document: dict[str, Any] = {
        "build_args": sorted([k, v] for k, v in args.items()),
        "dockerfile": dockerfile,
        "files": sorted([p, h] for p, h in files),
    }
    document.update({k: v for k, v in (extra or {}).items() if v})
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def image_id(config: str) -> str:
    return "sha256:" + hashlib.sha256(config.encode()).hexdigest()
