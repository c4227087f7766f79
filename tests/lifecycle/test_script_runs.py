"""The lifecycle script, run as Studio runs it: in bash, against a stand-in of the image's
server environment (a virtualenv named by SM_STUDIO_SETUP_CONDA_PREFIX) and stand-ins of what
the image has on PATH (``aws``, ``restart-jupyter-server``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sm_studio_setup import __version__
from sm_studio_setup.images.lifecycle import CodeArtifact, PyPI, S3Wheelhouse, lifecycle_script

from .support import calls, clean_env, run_script, server_environment, stub_prefix

# A folder name S3 and the grammar take, that the shell must not take as syntax.
PREFIX = "team's-(wheels)*/"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return server_environment(tmp_path_factory.mktemp("server"))


def _extensions(prefix: Path, cwd: Path, env: dict[str, str]) -> str:
    listed = subprocess.run(
        [str(prefix / "bin" / "python"), "-m", "jupyter_server", "extension", "list"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    # Jupyter colours "enabled"; the words are what counts.
    return re.sub(r"\x1b\[[0-9;]*m", "", listed.stdout + listed.stderr)


def test_s3_script_installs_and_enables_and_twice_does_nothing_heavy(
    project_wheel: Path, server: Path, tmp_path: Path
) -> None:
    bucket = tmp_path / "s3"
    (bucket / "b-1" / PREFIX).mkdir(parents=True)
    shutil.copy(project_wheel, bucket / "b-1" / PREFIX)
    script = lifecycle_script(__version__, "JupyterLab", S3Wheelhouse("b-1", PREFIX))
    env = clean_env(tmp_path, SM_STUDIO_SETUP_CONDA_PREFIX=str(server), STANDIN_S3=str(bucket))

    first = run_script(script, env, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"Installed sm-studio-setup {__version__}." in first.stdout
    # Every line is logged with its time, as CloudWatch shows it.
    assert all(
        re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ sm-studio-setup: ", line)
        for line in first.stdout.splitlines()
        if "sm-studio-setup:" in line
    )
    [sync, restart] = [c for c in calls(tmp_path) if isinstance(c, list)]
    assert sync[:5] == ["aws", "s3", "sync", "--only-show-errors", f"s3://b-1/{PREFIX}"]
    assert restart == ["restart-jupyter-server"]

    second = run_script(script, env, tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already installed" in second.stdout
    assert "Installed" not in second.stdout
    # No copy and no restart the second time: only the first run's calls are in the log.
    assert len([c for c in calls(tmp_path) if isinstance(c, list)]) == 2

    listed = _extensions(server, tmp_path, env)
    assert re.search(r"sm_studio_setup\s+enabled", listed), listed
    assert "sm_studio_setup" in listed and "OK" in listed


def test_codeartifact_token_reaches_pip_only_in_its_environment(tmp_path: Path) -> None:
    token = "eyJ2ZXIiOjEsImlzdSI6MTcwMDAwMDAwMH0.c2VjcmV0LXRva2Vu"
    source = CodeArtifact("my-domain", "111122223333", "team.pypi", "eu-west-1")
    env = clean_env(
        tmp_path, SM_STUDIO_SETUP_CONDA_PREFIX=str(stub_prefix(tmp_path)), STANDIN_TOKEN=token
    )
    done = run_script(lifecycle_script(__version__, "JupyterLab", source), env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert token not in done.stdout + done.stderr
    log = calls(tmp_path)
    assert [
        "aws",
        "codeartifact",
        "get-authorization-token",
        "--domain",
        "my-domain",
        "--domain-owner",
        "111122223333",
        "--region",
        "eu-west-1",
        "--query",
        "authorizationToken",
        "--output",
        "text",
    ] in log
    assert "pip-got-the-token" in log
    assert (
        "index: my-domain-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/team.pypi/"
        "simple/" in log
    )
    # Nothing but the environment carried it: no argument of any call holds it.
    assert not any(token in str(call) for call in log if call != "pip-got-the-token")


def test_code_editor_installs_without_a_server_to_enable(tmp_path: Path) -> None:
    env = clean_env(tmp_path, SM_STUDIO_SETUP_CONDA_PREFIX=str(stub_prefix(tmp_path)))
    done = run_script(lifecycle_script(__version__, "CodeEditor"), env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    log = [str(c) for c in calls(tmp_path)]
    assert any("-m pip install" in line for line in log)
    assert not any("jupyter_server" in line or "restart" in line for line in log)
    assert "Code Editor runs no Jupyter server" in done.stdout


def test_pip_gets_the_options_that_keep_it_quiet_and_bounded(tmp_path: Path) -> None:
    env = clean_env(tmp_path, SM_STUDIO_SETUP_CONDA_PREFIX=str(stub_prefix(tmp_path)))
    script = lifecycle_script(__version__, source=PyPI("https://pypi.example.com/simple/"))
    assert run_script(script, env, tmp_path).returncode == 0
    [pip] = [line for line in calls(tmp_path) if "-m pip install" in str(line)]
    for option in ("--disable-pip-version-check", "--no-input", "--progress-bar off"):
        assert option in pip
    assert "--index-url https://pypi.example.com/simple/" in pip
    assert "sm-studio-setup==" in pip and __version__ in pip


@pytest.mark.parametrize(
    ("status", "says"),
    [(1, "pip install failed with exit status 1"), (124, "pip install did not finish within")],
    ids=["fails", "hangs"],
)
def test_a_failing_or_hung_step_is_logged_and_the_space_still_starts(
    tmp_path: Path, status: int, says: str
) -> None:
    env = clean_env(
        tmp_path,
        SM_STUDIO_SETUP_CONDA_PREFIX=str(stub_prefix(tmp_path)),
        STANDIN_PIP_STATUS=str(status),
    )
    done = run_script(lifecycle_script(__version__), env, tmp_path)
    # Exit 0: a failed install must not keep the user's space from starting.
    assert done.returncode == 0
    assert says in done.stderr and "ERROR" in done.stderr
    assert "starts without sm-studio-setup" in done.stderr
    assert not any("jupyter_server" in str(c) for c in calls(tmp_path))


def test_a_missing_environment_is_said(tmp_path: Path) -> None:
    env = clean_env(tmp_path, SM_STUDIO_SETUP_CONDA_PREFIX=str(tmp_path / "nowhere"))
    done = run_script(lifecycle_script(__version__), env, tmp_path)
    assert done.returncode == 0
    assert "there is no Python at" in done.stderr and "SM_STUDIO_SETUP_CONDA_PREFIX" in done.stderr
