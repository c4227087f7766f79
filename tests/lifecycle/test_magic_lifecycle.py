"""`%sm_setup lifecycle-config`: the CLI's command in a notebook, from the same parser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from sm_studio_setup import __version__
from sm_studio_setup.images.lifecycle import default_name


@pytest.fixture(scope="module")
def shell() -> Iterator[Any]:
    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "sm_studio_setup")
    yield ipython
    InteractiveShell.clear_instance()


def test_the_script_is_printed(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert shell.run_line_magic("sm_setup", "lifecycle-config --app-type CodeEditor") is None
    out = capsys.readouterr().out
    assert out.startswith("#!/bin/bash\n") and f"sm-studio-setup {__version__}" in out


def test_json_returns_the_name_and_the_script(shell: Any) -> None:
    found = shell.run_line_magic("sm_setup", "lifecycle-config --json")
    assert found["name"] == default_name("JupyterLab", __version__)
    assert found["script"].startswith("#!/bin/bash\n")


def test_errors_name_the_option_on_the_magic_line(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_line_magic("sm_setup", "lifecycle-config --source s3 --s3-uri 's3://b-1/$(id)/'")
    out = capsys.readouterr().out
    assert out.startswith("error: 's3://b-1/$(id)/' is not an S3 folder")
    assert "--s3-uri" in out and "to the %sm_setup line" in out
