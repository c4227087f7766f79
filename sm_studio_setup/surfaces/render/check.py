"""How a check report reads, as text (CLI, terminal IPython) and HTML (notebooks)."""

from __future__ import annotations

import html

from ...errors import Command, Surface
from ...service.check import Finding, Report

_MARK = {"allowed": "ok", "missing": "MISSING", "blocked": "BLOCKED", "unknown": "unknown"}
_HEADLINE = {
    "ready": "Ready: the role has everything this workflow needs.",
    "gaps": "Gaps: the role lacks what the steps below need.",
    "unknown": "Unknown: some requirements could not be established (see below).",
}


def engine_line(report: Report) -> str:
    """``local — this space has Studio's Docker ...``: the engine, then why."""
    reason = report.engine_reason or ""
    prefix = f"{report.engine}: "
    return f"{report.engine} — {reason[len(prefix) :] if reason.startswith(prefix) else reason}"


def _target(f: Finding) -> str:
    return f.principal or "" if f.who == "trust" else f.resource


def _next_step(report: Report, surface: Surface, fix: Command | None = None) -> str:
    if report.verdict != "gaps":
        return ""
    command = (fix or Command("fix", (("profile", report.profile),))).spell(surface)
    return f"Close the gaps: `{command}` plans the change (and --apply makes it)."


def render_text(report: Report, surface: Surface = "cli", fix: Command | None = None) -> str:
    """The report; ``fix`` is the command that closes its gaps, when the check had options
    beyond the profile (a build's repository, bucket, VPC...)."""
    who = report.identity
    lines = [
        _HEADLINE[report.verdict],
        f"role {who.get('role_arn')} ({who.get('how')}), profile {report.profile}",
    ]
    if report.engine:
        lines.append(f"Engine: {engine_line(report)}")
    lines.append("")
    step = None
    for f in report.findings:
        if f.step != step:
            step = f.step
            lines.append(f"{step}:")
        optional = " (optional)" if f.optional else ""
        lines.append(
            f"  {_MARK[f.status]:<8} {f.who:<7} {f.action} {_target(f)}{optional} [{f.source}]"
        )
        if f.status in ("missing", "blocked"):
            lines.append(f"           {f.why} Fix: {f.fix}.")
        elif f.status == "unknown":
            lines.append(f"           could not tell: {f.evidence}")
        if f.premise and f.premise.startswith("Unconfirmed"):
            lines.append(f"           {f.premise}")
    for item in report.lint:
        lines.append(f"lint {item['severity']} {item['policy']} {item['path']}: {item['message']}")
    lines.extend(f"note: {note}" for note in report.notes)
    step = _next_step(report, surface, fix)
    if step:
        lines += ["", step]
    return "\n".join(lines)


_COLUMNS = ("step", "status", "who", "action", "resource", "how known", "why", "fix / evidence")


def render_html(report: Report, fix: Command | None = None) -> str:
    rows = []
    for f in report.findings:
        detail = f.fix if f.status in ("missing", "blocked") else f.evidence
        if f.premise:
            detail += f" — {f.premise}"
        cells = [
            html.escape(f.step),
            f"<b>{html.escape(_MARK.get(f.status, f.status))}</b>",
            html.escape(f.who),
            f"<code>{html.escape(f.action)}</code>",
            f"<code>{html.escape(_target(f))}</code>",
            html.escape(f.source),
            html.escape(f.why),
            html.escape(detail),
        ]
        body = "".join(f"<td>{cell}</td>" for cell in cells)
        rows.append(f"<tr class='sm-setup-{html.escape(f.status, quote=True)}'>{body}</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _COLUMNS)
    role = html.escape(str(report.identity.get("role_arn")))
    step = _next_step(report, "magic", fix)
    engine = f"<br>Engine: {html.escape(engine_line(report))}" if report.engine else ""
    return (
        f"<p><b>{html.escape(_HEADLINE[report.verdict])}</b><br>role <code>{role}</code>"
        f"{engine}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + (f"<p>{html.escape(step)}</p>" if step else "")
    )
