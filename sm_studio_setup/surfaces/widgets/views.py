"""The panel's HTML: what the service returned, escaped. Pure: no ipywidgets, no AWS.

Every value that reaches HTML passes ``html.escape`` here, also the ones the service checked,
so a value the grammar let through can still never open a tag in the notebook.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ...errors import INPUTS, SetupError
from ...service.check import Finding, Report

MARKS = {"allowed": "✓", "missing": "✗", "blocked": "⊘", "unknown": "?"}
_WHO = {
    "caller": "you (the role, starting the build)",
    "build": "CodeBuild (the role, running the build)",
}
_HEADLINE = {
    "ready": "The role has everything this workflow needs.",
    "gaps": "The role lacks what the steps below need: plan the fix.",
    "unknown": "Some requirements could not be established (see below).",
}

# The service's input names the panel has a field for, and the field's label: a hint then
# points at the field, not at a %sm_setup option the user never typed.
FIELDS = {
    "profile": "Profile",
    "role": "Role",
    "repository": "Repository",
    "bucket": "Bucket",
    "context": "Context folder",
    "compute_type": "Compute type",
    "platform": "Platform",
    "engine": "Engine",
    "image_uri": "Image URI",
    "image_name": "Image name",
    "app_type": "App type",
    "scope": "Scope",
}
# What a field takes, where the panel offers less than the command line.
_WHAT = {"engine": "auto, local or codebuild"}

# How the panel names an engine (the sidebar's words).
ENGINE_NAMES = {
    "auto": "auto",
    "local": "Studio's Docker",
    "codebuild": "CodeBuild",
    "sm-docker": "sm-docker (CodeBuild)",
}
# Where a build with the Engine field's choice runs, before a check or a build has said.
ENGINE_INTENTS = {
    "auto": "on Studio's Docker when this space has it and the domain allows it, else on "
    "CodeBuild (Check says which, and why)",
    "local": "on Studio's Docker in this space",
    "codebuild": "on CodeBuild",
}
# What the panel says of a build that finds its image already built.
REUSE_NOTE = (
    "An image of exactly these inputs already in the repository is reused, not rebuilt: a "
    "base image named by a moving tag (FROM …:latest) is then not pulled again. Rebuild "
    "anyway builds afresh."
)


def hint_of(exc: SetupError) -> str:
    label = FIELDS.get(exc.field or "")
    if label is None:
        return exc.hint_for("magic")
    spec = INPUTS.get(exc.field or "")
    what = _WHAT.get(exc.field or "") or (spec.what if spec is not None else "")
    what = f" ({what})" if what else ""
    where = f"the {label} field"
    if "{option}" in exc.hint:
        hint = exc.hint.replace("{option}", where)
    else:
        hint = f"Change {where}{what}. {exc.hint}".strip()
    # A follow-up command is still spelled for the %sm_setup line: the notebook runs those.
    return SetupError(exc.message, hint, command=exc.command).hint_for("magic")


def error_html(exc: SetupError) -> str:
    hint = hint_of(exc)
    return (
        f"<div class='sm-setup-error-message'><b>{escape(exc.message)}</b>"
        + (f"<br>{escape(hint)}" if hint else "")
        + "</div>"
    )


def unexpected_html(exc: BaseException) -> str:
    # A bug of ours, or of a library: one line, never a traceback in the cell.
    first = (str(exc).strip().splitlines() or [""])[0]
    text = f"Unexpected error ({type(exc).__name__}{': ' + first if first else ''})."
    return f"<div class='sm-setup-error-message'><b>{escape(text)}</b></div>"


def engine_why(reason: str | None) -> str:
    """The service's "local: why" reason, without the engine it starts with."""
    text = reason or ""
    return text.partition(": ")[2] or text


def engine_html(engine: str | None, reason: str | None, lead: str = "Builds on") -> str:
    """``Builds on Studio's Docker (local): why``; empty when no engine was chosen."""
    if not engine:
        return ""
    name = ENGINE_NAMES.get(engine, engine)
    named = name if name == engine else f"{name} ({engine})"
    why = engine_why(reason)
    return (
        f"<p class='sm-setup-engine-text'>{escape(lead)} <b>{escape(named)}</b>"
        + (f": {escape(why)}" if why else "")
        + "</p>"
    )


def intent_html(engine: str) -> str:
    """Where a build with the Engine field's ``engine`` runs, before anything has said."""
    where = ENGINE_INTENTS.get(engine, f"on {engine}")
    return f"<p class='sm-setup-engine-text'>Builds {escape(where)}.</p>"


def identity_html(identity: Any) -> str:
    """``whoami()``'s Identity: the role, and where in Studio it runs."""
    parts = [
        f"role <code>{escape(str(identity.role_arn or 'none (not a role session)'))}</code>",
        f"account {escape(identity.account)}",
        f"region {escape(identity.region)}",
    ]
    if identity.domain_id:
        parts.append(f"domain {escape(identity.domain_id)}")
    if identity.user_profile:
        parts.append(f"user profile {escape(identity.user_profile)}")
    badge = " <b>Demo — no AWS account is used</b>" if identity.demo else ""
    return f"<div class='sm-setup-identity-text'>{' · '.join(parts)}{badge}</div>"


def _who(f: Finding) -> str:
    if f.who == "trust":
        return f"{f.principal or 'a service'} (trust policy)"
    return _WHO.get(f.who, f.who)


def _detail(f: Finding) -> str:
    premise = f" {f.premise}" if f.premise else ""
    if f.status in ("missing", "blocked"):
        return (f"{f.why} Fix: {f.fix}." if f.fix else f.why) + premise
    if f.status == "unknown":
        return f"{f.why} Could not tell: {f.evidence}"
    return f.why + premise


def _row(f: Finding) -> str:
    target = (f.principal or "") if f.who == "trust" else f.resource
    optional = " <i>(optional)</i>" if f.optional else ""
    cells = (
        f"<td class='sm-setup-mark' title='{escape(f.status)}'>{MARKS.get(f.status, '?')}</td>",
        f"<td>{escape(_who(f))}</td>",
        f"<td><code>{escape(f.action)}</code>{optional}</td>",
        f"<td><code>{escape(target)}</code></td>",
        f"<td>{escape(_detail(f))}</td>",
        f"<td>{escape(f.source)}</td>",
    )
    css = f"sm-setup-finding sm-setup-finding-{escape(f.status)}"
    if f.optional:
        css += " sm-setup-finding-optional"
    return f"<tr class='{css}'>{''.join(cells)}</tr>"


def report_html(report: Report) -> str:
    """The findings grouped by the workflow step that fails without them, then the lint."""
    steps: dict[str, list[Finding]] = {}
    for f in report.findings:
        steps.setdefault(f.step, []).append(f)
    role = escape(str(report.identity.get("role_arn")))
    parts = [
        f"<p class='sm-setup-headline'>{escape(_HEADLINE.get(report.verdict, ''))}<br>"
        f"role <code>{role}</code>, profile {escape(report.profile)}</p>"
    ]
    if report.engine:
        parts.append(engine_html(report.engine, report.engine_reason, "A build runs on"))
    for step, findings in steps.items():
        parts.append(
            f"<div class='sm-setup-step'><b>{escape(step)}</b><table>"
            + "".join(_row(f) for f in findings)
            + "</table></div>"
        )
    if report.lint:
        items = "".join(
            f"<li class='sm-setup-lint-{escape(item.get('severity', ''))}'>"
            f"{escape(item.get('severity', ''))} <code>{escape(item.get('policy', ''))}</code> "
            f"{escape(item.get('path', ''))}: {escape(item.get('message', ''))}</li>"
            for item in report.lint
        )
        parts.append(
            "<div class='sm-setup-lint'><b>Lint of the role's inline policies</b>"
            f"<ul>{items}</ul></div>"
        )
    parts.extend(f"<p class='sm-setup-note'>note: {escape(n)}</p>" for n in report.notes)
    return "".join(parts)


def lines_html(lines: list[str], css: str) -> str:
    return "".join(f"<p class='{css}'>{escape(line)}</p>" for line in lines if line)


def unchanged_text(record: Any) -> str:
    """A build that found its image: since when, and that a moving base tag was not pulled
    again (the service's sentence, as %sm_setup spells it), then the panel's button."""
    from ...service.build.inputs import unchanged_message

    since = record.unchanged_since or {}
    message = unchanged_message(since, record.image_uri or "", record.retagged, "magic")
    return f"{message} Rebuild anyway does that from here."


def build_html(record: Any) -> str:
    """A build's end (its ``BuildRecord``): what happened, where it ran, the image, the
    phases; for a build that found its image, since when (and Rebuild anyway beside it)."""
    from ..render.build import phases

    unchanged = record.reason == "unchanged"
    message = "" if unchanged else f" {escape(record.message)}"
    parts = [f"<p><b>{escape(record.status)}</b> <code>{escape(record.id)}</code>{message}</p>"]
    if unchanged:
        parts.append(f"<p class='sm-setup-unchanged'>{escape(unchanged_text(record))}</p>")
    parts.append(engine_html(record.engine, record.engine_reason, "Engine:"))
    if record.image_uri and record.digest:
        parts.append(
            f"<p>Image <code>{escape(record.image_uri)}</code><br>"
            f"Digest <code>{escape(record.digest)}</code></p>"
        )
    shown = [p for p in phases(record) if p["name"] != "COMPLETED"]
    if shown:
        cells = ", ".join(
            escape(str(p["name"]))
            + (f" {p['seconds']:.0f}s" if p["seconds"] is not None else "")
            + ("" if p["status"] in (None, "SUCCEEDED") else f" {escape(str(p['status']))}")
            for p in shown
        )
        parts.append(f"<p>Phases: {cells}</p>")
    if record.reason == "preflight" and record.preflight:
        parts.append(report_html(Report.from_json(record.preflight)))
        parts.append("<p>Plan the fix with the same fields, apply it, then build again.</p>")
    parts.append(lines_html([f"warning: {w}" for w in record.warnings], "sm-setup-warning"))
    return "".join(parts)
