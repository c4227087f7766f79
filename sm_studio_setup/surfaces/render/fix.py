"""How a fix plan and its outcome read, as text (CLI, terminal IPython) and HTML (notebooks)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from ...errors import Surface, undo_command
from ...repair.handoff import FORMATS
from ...repair.plan import Plan
from ...service.backups import Backup
from ...service.fix import FixResult, UndoPlan

_FORMAT_TITLES = {
    "json": "Policy JSON",
    "cli": "AWS CLI",
    "cloudformation": "CloudFormation",
    "terraform": "Terraform",
}


def _summary(plan: Plan) -> list[str]:
    lines: list[str] = []
    if plan.trust_after is not None:
        services = ", ".join(sorted({r.principal or "" for r in plan.trusted}))
        lines.append(f"trust policy: let {services} assume the role; every statement stays")
    if plan.policy_after is not None:
        verb = "merge into" if plan.policy_before is not None else "create"
        unverified = f", {len(plan.unverified)} unverified" if plan.unverified else ""
        lines.append(
            f"inline policy {plan.policy_name}: {verb}, granting {len(plan.granted)} "
            f"permission{'s' if len(plan.granted) != 1 else ''}{unverified}"
        )
    return lines


def render_plan_text(plan: Plan) -> str:
    lines = [f"Fix plan {plan.id} for role {plan.role_name} (profile {plan.profile})"]
    summary = _summary(plan)
    if not summary:
        lines.append("  nothing to change: the role already has what this fix could add")
    lines.extend(f"  {line}" for line in summary)
    for quota in plan.quotas:
        mark = "QUOTA" if quota.blocking else "quota"
        lines.append(f"{mark}: {quota.message}")
    if plan.blocked:
        lines.append("Not fixable here (the check will still show these):")
        lines.extend(f"  - {item}" for item in plan.blocked)
    lines.extend(f"note: {note}" for note in plan.notes)
    diff = plan.diff()
    if diff:
        lines += ["", diff.rstrip("\n")]
    return "\n".join(lines)


def render_handoff_text(result: FixResult, formats: tuple[str, ...] = FORMATS) -> str:
    parts = [result.message]
    for fmt in formats:
        text = (result.handoff or {}).get(fmt)
        if text is not None:
            parts += ["", f"==> {_FORMAT_TITLES[fmt]} ({fmt})", text.rstrip("\n")]
    return "\n".join(parts)


def _undo_line(result: FixResult, surface: Surface) -> str:
    if result.backup_id is None or result.status != "applied":
        return ""
    return f"Undo with `{undo_command(result.backup_id).spell(surface)}`."


def render_fix_text(
    plan: Plan,
    result: FixResult | None,
    formats: tuple[str, ...] = FORMATS,
    surface: Surface = "cli",
) -> str:
    """The plan, then what became of it: not applied, applied (with its backup and how to
    undo it on ``surface``), or handed off (with the change in ``formats``)."""
    parts = [render_plan_text(plan)]
    if result is None:
        if plan.applicable:
            # The same line again, so every option the plan was made with still applies.
            parts.append("Nothing was written. Run again with --apply to make this change.")
    elif result.status == "handoff":
        parts.append(render_handoff_text(result, formats))
    else:
        message = result.message
        undo = _undo_line(result, surface)
        if undo:
            message += f" {undo}"
        if result.backup is not None:
            message += f"\nBackup of the previous documents: {result.backup['path']}"
        parts.append(message)
    return "\n\n".join(parts)


def render_undo_plan_text(plan: UndoPlan, surface: Surface = "cli") -> str:
    """What an undo would write, before it writes: the diff, and how to go ahead."""
    role = plan.role_arn
    if plan.empty:
        return f"{role} already has the documents backup {plan.backup_id} holds: nothing to undo."
    lines = [f"Undo of backup {plan.backup_id} for role {role} would write:", ""]
    lines.append(plan.diff().rstrip("\n"))
    lines.append("")
    if plan.changed_since:
        changed = " and ".join(plan.changed_since)
        lines.append(
            f"{changed[:1].upper()}{changed[1:]} changed since the fix: the undo would lose that "
            "change, and needs --force as well."
        )
    lines.append("Nothing was written. Run again with --apply to restore these documents.")
    return "\n".join(lines)


def render_backups_text(found: Sequence[Backup]) -> str:
    if not found:
        return "No backups yet: one is saved before every change a fix or an undo makes."
    lines: list[str] = []
    for backup in found:
        labels = ", ".join(d.label for d in backup.documents)
        lines.append(f"{backup.id}  {backup.operation:<4}  {backup.outcome:<14} {backup.role_arn}")
        lines.append(f"{'':<24}{labels}")
    return "\n".join(lines)


def render_plan_html(plan: Plan, result: FixResult | None = None) -> str:
    summary = _summary(plan) or ["nothing to change: the role already has what this fix adds"]
    items = "".join(f"<li>{html.escape(line)}</li>" for line in summary)
    quotas = "".join(f"<p><b>Quota:</b> {html.escape(q.message)}</p>" for q in plan.quotas)
    blocked = ""
    if plan.blocked:
        blocked = (
            "<p>Not fixable here:</p><ul>"
            + "".join(f"<li>{html.escape(b)}</li>" for b in plan.blocked)
            + "</ul>"
        )
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in plan.notes)
    diff = plan.diff()
    diff_html = f"<pre>{html.escape(diff)}</pre>" if diff else ""
    outcome = ""
    if result is not None:
        undo = _undo_line(result, "magic")
        outcome = f"<p><b>{html.escape(result.message)}</b> {html.escape(undo)}</p>"
        for fmt in FORMATS:
            text = (result.handoff or {}).get(fmt)
            if text is not None:
                outcome += (
                    f"<details><summary>{_FORMAT_TITLES[fmt]}</summary>"
                    f"<pre>{html.escape(text)}</pre></details>"
                )
    role = html.escape(plan.role_name)
    return (
        f"<p><b>Fix plan {html.escape(plan.id)}</b> for role <code>{role}</code> "
        f"(profile {html.escape(plan.profile)})</p><ul>{items}</ul>"
        f"{quotas}{blocked}{notes}{outcome}{diff_html}"
    )
