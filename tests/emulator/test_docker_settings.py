"""Studio's Docker as the domain and the emulator's commands set it: ``DomainSettings.
DockerSettings`` and ``AppNetworkAccessType`` in CreateDomain/UpdateDomain/DescribeDomain (the
botocore model's constraints), the seed's and commands' ``--docker``, and ``DOCKER_HOST`` in the
emulator's and the demo's environments."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from sm_studio_setup import demo
from sm_studio_setup.emulator import command
from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.emulator.services import sagemaker

from ..emulator_process import REPO, EmulatorProcess
from .docker_support import call, socket_path

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole"
TRUSTED = ["111122223333", "444455556666"]


@pytest.fixture
def sm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    sagemaker.install()
    sagemaker.configure(state_seconds=0)
    with mock_aws():
        yield boto3.client("sagemaker", region_name="us-east-1")


def create(sm: Any, **extra: Any) -> str:
    arn = sm.create_domain(
        DomainName="docker",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": ROLE},
        SubnetIds=["subnet-1"],
        VpcId="vpc-1",
        **extra,
    )["DomainArn"]
    return str(arn).rsplit("/", 1)[-1]


def validation_error(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    error = excinfo.value.response["Error"]
    assert error["Code"] == "ValidationException"
    return str(error["Message"])


def test_docker_settings_round_trip_beside_the_other_members(sm: Any) -> None:
    docker = {
        "EnableDockerAccess": "ENABLED",
        "VpcOnlyTrustedAccounts": TRUSTED,
        "RootlessDocker": "DISABLED",
    }
    domain_id = create(
        sm,
        DomainSettings={"SecurityGroupIds": ["sg-1"], "DockerSettings": docker},
        AppNetworkAccessType="VpcOnly",
    )
    described = sm.describe_domain(DomainId=domain_id)
    assert described["DomainSettings"] == {"SecurityGroupIds": ["sg-1"], "DockerSettings": docker}
    assert described["AppNetworkAccessType"] == "VpcOnly"
    sm.update_domain(
        DomainId=domain_id,
        DomainSettingsForUpdate={"DockerSettings": {"EnableDockerAccess": "DISABLED"}},
        AppNetworkAccessType="PublicInternetOnly",
    )
    described = sm.describe_domain(DomainId=domain_id)
    # UpdateDomain replaces the member it names and keeps the others.
    assert described["DomainSettings"] == {
        "SecurityGroupIds": ["sg-1"],
        "DockerSettings": {"EnableDockerAccess": "DISABLED"},
    }
    assert described["AppNetworkAccessType"] == "PublicInternetOnly"


def test_a_domain_without_docker_settings_describes_none(sm: Any) -> None:
    described = sm.describe_domain(DomainId=create(sm))
    assert "DockerSettings" not in (described.get("DomainSettings") or {})
    assert described["AppNetworkAccessType"] == "PublicInternetOnly"


@pytest.mark.parametrize(
    ("docker", "message"),
    [
        (
            {"VpcOnlyTrustedAccounts": [ACCOUNT] * 21},
            "dockerSettings.vpcOnlyTrustedAccounts' failed to satisfy constraint: Member must "
            "have length less than or equal to 20",
        ),
        (
            {"VpcOnlyTrustedAccounts": ["1234567890123"]},
            "Member must have length less than or equal to 12",
        ),
        (
            {"VpcOnlyTrustedAccounts": ["12345678901a"]},
            "Member must satisfy regular expression pattern",
        ),
        (
            {"EnableDockerAccess": "on"},
            "Value 'on' at 'domainSettings.dockerSettings.enableDockerAccess' failed to satisfy "
            "constraint: Member must satisfy enum value set: [ENABLED, DISABLED]",
        ),
        ({"RootlessDocker": "yes"}, "dockerSettings.rootlessDocker"),
    ],
)
def test_create_domain_checks_docker_settings_as_the_model_says(
    sm: Any, docker: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientError) as refused:
        create(sm, DomainSettings={"DockerSettings": docker})
    assert message in validation_error(refused)


def test_update_domain_checks_them_too(sm: Any) -> None:
    domain_id = create(sm)
    with pytest.raises(ClientError) as refused:
        sm.update_domain(
            DomainId=domain_id,
            DomainSettingsForUpdate={"DockerSettings": {"VpcOnlyTrustedAccounts": [ACCOUNT] * 21}},
        )
    assert "domainSettingsForUpdate.dockerSettings.vpcOnlyTrustedAccounts" in validation_error(
        refused
    )


def test_app_network_access_type_is_an_enum(sm: Any) -> None:
    with pytest.raises(ClientError) as refused:
        create(sm, AppNetworkAccessType="Internet")
    assert "Member must satisfy enum value set: [PublicInternetOnly, VpcOnly]" in (
        validation_error(refused)
    )


# --- the seed and the emulator's environment ----------------------------------------------------


def test_docker_is_off_by_default_as_on_aws() -> None:
    with Emulator() as running:
        info = running.seed_info
        assert info is not None
        domain = (
            running.admin_session().client("sagemaker").describe_domain(DomainId=info.domain_id)
        )
        assert "DockerSettings" not in (domain.get("DomainSettings") or {})
        assert "DOCKER_HOST" not in running.client_env()
        assert running.workdir is not None
        assert not (running.workdir / "docker" / "proxy.sock").exists()
        assert running.docker.state()["enabled"] is False


def test_the_emulator_command_exports_docker_host_only_when_enabled(
    start_emulator: Callable[..., EmulatorProcess], demo_emulator: EmulatorProcess
) -> None:
    assert "DOCKER_HOST" not in demo_emulator.env
    enabled = start_emulator("managed", "--docker", "enabled")
    try:
        host = enabled.env["DOCKER_HOST"]
        assert host.startswith("unix://") and host.endswith("/docker/proxy.sock")
        assert os.path.dirname(socket_path(host)).startswith(
            os.path.dirname(enabled.env["SM_STUDIO_SETUP_CONFIG_DIR"])
        )
        assert call(socket_path(host), "GET", "/_ping").body == b"OK"
        session = boto3.Session(
            aws_access_key_id=enabled.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=enabled.env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=enabled.env["AWS_SESSION_TOKEN"],
            region_name="us-east-1",
        )
        sagemaker_client = session.client("sagemaker", endpoint_url=enabled.env["AWS_ENDPOINT_URL"])
        metadata = Path(enabled.env["SM_STUDIO_SETUP_METADATA"])
        domain_id = json.loads(metadata.read_text(encoding="utf-8"))["DomainId"]
        settings = sagemaker_client.describe_domain(DomainId=domain_id)["DomainSettings"]
        assert settings["DockerSettings"]["EnableDockerAccess"] == "ENABLED"
    finally:
        enabled.stop()


def parsed(add: Callable[[argparse.ArgumentParser], None], *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add(parser)
    return parser.parse_args(list(argv))


def test_docker_is_off_unless_asked_as_in_a_new_domain() -> None:
    # The demo's README walk-through builds on CodeBuild; --docker enabled shows the local path.
    assert parsed(demo.add_arguments).docker == "disabled"
    assert parsed(demo.add_arguments, "--docker", "enabled").docker == "enabled"
    assert parsed(command.add_arguments).docker == "disabled"
    assert parsed(command.add_arguments, "--provisioning-seconds", "90").provisioning_seconds == 90
    with pytest.raises(SystemExit):
        parsed(command.add_arguments, "--docker", "maybe")


def test_the_ui_tests_keep_docker_disabled_unless_asked() -> None:
    script = (REPO / "ui-tests" / "start-demo.sh").read_text(encoding="utf-8")
    assert 'docker="${4:-disabled}"' in script
    assert '--docker "$docker"' in script


def test_the_lab_environment_takes_only_the_emulators_docker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://real-daemon.example:2376")
    monkeypatch.setenv("DOCKER_CONTEXT", "production")
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    base = {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}
    env = demo.lab_environment(base)
    assert not {"DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY"} & set(env)
    ours = demo.lab_environment({**base, "DOCKER_HOST": "unix:///tmp/e/docker/proxy.sock"})
    assert ours["DOCKER_HOST"] == "unix:///tmp/e/docker/proxy.sock"
