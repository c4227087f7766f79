"""The notebook panel (`%sm_setup panel`, `sm_studio_setup.panel()`) driven as a user drives
it: clicks on its buttons, against emulators of the module's own."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import sm_studio_setup
from sm_studio_setup.errors import BadInput
from sm_studio_setup.service import Service
from sm_studio_setup.service.check import CheckOptions
from sm_studio_setup.surfaces.widgets import Panel
from sm_studio_setup.surfaces.widgets.progress import STAGES

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
    line = f"panel --repository 'my-model:v1' --bucket b-1 --context {tmp_path} --profile pipelines"
    assert shell.run_line_magic("sm_setup", line) is None
    (panel,) = shown
    assert isinstance(panel, Panel)
    assert panel.repository_field.value == "my-model:v1"
    assert panel.bucket_field.value == "b-1"
    assert panel.context_field.value == str(tmp_path)
    assert panel.profile_field.value == "pipelines"
    assert panel.wait(WAIT)
    # The identity line: the demo's role, under the demo badge.
    assert "AmazonSageMaker-ExecutionRole-20261122T000000" in panel.identity_view.value
    assert "Demo" in panel.identity_view.value
    with pytest.raises(UsageError, match="invalid choice: 'nope'"):
        shell.run_line_magic("sm_setup", "panel --profile nope")


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
    assert panel.build_progress.value == panel.build_progress.max == 2 * len(STAGES)
    assert panel.build_progress.bar_style == "success"
    (output,) = panel.build_log.outputs
    log = output["text"]
    assert "phase BUILD ok" in log and '[docker] ["build"' in log
    assert panel.log_view.count == len(log.splitlines())
    assert f"<code>{IMAGE_URI}</code>" in panel.build_view.value
    assert not panel.build_button.disabled and panel.cancel_build_button.disabled

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
