"""What every part of the panel shares: the fields, the error line, the operations runner,
and the check (the fix and the build re-check after they change something)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as widgets

from ...aws import grammar
from ...aws.identity import Identity
from ...errors import BadInput, SetupError
from ...requirements.profiles import PROFILES
from ...service import Service
from ...service.check import CheckOptions, Report
from ...service.options import BuildOptions
from ..arguments import PLATFORMS
from .runner import Operations
from .views import error_html, identity_html, report_html

T = TypeVar("T")
_WIDE = {"description_width": "8em"}
# Where the panel's builds run: auto (Studio's Docker when the space has it and the domain
# allows it, else CodeBuild), local or codebuild, as the sidebar offers them. sm-docker, the
# original CLI, is the command line's (%sm_setup build --engine sm-docker).
ENGINE_CHOICES = ("auto", "local", "codebuild")


def with_class(widget: Any, css: str) -> Any:
    widget.add_class(css)
    return widget


def button(text: str, css: str, style: str = "", disabled: bool = False) -> Any:
    return with_class(widgets.Button(description=text, button_style=style, disabled=disabled), css)


def text(css: str, label: str, value: str | None, placeholder: str = "") -> Any:
    field = widgets.Text(value=value or "", description=label, placeholder=placeholder, style=_WIDE)
    return with_class(field, css)


def dropdown(css: str, label: str, options: Any, value: Any = None) -> Any:
    chosen = value if value is not None else options[0]
    field = widgets.Dropdown(options=options, value=chosen, description=label, style=_WIDE)
    return with_class(field, css)


def show(widget: Any, shown: bool) -> None:
    widget.layout.display = "" if shown else "none"


def given(field: Any) -> str | None:
    return str(field.value).strip() or None


class PanelBase:
    """The fields, the check and the runner; ``Panel`` adds the fix and build steps."""

    service: Service
    identity: Identity | None
    report: Report | None
    _ops: Operations
    _stop: threading.Event

    def _make_base(self, defaults: dict[str, Any]) -> None:
        profile = defaults.get("profile") or "image-build"
        platform = defaults.get("platform") or "linux/amd64"
        engine = defaults.get("engine") or "auto"
        # A default the dropdowns cannot hold is refused in the service's own words (the
        # engine in the panel's: it offers fewer engines than the service takes).
        if profile not in PROFILES:
            CheckOptions(profile=profile)
        if platform not in PLATFORMS:
            BuildOptions(platform=platform)
        if engine not in ENGINE_CHOICES:
            raise BadInput(
                f"{grammar.shown(engine)} is not a build engine of the panel; expected auto, "
                "local or codebuild.",
                "sm-docker, the original CLI, builds from a %sm_setup build --engine sm-docker "
                "line."
                if engine == "sm-docker"
                else "",
                field="engine",
            )
        self.identity = self.report = None
        self._stop = threading.Event()
        self._ops = Operations(self._sync, self._show_error)
        self.identity_view = with_class(
            widgets.HTML("<p>Finding the role…</p>"), "sm-setup-identity"
        )
        self.profile_field = dropdown("sm-setup-profile", "Profile", sorted(PROFILES), profile)
        self.role_field = text(
            "sm-setup-role", "Role", defaults.get("role"), "default: the role you run as"
        )
        self.repository_field = text(
            "sm-setup-repository",
            "Repository",
            defaults.get("repository"),
            "default: sagemaker-studio-{domain}",
        )
        self.bucket_field = text(
            "sm-setup-bucket",
            "Bucket",
            defaults.get("bucket"),
            "default: sagemaker-{region}-{account}",
        )
        self.context_field = text(
            "sm-setup-context", "Context folder", defaults.get("context") or os.getcwd()
        )
        self.compute_type_field = text(
            "sm-setup-compute-type",
            "Compute type",
            defaults.get("compute_type") or "BUILD_GENERAL1_SMALL",
        )
        self.platform_field = dropdown("sm-setup-platform", "Platform", PLATFORMS, platform)
        self.engine_field = dropdown("sm-setup-engine", "Engine", ENGINE_CHOICES, engine)
        self.error_view = with_class(widgets.HTML(), "sm-setup-error")
        self.check_button = button("Check", "sm-setup-check", "primary")
        self.verdict = with_class(widgets.Label(), "sm-setup-verdict")
        self.report_view = with_class(widgets.HTML(), "sm-setup-report")

    def _sync(self) -> None:
        raise NotImplementedError  # the Panel's: it knows every button

    def _show_error(self, html: str) -> None:
        self.error_view.value = html

    def _start(self, group: str, work: Callable[[], T], wait: bool, **options: Any) -> T | None:
        if not self._ops.running(group):
            self.error_view.value = ""  # the last error was about an earlier attempt
        return self._ops.start(group, work, wait=wait, **options)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for what runs (clicks return at once); False if something still runs."""
        return self._ops.wait(timeout)

    def check_options(self) -> CheckOptions:
        return CheckOptions(
            profile=self.profile_field.value,
            role=given(self.role_field),
            repository=given(self.repository_field),
            bucket=given(self.bucket_field),
            compute_type=given(self.compute_type_field) or "BUILD_GENERAL1_SMALL",
            # A click asks about the role as it is now, also if it was changed elsewhere.
            refresh=True,
            # image-build: the role is judged against the needs of the engine a build uses.
            engine=self.engine_field.value if self.profile_field.value == "image-build" else "auto",
        )

    def build_options(self, rebuild: bool = False) -> BuildOptions:
        """The build the fields stand for; ``rebuild`` builds even when an image of exactly
        these inputs is in the repository already."""
        return BuildOptions(
            role=given(self.role_field),
            repository=given(self.repository_field),
            bucket=given(self.bucket_field),
            compute_type=given(self.compute_type_field) or "BUILD_GENERAL1_SMALL",
            context=given(self.context_field) or ".",
            platform=self.platform_field.value,
            engine=self.engine_field.value,
            rebuild=rebuild,
        )

    def _whoami(self) -> Identity:
        self.identity = identity = self.service.whoami()
        self.identity_view.value = identity_html(identity)
        return identity

    def check(self, wait: bool = True) -> Report | None:
        """Check the role against the profile; the verdict's label says ready, gaps or unknown."""
        return self._start("check", self._check, wait)

    def _check(self) -> Report:
        options = self.check_options()
        self.verdict.value = ""
        self.report_view.value = "<p>Checking…</p>"
        try:
            report = self.service.check(options)
        except BaseException:
            self.report_view.value = ""
            raise
        self.report = report
        self.verdict.value = report.verdict
        self.report_view.value = report_html(report)
        self._checked(options, report)
        return report

    def _checked(self, options: CheckOptions, report: Report) -> None:
        """A check ended (the build step says where its build would run)."""

    def _recheck(self) -> None:
        # After a write: what the role has now. Its failure must not hide the write's result.
        try:
            self._check()
        except SetupError as exc:
            self._show_error(error_html(exc))
