"""The panel's build (where it runs and why, status, progress, log, the image URI; Cancel
build stops it; Rebuild anyway after a build that found its image) and the attach of the built
image to Studio (asking its name and app type first)."""

from __future__ import annotations

import threading
from dataclasses import replace
from html import escape
from typing import Any

import ipywidgets as widgets

from ...errors import BadInput, SetupError
from ...requirements.studio_kernel import sagemaker_name
from ...service.attach import AttachResult
from ...service.build.engine import BuildEvent
from ...service.build.records import BuildRecord, Records
from ...service.check import CheckOptions, Report
from ...service.options import AttachOptions, BuildOptions, default_image_name
from ..arguments import poll_seconds
from ..render.build import event_line
from .base import PanelBase, button, dropdown, given, show, text, with_class
from .progress import LogView, Progress
from .views import REUSE_NOTE, build_html, engine_html, error_html, intent_html, lines_html

APP_TYPES = ("JupyterLab", "CodeEditor")


class BuildSteps(PanelBase):
    record: BuildRecord | None
    attach_result: AttachResult | None
    _built: BuildOptions | None
    _records: Records | None

    def _make_build(self) -> None:
        self.record = self.attach_result = self._built = self._records = None
        # Where a build would run: as the last check of image-build said, else as the Engine
        # field asks (the check's word holds until the field changes).
        self.engine_view = with_class(
            widgets.HTML(intent_html(self.engine_field.value)), "sm-setup-build-engine-intent"
        )
        self.reuse_note = with_class(
            widgets.HTML(f"<p class='sm-setup-note'>{escape(REUSE_NOTE)}</p>"),
            "sm-setup-reuse-note",
        )
        self.build_button = button("Build", "sm-setup-build", "primary")
        self.cancel_build_button = button(
            "Cancel build", "sm-setup-cancel-build", "warning", disabled=True
        )
        self.build_status = with_class(widgets.Label(), "sm-setup-build-status")
        self.build_engine = with_class(widgets.HTML(), "sm-setup-build-engine")
        self.build_progress = with_class(widgets.IntProgress(), "sm-setup-build-progress")
        self.build_step = with_class(widgets.Label(), "sm-setup-build-step")
        self.build_log = with_class(
            widgets.Output(layout=widgets.Layout(max_height="24em", overflow="auto")),
            "sm-setup-build-log",
        )
        self.image_uri = with_class(widgets.Label(), "sm-setup-image-uri")
        self.build_view = with_class(widgets.HTML(), "sm-setup-build-summary")
        self.rebuild_button = button("Rebuild anyway", "sm-setup-rebuild", "warning")
        show(self.rebuild_button, False)
        self.progress = Progress(self.build_progress)
        self.log_view = LogView(self.build_log)

        self.attach_button = button("Attach…", "sm-setup-attach")
        self.attach_uri_field = text("sm-setup-attach-image-uri", "Image URI", "")
        self.attach_name_field = text("sm-setup-attach-image-name", "Image name", "")
        self.app_type_field = dropdown("sm-setup-attach-app-type", "App type", APP_TYPES)
        self.scope_field = dropdown("sm-setup-attach-scope", "Scope", ("domain", "user-profile"))
        self.confirm_attach_button = button("Attach", "sm-setup-confirm-attach", "primary")
        self.cancel_attach_button = button("Cancel", "sm-setup-cancel-attach")
        self.attach_box = with_class(
            widgets.VBox(
                [
                    self.attach_uri_field,
                    self.attach_name_field,
                    self.app_type_field,
                    self.scope_field,
                    widgets.HBox([self.confirm_attach_button, self.cancel_attach_button]),
                ]
            ),
            "sm-setup-attach-form",
        )
        self.attach_view = with_class(widgets.HTML(), "sm-setup-attach-result")
        show(self.attach_box, False)
        self.engine_field.observe(lambda change: self._show_intent(change["new"]), "value")
        self.build_button.on_click(lambda _: self.build(wait=False))
        self.cancel_build_button.on_click(lambda _: self.cancel_build())
        self.rebuild_button.on_click(lambda _: self.rebuild(wait=False))
        self.attach_button.on_click(lambda _: self.ask_attach())
        self.confirm_attach_button.on_click(lambda _: self.attach(wait=False))
        self.cancel_attach_button.on_click(lambda _: show(self.attach_box, False))

    def _build_layout(self) -> list[Any]:
        return [
            self.engine_view,
            self.reuse_note,
            widgets.HBox([self.build_button, self.cancel_build_button, self.build_status]),
            self.build_engine,
            self.build_progress,
            self.build_step,
            self.build_log,
            self.image_uri,
            self.build_view,
            self.rebuild_button,
        ]

    def _attach_layout(self) -> list[Any]:
        return [self.attach_button, self.attach_box, self.attach_view]

    def _sync_build(self) -> None:
        building, attaching = self._ops.running("build"), self._ops.running("attach")
        self.build_button.disabled = self.rebuild_button.disabled = building
        self.cancel_build_button.disabled = not building or self._stop.is_set()
        self.attach_button.disabled = self.confirm_attach_button.disabled = attaching

    # --- where a build runs -------------------------------------------------------------------

    def _show_intent(self, engine: str) -> None:
        # A check's word was for the engine asked then: a new choice speaks for itself.
        self.engine_view.value = intent_html(engine)

    def _checked(self, options: CheckOptions, report: Report) -> None:
        if options.profile == "image-build" and report.engine:
            self.engine_view.value = engine_html(report.engine, report.engine_reason)

    # --- build ------------------------------------------------------------------------------

    def build(self, wait: bool = True, rebuild: bool = False) -> BuildRecord | None:
        """Build the context folder on the Engine field's engine; Cancel build (or
        ``cancel_build()``) stops it. An image of exactly these inputs already in the
        repository ends the build at once with that image, unless ``rebuild``."""
        return self._start(
            "build",
            lambda: self._build(self.build_options(rebuild=rebuild)),
            wait,
            on_interrupt=self.cancel_build,
        )

    def rebuild(self, wait: bool = True) -> BuildRecord | None:
        """Rebuild anyway: the last build again, built even though its image is in the
        repository (a base image named by a moving tag is pulled again)."""
        built = self._built
        if built is None:
            self._show_error(error_html(SetupError("There is no build to repeat.", "Build first.")))
            return None
        return self._start(
            "build",
            lambda: self._build(replace(built, rebuild=True)),
            wait,
            on_interrupt=self.cancel_build,
        )

    def _build(self, options: BuildOptions) -> BuildRecord:
        self._stop = stop = threading.Event()
        self.build_status.value = self.build_step.value = ""
        self.image_uri.value = self.build_view.value = ""
        show(self.rebuild_button, False)
        asked = None if options.engine == "auto" else options.engine
        self.build_engine.value = engine_html(asked, None, "Building on")
        self.progress.reset(asked)
        self.log_view.clear()
        self._records = records = Records()
        self._sync()  # Cancel build, now that there is a build to stop
        try:
            record = self.service.build(
                options,
                self._on_build_event,
                stop=stop,
                poll_seconds=poll_seconds(),
                records=records,
            )
        finally:
            self.log_view.flush()
        self.record, self._built = record, options
        self.build_status.value = record.status
        self.progress.finish(record.status)
        self.build_step.value = ""
        self.build_engine.value = ""  # the summary says where it ran
        self.image_uri.value = record.image_uri or ""
        self.build_view.value = build_html(record)
        show(self.rebuild_button, record.reason == "unchanged")
        if record.image_uri:
            self.attach_uri_field.value = record.image_uri
            self.attach_name_field.value = self._image_name_for(record.image_uri)
        return record

    def _on_build_event(self, event: BuildEvent) -> None:
        if event.kind == "status" and event.status:
            self.build_status.value = event.status
        if event.kind == "step" and event.name == "CHECK" and event.state != "IN_PROGRESS":
            self._running_engine(event.build_id)
        self.progress.on_event(event)
        line = event.message if event.kind == "log" else event_line(event)
        if line is not None:
            self.log_view.append(line)
        if event.kind in ("step", "phase", "progress"):
            self.build_step.value = (line or event.message).strip()

    def _running_engine(self, build_id: str) -> None:
        """The engine the check chose for the running build, and why, from its record (saved
        before the check's step ends); the progress follows that engine's steps."""
        records = self._records
        if records is None:
            return
        try:
            running = records.load(build_id)
        except (SetupError, OSError):
            return  # the bar keeps CodeBuild's steps; the summary says where it ran
        if running.engine:
            self.progress.set_engine(running.engine)
            self.build_engine.value = engine_html(
                running.engine, running.engine_reason, "Building on"
            )

    def cancel_build(self) -> None:
        """Ask the running build to stop; it ends STOPPED once its engine says so (CodeBuild,
        or Studio's Docker ending the build whose connection went)."""
        if self._ops.running("build"):
            self._stop.set()
            self.build_step.value = "Stopping the build…"
            self._sync()

    # --- attach -----------------------------------------------------------------------------

    def _image_name_for(self, image_uri: str) -> str:
        """The form's default image name: the image's repository, as Studio's check names it."""
        found = default_image_name(image_uri)
        if found is not None:
            return found
        try:
            return sagemaker_name((given(self.repository_field) or "").split(":")[0])
        except ValueError:
            return ""

    def ask_attach(self) -> None:
        """The Attach button: show the form, filled from the last build."""
        if not self.attach_uri_field.value and self.image_uri.value:
            self.attach_uri_field.value = self.image_uri.value
        if not self.attach_name_field.value:
            self.attach_name_field.value = self._image_name_for(self.attach_uri_field.value)
        show(self.attach_box, True)

    def attach(
        self,
        image_uri: str | None = None,
        image_name: str | None = None,
        app_type: str | None = None,
        scope: str | None = None,
        wait: bool = True,
    ) -> AttachResult | None:
        """Attach the image to Studio; what is not given comes from the form."""
        self.ask_attach()
        for name, field, value in (
            ("image_uri", self.attach_uri_field, image_uri),
            ("image_name", self.attach_name_field, image_name),
            ("app_type", self.app_type_field, app_type),
            ("scope", self.scope_field, scope),
        ):
            if value is None:
                continue
            choices = getattr(field, "options", None)
            if choices is not None and value not in choices:
                expected = " or ".join(choices)
                self._show_error(
                    error_html(BadInput(f"{value!r} is not one of {expected}.", field=name))
                )
                return None
            field.value = value
        return self._start("attach", self._attach, wait)

    def _attach(self) -> AttachResult:
        uri = str(self.attach_uri_field.value).strip()
        record = self.record
        built = self._built if record is not None and record.image_uri == uri else None
        options = AttachOptions(
            image_uri=uri,
            image_name=str(self.attach_name_field.value).strip(),
            app_type=self.app_type_field.value,
            scope=self.scope_field.value,
            role=given(self.role_field),
            # The Dockerfile this panel built from is read against Studio's image specs.
            context=built.context if built is not None else None,
        )
        self.attach_view.value = "<p>Attaching…</p>"
        try:
            result = self.service.attach(options)
        except BaseException:
            self.attach_view.value = ""
            raise
        self.attach_result = result
        show(self.attach_box, False)
        self.attach_view.value = (
            lines_html([result.message], "sm-setup-attach-message")
            + lines_html([f"Studio would refuse or fail: {f}" for f in result.findings], "")
            + lines_html([f"warning: {w}" for w in result.warnings], "sm-setup-warning")
        )
        return result
