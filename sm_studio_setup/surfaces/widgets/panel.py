"""The notebook panel: the sidebar's flow (identity, check, fix, build, attach) in a cell.

It calls the service in the kernel and shows what it returns; every operation runs in a
thread of its own (``runner.Operations``), so the widgets change live and the kernel stays
free. Tests and scripts drive it without a browser: the widgets are attributes, the
operations are methods (``check()``, ``plan()``, ``apply()``, ``build()``, ``rebuild()``,
``attach()``), and ``button.click()`` does what a click does (then ``wait()`` for it).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ...service import Service
from .build import BuildSteps
from .fix import FixSteps


class Panel(FixSteps, BuildSteps, widgets.VBox):
    def __init__(
        self,
        service: Service | None = None,
        *,
        profile: str = "image-build",
        role: str | None = None,
        repository: str | None = None,
        bucket: str | None = None,
        context: str | None = None,
        compute_type: str = "BUILD_GENERAL1_SMALL",
        platform: str = "linux/amd64",
        engine: str = "auto",
        region: str | None = None,
        whoami: bool = True,
    ) -> None:
        """``whoami=False`` leaves the identity line empty (no AWS call until a click)."""
        defaults = {
            "profile": profile,
            "role": role,
            "repository": repository,
            "bucket": bucket,
            "context": context,
            "compute_type": compute_type,
            "platform": platform,
            "engine": engine,
        }
        self._make_base(defaults)  # first: it refuses defaults before any widget is shown
        super().__init__()
        self.add_class("sm-setup-panel")
        self.service = service or Service(region=region)
        self._make_fix()
        self._make_build()
        self.check_button.on_click(lambda _: self.check(wait=False))
        self.children = self._layout()
        self._sync()
        if whoami:
            self._ops.start("whoami", self._whoami, wait=False)
        else:
            self.identity_view.value = ""

    def _layout(self) -> list[Any]:
        def heading(text: str) -> Any:
            return widgets.HTML(f"<h4 style='margin: 0.8em 0 0.2em'>{text}</h4>")

        fields = widgets.GridBox(
            [
                self.profile_field,
                self.role_field,
                self.repository_field,
                self.bucket_field,
                self.context_field,
                self.compute_type_field,
                self.platform_field,
                self.engine_field,
            ],
            layout=widgets.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))"),
        )
        return [
            heading("SageMaker Studio: build a container image"),
            self.identity_view,
            fields,
            self.error_view,
            heading("1. Check the role"),
            widgets.HBox([self.check_button, self.verdict]),
            self.report_view,
            heading("2. Fix it"),
            *self._fix_layout(),
            heading("3. Build the image"),
            *self._build_layout(),
            heading("4. Attach it to Studio"),
            *self._attach_layout(),
        ]

    def _sync(self) -> None:
        """Every button from what runs and what is there: a running group's are disabled."""
        self.check_button.disabled = self._ops.running("check")
        self._sync_fix()
        self._sync_build()
