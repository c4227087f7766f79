"""`pip install sm-studio-setup` in a SageMaker Distribution image changes none of its pins.

AWS's Studio images pin jupyterlab, jupyter_server, ipywidgets, boto3 and botocore (and
aiobotocore under s3fs pins botocore to a narrow range, so moving botocore breaks it). For the
oldest image and the newest of each line, tests/fixtures/smd/ holds the versions the image pins
of what the wheel installs; pip resolves the wheel for that image's Python with those pins as
constraints, without installing anything, and every pin must hold.

pip itself answers (the version uv.lock holds), as it is what users run in Studio; it reads
package metadata from PyPI, never this machine's own package sources.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
PINS = sorted((REPO / "tests" / "fixtures" / "smd").glob("*.txt"))
# What each image must pin, for a fixture to test anything.
ESSENTIAL = ("python", "jupyterlab", "jupyter-server", "ipywidgets", "boto3", "botocore")
# Linux x86_64 wheels for glibc up to 2.35: every pinned version has one, and pip only reads
# their metadata.
PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(17, 36)] + ["manylinux2014_x86_64"]
# The machine's pip settings that reach PyPI (index, certificates, timeouts) pass through;
# the rest (local wheel folders and indexes, global constraints) would answer for PyPI.
PIP_PASSED = {
    "PIP_INDEX_URL",
    "PIP_CERT",
    "PIP_CLIENT_CERT",
    "PIP_TRUSTED_HOST",
    "PIP_PROXY",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_RETRIES",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Image:
    """One SMD release's pins: canonical name -> version, and its Python."""

    release: str
    path: Path
    python: str
    pins: dict[str, str]

    @property
    def python_minor(self) -> str:
        return ".".join(self.python.split(".")[:2])


def read_pins(path: Path) -> Image:
    python = ""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if found := re.fullmatch(r"#\s*python:\s*(\d+\.\d+\.\d+)\s*", line):
            python = found.group(1)
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"{path.name}: {line!r} is not name==version"
            pins[canonical(name)] = version.strip()
    assert python, f"{path.name} names no Python ('# python: X.Y.Z')"
    return Image(path.stem, path, python, pins)


def pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in PIP_PASSED}
    # No configuration file: no find-links, extra index or constraints of this machine's.
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@dataclass(frozen=True)
class Resolution:
    returncode: int
    output: str
    report: dict[str, Any] | None

    def installed(self) -> dict[str, str]:
        assert self.report is not None
        return {
            canonical(item["metadata"]["name"]): item["metadata"]["version"]
            for item in self.report["install"]
        }


def resolve(wheel: Path, image: Image, work: Path) -> Resolution:
    """What `pip install <wheel>` would install in ``image``, with its pins as constraints."""
    work.mkdir(parents=True, exist_ok=True)
    report = work / "report.json"
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--report",
        str(report),
        # pip wants a target folder for another Python's platform; --dry-run writes nothing.
        "--target",
        str(work / "target"),
        "--python-version",
        image.python_minor,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        *(arg for platform in PLATFORMS for arg in ("--platform", platform)),
        "--constraint",
        str(image.path),
        str(wheel),
    ]
    # Not quiet: on a conflict, pip says what caused it at the info level.
    done = subprocess.run(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=pip_env(),
        timeout=600,
        check=False,
    )
    loaded = json.loads(report.read_text()) if done.returncode == 0 else None
    return Resolution(done.returncode, done.stdout, loaded)


def build_wheel(out: Path) -> Path:
    # No isolation: the build back-end comes from uv.lock (as in test_packaging.py).
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), REPO],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (path,) = out.glob("sm_studio_setup-*.whl")
    return path


@pytest.fixture(scope="module")
def resolutions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Resolution]]:
    tmp = tmp_path_factory.mktemp("smd")
    wheel = build_wheel(tmp / "dist")
    images = [read_pins(path) for path in PINS]
    # pip spends its time waiting on PyPI: the images are resolved side by side.
    with ThreadPoolExecutor(max_workers=len(images)) as pool:
        futures = {
            image.release: pool.submit(resolve, wheel, image, tmp / image.release)
            for image in images
        }
        yield {release: future.result() for release, future in futures.items()}


def test_the_oldest_image_and_the_newest_of_each_line_are_covered() -> None:
    releases = {read_pins(path).release for path in PINS}
    assert "1.0.0" in releases
    assert {release.split(".")[0] for release in releases} >= {"1", "2", "3", "4"}


@pytest.mark.parametrize("path", PINS, ids=[path.stem for path in PINS])
def test_the_pins_file_says_what_it_is(path: Path) -> None:
    image = read_pins(path)
    header = path.read_text(encoding="utf-8").split("\n", 3)[:3]
    assert f"SageMaker Distribution {image.release}" in header[0]
    assert any("cpu.env.out" in line and "aws/sagemaker-distribution" in line for line in header)
    assert re.search(r"read \d{4}-\d{2}-\d{2}", path.read_text(encoding="utf-8"))
    missing = [name for name in ESSENTIAL if name != "python" and name not in image.pins]
    assert not missing, f"{path.name} pins none of {missing}"


@pytest.mark.parametrize("path", PINS, ids=[path.stem for path in PINS])
def test_installing_the_wheel_keeps_every_pin(
    path: Path, resolutions: dict[str, Resolution]
) -> None:
    image = read_pins(path)
    found = resolutions[image.release]
    assert found.returncode == 0, (
        f"pip cannot install the wheel in SMD {image.release} (Python {image.python}) without "
        f"moving its pins:\n{found.output[-4000:]}"
    )
    installed = found.installed()
    assert "sm-studio-setup" in installed
    moved = {
        name: f"{image.pins[name]} -> {version}"
        for name, version in installed.items()
        if name in image.pins and image.pins[name] != version
    }
    assert not moved, f"installing the wheel in SMD {image.release} moves {moved}"
    # The wheel's own dependencies are among what the image pins, at the pinned versions.
    for name in ("boto3", "botocore", "jupyter-server", "ipywidgets", "pyyaml"):
        assert installed.get(name) == image.pins[name], name


def test_a_floor_above_an_image_is_caught(tmp_path: Path) -> None:
    """The check fails as it should: a wheel asking for boto3 >= 1.34 (this project's floor
    before) cannot keep SMD 1.0.0's boto3 1.28.68."""
    wheel = tmp_path / "floor_probe-0.1-py3-none-any.whl"
    metadata = (
        "Metadata-Version: 2.1\nName: floor-probe\nVersion: 0.1\n"
        "Requires-Python: >=3.10\nRequires-Dist: boto3>=1.34\n"
    )
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("floor_probe/__init__.py", "")
        archive.writestr("floor_probe-0.1.dist-info/METADATA", metadata)
        archive.writestr(
            "floor_probe-0.1.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr("floor_probe-0.1.dist-info/RECORD", "")
    image = read_pins(REPO / "tests" / "fixtures" / "smd" / "1.0.0.txt")
    found = resolve(wheel, image, tmp_path / "work")
    assert found.returncode != 0
    assert "boto3>=1.34" in found.output
    assert "boto3==1.28.68" in found.output
