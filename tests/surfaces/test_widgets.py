"""The notebook panel (`%sm_setup panel`, `sm_studio_setup.panel()`) driven as a user drives
it: clicks on its buttons, against emulators of the module's own."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import sm_studio_setup
from sm_studio_setup.emulator.standins.docker_engine.settings import DEFAULT_BUILD_SECONDS
from sm_studio_setup.errors import BadInput
from sm_studio_setup.service import Service
from sm_studio_setup.service.build.engine import BuildEvent
from sm_studio_setup.service.build.records import BuildRecord
from sm_studio_setup.service.check import CheckOptions
from sm_studio_setup.surfaces.widgets import Panel
from sm_studio_setup.surfaces.widgets.progress import Progress, stages
from sm_studio_setup.surfaces.widgets.views import build_html

from ..build.support import IMAGE_URI, admin, build_folder, control
from ..conftest import point_at
from ..emulator_process import REPO, EmulatorProcess
from ..roles import state_of

WAIT = 180.0


def _classes(widget: Any) -> set[str]:
    return set(widget._dom_classes)


def _everything(widget: Any) -> Iterator[Any]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _everything(child)


def _html_shown(panel: Panel) -> list[str]:
    """Every value the browser renders as HTML."""
    import ipywidgets

    return [w.value for w in _everything(panel) if isinstance(w, ipywidgets.HTML)]


def _until(what: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.05)


@pytest.fixture
def panels() -> Iterator[Callable[..., Panel]]:
    """Panels made by a test; whatever they still run is waited for before its environment
    goes (their threads read it)."""
    made: list[Panel] = []

    def make(**defaults: Any) -> Panel:
        found = sm_studio_setup.panel(**defaults)
        made.append(found)
        return found

    yield make
    for panel in made:
        panel.cancel_build()
        assert panel.wait(WAIT)


# ----------------------------------------------------------------------------- no AWS


def test_importing_the_package_and_the_magic_leaves_ipywidgets_out() -> None:
    code = (
        "import sys, sm_studio_setup, sm_studio_setup.surfaces.magic, sm_studio_setup.surfaces.cli"
        "\nassert 'ipywidgets' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


def test_every_control_carries_its_class(panels: Callable[..., Panel]) -> None:
    panel = panels(whoami=False)
    expected = {
        "check_button": "sm-setup-check",
        "verdict": "sm-setup-verdict",
        "fix_button": "sm-setup-fix",
        "apply_button": "sm-setup-apply",
        "confirm_apply_button": "sm-setup-confirm-apply",
        "cancel_apply_button": "sm-setup-cancel-apply",
        "undo_button": "sm-setup-undo",
        "handoff": "sm-setup-handoff",
        "build_button": "sm-setup-build",
        "cancel_build_button": "sm-setup-cancel-build",
        "build_status": "sm-setup-build-status",
        "build_progress": "sm-setup-build-progress",
        "build_log": "sm-setup-build-log",
        "image_uri": "sm-setup-image-uri",
        "engine_field": "sm-setup-engine",
        "engine_view": "sm-setup-build-engine-intent",
        "reuse_note": "sm-setup-reuse-note",
        "build_engine": "sm-setup-build-engine",
        "rebuild_button": "sm-setup-rebuild",
        "attach_button": "sm-setup-attach",
        "confirm_attach_button": "sm-setup-confirm-attach",
        "attach_name_field": "sm-setup-attach-image-name",
        "app_type_field": "sm-setup-attach-app-type",
        "repository_field": "sm-setup-repository",
        "error_view": "sm-setup-error",
    }
    for name, css in expected.items():
        assert css in _classes(getattr(panel, name)), name
    shown = list(_everything(panel))
    for name in expected:
        widget = getattr(panel, name)
        assert any(w is widget for w in shown), f"{name} is not in the panel"
    assert "sm-setup-panel" in _classes(panel)
    # Nothing has run: nothing to apply, undo or stop.
    assert panel.apply_button.disabled and panel.cancel_build_button.disabled
    assert panel.rebuild_button.layout.display == "none"  # until a build finds its image
    assert panel.verdict.value == "" and panel.build_status.value == ""
    assert panel.context_field.value == str(Path.cwd())
    assert panel.handoff.titles == ("Policy JSON", "AWS CLI", "CloudFormation", "Terraform")
    assert tuple(panel.app_type_field.options) == ("JupyterLab", "CodeEditor")


def test_defaults_fill_the_fields_and_bad_ones_are_refused(panels: Callable[..., Panel]) -> None:
    panel = panels(
        whoami=False,
        repository="my-model:v1",
        bucket="my-bucket",
        context="/tmp",
        profile="pipelines",
    )
    assert panel.repository_field.value == "my-model:v1"
    assert panel.bucket_field.value == "my-bucket"
    assert panel.context_field.value == "/tmp"
    assert panel.profile_field.value == "pipelines"
    with pytest.raises(BadInput, match="is not a workflow profile"):
        sm_studio_setup.panel(whoami=False, profile="nope")
    with pytest.raises(BadInput, match="is not a platform"):
        sm_studio_setup.panel(whoami=False, platform="linux/s390x")


def test_the_engine_field_reaches_the_check_and_the_build(panels: Callable[..., Panel]) -> None:
    panel = panels(whoami=False, engine="local")
    assert tuple(panel.engine_field.options) == ("auto", "local", "codebuild")
    assert panel.engine_field.value == "local"
    assert panel.build_options().engine == "local"
    assert panel.check_options().engine == "local"
    assert "Builds on Studio&#x27;s Docker in this space." in panel.engine_view.value
    panel.engine_field.value = "codebuild"
    assert panel.build_options().engine == panel.check_options().engine == "codebuild"
    assert panel.engine_view.value == "<p class='sm-setup-engine-text'>Builds on CodeBuild.</p>"
    assert not panel.build_options().rebuild and panel.build_options(rebuild=True).rebuild
    # Another workflow's check does not judge the role for a build.
    panel.profile_field.value = "pipelines"
    assert panel.check_options().engine == "auto"
    assert panel.build_options().engine == "codebuild"
    # Said before any build: an unchanged build reuses its image, the base is not pulled again.
    note = panel.reuse_note.value
    assert "FROM …:latest" in note and "not pulled again" in note and "Rebuild anyway" in note
    assert panels(whoami=False).engine_field.value == "auto"
    with pytest.raises(BadInput, match="is not a build engine of the panel") as refused:
        sm_studio_setup.panel(whoami=False, engine="sm-docker")
    assert "%sm_setup build --engine sm-docker" in refused.value.hint
    with pytest.raises(BadInput, match="expected auto, local or codebuild"):
        sm_studio_setup.panel(whoami=False, engine="nope")


def _event(kind: Literal["step", "phase"], name: str, state: str = "IN_PROGRESS") -> BuildEvent:
    return BuildEvent(kind, "b-20261201T101500Z-3fa2c1", name=name, state=state)


def _moves(progress: Progress, events: list[BuildEvent]) -> list[int]:
    values = []
    for event in events:
        before = progress.bar.value
        progress.on_event(event)
        values.append(progress.bar.value - before)
    return values


def test_progress_follows_the_steps_of_the_engine_the_build_uses() -> None:
    import ipywidgets

    names = {engine: [name for _, name in stages(engine)] for engine in ("local", "codebuild")}
    assert names["local"] == [
        "CHECK", "INPUTS", "PACKAGE", "BUILD", "PUSH", "IMAGE", "ATTACH", "CLEANUP"
    ]  # fmt: skip
    assert names["codebuild"][:7] == [
        "CHECK", "INPUTS", "PACKAGE", "UPLOAD", "PROJECT", "START", "SUBMITTED"
    ]  # fmt: skip
    assert names["codebuild"][-4:] == ["COMPLETED", "IMAGE", "ATTACH", "CLEANUP"]
    assert ("phase", "BUILD") in stages("codebuild") and ("step", "BUILD") not in stages(
        "codebuild"
    )

    # Studio's Docker: every step moves the bar on, in the order the engine takes them.
    progress = Progress(ipywidgets.IntProgress())
    progress.reset("auto")  # not known until the check has chosen
    assert progress.engine is None
    events = [_event("step", "CHECK"), _event("step", "CHECK", "SUCCEEDED")]
    assert _moves(progress, events) == [1, 1]
    progress.set_engine("local")
    assert progress.bar.max == 2 * len(stages("local"))
    steps = ("INPUTS", "PACKAGE", "BUILD", "PUSH", "IMAGE")
    events = [_event("step", n, s) for n in steps for s in ("IN_PROGRESS", "SUCCEEDED")]
    assert all(move > 0 for move in _moves(progress, events))
    assert progress.bar.description == "IMAGE"
    assert progress.bar.value == 2 * stages("local").index(("step", "IMAGE")) + 2
    # A phase of CodeBuild is no stage of a local build.
    assert _moves(progress, [_event("phase", "BUILD")]) == [0]

    # CodeBuild: its BUILD phase comes after PROVISIONING, and no local step moves the bar.
    progress.reset("codebuild")
    assert progress.engine == "codebuild" and progress.bar.value == 0
    events = [_event("step", "START", "SUCCEEDED"), _event("phase", "PROVISIONING", "SUCCEEDED")]
    assert all(move > 0 for move in _moves(progress, events))
    assert _moves(progress, [_event("step", "PUSH", "SUCCEEDED")]) == [0]
    assert _moves(progress, [_event("phase", "BUILD", "SUCCEEDED")])[0] > 0
    assert progress.bar.description == "BUILD"
    progress.finish("SUCCEEDED")
    assert progress.bar.value == progress.bar.max == 2 * len(stages("codebuild"))


def test_an_unchanged_build_reads_escaped_with_its_since() -> None:
    hostile = "<script>alert(1)</script>"
    record = BuildRecord(
        id="b-20261201T101500Z-3fa2c1",
        created="2026-12-01T10:15:00+00:00",
        status="SUCCEEDED",
        message=hostile,
        reason="unchanged",
        engine="local",
        engine_reason=f"local: {hostile}",
        image_uri=f"{IMAGE_URI}{hostile}",
        digest="sha256:" + "a" * 64,
        unchanged_since={"build_id": "b-20261130T090000Z-abcdef", "date": "2026-11-30T09:05:00Z"},
        retagged=hostile,
        warnings=[hostile],
    )
    shown = build_html(record)
    assert "<script" not in shown and "&lt;script&gt;" in shown
    assert "Unchanged since build b-20261130T090000Z-abcdef (2026-11-30 09:05 UTC)" in shown
    assert "(FROM …:latest) was not pulled again" in shown
    assert "Rebuild anyway" in shown
    assert "Engine: <b>Studio&#x27;s Docker (local)</b>: &lt;script&gt;" in shown
    # No record of the earlier build on this machine: ECR's push date says since when.
    record.unchanged_since = {"build_id": None, "date": "2026-11-30T09:05:00+00:00"}
    assert "Unchanged since the image pushed 2026-11-30 09:05 UTC" in build_html(record)


def test_apply_without_a_plan_writes_nothing_and_says_so(panels: Callable[..., Panel]) -> None:
    panel = panels(whoami=False)
    assert panel.apply(confirmed=True) is None
    assert "There is no change to apply." in panel.error_view.value
    assert panel.confirm_box.layout.display == "none"


# ----------------------------------------------------------------------------- the magic


@pytest.fixture(scope="module")
def shell() -> Iterator[Any]:
    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "sm_studio_setup")
    yield ipython
    InteractiveShell.clear_instance()


def test_the_magic_displays_a_panel_with_the_line_s_fields(
    shell: Any, monkeypatch: pytest.MonkeyPatch, own_self_service: EmulatorProcess, tmp_path: Path
) -> None:
    import IPython.display

    point_at(own_self_service, monkeypatch, tmp_path)
    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    line = (
        f"panel --repository 'my-model:v1' --bucket b-1 --context {tmp_path} --profile pipelines"
        " --engine codebuild"
    )
    assert shell.run_line_magic("sm_setup", line) is None
    (panel,) = shown
    assert isinstance(panel, Panel)
    assert panel.repository_field.value == "my-model:v1"
    assert panel.bucket_field.value == "b-1"
    assert panel.context_field.value == str(tmp_path)
    assert panel.profile_field.value == "pipelines"
    assert panel.engine_field.value == "codebuild"
    assert panel.wait(WAIT)
    # The identity line: the demo's role, under the demo badge.
    assert "AmazonSageMaker-ExecutionRole-20261122T000000" in panel.identity_view.value
    assert "Demo" in panel.identity_view.value
    with pytest.raises(UsageError, match="invalid choice: 'nope'"):
        shell.run_line_magic("sm_setup", "panel --profile nope")
    with pytest.raises(UsageError, match="invalid choice: 'sm-docker'"):
        shell.run_line_magic("sm_setup", "panel --engine sm-docker")


# ----------------------------------------------------------------------------- check and fix


@pytest.fixture
def self_service(
    own_self_service: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> EmulatorProcess:
    point_at(own_self_service, monkeypatch, tmp_path)
    return own_self_service


def test_check_shows_the_gaps_step_by_step(
    self_service: EmulatorProcess, panels: Callable[..., Panel]
) -> None:
    panel = panels()
    panel.check_button.click()
    assert panel.check_button.disabled  # until the check is done
    assert panel.wait(WAIT)
    assert not panel.check_button.disabled
    assert panel.error_view.value == ""
    assert panel.verdict.value == "gaps"
    html = panel.report_view.value
    assert "<tr class='sm-setup-finding sm-setup-finding-missing'>" in html  # required
    assert "sm-setup-finding-allowed" in html
    assert "<b>create the CodeBuild project</b>" in html  # grouped by the workflow step
    assert "<code>codebuild:CreateProject</code>" in html
    assert "✗" in html and "✓" in html
    assert "codebuild.amazonaws.com (trust policy)" in html
    assert panel.report is not None and panel.report.verdict == "gaps"


def test_apply_asks_first_then_writes_and_undo_restores(
    self_service: EmulatorProcess, panels: Callable[..., Panel]
) -> None:
    original = state_of(self_service)
    panel = panels(whoami=False)
    panel.fix_button.click()
    assert panel.wait(WAIT)
    plan = panel.current_plan
    assert plan is not None and plan.applicable
    diff = panel.plan_view.value
    assert "<pre>" in diff and "+++ trust policy (after)" in diff
    assert "&quot;codebuild.amazonaws.com&quot;" in diff  # escaped, quotes and all
    assert not panel.apply_button.disabled

    panel.apply_button.click()  # only asks
    assert panel.wait(WAIT)
    assert panel.confirm_box.layout.display != "none"
    assert plan.role_name in panel.confirm_view.value
    assert state_of(self_service) == original
    panel.cancel_apply_button.click()
    assert panel.confirm_box.layout.display == "none"
    assert state_of(self_service) == original

    panel.apply_button.click()
    panel.confirm_apply_button.click()
    assert panel.wait(WAIT)
    assert panel.error_view.value == ""
    assert panel.fix_result is not None and panel.fix_result.status == "applied"
    assert state_of(self_service) != original
    assert panel.verdict.value == "ready"  # checked again after the write
    assert panel.undo_button.layout.display != "none"
    assert panel.backup_id and panel.backup_id in panel.fix_view.value
    assert panel.apply_button.disabled  # the plan is spent
    panel.check_button.click()
    assert panel.wait(WAIT)
    assert panel.verdict.value == "ready"
    rows = re.findall(r"<tr class='([^']*)'>", panel.report_view.value)
    assert rows and all("optional" in row for row in rows if "missing" in row)

    panel.undo_button.click()
    assert panel.wait(WAIT)
    assert panel.error_view.value == ""
    assert state_of(self_service) == original
    assert panel.verdict.value == "gaps"
    assert panel.undo_button.layout.display == "none"


def test_a_hostile_value_is_refused_and_never_rendered(
    self_service: EmulatorProcess, panels: Callable[..., Panel], tmp_path: Path
) -> None:
    hostile = "<script>alert(1)</script>"
    panel = panels(whoami=False, repository=hostile)
    for click in (panel.check_button, panel.fix_button, panel.build_button):
        click.click()
        assert panel.wait(WAIT)
        error = panel.error_view.value
        assert error.startswith(
            "<div class='sm-setup-error-message'><b>&#x27;&lt;script&gt;alert(1)&lt;/script&gt;"
            "&#x27; is not an ECR repository name"
        )
        assert "Change the Repository field" in error
        assert "Traceback" not in error
        assert all(hostile not in shown for shown in _html_shown(panel))
    assert panel.verdict.value == "" and panel.current_plan is None
    assert panel.build_status.value == ""

    # A folder that does not exist, named to open a tag: refused before anything is read.
    folder = tmp_path / "<img src=x onerror=alert(1)>"
    panel.repository_field.value = ""
    panel.context_field.value = str(folder)
    panel.build()
    assert "&lt;img src=x onerror=alert(1)&gt;" in panel.error_view.value
    assert all("<img" not in shown for shown in _html_shown(panel))


def test_a_build_the_role_cannot_run_shows_the_gaps_and_uploads_nothing(
    self_service: EmulatorProcess, panels: Callable[..., Panel], tmp_path: Path
) -> None:
    panel = panels(whoami=False, context=str(build_folder(tmp_path / "p")))
    record = panel.build()
    assert record is not None and record.reason == "preflight"
    assert panel.build_status.value == "FAILED"
    assert panel.error_view.value == ""
    summary = panel.build_view.value
    assert "Nothing was uploaded." in summary
    assert "sm-setup-finding-missing" in summary and "Plan the fix" in summary
    assert panel.image_uri.value == ""


# ----------------------------------------------------------------------------- hand-off


def test_the_managed_role_hands_off_in_four_tabs(
    own_managed: EmulatorProcess,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    panels: Callable[..., Panel],
) -> None:
    point_at(own_managed, monkeypatch, tmp_path)
    original = state_of(own_managed)
    panel = panels(whoami=False)
    assert panel.check() is not None and panel.verdict.value == "gaps"
    assert panel.plan() is not None
    assert panel.apply() is None  # asks first
    result = panel.apply(confirmed=True)
    assert result is not None and result.status == "handoff"
    assert state_of(own_managed) == original
    assert "administrator" in panel.fix_view.value
    assert panel.handoff.layout.display != "none"
    texts = {fmt: area.value for fmt, area in panel.handoff_texts.items()}
    assert texts == result.handoff
    assert '"codebuild.amazonaws.com"' in texts["json"]
    assert "aws iam put-role-policy" in texts["cli"]
    assert "AWS::IAM::RolePolicy" in texts["cloudformation"]
    assert "aws_iam_role_policy" in texts["terraform"]
    panel.handoff_texts["cli"].value = "rm -rf /"  # read-only: an edit does not stay
    assert panel.handoff_texts["cli"].value == texts["cli"]
    assert panel.undo_button.layout.display == "none"


# ----------------------------------------------------------------------------- build, attach


@pytest.fixture
def builder(
    build_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[EmulatorProcess]:
    """The build emulator, its role fixed for building and attaching."""
    point_at(build_emulator, monkeypatch, tmp_path / "config")
    monkeypatch.delenv("DOCKER_HOST", raising=False)  # no Docker here: auto builds on CodeBuild
    monkeypatch.setenv("SM_STUDIO_SETUP_POLL_SECONDS", "0.2")
    service = Service()
    for options in (CheckOptions(), CheckOptions(profile="studio-kernel")):
        plan = service.fix_plan(options)
        if not plan.empty:
            service.fix_apply(plan)
    yield build_emulator
    control(build_emulator, "/codebuild", {"duration_seconds": 1, "fail_phase": ""})


def test_a_build_shows_its_progress_and_log_then_the_image_is_attached(
    builder: EmulatorProcess, panels: Callable[..., Panel], tmp_path: Path
) -> None:
    panel = panels(whoami=False, context=str(build_folder(tmp_path / "p")))
    statuses: list[str] = []
    panel.build_status.observe(lambda change: statuses.append(change["new"]), "value")
    panel.build_button.click()
    assert panel.build_button.disabled and not panel.cancel_build_button.disabled
    assert panel.wait(WAIT)
    assert panel.error_view.value == ""
    assert panel.build_status.value == "SUCCEEDED", panel.build_view.value
    assert "IN_PROGRESS" in statuses and statuses[-1] == "SUCCEEDED"  # live, from the thread
    assert panel.image_uri.value == IMAGE_URI
    assert panel.build_progress.value == panel.build_progress.max == 2 * len(stages("codebuild"))
    assert panel.build_progress.bar_style == "success"
    (output,) = panel.build_log.outputs
    log = output["text"]
    assert "phase BUILD ok" in log and '[docker] ["build"' in log
    assert panel.log_view.count == len(log.splitlines())
    assert f"<code>{IMAGE_URI}</code>" in panel.build_view.value
    assert "Engine: <b>CodeBuild (codebuild)</b>: this space has no Docker" in (
        panel.build_view.value
    )
    assert panel.record is not None and panel.record.engine == "codebuild"
    assert not panel.build_button.disabled and panel.cancel_build_button.disabled
    assert panel.rebuild_button.layout.display == "none"  # it was built

    panel.attach_button.click()  # asks: name (after the repository) and app type
    assert panel.attach_box.layout.display != "none"
    assert panel.attach_uri_field.value == IMAGE_URI
    assert panel.attach_name_field.value == "sagemaker-studio-d-studio-demo"
    assert panel.app_type_field.value == "JupyterLab"
    panel.app_type_field.value = "CodeEditor"
    panel.confirm_attach_button.click()
    assert panel.wait(WAIT)
    assert panel.error_view.value == "", panel.error_view.value
    result = panel.attach_result
    assert result is not None and result.app_type == "CodeEditor"
    assert "CodeEditor custom image of domain" in panel.attach_view.value
    assert panel.attach_box.layout.display == "none"
    images = admin(builder, "sagemaker").list_images()["Images"]
    assert "sagemaker-studio-d-studio-demo" in [i["ImageName"] for i in images]


def test_a_failing_build_says_failed(
    builder: EmulatorProcess, panels: Callable[..., Panel], tmp_path: Path
) -> None:
    control(builder, "/codebuild", {"fail_phase": "BUILD"})
    panel = panels(whoami=False, context=str(build_folder(tmp_path / "p")))
    record = panel.build()
    assert record is not None and record.status == "FAILED"
    assert panel.build_status.value == "FAILED"
    assert panel.image_uri.value == ""
    assert panel.build_progress.bar_style == "danger"
    assert "phase BUILD FAILED" in panel.log_view.text
    assert "<b>FAILED</b>" in panel.build_view.value
    assert panel.error_view.value == ""  # a failed build is a result, not an error


def test_cancel_stops_the_build(
    builder: EmulatorProcess, panels: Callable[..., Panel], tmp_path: Path
) -> None:
    control(builder, "/codebuild", {"duration_seconds": 60})
    panel = panels(whoami=False, context=str(build_folder(tmp_path / "p")))
    assert panel.build(wait=False) is None
    _until(lambda: "phase PROVISIONING" in panel.log_view.text)
    assert panel.build_status.value == "IN_PROGRESS"
    panel.cancel_build_button.click()
    assert panel.cancel_build_button.disabled  # one stop is enough
    assert panel.wait(WAIT)
    assert panel.build_status.value == "STOPPED"
    assert panel.record is not None and panel.record.status == "STOPPED"
    assert panel.image_uri.value == ""
    assert panel.build_progress.bar_style == "warning"
    assert "Stopping the build on CodeBuild." in panel.log_view.text


# ----------------------------------------------------------------------------- Studio's Docker


@pytest.fixture(scope="module")
def docker_emulator(
    start_emulator: Callable[..., EmulatorProcess],
) -> Iterator[EmulatorProcess]:
    """An emulator whose space has Studio's Docker (DOCKER_HOST, the domain enabling it)."""
    emulator = start_emulator("self-service", "--build-seconds", "1", "--docker", "enabled")
    yield emulator
    emulator.stop()


@pytest.fixture
def docker_builder(
    docker_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[EmulatorProcess]:
    """That emulator, its role fixed for building on either engine and attaching."""
    assert "DOCKER_HOST" in docker_emulator.env
    point_at(docker_emulator, monkeypatch, tmp_path / "config")
    monkeypatch.setenv("SM_STUDIO_SETUP_POLL_SECONDS", "0.2")
    service = Service()
    for options in (
        CheckOptions(engine="local"),
        CheckOptions(engine="codebuild"),
        CheckOptions(profile="studio-kernel"),
    ):
        plan = service.fix_plan(options)
        if not plan.empty:
            service.fix_apply(plan)
    yield docker_emulator
    control(docker_emulator, "/docker", {"build_seconds": DEFAULT_BUILD_SECONDS, "fail": ""})


def _watch(widget: Any, name: str) -> list[Any]:
    seen: list[Any] = []
    widget.observe(lambda change: seen.append(change["new"]), name)
    return seen


def test_a_local_build_says_where_it_runs_and_an_unchanged_one_offers_rebuild(
    docker_builder: EmulatorProcess, panels: Callable[..., Panel], tmp_path: Path
) -> None:
    folder = build_folder(tmp_path / "p")
    panel = panels(whoami=False, context=str(folder))
    assert panel.check() is not None and panel.verdict.value == "ready"
    docker = (
        "<b>Studio&#x27;s Docker (local)</b>: this space has Studio&#x27;s Docker (DOCKER_HOST)"
    )
    assert f"A build runs on {docker}" in panel.report_view.value
    assert f"Builds on {docker}" in panel.engine_view.value

    steps, engines = (
        _watch(panel.build_progress, "description"),
        _watch(panel.build_engine, "value"),
    )
    maxima = _watch(panel.build_progress, "max")
    panel.build_button.click()
    assert panel.wait(WAIT)
    assert panel.error_view.value == ""
    first = panel.record
    assert first is not None and first.status == "SUCCEEDED", panel.build_view.value
    assert first.engine == "local" and first.reason == ""
    assert steps == ["CHECK", "INPUTS", "PACKAGE", "BUILD", "PUSH", "IMAGE", "SUCCEEDED"]
    assert maxima[-1] == panel.build_progress.max == 2 * len(stages("local"))
    assert panel.build_progress.value == panel.build_progress.max
    assert any(f"Building on {docker}" in shown for shown in engines)  # while it ran
    assert "Engine: local" in panel.log_view.text and "Step 1/" in panel.log_view.text
    assert f"Engine: {docker}" in panel.build_view.value
    assert f"Digest <code>{first.digest}</code>" in panel.build_view.value
    assert panel.image_uri.value == IMAGE_URI
    assert panel.rebuild_button.layout.display == "none"

    # The same inputs again: the image is in the repository, and nothing is built.
    record = panel.build()
    assert record is not None and record.status == "SUCCEEDED"
    assert record.reason == "unchanged" and record.digest == first.digest
    summary = panel.build_view.value
    assert f"Unchanged since build {first.id} (" in summary
    assert "(FROM …:latest) was not pulled again" in summary
    assert "Rebuild anyway" in summary
    assert panel.rebuild_button.layout.display != "none" and not panel.rebuild_button.disabled
    assert panel.image_uri.value == IMAGE_URI and panel.attach_uri_field.value == IMAGE_URI
    assert panel.build_progress.bar_style == "success"

    # Rebuild anyway: the same build (not the fields as they are now), built afresh.
    panel.context_field.value = str(tmp_path / "elsewhere")
    panel.rebuild_button.click()
    assert panel.rebuild_button.disabled  # while it builds
    assert panel.wait(WAIT)
    assert panel.error_view.value == "", panel.error_view.value
    again = panel.record
    assert again is not None and again.id not in (first.id, record.id)
    assert again.status == "SUCCEEDED" and again.reason == ""
    assert again.options["rebuild"] is True and again.options["context"] == str(folder)
    steps_of = {s.name: s for s in again.steps}
    assert steps_of["INPUTS"].status == "SKIPPED"  # not looked up: asked to build
    assert steps_of["INPUTS"].detail.startswith("--rebuild: not looked up")
    assert [s.name for s in again.steps if s.status == "SUCCEEDED"] == [
        "CHECK", "PACKAGE", "BUILD", "PUSH", "IMAGE"
    ]  # fmt: skip
    assert panel.rebuild_button.layout.display == "none"
    assert "Unchanged" not in panel.build_view.value


def test_the_engine_chosen_in_the_panel_is_the_one_that_builds(
    docker_builder: EmulatorProcess, panels: Callable[..., Panel], tmp_path: Path
) -> None:
    panel = panels(whoami=False, context=str(build_folder(tmp_path / "p")))
    panel.engine_field.value = "codebuild"  # the space has Docker; the user asks for CodeBuild
    assert panel.check() is not None
    assert "Builds on <b>CodeBuild (codebuild)</b>: asked for" in panel.engine_view.value
    panel.engine_field.value = "auto"  # a new choice: the check's word no longer holds
    assert "CodeBuild (codebuild)" not in panel.engine_view.value
    panel.engine_field.value = "codebuild"
    steps = _watch(panel.build_progress, "description")
    record = panel.build()
    assert record is not None and record.status == "SUCCEEDED", panel.build_view.value
    assert record.engine == "codebuild" and record.options["engine"] == "codebuild"
    assert "phase BUILD ok" in panel.log_view.text
    assert steps[:6] == ["CHECK", "INPUTS", "PACKAGE", "UPLOAD", "PROJECT", "START"]
    assert "PUSH" not in steps
    assert panel.build_progress.max == 2 * len(stages("codebuild"))


def test_cancel_stops_a_build_on_studio_s_docker(
    docker_builder: EmulatorProcess, panels: Callable[..., Panel], tmp_path: Path
) -> None:
    control(docker_builder, "/docker", {"build_seconds": 60})
    panel = panels(whoami=False, context=str(build_folder(tmp_path / "p")), engine="local")
    assert panel.build(wait=False) is None
    _until(lambda: panel.build_progress.description == "BUILD")
    assert "Building on <b>Studio&#x27;s Docker (local)</b>" in panel.build_engine.value
    panel.cancel_build_button.click()
    assert panel.cancel_build_button.disabled
    assert panel.wait(WAIT)
    assert panel.build_status.value == "STOPPED"
    assert panel.record is not None and panel.record.status == "STOPPED"
    assert panel.record.engine == "local"
    assert panel.image_uri.value == ""
    assert panel.build_progress.bar_style == "warning"
    assert panel.rebuild_button.layout.display == "none"
