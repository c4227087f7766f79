"""Never rebuild what is built: `sm-studio-setup build` of inputs whose image is in ECR already
starts no build and pushes nothing, against an emulator of its own whose request counter says
what reached AWS (GET /_sm_emulator/stats, reset before each build that is judged)."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sm_studio_setup.emulator.core.server import CONTROL_PREFIX
from sm_studio_setup.service.build.records import Records

from ..emulator_process import EmulatorProcess
from ..openapi import validate
from .support import IMAGE_URI, REPOSITORY, admin, cli, cli_env, control, docker_calls

# What a build that builds and pushes nothing must never send.
_WRITES = (
    "codebuild:CreateProject",
    "codebuild:StartBuild",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
)


@pytest.fixture(scope="module")
def emulator(build_emulator: EmulatorProcess) -> EmulatorProcess:
    return build_emulator


@pytest.fixture(scope="module")
def env(emulator: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    found = cli_env(emulator, tmp_path_factory.mktemp("config"))
    for profile in ("image-build", "studio-kernel"):
        fixed = cli(found, "fix", "--apply", "--profile", profile)
        assert fixed.returncode == 0, fixed.stderr
    return found


def _stats(emulator: EmulatorProcess) -> dict[str, int]:
    url = emulator.env["AWS_ENDPOINT_URL"] + CONTROL_PREFIX + "/stats"
    with urllib.request.urlopen(url, timeout=10) as answer:
        found: dict[str, int] = json.loads(answer.read())["by_operation"]
    return found


def _reset(emulator: EmulatorProcess) -> None:
    control(emulator, "/stats/reset", {})


def _build(env: dict[str, str], folder: Path, *args: str) -> tuple[dict[str, Any], str]:
    done = cli(env, "build", str(folder), "--json", *args)
    summary: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == (0 if summary["status"] == "SUCCEEDED" else 1), done.stderr
    return summary, done.stderr


def _record(env: dict[str, str], build_id: str) -> dict[str, Any]:
    records = Records(Path(env["SM_STUDIO_SETUP_CONFIG_DIR"]) / "builds")
    return records.load(build_id).to_json()


def _made(folder: Path, marker: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text(
        "FROM public.ecr.aws/docker/library/python:3.12-slim\n"
        f"ARG GREETING\nCOPY . /srv\n# {marker}\n"
    )
    (folder / "app.py").write_text("print('hello')\n")
    (folder / "run.sh").write_text("#!/bin/sh\nexec python /srv/app.py\n")
    (folder / "run.sh").chmod(0o755)
    (folder / ".dockerignore").write_text("data/\n")
    (folder / "data").mkdir()
    (folder / "data" / "weights.bin").write_bytes(b"w" * 4096)
    os.symlink("app.py", folder / "main.py")
    return folder


@pytest.fixture(scope="module")
def base(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A folder built once, to the requested tag data-scientist: its summary and folder."""
    folder = _made(tmp_path_factory.mktemp("base") / "p", "base")
    summary, _ = _build(env, folder)
    assert summary["status"] == "SUCCEEDED", summary["message"]
    assert summary["reason"] == "" and summary["unchanged_since"] is None
    assert summary["inputs_tag"] == "smss-inputs-" + summary["inputs_digest"]
    return {"summary": summary, "folder": folder}


def _copy(base: dict[str, Any], to: Path) -> Path:
    """The base folder elsewhere (where a folder is, is no input), every time changed."""
    shutil.copytree(base["folder"], to, symlinks=True)
    for path in to.rglob("*"):
        if not path.is_symlink():
            os.utime(path, (2_000_000_000, 2_000_000_000))
    return to


def _tag_names(emulator: EmulatorProcess, tag: str) -> str:
    found = admin(emulator, "ecr").describe_images(
        repositoryName=REPOSITORY, imageIds=[{"imageTag": tag}]
    )
    return str(found["imageDetails"][0]["imageDigest"])


def test_the_built_image_carries_its_inputs_tag(
    base: dict[str, Any], emulator: EmulatorProcess
) -> None:
    summary = base["summary"]
    assert _tag_names(emulator, summary["inputs_tag"]) == summary["digest"]
    assert _tag_names(emulator, "data-scientist") == summary["digest"]


def test_an_unchanged_folder_starts_no_build_and_pushes_nothing(
    base: dict[str, Any], env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    first = base["summary"]
    folder = _copy(base, tmp_path / "elsewhere")
    _reset(emulator)
    summary, log = _build(env, folder)
    calls = _stats(emulator)
    assert summary["status"] == "SUCCEEDED", summary["message"]
    assert summary["reason"] == "unchanged"
    assert summary["image_uri"] == IMAGE_URI and summary["digest"] == first["digest"]
    assert summary["inputs_digest"] == first["inputs_digest"]
    assert summary["unchanged_since"]["build_id"] == first["build_id"]
    assert summary["retagged"] is None  # data-scientist names it already: nothing written
    assert summary["message"].startswith(f"Unchanged since build {first['build_id']} (")
    assert f"): {IMAGE_URI}. Nothing was built or pushed." in summary["message"]
    assert "FROM …:latest" in summary["message"] and "--rebuild" in summary["message"]
    assert [s["name"] for s in summary["steps"]] == ["CHECK", "INPUTS", "IMAGE"]
    assert summary["codebuild_id"] is None and summary["bytes_uploaded"] == 0
    assert not any(k.startswith(("s3:PUT", "s3:POST")) for k in calls), calls
    assert not [k for k in _WRITES if k in calls], calls
    assert "ecr:BatchGetImage" not in calls
    assert calls.get("ecr:DescribeImages", 0) >= 1  # the lookup itself
    assert "[docker]" not in log
    # The record as REST serves it, against openapi.yaml.
    record = _record(env, summary["build_id"])
    validate(record, "Build")
    assert record["reason"] == "unchanged" and record["inputs_tag"] == first["inputs_tag"]

    # As the CLI prints it.
    _reset(emulator)
    text = cli(env, "build", str(folder))
    assert text.returncode == 0, text.stderr
    assert f"Unchanged since build {first['build_id']}" in text.stdout
    assert f"Image     {IMAGE_URI}" in text.stdout and first["digest"] in text.stdout
    assert "INPUTS    ok: built already" in text.stderr
    assert not [k for k in _WRITES if k in _stats(emulator)]


def test_a_change_to_an_ignored_file_builds_nothing(
    base: dict[str, Any], env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    folder = _copy(base, tmp_path / "p")
    (folder / "data" / "weights.bin").write_bytes(b"changed")
    (folder / "data" / "new.bin").write_bytes(b"new")
    _reset(emulator)
    summary, _ = _build(env, folder)
    assert summary["reason"] == "unchanged", summary["message"]
    assert summary["digest"] == base["summary"]["digest"]
    assert not [k for k in _WRITES if k in _stats(emulator)]


@pytest.mark.parametrize(
    ("name", "change", "args"),
    [
        ("file", lambda f: (f / "app.py").write_text("print('changed')\n"), ()),
        ("mode", lambda f: (f / "app.py").chmod(0o755), ()),
        ("link", lambda f: ((f / "main.py").unlink(), os.symlink("run.sh", f / "main.py")), ()),
        ("arg", lambda f: None, ("--build-arg", "GREETING=hi")),
        ("platform", lambda f: None, ("--platform", "linux/arm64")),
        ("docker-arg", lambda f: None, ("--", "--label", "x=y")),
    ],
)
def test_a_change_to_an_input_builds(
    base: dict[str, Any],
    env: dict[str, str],
    emulator: EmulatorProcess,
    tmp_path: Path,
    name: str,
    change: Any,
    args: tuple[str, ...],
) -> None:
    folder = _copy(base, tmp_path / "p")
    change(folder)
    _reset(emulator)
    docker_args: tuple[str, ...] = ()
    if "--" in args:
        at = args.index("--")
        args, docker_args = args[:at], args[at:]
    summary, log = _build(env, folder, "--repository", f"{REPOSITORY}:{name}", *args, *docker_args)
    calls = _stats(emulator)
    assert summary["status"] == "SUCCEEDED", summary["message"]
    assert summary["reason"] == "" and summary["codebuild_id"]
    assert summary["inputs_tag"] != base["summary"]["inputs_tag"]
    assert calls.get("codebuild:StartBuild") == 1, calls
    # Both tags went with the image: the requested one and the inputs'.
    [call] = [c for c in docker_calls(log) if c[:1] == ["build"]]
    tags = [call[i + 1] for i, word in enumerate(call) if word == "--tag"]
    registry = IMAGE_URI.split("/")[0]
    assert tags == [
        f"{registry}/{REPOSITORY}:{name}",
        f"{registry}/{REPOSITORY}:{summary['inputs_tag']}",
    ]
    assert ["push", tags[1]] in docker_calls(log)
    assert _tag_names(emulator, summary["inputs_tag"]) == summary["digest"]


def test_rebuild_builds_and_still_pushes_the_inputs_tag(
    base: dict[str, Any], env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    folder = _copy(base, tmp_path / "p")
    _reset(emulator)
    summary, log = _build(env, folder, "--rebuild", "--repository", f"{REPOSITORY}:rebuilt")
    calls = _stats(emulator)
    assert summary["status"] == "SUCCEEDED" and summary["reason"] == "", summary["message"]
    assert calls.get("codebuild:StartBuild") == 1, calls
    assert "ecr:DescribeImages" not in calls or calls["ecr:DescribeImages"] == 1  # the IMAGE step
    [inputs_step] = [s for s in summary["steps"] if s["name"] == "INPUTS"]
    assert inputs_step["status"] == "SKIPPED"
    assert summary["inputs_tag"] == base["summary"]["inputs_tag"]
    assert ["push", IMAGE_URI.split("/")[0] + f"/{REPOSITORY}:{summary['inputs_tag']}"] in (
        docker_calls(log)
    )


def test_an_unchanged_build_moves_the_requested_tag_without_building(
    env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    one, other = _made(tmp_path / "one", "one"), _made(tmp_path / "other", "other")
    moving = f"{REPOSITORY}:moving"
    first, _ = _build(env, one, "--repository", moving)
    second, _ = _build(env, other, "--repository", moving)
    assert first["digest"] != second["digest"]
    assert _tag_names(emulator, "moving") == second["digest"]

    _reset(emulator)
    again, _ = _build(env, one, "--repository", moving)
    calls = _stats(emulator)
    assert again["reason"] == "unchanged" and again["retagged"] == "moving"
    assert again["digest"] == first["digest"]
    assert _tag_names(emulator, "moving") == first["digest"]  # moved back
    assert "moving was moved to it (a retag)" in again["message"]
    # A retag: the manifest read and put again under the tag, no layer, no CodeBuild.
    assert calls.get("ecr:BatchGetImage") == 1 and calls.get("ecr:PutImage") == 1, calls
    assert not [k for k in _WRITES if k in calls and k != "ecr:PutImage"], calls
    assert not any(k.startswith(("s3:PUT", "s3:POST")) for k in calls), calls


def test_an_unchanged_build_still_attaches(
    base: dict[str, Any], env: dict[str, str], emulator: EmulatorProcess, tmp_path: Path
) -> None:
    folder = _copy(base, tmp_path / "p")
    _reset(emulator)
    summary, _ = _build(env, folder, "--attach", "unchanged-kernel")
    calls = _stats(emulator)
    assert summary["reason"] == "unchanged", summary["message"]
    assert summary["attach"]["image_name"] == "unchanged-kernel"
    assert [s["name"] for s in summary["steps"]] == ["CHECK", "INPUTS", "IMAGE", "ATTACH"]
    assert all(s["status"] in ("SUCCEEDED",) for s in summary["steps"]), summary["steps"]
    assert calls.get("sagemaker:CreateImageVersion") == 1, calls
    assert not [k for k in _WRITES if k in calls], calls


@pytest.fixture
def immutable(emulator: EmulatorProcess) -> Iterator[None]:
    ecr = admin(emulator, "ecr")
    ecr.put_image_tag_mutability(repositoryName=REPOSITORY, imageTagMutability="IMMUTABLE")
    yield
    ecr.put_image_tag_mutability(repositoryName=REPOSITORY, imageTagMutability="MUTABLE")


def test_rebuild_on_an_immutable_repository_skips_the_inputs_tag_it_has(
    base: dict[str, Any],
    env: dict[str, str],
    emulator: EmulatorProcess,
    tmp_path: Path,
    immutable: None,
) -> None:
    folder = _copy(base, tmp_path / "p")
    summary, log = _build(env, folder, "--rebuild", "--repository", f"{REPOSITORY}:fresh")
    assert summary["status"] == "SUCCEEDED", summary["message"]
    assert summary["inputs_tag"] is None
    assert any("immutable" in w and base["summary"]["inputs_tag"] in w for w in summary["warnings"])
    [call] = [c for c in docker_calls(log) if c[:1] == ["build"]]
    assert call.count("--tag") == 1
    pushes = [c for c in docker_calls(log) if c[:1] == ["push"]]
    assert pushes == [["push", IMAGE_URI.split("/")[0] + f"/{REPOSITORY}:fresh"]]


def test_the_lookup_comes_between_the_check_and_the_upload(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = _made(tmp_path / "fresh", "fresh")
    summary, _ = _build(env, folder, "--repository", f"{REPOSITORY}:ordered")
    names = [s["name"] for s in summary["steps"]]
    assert names[:3] == ["CHECK", "INPUTS", "PACKAGE"] and "UPLOAD" in names
    assert summary["files"] == 5  # .dockerignore, Dockerfile, app.py, main.py, run.sh; no data/
