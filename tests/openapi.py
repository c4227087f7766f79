"""Validate REST responses against the repository's openapi.yaml (OpenAPI 3.1 = JSON Schema)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC = Path(__file__).resolve().parents[1] / "openapi.yaml"


@cache
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def validate(body: Any, schema_name: str) -> None:
    # The whole document is the root so that "#/components/..." references resolve.
    schema = {**spec(), "$ref": f"#/components/schemas/{schema_name}"}
    jsonschema.Draft202012Validator(schema).validate(body)
