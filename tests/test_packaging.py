"""What a Studio user gets from `pip install`: the wheel's contents."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
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
    return zipfile.ZipFile(path)


def data_path(wheel: zipfile.ZipFile, suffix: str) -> str:
    matches = [n for n in wheel.namelist() if ".data/data/" in n and n.endswith(suffix)]
    assert matches, f"{suffix} is not in the wheel"
    return matches[0]


def test_wheel_carries_the_prebuilt_labextension(wheel: zipfile.ZipFile) -> None:
    package = json.loads(
        wheel.read(data_path(wheel, "share/jupyter/labextensions/sm-studio-setup/package.json"))
    )
    assert package["name"] == "sm-studio-setup"
    remote = package["jupyterlab"]["_build"]["load"]
    assert wheel.read(data_path(wheel, f"share/jupyter/labextensions/sm-studio-setup/{remote}"))
    install = json.loads(
        wheel.read(data_path(wheel, "share/jupyter/labextensions/sm-studio-setup/install.json"))
    )
    assert install["packageName"] == "sm-studio-setup"


def test_wheel_enables_the_server_extension(wheel: zipfile.ZipFile) -> None:
    config = json.loads(
        wheel.read(data_path(wheel, "etc/jupyter/jupyter_server_config.d/sm_studio_setup.json"))
    )
    assert config["ServerApp"]["jpserver_extensions"]["sm_studio_setup"] is True


def test_wheel_keeps_moto_optional(wheel: zipfile.ZipFile) -> None:
    (metadata_name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    requires = [
        line.split(":", 1)[1].strip()
        for line in wheel.read(metadata_name).decode().splitlines()
        if line.startswith("Requires-Dist:")
    ]
    plain = [r for r in requires if "extra ==" not in r]
    assert not any(r.startswith("moto") for r in plain)
    assert any(r.startswith("moto") and "extra == 'demo'" in r for r in requires)
    # The emulator's data travels with the package, so the demo works from a plain install.
    assert "sm_studio_setup/emulator/data/AmazonSageMakerFullAccess.json" in wheel.namelist()
