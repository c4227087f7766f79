"""How a build reads: its progress as it goes, its end as text (CLI, terminal IPython), HTML
(notebooks) and one JSON object (``--json``), and the attach result."""

from __future__ import annotations

import html
import os
from datetime import datetime
from typing import Any

from ...errors import Command, Surface
from ...service.build.engine import BuildEvent
from ...service.build.records import BuildRecord
from ...service.check import Report
from ...service.options import BuildOptions
from .check import render_html as report_html
from .check import render_text as report_text

_MARK = {"SUCCEEDED": "ok", "FAILED": "FAILED", "STOPPED": "stopped", "SKIPPED": "skipped"}


def event_line(event: BuildEvent) -> str | None:
    """One line of progress for a step, phase or warning; None for what is not progress
    (log lines are shown as they are, statuses at the end)."""
    if event.kind == "step":
        if event.state == "IN_PROGRESS":
            return f"{event.name:<9} … {event.message}".rstrip()
        mark = _MARK.get(event.state or "", event.state or "")
        return f"{event.name:<9} {mark}" + (f": {event.message}" if event.message else "")
    if event.kind == "phase":
        state = event.state or ""
        if state == "IN_PROGRESS":
            return f"  phase {event.name}"
        return f"  phase {event.name} {_MARK.get(state, state)}"
    if event.kind == "warning":
        return f"warning: {event.message}"
    if event.kind == "info":
        return event.message
    if event.kind == "status" and event.status == "STOPPING":
        return event.message
    return None


def fix_command(options: BuildOptions) -> Command:
    """The fix for a build's gaps, with the options that decide what the build touches."""
    flags: list[tuple[str, str]] = []
    for name in ("role", "repository", "bucket", "vpc_id", "kms_key_arn"):
        value = getattr(options, name)
        if value:
            flags.append((name, value))
    if options.compute_type != "BUILD_GENERAL1_SMALL":
        flags.append(("compute_type", options.compute_type))
    for name in ("subnet_ids", "security_group_ids"):
        if getattr(options, name):
            flags.append((name, ",".join(getattr(options, name))))
    flags.append(("base_images", os.path.join(options.context, options.dockerfile)))
    if options.engine != "auto":
        # The fix plans for the engine asked for (auto is chosen again, as the build chose).
        flags.append(("engine", options.engine))
    body = {
        k: v
        for k, v in (
            ("role", options.role),
            ("repository", options.repository),
            ("bucket", options.bucket),
            ("vpc_id", options.vpc_id),
            ("kms_key_arn", options.kms_key_arn),
            ("engine", options.engine if options.engine != "auto" else None),
        )
        if v
    }
    return Command("fix", tuple(flags), "POST fix/plan", body)


def _seconds(phase: dict[str, Any]) -> float | None:
    if phase.get("durationInSeconds") is not None:
        return float(phase["durationInSeconds"])
    start, end = phase.get("startTime"), phase.get("endTime")
    if start and end:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return None


def phases(record: BuildRecord) -> list[dict[str, Any]]:
    return [
        {
            "name": p.get("phaseType"),
            "status": p.get("phaseStatus"),
            "started": p.get("startTime"),
            "ended": p.get("endTime"),
            "seconds": _seconds(p),
        }
        for p in record.phases
    ]


def summary_json(record: BuildRecord) -> dict[str, Any]:
    """The one object ``build --json`` prints."""
    return {
        "status": record.status,
        "build_id": record.id,
        "codebuild_id": record.codebuild_id,
        "engine": record.engine,
        "engine_reason": record.engine_reason,
        "image_uri": record.image_uri,
        "digest": record.digest,
        "inputs_digest": record.inputs_digest,
        "inputs_tag": record.inputs_tag,
        "unchanged_since": record.unchanged_since,
        "retagged": record.retagged,
        "bytes_uploaded": record.bytes_uploaded,
        "files": record.files,
        "ignored": record.ignored,
        "phases": phases(record),
        "steps": [
            {"name": s.name, "status": s.status, "started": s.started, "ended": s.ended}
            for s in record.steps
        ],
        "message": record.message,
        "reason": record.reason,
        "warnings": record.warnings,
        "cleaned": record.cleaned,
        "attach": record.attach,
        "preflight": record.preflight,
        "error": record.error,
    }


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value):,} bytes" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    return str(size)


def _phase_line(record: BuildRecord) -> str:
    shown = []
    for p in phases(record):
        if p["name"] == "COMPLETED":
            continue
        took = f" {p['seconds']:.0f}s" if p["seconds"] is not None else ""
        mark = "" if p["status"] in (None, "SUCCEEDED") else f" {p['status']}"
        shown.append(f"{p['name']}{took}{mark}")
    return ", ".join(shown)


def render_text(record: BuildRecord, options: BuildOptions, surface: Surface = "cli") -> str:
    lines = [
        f"{record.status}  {record.id}"
        + (f"  ({record.codebuild_id})" if record.codebuild_id else "")
    ]
    if record.message:
        lines.append(record.message)
    if record.engine:
        reason = record.engine_reason.partition(": ")[2] or record.engine_reason
        lines.append(f"Engine    {record.engine}" + (f" — {reason}" if reason else ""))
    if record.reason == "preflight" and record.preflight:
        report = Report.from_json(record.preflight)
        lines += ["", report_text(report, surface, fix=fix_command(options))]
    if record.image_uri and record.digest:
        lines += [f"Image     {record.image_uri}", f"Digest    {record.digest}"]
    if record.bytes_uploaded:
        sent = "Sent    " if record.engine == "local" else "Uploaded"
        lines.append(
            f"{sent}  {_size(record.bytes_uploaded)} ({record.files:,} files; "
            f"{record.ignored:,} left out by .dockerignore)"
        )
    if record.phases:
        lines.append(f"Phases    {_phase_line(record)}")
    if record.attach:
        lines.append(f"Attached  {record.attach.get('message', '')}")
    if not record.cleaned and (record.project or record.uploaded):
        lines.append(
            f"Left behind: project {record.project or '—'}, "
            f"s3://{record.bucket}/{record.key} (see the warnings above)."
        )
    return "\n".join(lines)


def render_html(record: BuildRecord, options: BuildOptions) -> str:
    status = html.escape(record.status)
    parts = [
        f"<div class='sm-setup-build sm-setup-build-{status.lower()}'>",
        f"<p><b>{status}</b> <code>{html.escape(record.id)}</code> "
        f"{html.escape(record.message)}</p>",
    ]
    if record.image_uri and record.digest:
        parts.append(
            f"<p>Image <code>{html.escape(record.image_uri)}</code><br>"
            f"Digest <code>{html.escape(record.digest)}</code></p>"
        )
    rows = "".join(
        f"<tr><td>{html.escape(str(p['name']))}</td><td>{html.escape(str(p['status']))}</td>"
        f"<td>{_took(p['seconds'])}</td></tr>"
        for p in phases(record)
    )
    if rows:
        parts.append(
            f"<table><thead><tr><th>phase</th><th>status</th><th>took</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )
    if record.reason == "preflight" and record.preflight:
        parts.append(report_html(Report.from_json(record.preflight), fix=fix_command(options)))
    for warning in record.warnings:
        parts.append(f"<p class='sm-setup-warning'>warning: {html.escape(warning)}</p>")
    parts.append("</div>")
    return "".join(parts)


def _took(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.0f} s"


def exit_code(record: BuildRecord) -> int:
    """0 built, 1 the build failed or was stopped, 2 an error, 3 the preflight found gaps."""
    if record.status == "SUCCEEDED":
        return 0
    if record.reason == "preflight":
        return 3
    if record.reason == "error":
        return 2
    return 1


def render_attach_text(result: dict[str, Any]) -> str:
    lines = [str(result.get("message", ""))]
    lines += [f"Studio would refuse or fail: {f}" for f in result.get("findings", [])]
    lines += [f"warning: {w}" for w in result.get("warnings", [])]
    return "\n".join(lines)
