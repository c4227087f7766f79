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
