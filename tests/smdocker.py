"""The real `sm-docker` CLI (PyPI sagemaker-studio-image-build 0.6.0) for tests and benchmarks.

It lives in a virtualenv of its own (scripts/smdocker-venv.sh, pinned by
scripts/smdocker-requirements.txt) because it drags in the SageMaker Python SDK < 3, which the
project does not depend on. With ``--bucket`` and ``--role`` it never imports that SDK (which
pins the STS endpoint and so could not be pointed at an emulator); everything else goes through
boto3, which follows AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sm_studio_setup.emulator.core.server import Emulator

REPO = Path(__file__).resolve().parents[1]


class SmDockerUnavailable(RuntimeError):
    pass


def smdocker_executable() -> str:
    """Builds (or finds) the separate venv and returns its `sm-docker`."""
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "smdocker-venv.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise SmDockerUnavailable(f"scripts/smdocker-venv.sh failed:\n{done.stderr}\n{done.stdout}")
    exe = done.stdout.strip().splitlines()[-1]
    if not os.access(exe, os.X_OK):
        raise SmDockerUnavailable(f"{exe} is not executable")
    return exe


def smdocker_env(emulator: Emulator, home: Path) -> dict[str, str]:
    """Only what a user's shell would hand sm-docker, with no AWS config of the machine's."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.update(emulator.client_env())
    return env
