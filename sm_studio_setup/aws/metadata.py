"""The Studio resource-metadata document: the first thing discovery reads."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

# Studio writes this file into every JupyterLab / classic Studio app container.
DEFAULT_METADATA_PATH = "/opt/ml/metadata/resource-metadata.json"
# Lets the demo (and tests) point discovery at a document of their own.
METADATA_ENV = "SM_STUDIO_SETUP_METADATA"


@dataclass(frozen=True)
class StudioMetadata:
    domain_id: str | None
    user_profile_name: str | None
    space_name: str | None
    app_type: str | None
    resource_arn: str | None
    execution_role_arn: str | None
    path: str

    @property
    def region(self) -> str | None:
        # arn:aws:sagemaker:<region>:<account>:app/...
        if self.resource_arn and self.resource_arn.count(":") >= 5:
            return self.resource_arn.split(":")[3] or None
        return None


def metadata_path() -> Path:
    return Path(os.environ.get(METADATA_ENV) or DEFAULT_METADATA_PATH)


def read_metadata(path: Path | None = None) -> StudioMetadata | None:
    """Return the metadata document, or None outside Studio (no file, or not a JSON object)."""
    target = path or metadata_path()
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None

    def text(key: str) -> str | None:
        value = doc.get(key)
        return value if isinstance(value, str) and value else None

    return StudioMetadata(
        domain_id=text("DomainId"),
        user_profile_name=text("UserProfileName"),
        space_name=text("SpaceName"),
        app_type=text("AppType"),
        resource_arn=text("ResourceArn"),
        execution_role_arn=text("ExecutionRoleArn"),
        path=str(target),
    )
