"""Real AWS, not our AWS (docs/aws-behaviours.md): the build and attach meet AWS where it is
slower, stricter or different than a kind emulator. Each test runs against an emulator made to
behave as AWS does (IAM propagation, KMS grants, CodeBuild's VPC validation, buildx's image
index, SageMaker's asynchronous states, x86_64-only Studio), and each fails on the product as it
was before these behaviours were taught to it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..emulator_process import EmulatorProcess
from .support import IMAGE_URI, REPOSITORY, admin, build_folder, cli, cli_env, control

ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20261122T000000"
VPC = [
    "--vpc-id",
    "vpc-0a1b2c3d4e5f60718",
    "--subnet-ids",
    "subnet-0a1b2c3d4e5f60719",
    "--security-group-ids",
    "sg-0a1b2c3d4e5f6071b",
]


# --- IAM propagation --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_iam(start_emulator: Callable[..., EmulatorProcess]) -> Iterator[EmulatorProcess]:
    """IAM changes reach CodeBuild and the other services 20 s late."""
    emulator = start_emulator("self-service", "--build-seconds", "1", "--propagation-seconds", "20")
    yield emulator
    emulator.stop()


def test_a_build_right_after_the_fix_waits_for_iam_and_says_so(
    slow_iam: EmulatorProcess, tmp_path: Path
) -> None:
    env = cli_env(slow_iam, tmp_path / "config")
    fixed = cli(env, "fix", "--apply")
    assert fixed.returncode == 0, fixed.stderr
    started = time.monotonic()
    built = cli(env, "build", str(build_folder(tmp_path / "p")), "--json")
    assert built.returncode == 0, built.stderr[-3000:]
    assert "Waiting for" in built.stderr and "IAM changes take a while" in built.stderr
    assert json.loads(built.stdout)["status"] == "SUCCEEDED"
    assert time.monotonic() - started > 10  # it really waited for the change to arrive


def test_when_iam_outlasts_the_window_the_build_fails_with_aws_sentence(
    slow_iam: EmulatorProcess, tmp_path: Path
) -> None:
    env = cli_env(slow_iam, tmp_path / "config")
    control(slow_iam, "/propagation", {"seconds": 600})
    try:
        # A fresh change to the role: its trust loses CodeBuild, and the fix gives it back.
        iam = admin(slow_iam, "iam")
        name = ROLE.rsplit("/", 1)[-1]
        trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        kept = [s for s in trust["Statement"] if "codebuild" not in json.dumps(s)]
        iam.update_assume_role_policy(
            RoleName=name, PolicyDocument=json.dumps({**trust, "Statement": kept})
        )
        fixed = cli(env, "fix", "--apply")
        assert fixed.returncode == 0, fixed.stderr
        short = {**env, "SM_STUDIO_SETUP_PROPAGATION_SECONDS": "5"}
        built = cli(short, "build", str(build_folder(tmp_path / "p")))
    finally:
        control(slow_iam, "/propagation", {"seconds": 20})
    said = built.stdout + built.stderr
    # The first service to meet the old documents answers: its sentence, that the build waited
    # for IAM, and what to do.
    assert built.returncode == 2, said[-2000:]
    assert "Waiting for" in said and "still so after waiting" in said
    assert "IAM changes usually arrive within two minutes" in said
    assert "run the check" in said


# --- the rest runs against an emulator without propagation ------------------------------------


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


def studio_client(emulator: EmulatorProcess, service: str) -> object:
    import boto3

    session = boto3.Session(
        aws_access_key_id=emulator.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=emulator.env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=emulator.env["AWS_SESSION_TOKEN"],
        region_name="us-east-1",
    )
    return session.client(service, endpoint_url=emulator.env["AWS_ENDPOINT_URL"])


def test_a_repository_with_a_customer_key_needs_the_key_grants(
    emulator: EmulatorProcess, env: dict[str, str], tmp_path: Path
) -> None:
    key = admin(emulator, "kms").create_key(Description="images")["KeyMetadata"]["Arn"]
    ecr = studio_client(emulator, "ecr")
    with pytest.raises(Exception) as refused:
        ecr.create_repository(  # type: ignore[attr-defined]
            repositoryName="encrypted-images",
            encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key},
        )
    assert "kms:CreateGrant" in str(refused.value)
    checked = cli(env, "check", "--kms-key", key, "--repository", "encrypted-images")
    assert checked.returncode == 1
    for action in ("kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant"):
        assert action in checked.stdout
    assert (
        cli(env, "fix", "--apply", "--kms-key", key, "--repository", "encrypted-images").returncode
        == 0
    )
    made = ecr.create_repository(  # type: ignore[attr-defined]
        repositoryName="encrypted-images",
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key},
    )
    assert made["repository"]["encryptionConfiguration"]["encryptionType"] == "KMS"


def test_codebuild_validates_the_vpc_with_the_role_when_the_project_is_made(
    emulator: EmulatorProcess, env: dict[str, str]
) -> None:
    checked = cli(env, "check", "--json", *VPC)
    report = json.loads(checked.stdout)
    describe = [f for f in report["findings"] if f["action"] == "ec2:DescribeSecurityGroups"]
    assert [(f["who"], f["step"]) for f in describe] == [("build", "create the CodeBuild project")]
    # CodeBuild judges the service role (not the caller) when the project is created.
    iam, codebuild = admin(emulator, "iam"), admin(emulator, "codebuild")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "codebuild.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="vpc-builds", AssumeRolePolicyDocument=json.dumps(trust))
    spec = {
        "name": "vpc-validated",
        "source": {"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases: {}\n"},
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        "serviceRole": role["Role"]["Arn"],
        "vpcConfig": {"vpcId": VPC[1], "subnets": [VPC[3]], "securityGroupIds": [VPC[5]]},
    }
    with pytest.raises(Exception) as refused:
        codebuild.create_project(**spec)
    assert "Not authorized to perform DescribeSecurityGroups" in str(refused.value)
    iam.put_role_policy(
        RoleName="vpc-builds",
        PolicyName="vpc",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "ec2:DescribeSecurityGroups",
                            "ec2:DescribeSubnets",
                            "ec2:DescribeVpcs",
                        ],
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    codebuild.create_project(**spec)
    codebuild.delete_project(name="vpc-validated")


def test_a_cached_build_pushes_one_manifest_that_sagemaker_takes(
    emulator: EmulatorProcess, env: dict[str, str], tmp_path: Path
) -> None:
    built = cli(
        env, "build", str(build_folder(tmp_path / "p")), "--cache", "--attach", "cached", "--json"
    )
    assert built.returncode == 0, built.stderr[-3000:]
    summary = json.loads(built.stdout)
    assert summary["attach"] and summary["attach"]["version"] >= 1, built.stderr[-2000:]
    [call] = [line for line in built.stderr.splitlines() if '"buildx", "build"' in line]
    assert "--provenance=false" in call
    details = admin(emulator, "ecr").describe_images(
        repositoryName=REPOSITORY, imageIds=[{"imageTag": IMAGE_URI.rsplit(":", 1)[1]}]
    )["imageDetails"]
    assert details[0]["imageManifestMediaType"] == (
        "application/vnd.docker.distribution.manifest.v2+json"
    )


def test_an_image_index_is_refused_before_sagemaker_is_asked(
    emulator: EmulatorProcess, env: dict[str, str]
) -> None:
    ecr = admin(emulator, "ecr")
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [],
        }
    )
    ecr.put_image(
        repositoryName=REPOSITORY,
        imageTag="indexed",
        imageManifest=index,
        imageManifestMediaType="application/vnd.oci.image.index.v1+json",
    )
    uri = IMAGE_URI.rsplit(":", 1)[0] + ":indexed"
    refused = cli(env, "attach", uri, "--image-name", "indexed")
    assert refused.returncode == 2
    assert "Unsupported manifest media type" in refused.stderr
    assert "--provenance=false" in refused.stderr
    # And SageMaker itself refuses it when asked anyway.
    sagemaker = admin(emulator, "sagemaker")
    sagemaker.create_image(ImageName="raw-index", RoleArn=ROLE)
    sagemaker.get_waiter("image_created").wait(
        ImageName="raw-index", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    sagemaker.create_image_version(ImageName="raw-index", BaseImage=uri, ClientToken="x" * 36)
    time.sleep(2.5)
    version = sagemaker.describe_image_version(ImageName="raw-index")
    assert version["ImageVersionStatus"] == "CREATE_FAILED"
    assert "Unsupported manifest media type" in version["FailureReason"]


def test_an_arm64_image_is_never_attached_to_studio(env: dict[str, str], tmp_path: Path) -> None:
    folder = build_folder(tmp_path / "p")
    arm = ["--platform", "linux/arm64", "--repository", "arm-images:v1"]
    refused = cli(env, "build", str(folder), *arm, "--attach", "arm")
    assert refused.returncode == 2 and "x86_64" in refused.stderr
    assert cli(env, "fix", "--apply", "--repository", "arm-images:v1").returncode == 0
    built = cli(env, "build", str(folder), *arm, "--json")
    assert built.returncode == 0, built.stderr[-2000:]
    uri = json.loads(built.stdout)["image_uri"]
    attached = cli(env, "attach", uri, "--image-name", "arm")
    assert attached.returncode == 2
    assert "linux/arm64" in attached.stderr and "x86_64" in attached.stderr


# --- SageMaker's asynchronous states ----------------------------------------------------------


@pytest.fixture
def sagemaker_states(emulator: EmulatorProcess) -> Iterator[Callable[..., object]]:
    def set_(**settings: object) -> object:
        return control(emulator, "/sagemaker", settings)

    yield set_
    control(emulator, "/sagemaker", {"state_seconds": 1})


def test_attach_waits_for_sagemaker_and_says_what_it_waits_for(
    env: dict[str, str], sagemaker_states: Callable[..., object]
) -> None:
    sagemaker_states(state_seconds=2)
    built = cli(env, "build", str(build_folder(Path(env["SM_STUDIO_SETUP_CONFIG_DIR"]) / "w")))
    assert built.returncode == 0, built.stderr[-2000:]
    attached = cli(env, "attach", IMAGE_URI, "--image-name", "waited-for", "--json")
    assert attached.returncode == 0, attached.stderr
    for words in ("to be CREATED", "Waiting for domain d-studio-demo (Updating)"):
        assert words in attached.stderr, attached.stderr
    result = json.loads(attached.stdout)
    assert any("to be CREATED" in line for line in result["progress"])


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("image-version", "SageMaker failed creating version"),
        ("domain", "SageMaker could not update domain"),
    ],
)
def test_a_failure_sagemaker_reports_later_is_said_with_its_reason(
    env: dict[str, str], sagemaker_states: Callable[..., object], kind: str, words: str
) -> None:
    sagemaker_states(fail=kind)
    attached = cli(env, "attach", IMAGE_URI, "--image-name", f"fails-{kind}")
    assert attached.returncode == 2, attached.stdout
    assert words in attached.stderr
    assert "The emulator was told to fail this one" in attached.stderr  # SageMaker's reason


def test_an_image_left_create_failed_is_made_again(
    env: dict[str, str], sagemaker_states: Callable[..., object]
) -> None:
    sagemaker_states(fail="image")
    first = cli(env, "attach", IMAGE_URI, "--image-name", "recovered")
    assert first.returncode == 2 and "SageMaker failed creating image" in first.stderr
    second = cli(env, "attach", IMAGE_URI, "--image-name", "recovered")
    assert second.returncode == 0, second.stderr
    assert "is CREATE_FAILED" in second.stderr and "deleting it to make it again" in second.stderr
