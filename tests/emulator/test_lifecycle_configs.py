"""The emulator's Studio lifecycle configurations: the API as botocore's model describes it, the
content kept as sent (base64), and settings that name one refused unless it exists."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from sm_studio_setup.emulator.core.resources import Scope, resolve
from sm_studio_setup.emulator.services import sagemaker

from .support import error_of

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole"
PREFIX = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
SCRIPT = base64.b64encode(b"#!/bin/bash\necho hello\n").decode()


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def sm() -> Iterator[Any]:
    sagemaker.install()
    sagemaker.configure(state_seconds=0)
    with mock_aws():
        client = boto3.client("sagemaker", region_name=REGION)
        client.create_domain(
            DomainName="demo",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": ROLE},
            SubnetIds=["subnet-1"],
            VpcId="vpc-1",
        )
        yield client


def _domain(sm: Any) -> str:
    return str(sm.list_domains()["Domains"][0]["DomainId"])


def _create(sm: Any, name: str, app_type: str = "JupyterLab") -> str:
    return str(
        sm.create_studio_lifecycle_config(
            StudioLifecycleConfigName=name,
            StudioLifecycleConfigContent=SCRIPT,
            StudioLifecycleConfigAppType=app_type,
        )["StudioLifecycleConfigArn"]
    )


def test_create_describe_list_delete(sm: Any) -> None:
    arn = _create(sm, "install-tools")
    assert arn == f"{PREFIX}:studio-lifecycle-config/install-tools"
    found = sm.describe_studio_lifecycle_config(StudioLifecycleConfigName="install-tools")
    assert found["StudioLifecycleConfigContent"] == SCRIPT  # base64, as it was sent
    assert found["StudioLifecycleConfigAppType"] == "JupyterLab"
    assert found["StudioLifecycleConfigArn"] == arn
    _create(sm, "editor-tools", "CodeEditor")
    listed = sm.list_studio_lifecycle_configs()["StudioLifecycleConfigs"]
    assert [c["StudioLifecycleConfigName"] for c in listed] == ["editor-tools", "install-tools"]
    assert "StudioLifecycleConfigContent" not in listed[0]
    only = sm.list_studio_lifecycle_configs(AppTypeEquals="CodeEditor", SortOrder="Ascending")
    assert [c["StudioLifecycleConfigName"] for c in only["StudioLifecycleConfigs"]] == [
        "editor-tools"
    ]
    page = sm.list_studio_lifecycle_configs(MaxResults=1)
    assert len(page["StudioLifecycleConfigs"]) == 1 and page["NextToken"]
    sm.delete_studio_lifecycle_config(StudioLifecycleConfigName="install-tools")
    with pytest.raises(ClientError) as gone:
        sm.describe_studio_lifecycle_config(StudioLifecycleConfigName="install-tools")
    assert error_of(gone)[0] == "ResourceNotFound"


def test_a_name_is_taken_once(sm: Any) -> None:
    _create(sm, "install-tools")
    with pytest.raises(ClientError) as taken:
        _create(sm, "install-tools")
    assert error_of(taken)[0] == "ResourceInUse"


@pytest.mark.parametrize(
    "request_members",
    [
        {"StudioLifecycleConfigName": "bad_name!"},
        {"StudioLifecycleConfigContent": "x" * 16_385},
        {"StudioLifecycleConfigAppType": "JupyterNotebook"},
    ],
    ids=["name", "content", "app-type"],
)
def test_the_models_constraints_are_checked(sm: Any, request_members: dict[str, str]) -> None:
    members = {
        "StudioLifecycleConfigName": "ok",
        "StudioLifecycleConfigContent": SCRIPT,
        "StudioLifecycleConfigAppType": "JupyterLab",
        **request_members,
    }
    with pytest.raises(ClientError) as refused:
        sm.create_studio_lifecycle_config(**members)
    assert error_of(refused)[0] == "ValidationException"


def test_settings_may_name_only_configurations_that_exist(sm: Any) -> None:
    domain = _domain(sm)
    missing = f"{PREFIX}:studio-lifecycle-config/nowhere"
    for settings in (
        {"JupyterLabAppSettings": {"LifecycleConfigArns": [missing]}},
        {"JupyterLabAppSettings": {"DefaultResourceSpec": {"LifecycleConfigArn": missing}}},
    ):
        with pytest.raises(ClientError) as refused:
            sm.update_domain(DomainId=domain, DefaultUserSettings=settings)
        assert error_of(refused)[0] == "ResourceNotFound"
    with pytest.raises(ClientError) as refused:
        sm.create_user_profile(
            DomainId=domain,
            UserProfileName="alice",
            UserSettings={"CodeEditorAppSettings": {"LifecycleConfigArns": [missing]}},
        )
    assert error_of(refused)[0] == "ResourceNotFound"
    arn = _create(sm, "install-tools")
    sm.update_domain(
        DomainId=domain,
        DefaultUserSettings={
            "JupyterLabAppSettings": {
                "LifecycleConfigArns": [arn],
                "DefaultResourceSpec": {"LifecycleConfigArn": arn},
            }
        },
    )
    settings = sm.describe_domain(DomainId=domain)["DefaultUserSettings"]
    assert settings["JupyterLabAppSettings"]["LifecycleConfigArns"] == [arn]
    assert settings["ExecutionRole"] == ROLE  # other members kept


def test_a_configuration_of_another_app_type_is_refused(sm: Any) -> None:
    arn = _create(sm, "editor-tools", "CodeEditor")
    with pytest.raises(ClientError) as refused:
        sm.update_domain(
            DomainId=_domain(sm),
            DefaultUserSettings={"JupyterLabAppSettings": {"LifecycleConfigArns": [arn]}},
        )
    assert error_of(refused)[0] == "ValidationException"


def test_one_in_use_is_not_deleted(sm: Any) -> None:
    domain = _domain(sm)
    arn = _create(sm, "install-tools")
    sm.update_domain(
        DomainId=domain,
        DefaultUserSettings={"JupyterLabAppSettings": {"LifecycleConfigArns": [arn]}},
    )
    with pytest.raises(ClientError) as refused:
        sm.delete_studio_lifecycle_config(StudioLifecycleConfigName="install-tools")
    code, message, _ = error_of(refused)
    assert code == "ResourceInUse" and domain in message
    sm.update_domain(
        DomainId=domain, DefaultUserSettings={"JupyterLabAppSettings": {"LifecycleConfigArns": []}}
    )
    sm.delete_studio_lifecycle_config(StudioLifecycleConfigName="install-tools")


def test_enforcement_authorizes_them_on_the_configurations_arn() -> None:
    scope = Scope(account=ACCOUNT, region=REGION)
    for operation in (
        "CreateStudioLifecycleConfig",
        "DescribeStudioLifecycleConfig",
        "DeleteStudioLifecycleConfig",
    ):
        target = resolve("sagemaker", operation, {"StudioLifecycleConfigName": "x-1"}, scope)
        assert target.resource == f"{PREFIX}:studio-lifecycle-config/x-1"
        assert target.action == f"sagemaker:{operation}"
    listed = resolve("sagemaker", "ListStudioLifecycleConfigs", {}, scope)
    assert listed.resource == "*"
