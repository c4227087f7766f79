"""The panel's fix: the plan and its diff, Apply only after Confirm apply, the hand-off in
four tabs when the role may not change itself, and Undo after a write."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as widgets

from ...errors import SetupError
from ...repair.plan import Plan
from ...service.fix import FixResult
from ..render.fix import render_plan_html
from .base import PanelBase, button, show, with_class
from .views import error_html, lines_html

HANDOFF_TABS = (
    ("json", "Policy JSON"),
    ("cli", "AWS CLI"),
    ("cloudformation", "CloudFormation"),
    ("terraform", "Terraform"),
)


class FixSteps(PanelBase):
    current_plan: Plan | None
    fix_result: FixResult | None
    backup_id: str | None

    def _make_fix(self) -> None:
        self.current_plan = self.fix_result = self.backup_id = None
        self.fix_button = button("Plan the fix", "sm-setup-fix")
        self.apply_button = button("Apply…", "sm-setup-apply", "warning", disabled=True)
        self.undo_button = button("Undo", "sm-setup-undo")
        self.confirm_view = widgets.HTML()
        self.confirm_apply_button = button("Confirm apply", "sm-setup-confirm-apply", "danger")
        self.cancel_apply_button = button("Cancel", "sm-setup-cancel-apply")
        self.confirm_box = with_class(
            widgets.VBox(
                [
                    self.confirm_view,
                    widgets.HBox([self.confirm_apply_button, self.cancel_apply_button]),
                ]
            ),
            "sm-setup-confirm",
        )
        self.plan_view = with_class(widgets.HTML(), "sm-setup-plan")
        self.fix_view = with_class(widgets.HTML(), "sm-setup-fix-result")
        self.handoff_texts = {
            fmt: with_class(
                widgets.Textarea(layout=widgets.Layout(width="100%", height="20em")),
                f"sm-setup-handoff-{fmt}",
            )
            for fmt, _ in HANDOFF_TABS
        }
        self._handoff: dict[str, str] = {}
        for fmt, area in self.handoff_texts.items():
            area.observe(lambda change, fmt=fmt: self._keep_handoff(change, fmt), "value")
        self.handoff = with_class(
            widgets.Tab(
                children=list(self.handoff_texts.values()),
                titles=tuple(title for _, title in HANDOFF_TABS),
            ),
            "sm-setup-handoff",
        )
        for hidden in (self.undo_button, self.confirm_box, self.handoff):
            show(hidden, False)
        self.fix_button.on_click(lambda _: self.plan(wait=False))
        self.apply_button.on_click(lambda _: self.apply(confirmed=False))
        self.confirm_apply_button.on_click(lambda _: self.apply(confirmed=True, wait=False))
        self.cancel_apply_button.on_click(lambda _: show(self.confirm_box, False))
        self.undo_button.on_click(lambda _: self.undo(wait=False))

    def _fix_layout(self) -> list[Any]:
        return [
            widgets.HBox([self.fix_button, self.apply_button, self.undo_button]),
            self.confirm_box,
            self.fix_view,
            self.handoff,
            self.plan_view,
        ]

    def _sync_fix(self) -> None:
        fixing, plan = self._ops.running("fix"), self.current_plan
        self.fix_button.disabled = self.undo_button.disabled = fixing
        self.apply_button.disabled = fixing or plan is None or not plan.applicable
        self.confirm_apply_button.disabled = self.cancel_apply_button.disabled = fixing

    def plan(self, wait: bool = True) -> Plan | None:
        """Plan the fix for the fields' workflow and show its diff; nothing is written."""
        return self._start("fix", self._plan, wait)

    def _plan(self) -> Plan:
        options = self.check_options()
        self.current_plan = None
        show(self.confirm_box, False)
        show(self.handoff, False)
        self.fix_view.value = ""
        self.plan_view.value = "<p>Planning…</p>"
        try:
            plan = self.service.fix_plan(options)
        except BaseException:
            self.plan_view.value = ""
            raise
        self.current_plan = plan
        self.plan_view.value = render_plan_html(plan)
        self._sync()
        return plan

    def apply(self, confirmed: bool = False, wait: bool = True) -> FixResult | None:
        """Without ``confirmed``, ask (the Confirm apply button); with it, write the plan."""
        plan = self.current_plan
        if plan is None or not plan.applicable:
            self._show_error(
                error_html(SetupError("There is no change to apply.", "Plan the fix first."))
            )
            return None
        if not confirmed:
            self.confirm_view.value = (
                f"<p>Write the change below to role <code>{escape(plan.role_name)}</code>? "
                "The documents it replaces are saved first, so Undo can restore them.</p>"
            )
            show(self.confirm_box, True)
            return None
        show(self.confirm_box, False)
        return self._start("fix", lambda: self._apply(plan), wait)

    def _apply(self, plan: Plan) -> FixResult:
        self.fix_view.value = "<p>Applying…</p>"
        try:
            result = self.service.fix_apply(plan)
        except BaseException:
            self.fix_view.value = ""
            raise
        # One plan, one write: a further change needs a plan of the role as it is then.
        self.current_plan = None
        self.fix_result = result
        self.fix_view.value = lines_html([result.message], "sm-setup-fix-message")
        if result.status == "handoff":
            self._handoff = dict(result.handoff or {})
            for fmt, area in self.handoff_texts.items():
                area.value = self._handoff.get(fmt, "")
            show(self.handoff, True)
            return result
        if result.status == "applied" and result.backup_id:
            self.backup_id = result.backup_id
            self.fix_view.value += lines_html(
                [f"Backup {result.backup_id} holds what was replaced: Undo restores it."],
                "sm-setup-backup",
            )
            show(self.undo_button, True)
        self._recheck()
        return result

    def _keep_handoff(self, change: dict[str, Any], fmt: str) -> None:
        # Read-only, yet selectable for copying (a disabled textarea is not, in every browser).
        kept = self._handoff.get(fmt, "")
        if change["new"] != kept:
            change["owner"].value = kept

    def undo(self, wait: bool = True) -> FixResult | None:
        """Restore the documents the last apply replaced."""
        backup_id = self.backup_id
        if backup_id is None:
            self._show_error(error_html(SetupError("There is nothing to undo.")))
            return None
        return self._start("fix", lambda: self._undo(backup_id), wait)

    def _undo(self, backup_id: str) -> FixResult:
        result = self.service.fix_undo(backup_id)
        self.backup_id = None
        show(self.undo_button, False)
        self.fix_result = result
        self.fix_view.value = lines_html([result.message], "sm-setup-fix-message")
        self._recheck()
        return result
