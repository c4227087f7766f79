"""How the lifecycle configuration's outcome and a wheelhouse read, as text (CLI, magic)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from ...repair.handoff import FORMATS
from ...service.lifecycle import LifecycleResult
from ...service.wheelhouse import Wheelhouse

TITLES = {
    "json": "API requests (JSON)",
    "cli": "AWS CLI",
    "cloudformation": "CloudFormation",
    "terraform": "Terraform",
}


def render_result_text(result: LifecycleResult, formats: Sequence[str] = FORMATS) -> str:
    """The outcome; a hand-off with the change in every format asked for."""
    parts = [result.message]
    parts += [f"warning: {warning}" for warning in result.warnings]
    if result.status == "handoff":
        for fmt in formats:
            text = (result.handoff or {}).get(fmt)
            if text is not None:
                parts += ["", f"==> {TITLES[fmt]} ({fmt})", text.rstrip("\n")]
    return "\n".join(parts)


def render_wheelhouse_text(house: Wheelhouse, then: str | None = None) -> str:
    """What the folder holds, what was left out and why, and the upload command."""
    lines = [f"Wheelhouse {house.folder}: {len(house.wheels)} wheels."]
    lines += [f"  {name}" for name in house.wheels]
    if house.left_out:
        lines.append(f"Left out ({len(house.left_out)}): " + ", ".join(house.left_out))
    lines += [house.note, "", "Upload it to S3:", "  " + shlex.join(house.upload)]
    if then:
        lines += ["Then make the lifecycle configuration that installs from it:", "  " + then]
    return "\n".join(lines)
