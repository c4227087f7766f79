"""The emulator's SageMaker Studio additions, driven through real boto3 clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError
from moto import mock_aws
from moto.sagemaker.models import Domain
from moto.server import ThreadedMotoServer

from sm_studio_setup.emulator.services import sagemaker

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/StudioAdmin"
DOMAIN = "d-demo"
PREFIX = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
BASE_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/my-kernel:latest"


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
    """moto with the SageMaker additions, whose asynchronous states end at once (the states
    themselves are tested at the end)."""
    sagemaker.install()
    sagemaker.configure(state_seconds=0)
    with mock_aws():
        client = boto3.client("sagemaker", region_name=REGION)
        client.create_domain(
            DomainName="demo",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": ROLE, "SecurityGroups": ["sg-1"]},
            SubnetIds=["subnet-1"],
            VpcId="vpc-1",
        )
        yield client


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def error_message(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Message"])


def make_kernel_image(sm: Any, name: str = "my-kernel", config: str = "my-kernel-config") -> None:
    sm.create_image(ImageName=name, RoleArn=ROLE)
    sm.create_image_version(ImageName=name, BaseImage=BASE_IMAGE)
    sm.create_app_image_config(
        AppImageConfigName=config,
        KernelGatewayImageConfig={"KernelSpecs": [{"Name": "python3", "DisplayName": "Mine"}]},
    )


# --------------------------------------------------------------------------- install


def test_install_is_idempotent_and_wraps_describe_domain_once(sm: Any) -> None:
    sagemaker.install()
    sagemaker.install()
    wrapped = Domain.describe.__wrapped__  # type: ignore[attr-defined]
    assert not hasattr(wrapped, "__wrapped__")
    sm.update_domain(DomainId=DOMAIN, TagPropagation="ENABLED")
    assert sm.describe_domain(DomainId=DOMAIN)["TagPropagation"] == "ENABLED"


# --------------------------------------------------------------------------- UpdateDomain


def test_update_domain_is_visible_in_describe_domain(sm: Any) -> None:
    make_kernel_image(sm)
    custom = [{"ImageName": "my-kernel", "AppImageConfigName": "my-kernel-config"}]
    before = sm.describe_domain(DomainId=DOMAIN)

    answer = sm.update_domain(
        DomainId=DOMAIN,
        DefaultUserSettings={
            "ExecutionRole": OTHER_ROLE,
            "KernelGatewayAppSettings": {"CustomImages": custom},
            "JupyterLabAppSettings": {"CustomImages": custom},
        },
        DefaultSpaceSettings={"ExecutionRole": OTHER_ROLE},
        DomainSettingsForUpdate={"DockerSettings": {"EnableDockerAccess": "ENABLED"}},
        AppNetworkAccessType="VpcOnly",
    )

    assert answer["DomainArn"] == f"{PREFIX}:domain/{DOMAIN}"
    after = sm.describe_domain(DomainId=DOMAIN)
    users = after["DefaultUserSettings"]
    assert users["ExecutionRole"] == OTHER_ROLE
    assert users["KernelGatewayAppSettings"]["CustomImages"] == custom
    assert users["JupyterLabAppSettings"]["CustomImages"] == custom
    # Members the update did not name are kept, as AWS keeps them.
    assert users["SecurityGroups"] == ["sg-1"]
    assert after["DefaultSpaceSettings"]["ExecutionRole"] == OTHER_ROLE
    assert after["DomainSettings"]["DockerSettings"] == {"EnableDockerAccess": "ENABLED"}
    assert after["AppNetworkAccessType"] == "VpcOnly"
    assert after["LastModifiedTime"] >= before["LastModifiedTime"]


def test_update_domain_of_missing_domain_is_resource_not_found(sm: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sm.update_domain(DomainId="d-nothere", DefaultUserSettings={"ExecutionRole": ROLE})
    assert error_code(excinfo) == "ResourceNotFound"
    assert error_message(excinfo) == f"Domain {PREFIX}:domain/d-nothere does not exist."


def test_update_domain_refuses_custom_image_that_does_not_exist(sm: Any) -> None:
    sm.create_app_image_config(
        AppImageConfigName="cfg", KernelGatewayImageConfig={"KernelSpecs": [{"Name": "py"}]}
    )
    settings = {
        "KernelGatewayAppSettings": {
            "CustomImages": [{"ImageName": "ghost", "AppImageConfigName": "cfg"}]
        }
    }
    with pytest.raises(ClientError) as excinfo:
        sm.update_domain(DomainId=DOMAIN, DefaultUserSettings=settings)
    assert error_code(excinfo) == "ResourceNotFound"
    assert f"{PREFIX}:image/ghost" in error_message(excinfo)
    assert (
        "KernelGatewayAppSettings" not in sm.describe_domain(DomainId=DOMAIN)["DefaultUserSettings"]
    )


def test_update_domain_rejects_malformed_role(sm: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sm.update_domain(
            DomainId=DOMAIN,
            DefaultUserSettings={"ExecutionRole": f"arn:aws:iam::{ACCOUNT}:user/someone"},
        )
    assert error_code(excinfo) == "ValidationException"
    assert "'defaultUserSettings.executionRole'" in error_message(excinfo)


# --------------------------------------------------------------------------- user profiles


def test_user_profile_round_trip(sm: Any) -> None:
    arn = sm.create_user_profile(
        DomainId=DOMAIN, UserProfileName="alice", UserSettings={"ExecutionRole": ROLE}
    )["UserProfileArn"]
    assert arn == f"{PREFIX}:user-profile/{DOMAIN}/alice"

    profile = sm.describe_user_profile(DomainId=DOMAIN, UserProfileName="alice")
    assert profile["DomainId"] == DOMAIN
    assert profile["UserProfileArn"] == arn
    assert profile["UserProfileName"] == "alice"
    assert profile["Status"] == "InService"
    assert profile["HomeEfsFileSystemUid"].isdigit()
    assert profile["UserSettings"] == {"ExecutionRole": ROLE}
    assert profile["CreationTime"] <= profile["LastModifiedTime"]

    sm.create_user_profile(DomainId=DOMAIN, UserProfileName="bob")
    listed = sm.list_user_profiles(DomainIdEquals=DOMAIN)["UserProfiles"]
    assert [p["UserProfileName"] for p in listed] == ["alice", "bob"]
    assert listed[0]["Status"] == "InService"
    bob = sm.describe_user_profile(DomainId=DOMAIN, UserProfileName="bob")
    assert bob["HomeEfsFileSystemUid"] != profile["HomeEfsFileSystemUid"]
    assert "UserSettings" not in bob

    sm.delete_user_profile(DomainId=DOMAIN, UserProfileName="alice")
    names = [p["UserProfileName"] for p in sm.list_user_profiles()["UserProfiles"]]
    assert names == ["bob"]


def test_describe_missing_user_profile_is_resource_not_found(sm: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sm.describe_user_profile(DomainId=DOMAIN, UserProfileName="alice")
    assert error_code(excinfo) == "ResourceNotFound"
    assert error_message(excinfo) == (
        f"User profile {PREFIX}:user-profile/{DOMAIN}/alice does not exist."
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_duplicate_user_profile_is_resource_in_use(sm: Any) -> None:
    sm.create_user_profile(DomainId=DOMAIN, UserProfileName="alice")
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=DOMAIN, UserProfileName="alice")
    assert error_code(excinfo) == "ResourceInUse"
    assert f"{PREFIX}:user-profile/{DOMAIN}/alice" in error_message(excinfo)


def test_user_profile_under_missing_domain_is_resource_not_found(sm: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId="d-nothere", UserProfileName="alice")
    assert error_code(excinfo) == "ResourceNotFound"
    assert "domain/d-nothere" in error_message(excinfo)


def test_user_profile_that_owns_a_space_cannot_be_deleted(sm: Any) -> None:
    sm.create_user_profile(DomainId=DOMAIN, UserProfileName="alice")
    sm.create_space(
        DomainId=DOMAIN,
        SpaceName="alice-space",
        OwnershipSettings={"OwnerUserProfileName": "alice"},
        SpaceSharingSettings={"SharingType": "Private"},
    )
    with pytest.raises(ClientError) as excinfo:
        sm.delete_user_profile(DomainId=DOMAIN, UserProfileName="alice")
    assert error_code(excinfo) == "ResourceInUse"
    sm.delete_space(DomainId=DOMAIN, SpaceName="alice-space")
    sm.delete_user_profile(DomainId=DOMAIN, UserProfileName="alice")


# --------------------------------------------------------------------------- spaces


def test_private_space_round_trip(sm: Any) -> None:
    sm.create_user_profile(
        DomainId=DOMAIN, UserProfileName="alice", UserSettings={"ExecutionRole": ROLE}
    )
    arn = sm.create_space(
        DomainId=DOMAIN,
        SpaceName="alice-jl",
        SpaceSettings={
            "AppType": "JupyterLab",
            "JupyterLabAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.t3.medium"}},
        },
        OwnershipSettings={"OwnerUserProfileName": "alice"},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceDisplayName="Alice's lab",
    )["SpaceArn"]
    assert arn == f"{PREFIX}:space/{DOMAIN}/alice-jl"

    space = sm.describe_space(DomainId=DOMAIN, SpaceName="alice-jl")
    assert space["SpaceArn"] == arn
    assert space["Status"] == "InService"
    assert space["SpaceSettings"]["AppType"] == "JupyterLab"
    assert space["OwnershipSettings"] == {"OwnerUserProfileName": "alice"}
    assert space["SpaceSharingSettings"] == {"SharingType": "Private"}
    assert space["SpaceDisplayName"] == "Alice's lab"
    # A private space runs as its owner's role; the space itself carries none.
    assert ROLE not in repr(space)

    (summary,) = sm.list_spaces(DomainIdEquals=DOMAIN)["Spaces"]
    assert summary["SpaceName"] == "alice-jl"
    assert summary["SpaceSettingsSummary"] == {"AppType": "JupyterLab"}
    assert summary["SpaceSharingSettingsSummary"] == {"SharingType": "Private"}
    assert summary["OwnershipSettingsSummary"] == {"OwnerUserProfileName": "alice"}

    sm.delete_space(DomainId=DOMAIN, SpaceName="alice-jl")
    with pytest.raises(ClientError) as excinfo:
        sm.describe_space(DomainId=DOMAIN, SpaceName="alice-jl")
    assert error_code(excinfo) == "ResourceNotFound"
    assert error_message(excinfo) == f"Space {arn} does not exist."


def test_space_errors(sm: Any) -> None:
    sm.create_user_profile(DomainId=DOMAIN, UserProfileName="alice")
    sm.create_space(DomainId=DOMAIN, SpaceName="shared")

    with pytest.raises(ClientError) as excinfo:
        sm.create_space(DomainId=DOMAIN, SpaceName="shared")
    assert error_code(excinfo) == "ResourceInUse"

    with pytest.raises(ClientError) as excinfo:
        sm.create_space(
            DomainId=DOMAIN,
            SpaceName="orphan",
            OwnershipSettings={"OwnerUserProfileName": "nobody"},
            SpaceSharingSettings={"SharingType": "Private"},
        )
    assert error_code(excinfo) == "ResourceNotFound"
    assert "user-profile/d-demo/nobody" in error_message(excinfo)

    with pytest.raises(ClientError) as excinfo:
        sm.create_space(
            DomainId=DOMAIN, SpaceName="ownerless", SpaceSharingSettings={"SharingType": "Shared"}
        )
    assert error_code(excinfo) == "ValidationException"

    with pytest.raises(ClientError) as excinfo:
        sm.create_space(DomainId="d-nothere", SpaceName="x")
    assert error_code(excinfo) == "ResourceNotFound"

    with pytest.raises(ClientError) as excinfo:
        sm.create_space(
            DomainId=DOMAIN,
            SpaceName="typo",
            OwnershipSettings={"OwnerUserProfileName": "alice"},
            SpaceSharingSettings={"SharingType": "Secret"},
        )
    assert error_code(excinfo) == "ValidationException"
    assert "Member must satisfy enum value set: [Private, Shared]" in error_message(excinfo)


# --------------------------------------------------------------------------- images


def test_image_round_trip_with_lower_case_arn(sm: Any) -> None:
    arn = sm.create_image(
        ImageName="My-Kernel", RoleArn=ROLE, DisplayName="My kernel", Description="d"
    )["ImageArn"]
    assert arn == f"{PREFIX}:image/my-kernel"

    image = sm.describe_image(ImageName="My-Kernel")
    assert image["ImageName"] == "My-Kernel"
    assert image["ImageArn"] == arn
    assert image["ImageStatus"] == "CREATED"
    assert image["RoleArn"] == ROLE
    assert image["DisplayName"] == "My kernel"

    (listed,) = sm.list_images()["Images"]
    assert listed["ImageName"] == "My-Kernel"
    assert "RoleArn" not in listed

    with pytest.raises(ClientError) as excinfo:
        sm.create_image(ImageName="My-Kernel", RoleArn=ROLE)
    assert error_code(excinfo) == "ResourceInUse"

    sm.delete_image(ImageName="My-Kernel")
    with pytest.raises(ClientError) as excinfo:
        sm.describe_image(ImageName="My-Kernel")
    assert error_code(excinfo) == "ResourceNotFound"
    assert error_message(excinfo) == f"Image {arn} does not exist."


def test_image_versions_count_from_one(sm: Any) -> None:
    sm.create_image(ImageName="Kernel.v", RoleArn=ROLE)
    first = sm.create_image_version(ImageName="Kernel.v", BaseImage=BASE_IMAGE)
    second = sm.create_image_version(ImageName="Kernel.v", BaseImage=BASE_IMAGE + "2")
    assert first["ImageVersionArn"] == f"{PREFIX}:image-version/kernel.v/1"
    assert second["ImageVersionArn"] == f"{PREFIX}:image-version/kernel.v/2"

    latest = sm.describe_image_version(ImageName="Kernel.v")
    assert latest["Version"] == 2
    assert latest["BaseImage"] == BASE_IMAGE + "2"
    assert latest["ImageVersionStatus"] == "CREATED"
    assert latest["ImageArn"] == f"{PREFIX}:image/kernel.v"
    assert latest["ContainerImage"]
    assert sm.describe_image_version(ImageName="Kernel.v", Version=1)["BaseImage"] == BASE_IMAGE

    versions = sm.list_image_versions(ImageName="Kernel.v")["ImageVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    ascending = sm.list_image_versions(ImageName="Kernel.v", SortOrder="ASCENDING")
    assert [v["Version"] for v in ascending["ImageVersions"]] == [1, 2]

    sm.delete_image_version(ImageName="Kernel.v", Version=2)
    third = sm.create_image_version(ImageName="Kernel.v", BaseImage=BASE_IMAGE)
    assert third["ImageVersionArn"].endswith("/3")  # numbers are never reused

    with pytest.raises(ClientError) as excinfo:
        sm.describe_image_version(ImageName="Kernel.v", Version=2)
    assert error_code(excinfo) == "ResourceNotFound"
    assert "image-version/kernel.v/2" in error_message(excinfo)


def test_image_version_retry_with_same_client_token_is_idempotent(sm: Any) -> None:
    sm.create_image(ImageName="k", RoleArn=ROLE)
    a = sm.create_image_version(ImageName="k", BaseImage=BASE_IMAGE, ClientToken="token-1")
    b = sm.create_image_version(ImageName="k", BaseImage=BASE_IMAGE, ClientToken="token-1")
    assert a["ImageVersionArn"] == b["ImageVersionArn"]
    assert len(sm.list_image_versions(ImageName="k")["ImageVersions"]) == 1


def test_image_version_of_missing_image_is_resource_not_found(sm: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sm.create_image_version(ImageName="ghost", BaseImage=BASE_IMAGE)
    assert error_code(excinfo) == "ResourceNotFound"
    with pytest.raises(ClientError) as excinfo:
        sm.list_image_versions(ImageName="ghost")
    assert error_code(excinfo) == "ResourceNotFound"


def test_deleting_an_image_deletes_its_versions(sm: Any) -> None:
    sm.create_image(ImageName="k", RoleArn=ROLE)
    sm.create_image_version(ImageName="k", BaseImage=BASE_IMAGE)
    sm.delete_image(ImageName="k")
    sm.create_image(ImageName="k", RoleArn=ROLE)
    with pytest.raises(ClientError) as excinfo:
        sm.describe_image_version(ImageName="k", Version=1)
    assert error_code(excinfo) == "ResourceNotFound"


# --------------------------------------------------------------------------- app image configs


def test_app_image_config_round_trip(sm: Any) -> None:
    kernel = {
        "KernelSpecs": [{"Name": "python3", "DisplayName": "Python 3 (mine)"}],
        "FileSystemConfig": {"MountPath": "/home/sagemaker-user", "DefaultUid": 1000},
    }
    arn = sm.create_app_image_config(
        AppImageConfigName="My-Config", KernelGatewayImageConfig=kernel
    )["AppImageConfigArn"]
    assert arn == f"{PREFIX}:app-image-config/my-config"
    sm.create_app_image_config(
        AppImageConfigName="lab",
        JupyterLabAppImageConfig={"ContainerConfig": {"ContainerArguments": ["--x"]}},
    )

    config = sm.describe_app_image_config(AppImageConfigName="My-Config")
    assert config["AppImageConfigArn"] == arn
    assert config["AppImageConfigName"] == "My-Config"
    assert config["KernelGatewayImageConfig"] == kernel
    assert "JupyterLabAppImageConfig" not in config

    listed = sm.list_app_image_configs()["AppImageConfigs"]
    assert [c["AppImageConfigName"] for c in listed] == ["lab", "My-Config"]  # newest first
    assert listed[0]["JupyterLabAppImageConfig"]["ContainerConfig"]["ContainerArguments"] == ["--x"]
    named = sm.list_app_image_configs(NameContains="lab")["AppImageConfigs"]
    assert [c["AppImageConfigName"] for c in named] == ["lab"]

    with pytest.raises(ClientError) as excinfo:
        sm.create_app_image_config(AppImageConfigName="lab")
    assert error_code(excinfo) == "ResourceInUse"

    sm.delete_app_image_config(AppImageConfigName="My-Config")
    with pytest.raises(ClientError) as excinfo:
        sm.describe_app_image_config(AppImageConfigName="My-Config")
    assert error_code(excinfo) == "ResourceNotFound"
    assert error_message(excinfo) == f"App image config {arn} does not exist."
    with pytest.raises(ClientError) as excinfo:
        sm.delete_app_image_config(AppImageConfigName="My-Config")
    assert error_code(excinfo) == "ResourceNotFound"


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("operation", "kwargs", "where"),
    [
        (
            "create_user_profile",
            {"DomainId": DOMAIN, "UserProfileName": "al_ice"},
            "userProfileName",
        ),
        ("describe_user_profile", {"DomainId": "D-UPPER", "UserProfileName": "a"}, "domainId"),
        ("create_space", {"DomainId": DOMAIN, "SpaceName": "-lead"}, "spaceName"),
        ("create_image", {"ImageName": "bad..name", "RoleArn": ROLE}, "imageName"),
        ("create_image", {"ImageName": "ok", "RoleArn": "arn:aws:iam::1:user/x"}, "roleArn"),
        ("create_app_image_config", {"AppImageConfigName": "has space"}, "appImageConfigName"),
        ("list_images", {"MaxResults": 101}, "maxResults"),
    ],
)
def test_malformed_request_is_validation_exception(
    sm: Any, operation: str, kwargs: dict[str, Any], where: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        getattr(sm, operation)(**kwargs)
    assert error_code(excinfo) == "ValidationException"
    message = error_message(excinfo)
    assert message.startswith("1 validation error detected: Value ")
    assert f"at '{where}' failed to satisfy constraint" in message


def test_validation_reports_every_violation(sm: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sm.create_image(ImageName="bad_name", RoleArn="arn:aws:iam::123456789012:user/u")
    assert error_message(excinfo).startswith("2 validation errors detected: ")

    with pytest.raises(ClientError) as excinfo:
        sm.describe_image(ImageName="x" * 64)
    message = error_message(excinfo)
    assert message.startswith("2 validation errors detected: ")
    assert "Member must have length less than or equal to 63" in message


# --------------------------------------------------------------------------- listing


def test_list_user_profiles_pages_with_next_token(sm: Any) -> None:
    names = [f"user-{i:02d}" for i in range(12)]
    for name in names:
        sm.create_user_profile(DomainId=DOMAIN, UserProfileName=name)

    first = sm.list_user_profiles(MaxResults=5)
    assert [p["UserProfileName"] for p in first["UserProfiles"]] == names[:5]
    second = sm.list_user_profiles(MaxResults=5, NextToken=first["NextToken"])
    assert [p["UserProfileName"] for p in second["UserProfiles"]] == names[5:10]
    third = sm.list_user_profiles(MaxResults=5, NextToken=second["NextToken"])
    assert [p["UserProfileName"] for p in third["UserProfiles"]] == names[10:]
    assert "NextToken" not in third

    # Unpaged, SageMaker returns 10; boto3's paginator gathers the rest.
    assert len(sm.list_user_profiles()["UserProfiles"]) == 10
    pages = sm.get_paginator("list_user_profiles").paginate()
    gathered = [p["UserProfileName"] for page in pages for p in page["UserProfiles"]]
    assert gathered == names

    descending = sm.list_user_profiles(SortOrder="Descending", MaxResults=3)["UserProfiles"]
    assert [p["UserProfileName"] for p in descending] == names[::-1][:3]

    with pytest.raises(ClientError) as excinfo:
        sm.list_user_profiles(NextToken="not-a-token")
    assert error_code(excinfo) == "ValidationException"


def test_list_filters_by_domain_and_name(sm: Any) -> None:
    sm.create_domain(
        DomainName="other",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": ROLE},
        SubnetIds=["subnet-1"],
        VpcId="vpc-1",
    )
    sm.create_user_profile(DomainId=DOMAIN, UserProfileName="alice")
    sm.create_user_profile(DomainId="d-other", UserProfileName="alice")
    sm.create_user_profile(DomainId="d-other", UserProfileName="bob")

    in_other = sm.list_user_profiles(DomainIdEquals="d-other")["UserProfiles"]
    assert sorted(p["UserProfileName"] for p in in_other) == ["alice", "bob"]
    alices = sm.list_user_profiles(UserProfileNameContains="lic")["UserProfiles"]
    assert sorted(p["DomainId"] for p in alices) == [DOMAIN, "d-other"]


# --------------------------------------------------------------------------- state


def test_state_is_scoped_per_region_and_cleared_by_reset() -> None:
    sagemaker.install()
    with mock_aws():
        east = boto3.client("sagemaker", region_name=REGION)
        west = boto3.client("sagemaker", region_name="us-west-2")
        east.create_image(ImageName="k", RoleArn=ROLE)
        assert west.list_images()["Images"] == []
        arn = west.create_image(ImageName="k", RoleArn=ROLE)["ImageArn"]
        assert arn == f"arn:aws:sagemaker:us-west-2:{ACCOUNT}:image/k"
    with mock_aws():
        assert boto3.client("sagemaker", region_name=REGION).list_images()["Images"] == []


def test_served_over_http_by_the_moto_server() -> None:
    sagemaker.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        client = boto3.client("sagemaker", region_name=REGION, endpoint_url=f"http://{host}:{port}")
        client.create_domain(
            DomainName="served",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": ROLE},
            SubnetIds=["subnet-1"],
            VpcId="vpc-1",
        )
        client.create_user_profile(DomainId="d-served", UserProfileName="alice")
        profile = client.describe_user_profile(DomainId="d-served", UserProfileName="alice")
        assert profile["Status"] == "InService"
        with pytest.raises(ClientError) as excinfo:
            client.describe_space(DomainId="d-served", SpaceName="none")
        assert error_code(excinfo) == "ResourceNotFound"
    finally:
        server.stop()


# --- asynchronous states (services/sagemaker/lifecycle.py) ---------------------------------


@pytest.fixture
def slow(sm: Any) -> Iterator[Any]:
    sagemaker.configure(state_seconds=0.6)
    yield sm
    sagemaker.configure(state_seconds=0)
    sagemaker.lifecycle.reset()


def test_an_image_and_its_versions_are_creating_before_they_are_created(slow: Any) -> None:
    slow.create_image(ImageName="async", RoleArn=ROLE)
    assert slow.describe_image(ImageName="async")["ImageStatus"] == "CREATING"
    with pytest.raises(ClientError) as early:
        slow.create_image_version(ImageName="async", BaseImage="r:1", ClientToken="a" * 36)
    assert error_code(early) == "ValidationException"
    waiter = {"Delay": 0.2, "MaxAttempts": 20}
    slow.get_waiter("image_created").wait(ImageName="async", WaiterConfig=waiter)
    slow.create_image_version(ImageName="async", BaseImage="r:1", ClientToken="b" * 36)
    described = slow.describe_image_version(ImageName="async")
    assert described["ImageVersionStatus"] == "CREATING"
    slow.get_waiter("image_version_created").wait(ImageName="async", WaiterConfig=waiter)


def test_a_failure_can_be_injected_and_carries_a_reason(slow: Any) -> None:
    sagemaker.configure(fail="image")
    slow.create_image(ImageName="broken", RoleArn=ROLE)
    with pytest.raises(WaiterError):
        slow.get_waiter("image_created").wait(
            ImageName="broken", WaiterConfig={"Delay": 0.2, "MaxAttempts": 20}
        )
    described = slow.describe_image(ImageName="broken")
    assert described["ImageStatus"] == "CREATE_FAILED" and described["FailureReason"]
    slow.delete_image(ImageName="broken")
    assert slow.describe_image(ImageName="broken")["ImageStatus"] == "DELETING"
    slow.get_waiter("image_deleted").wait(
        ImageName="broken", WaiterConfig={"Delay": 0.2, "MaxAttempts": 20}
    )


def test_a_domain_update_is_updating_and_refuses_a_second_one(slow: Any) -> None:
    [domain] = slow.list_domains()["Domains"]
    slow.update_domain(DomainId=domain["DomainId"], DefaultUserSettings={"ExecutionRole": ROLE})
    assert slow.describe_domain(DomainId=domain["DomainId"])["Status"] == "Updating"
    with pytest.raises(ClientError) as busy:
        slow.update_domain(DomainId=domain["DomainId"], DefaultUserSettings={"ExecutionRole": ROLE})
    assert error_code(busy) == "ResourceInUse"
    sagemaker.configure(fail="domain")
    import time

    time.sleep(0.7)
    slow.update_domain(DomainId=domain["DomainId"], DefaultUserSettings={"ExecutionRole": ROLE})
    time.sleep(0.7)
    failed = slow.describe_domain(DomainId=domain["DomainId"])
    assert failed["Status"] == "Update_Failed" and failed["FailureReason"]
