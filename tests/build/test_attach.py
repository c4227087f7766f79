"""Attach: an ECR image becomes a Studio custom image, keeping every custom image and setting
already there, harmless when run twice, at domain or user-profile scope."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sm_studio_setup.errors import SetupError
from sm_studio_setup.service import Service
from sm_studio_setup.service.build.records import Records
from sm_studio_setup.service.check import CheckOptions
from sm_studio_setup.service.options import AttachOptions, BuildOptions

from ..conftest import point_at
from ..emulator_process import EmulatorProcess
from .support import IMAGE_URI, admin, build_folder, cli, cli_env

DOMAIN = "d-studio-demo"
PROFILE = "data-scientist"
EXISTING = {"ImageName": "team-image", "AppImageConfigName": "team-config", "ImageVersionNumber": 1}


@pytest.fixture(scope="module")
def emulator(build_emulator: EmulatorProcess) -> EmulatorProcess:
    return build_emulator


def _domain_id(emulator: EmulatorProcess) -> str:
    domains = admin(emulator, "sagemaker").list_domains()["Domains"]
    return str(domains[0]["DomainId"])


@pytest.fixture(scope="module")
def built(emulator: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The role fixed for building and attaching, an image built, and a custom image of the
    team's already in the domain."""
    with pytest.MonkeyPatch.context() as patch:
        point_at(emulator, patch, tmp_path_factory.mktemp("config"))
        service = Service()
        for options in (
            CheckOptions(),
            CheckOptions(profile="studio-kernel"),
            CheckOptions(profile="studio-kernel", scope="user-profile"),
        ):
            plan = service.fix_plan(options)
            if not plan.empty:
                service.fix_apply(plan)
        record = service.build(
            BuildOptions(context=str(build_folder(tmp_path_factory.mktemp("p")))),
            records=Records(tmp_path_factory.mktemp("records")),
            poll_seconds=0.2,
        )
    assert record.status == "SUCCEEDED", record.message
    sagemaker = admin(emulator, "sagemaker")
    role = sagemaker.describe_domain(DomainId=_domain_id(emulator))["DefaultUserSettings"][
        "ExecutionRole"
    ]
    # SageMaker creates images and versions asynchronously (the emulator too): wait as an
    # administrator's script would, with botocore's waiters.
    quick = {"Delay": 0.2, "MaxAttempts": 100}
    sagemaker.create_image(ImageName="team-image", RoleArn=role)
    sagemaker.get_waiter("image_created").wait(ImageName="team-image", WaiterConfig=quick)
    sagemaker.create_image_version(ImageName="team-image", BaseImage=IMAGE_URI, ClientToken="t1")
    sagemaker.get_waiter("image_version_created").wait(ImageName="team-image", WaiterConfig=quick)
    sagemaker.create_app_image_config(AppImageConfigName="team-config", JupyterLabAppImageConfig={})
    domain = _domain_id(emulator)
    settings = sagemaker.describe_domain(DomainId=domain)["DefaultUserSettings"]
    settings["JupyterLabAppSettings"] = {
        "CustomImages": [EXISTING],
        "DefaultResourceSpec": {"InstanceType": "ml.t3.medium"},
    }
    sagemaker.update_domain(DomainId=domain, DefaultUserSettings=settings)
    assert record.image_uri == IMAGE_URI
    return IMAGE_URI


@pytest.fixture
def service(emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Service:
    point_at(emulator, monkeypatch, tmp_path / "config")
    return Service()


def _domain_settings(emulator: EmulatorProcess) -> dict[str, Any]:
    found: dict[str, Any] = admin(emulator, "sagemaker").describe_domain(
        DomainId=_domain_id(emulator)
    )["DefaultUserSettings"]
    return found


def test_attach_keeps_what_the_domain_had_and_twice_adds_only_a_version(
    service: Service, emulator: EmulatorProcess, built: str
) -> None:
    before = _domain_settings(emulator)
    first = service.attach(AttachOptions(image_uri=built, image_name="my-kernel"))
    assert first.image_created and first.config_created and first.settings_changed
    assert first.version == 1
    after = _domain_settings(emulator)
    images = after["JupyterLabAppSettings"]["CustomImages"]
    assert images[0] == EXISTING  # the team's image, untouched, pinned version and all
    assert images[1] == {"ImageName": "my-kernel", "AppImageConfigName": first.app_image_config}
    assert after["JupyterLabAppSettings"]["DefaultResourceSpec"] == {"InstanceType": "ml.t3.medium"}
    assert after["ExecutionRole"] == before["ExecutionRole"]
    assert {k for k in after if k != "JupyterLabAppSettings"} == {
        k for k in before if k != "JupyterLabAppSettings"
    }

    sagemaker = admin(emulator, "sagemaker")
    config = sagemaker.describe_app_image_config(AppImageConfigName=first.app_image_config)
    assert config["JupyterLabAppImageConfig"]["FileSystemConfig"] == {
        "MountPath": "/home/sagemaker-user",
        "DefaultUid": 1000,
        "DefaultGid": 100,
    }

    second = service.attach(AttachOptions(image_uri=built, image_name="my-kernel"))
    assert not second.image_created and not second.config_created
    assert not second.settings_changed
    assert second.version == 2
    assert _domain_settings(emulator) == after
    versions = sagemaker.list_image_versions(ImageName="my-kernel")["ImageVersions"]
    assert sorted(v["Version"] for v in versions) == [1, 2]
    assert all(v["ImageVersionStatus"] == "CREATED" for v in versions)


def test_user_profile_scope_leaves_the_domain_alone(
    service: Service, emulator: EmulatorProcess, built: str
) -> None:
    domain_before = _domain_settings(emulator)
    result = service.attach(
        AttachOptions(image_uri=built, image_name="just-mine", scope="user-profile")
    )
    assert result.scope == "user-profile" and result.target.endswith(f"/{PROFILE}")
    assert _domain_settings(emulator) == domain_before
    profile = admin(emulator, "sagemaker").describe_user_profile(
        DomainId=_domain_id(emulator), UserProfileName=PROFILE
    )
    images = profile["UserSettings"]["JupyterLabAppSettings"]["CustomImages"]
    assert {"ImageName": "just-mine", "AppImageConfigName": result.app_image_config} in images


def test_studio_specifications_are_read_off_the_dockerfile(
    service: Service, built: str, tmp_path: Path
) -> None:
    folder = build_folder(tmp_path / "p", "FROM python:3.12\nUSER root\nWORKDIR /srv\n")
    result = service.attach(
        AttachOptions(image_uri=built, image_name="spec-check", context=str(folder))
    )
    text = " ".join(result.findings)
    assert "1000" in text  # the app runs as UID 1000, not root
    assert "/home/sagemaker-user" in text


def test_gaps_name_the_fix_to_run_and_create_nothing(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    fresh = start_emulator("self-service")  # a role never fixed for studio-kernel
    env = cli_env(fresh, tmp_path / "config")
    result = cli(env, "attach", IMAGE_URI, "--image-name", "my-kernel", "--scope", "user-profile")
    assert result.returncode == 3, result.stderr
    assert "Nothing was created" in result.stderr
    assert (
        "sm-studio-setup fix --profile studio-kernel --image-name my-kernel --scope user-profile"
        in result.stderr
    )
    assert admin(fresh, "sagemaker").list_images()["Images"] == []
    fresh.stop()


def test_an_image_of_another_account_is_one_sentence(service: Service, built: str) -> None:
    other = built.replace("123456789012", "210987654321")
    with pytest.raises(SetupError) as err:
        service.attach(AttachOptions(image_uri=other, image_name="elsewhere"))
    assert err.value.field == "image_uri"
    assert "210987654321" in err.value.message


def test_the_cli_attaches_and_build_attach_does_it_after_the_build(
    emulator: EmulatorProcess, built: str, tmp_path: Path
) -> None:
    env = cli_env(emulator, tmp_path / "config")
    attached = cli(env, "attach", built, "--image-name", "from-cli", "--json")
    assert attached.returncode == 0, attached.stderr
    assert json.loads(attached.stdout)["image_name"] == "from-cli"

    refused = cli(env, "attach", "not-an-image", "--image-name", "x")
    assert refused.returncode == 2
    assert "is not an ECR image URI" in refused.stderr

    both = cli(
        env, "build", str(build_folder(tmp_path / "p")), "--attach", "built-and-attached", "--json"
    )
    assert both.returncode == 0, both.stderr
    summary = json.loads(both.stdout)
    assert summary["attach"]["image_name"] == "built-and-attached"
    assert any(s["name"] == "ATTACH" and s["status"] == "SUCCEEDED" for s in summary["steps"])
    images = _domain_settings(emulator)["JupyterLabAppSettings"]["CustomImages"]
    assert EXISTING in images
    assert "built-and-attached" in {i["ImageName"] for i in images}
