"""What the lifecycle configuration's tests share: stand-ins for what Studio's image has on
PATH (``aws``, ``restart-jupyter-server``), a stand-in for its server environment, and a clean
environment to run the script in."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

from hcl2.utils import SerializationOptions

from ..emulator_process import REPO

# What the stand-in `aws` does: records its argv, copies an S3 folder from a local "bucket"
# root, prints a CodeArtifact token.
_AWS = """\
import json, os, shutil, sys
args = sys.argv[1:]
with open(os.environ["STANDIN_LOG"], "a") as log:
    log.write(json.dumps(["aws", *args]) + "\\n")
if args[:2] == ["s3", "sync"]:
    source, dest = [a for a in args[2:] if not a.startswith("--")]
    bucket, _, prefix = source[len("s3://"):].partition("/")
    folder = os.path.join(os.environ["STANDIN_S3"], bucket, prefix)
    for name in os.listdir(folder):
        shutil.copy(os.path.join(folder, name), dest)
elif args[:2] == ["codeartifact", "get-authorization-token"]:
    print(os.environ["STANDIN_TOKEN"])
else:
    sys.exit("stand-in aws: not modelled: " + " ".join(args))
"""
_RESTART = """#!/bin/bash
echo '["restart-jupyter-server"]' >> "$STANDIN_LOG"
"""
# A stand-in server environment's python for the runs that need no real one: it records its
# argv (and whether pip got the CodeArtifact token in its environment), installs nothing, and
# exits with STANDIN_PIP_STATUS for pip.
_PYTHON = """#!/bin/bash
printf '%s\\n' "$(printf '%q ' python "$@")" >> "$STANDIN_LOG"
if [ "$1" = -m ] && [ "$2" = pip ]; then
  with_token="https://aws:${STANDIN_TOKEN:-}@"
  if [ -n "${STANDIN_TOKEN:-}" ] && [[ "${PIP_INDEX_URL:-}" == "$with_token"* ]]; then
    echo "pip-got-the-token" >> "$STANDIN_LOG"
    echo "index: ${PIP_INDEX_URL#https://aws:${STANDIN_TOKEN}@}" >> "$STANDIN_LOG"
  fi
  echo "Looking in indexes: https://aws:****@example"
  exit "${STANDIN_PIP_STATUS:-0}"
fi
exit 0
"""


def standin_bin(root: Path) -> Path:
    """A folder to put first on PATH: `aws` and `restart-jupyter-server`."""
    folder = root / "bin"
    folder.mkdir(parents=True, exist_ok=True)
    aws = folder / "aws"
    aws.write_text(f"#!{sys.executable}\n{_AWS}")
    restart = folder / "restart-jupyter-server"
    restart.write_text(_RESTART)
    for tool in (aws, restart):
        tool.chmod(0o755)
    return folder


def stub_prefix(root: Path) -> Path:
    """A server environment whose python only records what it is asked."""
    python = root / "stub-prefix" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(_PYTHON)
    python.chmod(0o755)
    return python.parent.parent


# The project's own environment minus the project and the tools a venv brings itself: what the
# stand-in server environment sees as installed, so that pip installs only the project's wheel
# (offline, in seconds) and its dependencies are the ones this checkout is tested with.
_NOT_SHARED = re.compile(
    r"(sm_studio_setup.*|_editable_impl_.*|__editable__.*|editables.*|pip|pip-.*|setuptools.*"
    r"|_distutils_hack|distutils-precedence\.pth|.*\.pth|__pycache__)"
)


def server_environment(root: Path) -> Path:
    """A virtualenv standing in for SageMaker Distribution's /opt/conda."""
    prefix = root / "server-env"
    venv.EnvBuilder(with_pip=True, symlinks=True).create(prefix)
    shared = root / "shared-site-packages"
    shared.mkdir()
    site = Path(next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()))
    for entry in site.iterdir():
        if not _NOT_SHARED.fullmatch(entry.name):
            (shared / entry.name).symlink_to(entry)
    [own_site] = list(prefix.glob("lib/python*/site-packages"))
    (own_site / "zz-shared.pth").write_text(f"{shared}\n")
    return prefix


def clean_env(root: Path, **extra: str) -> dict[str, str]:
    """The environment a script runs in: no pip or AWS configuration of this machine's, a home
    of its own (Jupyter's user config lives there), the stand-ins first on PATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "AWS_", "JUPYTER_", "VIRTUAL_ENV", "PYTHON"))
    }
    home = root / "home"
    home.mkdir(exist_ok=True)
    env.update(
        {
            "HOME": str(home),
            "PATH": f"{standin_bin(root)}:/usr/bin:/bin",
            "PIP_CONFIG_FILE": os.devnull,
            "STANDIN_LOG": str(root / "calls.log"),
            **extra,
        }
    )
    return env


def run_script(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    path = cwd / "lcc.sh"
    path.write_text(script)
    return subprocess.run(
        ["bash", str(path)], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def calls(root: Path) -> list[Any]:
    """What the stand-ins recorded: JSON argv lists (aws, restart) and the stub's lines."""
    log = root / "calls.log"
    if not log.exists():
        return []
    return [
        json.loads(line) if line.startswith("[") else line for line in log.read_text().splitlines()
    ]


def build_wheel(out: Path) -> Path:
    # No isolation: the build back-end comes from uv.lock, so this needs no network.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (path,) = out.glob("sm_studio_setup-*.whl")
    return path


# python-hcl2's reading of a hand-off: strings keep their quotes, so that escapes can be read.
HCL = SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=False)

_RECORDING_AWS = f"""#!{sys.executable}
import json, os, sys
with open(os.environ["STANDIN_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
"""


def run_cli(text: str, tmp_path: Path) -> list[list[str]]:
    """The hand-off run as an administrator pastes it: every aws call's argv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(_RECORDING_AWS)
    (bin_dir / "aws").chmod(0o755)
    log = tmp_path / "aws.log"
    done = subprocess.run(
        ["bash", "-c", text],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "STANDIN_LOG": str(log), "HOME": str(tmp_path)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
