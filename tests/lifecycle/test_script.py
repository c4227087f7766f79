"""The lifecycle script as text: within CreateStudioLifecycleConfig's limit for every source and
app type, valid bash that shellcheck passes, and no value it holds ever read as shell syntax
(refused where it enters, and quoted whatever reaches it)."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from sm_studio_setup import __version__
from sm_studio_setup.errors import BadInput
from sm_studio_setup.images.lifecycle import (
    LIFECYCLE_APP_TYPES,
    MAX_CONTENT,
    CodeArtifact,
    PyPI,
    S3Wheelhouse,
    ScriptError,
    Source,
    default_name,
    encoded,
    lifecycle_script,
)
from sm_studio_setup.service.lifecycle import script
from sm_studio_setup.service.options import LifecycleOptions

from .support import calls, clean_env, run_script, stub_prefix

SOURCES: dict[str, Source] = {
    "pypi": PyPI(),
    "pypi-mirror": PyPI("https://pypi.example.com:8443/simple/?x=1&y=$2"),
    "codeartifact": CodeArtifact("my-domain", "111122223333", "team.pypi_1", "cn-north-1"),
    "s3": S3Wheelhouse("my-bucket", "wheels/sm-studio-setup/"),
    "s3-bucket-root": S3Wheelhouse("my-bucket"),
}
CASES = [
    pytest.param(app, source, id=f"{app}-{name}")
    for app in LIFECYCLE_APP_TYPES
    for name, source in SOURCES.items()
]
# Everything a shell could take as syntax: both quotes, substitution both ways, a variable, a
# glob, a separator, a comment and a line break.
HOSTILE = "x'\"$(touch PWNED)`touch PWNED`${HOME}*;#\nrm -rf PWNED"


@pytest.mark.parametrize(("app_type", "source"), CASES)
def test_the_script_fits_the_api(app_type: str, source: Source) -> None:
    text = lifecycle_script(__version__, app_type, source)
    assert len(text) < MAX_CONTENT
    assert len(encoded(text)) <= MAX_CONTENT  # the API counts the base64
    assert base64.b64decode(encoded(text)).decode() == text
    assert text.startswith("#!/bin/bash\n") and "set -euo pipefail\n" in text


@pytest.mark.parametrize(("app_type", "source"), CASES)
def test_the_script_is_valid_bash(tmp_path: Path, app_type: str, source: Source) -> None:
    path = tmp_path / "lcc.sh"
    path.write_text(lifecycle_script(__version__, app_type, source))
    done = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("app_type", "source"), CASES)
def test_shellcheck_finds_nothing(tmp_path: Path, app_type: str, source: Source) -> None:
    # scripts/test installs it: a missing shellcheck is a failure, never a pass.
    assert shutil.which("shellcheck"), "shellcheck is not installed (apt-get install shellcheck)"
    path = tmp_path / "lcc.sh"
    path.write_text(lifecycle_script(__version__, app_type, source))
    done = subprocess.run(["shellcheck", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_too_long_a_script_is_refused() -> None:
    with pytest.raises(ScriptError, match="16,384"):
        lifecycle_script(__version__, source=PyPI("https://pypi.example.com/" + "a" * 13_000))


@pytest.mark.parametrize("version", ["1.0; rm -rf /", "1.0\n", "", "$(id)"])
def test_only_a_version_is_a_version(version: str) -> None:
    with pytest.raises(ScriptError) as refused:
        lifecycle_script(version)
    assert refused.value.field == "version"


def test_a_nul_is_refused() -> None:
    with pytest.raises(ScriptError):
        lifecycle_script(__version__, source=S3Wheelhouse("b", "a\0/"))


def test_default_names_are_lifecycle_config_names() -> None:
    assert default_name("JupyterLab", "0.1.0") == "sm-studio-setup-jupyterlab-0-1-0"
    assert default_name("CodeEditor", "1.2.3rc1+g1a2b.dirty") == (
        "sm-studio-setup-codeeditor-1-2-3rc1-g1a2b-dirty"
    )
    assert len(default_name("JupyterLab", "1" * 100)) <= 63


# --- hostile values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source": "s3", "s3_uri": "s3://my-bucket/a$(touch PWNED)/"}, "s3_uri"),
        ({"source": "s3", "s3_uri": "s3://my-bucket/a\nb/"}, "s3_uri"),
        ({"source": "s3", "s3_uri": 's3://my-bucket/a"b/'}, "s3_uri"),
        ({"source": "s3", "s3_uri": "s3://my`id`bucket/"}, "s3_uri"),
        ({"source": "s3", "s3_uri": "s3://my-bucket/../etc/"}, "s3_uri"),
        ({"index_url": "https://pypi.example.com/simple/\nrm -rf /"}, "index_url"),
        ({"index_url": "https://user:secret@pypi.example.com/simple/"}, "index_url"),
        ({"index_url": 'https://pypi.example.com/"$(id)"'}, "index_url"),
        (
            {
                "source": "codeartifact",
                "codeartifact_domain": "my-domain",
                "codeartifact_owner": "111122223333",
                "codeartifact_repository": "repo'$(id)",
                "codeartifact_region": "us-east-1",
            },
            "codeartifact_repository",
        ),
        (
            {
                "source": "codeartifact",
                "codeartifact_domain": "My Domain",
                "codeartifact_owner": "111122223333",
                "codeartifact_repository": "repo",
                "codeartifact_region": "us-east-1",
            },
            "codeartifact_domain",
        ),
        (
            {
                "source": "codeartifact",
                "codeartifact_domain": "my-domain",
                "codeartifact_owner": "1111;id",
                "codeartifact_repository": "repo",
                "codeartifact_region": "us-east-1",
            },
            "codeartifact_owner",
        ),
        (
            {
                "source": "codeartifact",
                "codeartifact_domain": "my-domain",
                "codeartifact_owner": "111122223333",
                "codeartifact_repository": "repo",
                "codeartifact_region": "us-east-1$(id)",
            },
            "codeartifact_region",
        ),
        ({"create": "Install-Tools"}, "create"),
        ({"create": "install tools"}, "create"),
    ],
)
def test_hostile_values_are_refused_where_they_enter(changes: dict[str, str], field: str) -> None:
    with pytest.raises(BadInput) as refused:
        LifecycleOptions(**changes)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert "\n" not in refused.value.message  # the value is shown escaped


def test_what_the_grammar_lets_through_is_quoted(tmp_path: Path) -> None:
    # ' ( ) * are S3's "safe characters" and the grammar takes them: bash must not.
    options = LifecycleOptions(source="s3", s3_uri="s3://my-bucket/it's-(1)*/")
    env = clean_env(
        tmp_path, SM_STUDIO_SETUP_CONDA_PREFIX=str(stub_prefix(tmp_path)), STANDIN_S3=str(tmp_path)
    )
    (tmp_path / "my-bucket" / "it's-(1)*").mkdir(parents=True)
    done = run_script(script(options), env, tmp_path)
    assert done.returncode == 0, done.stderr
    [sync] = [c for c in calls(tmp_path) if isinstance(c, list) and c[0] == "aws"]
    assert sync[4] == "s3://my-bucket/it's-(1)*/"


def _words(logged: str) -> list[str]:
    """The argv the stub logged with bash's printf %q, as bash reads it back."""
    done = subprocess.run(
        ["bash", "-c", 'eval "set -- $1"; printf \'%s\\0\' "$@"', "bash", logged],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split("\0")[:-1]


@pytest.mark.parametrize(
    "source",
    [
        S3Wheelhouse("my-bucket", HOSTILE + "/"),
        PyPI("https://pypi.example.com/" + HOSTILE),
        CodeArtifact(HOSTILE, "111122223333", HOSTILE, "us-east-1"),
    ],
    ids=["s3", "pypi", "codeartifact"],
)
def test_whatever_reaches_the_generator_stays_a_value(tmp_path: Path, source: Source) -> None:
    # The grammar refuses these at entry; the script must be safe without it.
    text = lifecycle_script(__version__, "JupyterLab", source)
    path = tmp_path / "syntax.sh"
    path.write_text(text)
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0
    work = tmp_path / "work"
    work.mkdir()
    env = clean_env(
        work,
        SM_STUDIO_SETUP_CONDA_PREFIX=str(stub_prefix(work)),
        STANDIN_S3=str(work),
        STANDIN_TOKEN="t0ken",
    )
    if isinstance(source, S3Wheelhouse):
        (work / "my-bucket" / (HOSTILE + "/")).mkdir(parents=True)
    done = run_script(text, env, work)
    assert done.returncode == 0, done.stderr
    assert not (work / "PWNED").exists()
    log = calls(work)
    if isinstance(source, S3Wheelhouse):
        [sync] = [c for c in log if isinstance(c, list) and c[0] == "aws"]
        assert sync[4] == f"s3://my-bucket/{HOSTILE}/"
    elif isinstance(source, PyPI):
        [pip] = [line for line in log if "-m pip install" in str(line)]
        words = _words(str(pip))
        assert words[words.index("--index-url") + 1] == "https://pypi.example.com/" + HOSTILE
    else:
        [token_call] = [c for c in log if isinstance(c, list) and c[0] == "aws"]
        assert token_call[4] == HOSTILE
        assert f"index: {HOSTILE}-111122223333.d.codeartifact" in "\n".join(map(str, log))
