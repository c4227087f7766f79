"""`%load_ext sm_studio_setup` then `%sm_setup ...` in a real IPython shell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from ..conftest import EmulatorProcess, point_at
from ..roles import state_of


@pytest.fixture(scope="module")
def shell() -> Iterator[Any]:
    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "sm_studio_setup")
    yield ipython
    InteractiveShell.clear_instance()


def test_check_json_returns_the_report(
    shell: Any, demo_env: dict[str, str], demo_emulator: EmulatorProcess
) -> None:
    report = shell.run_line_magic("sm_setup", "check --json --refresh")
    assert report["verdict"] == "gaps"
    assert any(f["action"] == "codebuild:CreateProject" for f in report["findings"])


def test_check_prints_a_table_in_a_terminal(
    shell: Any, demo_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert shell.run_line_magic("sm_setup", "check") is None
    out = capsys.readouterr().out
    assert out.startswith("Gaps:")
    assert "codebuild:DeleteProject" in out


@pytest.mark.parametrize("line", ["", "check --colour red", "frobnicate", "check --help"])
def test_bad_lines_are_usage_errors_with_help(shell: Any, line: str) -> None:
    with pytest.raises(UsageError) as err:
        shell.run_line_magic("sm_setup", line)
    assert "sm_setup" in str(err.value)


def test_errors_are_one_sentence(
    shell: Any, demo_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_line_magic("sm_setup", "check --repository Bad:Name:x")
    out = capsys.readouterr().out
    assert out.startswith("error: 'Bad:Name:x' is not an ECR repository name")
    assert "to the %sm_setup line" in out


def test_in_a_notebook_the_report_is_an_html_table(
    demo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython.display

    from sm_studio_setup.surfaces import magic

    class ZMQInteractiveShell:  # what ipykernel's shell is called
        pass

    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    assert magic.sm_setup("check", ZMQInteractiveShell()) is None
    (html,) = shown
    text = html.data
    assert text.startswith("<p><b>Gaps:")
    assert "<table>" in text and "<th>how known</th>" in text
    assert "<code>codebuild:CreateProject</code>" in text
    assert "class='sm-setup-missing'" in text


# ----------------------------------------------------------------------------- fix


@pytest.fixture
def self_service_env(
    own_self_service: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> EmulatorProcess:
    point_at(own_self_service, monkeypatch, tmp_path)
    return own_self_service


@pytest.fixture
def managed_env(
    own_managed: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> EmulatorProcess:
    point_at(own_managed, monkeypatch, tmp_path)
    return own_managed


def test_fix_prints_the_plan_in_a_terminal(
    shell: Any, self_service_env: EmulatorProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    original = state_of(self_service_env)
    assert shell.run_line_magic("sm_setup", "fix") is None
    out = capsys.readouterr().out
    assert out.startswith("Fix plan ")
    assert "AmazonSageMaker-ExecutionRole-20261122T000000" in out.splitlines()[0]
    assert "+++ trust policy (after)" in out
    assert "+++ sm-studio-setup-image-build (after)" in out
    assert "codebuild:CreateProject" in out
    assert state_of(self_service_env) == original


def test_fix_json_returns_the_plan(shell: Any, self_service_env: EmulatorProcess) -> None:
    body = shell.run_line_magic("sm_setup", "fix --json")
    assert body["result"] is None
    assert body["plan"]["applicable"] is True
    assert body["plan"]["policy_name"] == "sm-studio-setup-image-build"


def test_in_a_notebook_the_fix_is_html_with_the_diff_and_the_plan_id(
    self_service_env: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    import IPython.display

    from sm_studio_setup.surfaces import magic

    class ZMQInteractiveShell:  # what ipykernel's shell is called
        pass

    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    assert magic.sm_setup("fix", ZMQInteractiveShell()) is None
    (html,) = shown
    text = html.data
    found = re.match(r"<p><b>Fix plan ([0-9a-f]+)</b>", text)
    assert found, text[:200]
    assert "<pre>" in text and "+++ trust policy (after)" in text
    # The diff is escaped, so a document's quotes cannot open HTML.
    assert "&quot;codebuild.amazonaws.com&quot;" in text
    assert '"codebuild.amazonaws.com"' not in text


def test_fix_apply_in_the_managed_scenario_hands_off(
    shell: Any, managed_env: EmulatorProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    original = state_of(managed_env)
    assert shell.run_line_magic("sm_setup", "fix --apply") is None
    out = capsys.readouterr().out
    assert out.startswith("Fix plan ")
    assert "give an administrator the change below" in out
    for header in ("Policy JSON", "AWS CLI", "CloudFormation", "Terraform"):
        assert f"==> {header} (" in out
    assert state_of(managed_env) == original

    result = shell.run_line_magic("sm_setup", "fix --apply --json")
    assert result["result"]["status"] == "handoff"
    assert set(result["result"]["handoff"]) == {"json", "cli", "cloudformation", "terraform"}


def test_fix_apply_hand_off_in_a_notebook(
    managed_env: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython.display

    from sm_studio_setup.surfaces import magic

    class ZMQInteractiveShell:
        pass

    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    assert magic.sm_setup("fix --apply", ZMQInteractiveShell()) is None
    (html,) = shown
    assert "administrator" in html.data
    assert html.data.count("<details>") == 4
    assert "<summary>Terraform</summary>" in html.data


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("fix --format nope", "invalid choice: 'nope'"),
        ("fix --colour red", "unrecognized arguments: --colour red"),
        ("fix --help", "--list-backups"),
    ],
)
def test_bad_fix_lines_are_usage_errors(shell: Any, line: str, expected: str) -> None:
    with pytest.raises(UsageError) as err:
        shell.run_line_magic("sm_setup", line)
    assert "%sm_setup" in str(err.value)
    assert expected in str(err.value)


def test_fix_undo_of_an_unknown_backup_is_one_sentence(
    shell: Any, self_service_env: EmulatorProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert shell.run_line_magic("sm_setup", "fix --undo not-an-id") is None
    out = capsys.readouterr().out
    assert out.startswith("error: 'not-an-id' is not a backup id")
    assert "Traceback" not in out


# ----------------------------------------------------------------------------- build


@pytest.fixture
def build_env(
    start_emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[EmulatorProcess]:
    emulator = start_emulator("self-service", "--build-seconds", "1")
    point_at(emulator, monkeypatch, tmp_path / "config")
    monkeypatch.setenv("SM_STUDIO_SETUP_POLL_SECONDS", "0.2")
    yield emulator
    emulator.stop()


def test_build_streams_its_progress_and_returns_the_result(
    shell: Any, build_env: EmulatorProcess, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from ..build.support import IMAGE_URI, build_folder

    folder = build_folder(tmp_path / "project")
    refused = shell.run_line_magic("sm_setup", f"build {folder}")
    assert refused.status == "FAILED" and refused.image_uri is None
    assert "Close the gaps: `%sm_setup fix" in repr(refused)  # in the magic's own words
    assert shell.run_line_magic("sm_setup", "fix --apply") is None
    capsys.readouterr()

    result = shell.run_line_magic(
        "sm_setup", f"build {folder} --build-arg 'GREETING=hi there' -- --no-cache"
    )
    out = capsys.readouterr().out
    assert "phase BUILD ok" in out  # phases and the build's log, as they come
    assert '[docker] ["build"' in out and '"GREETING=hi there"' in out
    assert result.status == "SUCCEEDED"
    assert result.image_uri == IMAGE_URI and result.digest.startswith("sha256:")
    html = result._repr_html_()
    assert "sm-setup-build-succeeded" in html and IMAGE_URI in html
    assert shell.run_line_magic("sm_setup", f"build {folder} --json")["status"] == "SUCCEEDED"


def test_attach_prints_what_it_did(
    shell: Any, build_env: EmulatorProcess, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from ..build.support import IMAGE_URI, build_folder

    shell.run_line_magic("sm_setup", "fix --apply")
    shell.run_line_magic("sm_setup", "fix --apply --profile studio-kernel")
    shell.run_line_magic("sm_setup", f"build {build_folder(tmp_path / 'p')}")
    capsys.readouterr()
    assert shell.run_line_magic("sm_setup", f"attach {IMAGE_URI} --image-name nb-kernel") is None
    assert "custom image of domain" in capsys.readouterr().out
    body = shell.run_line_magic("sm_setup", f"attach {IMAGE_URI} --image-name nb-kernel --json")
    assert body["version"] == 2 and body["settings_changed"] is False


def test_the_html_report_escapes_every_value() -> None:
    """Constants today (who, source, status), but an HTML report must not trust any value."""
    from sm_studio_setup.service.check import Finding, Report
    from sm_studio_setup.surfaces.render.check import render_html

    hostile = "<img src=x onerror=alert(1)>"
    finding = Finding(
        step=hostile,
        status="missing",
        who=hostile,
        action=hostile,
        resource=hostile,
        why=hostile,
        source=hostile,  # type: ignore[arg-type]
        evidence=hostile,
        fix=hostile,
    )
    report = Report(
        profile="image-build",
        verdict="gaps",
        identity={"role_arn": hostile},
        findings=[finding],
        lint=[],
        notes=[],
    )
    page = render_html(report)
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
