"""`%load_ext sm_studio_setup` then `%sm_setup ...` in a real IPython shell."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from ..conftest import EmulatorProcess


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
    assert out.startswith("error: Invalid parameters")


def test_in_a_notebook_the_report_is_an_html_table(
    demo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython.display

    from sm_studio_setup import magic

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
