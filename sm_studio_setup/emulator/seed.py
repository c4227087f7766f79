"""The demo seed: the state most Studio users start in, built with ordinary AWS API calls.

Seeding goes through boto3 against the running emulator, so the seed also exercises the
emulator the way a client would. The one exception is the AWS managed policy: nobody can create
an ``aws``-owned policy through the API, so :func:`install_aws_managed_policies` puts it into
moto's IAM backend directly (in the emulator's own process).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import boto3

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"

Scenario = Literal["self-service", "managed"]
SCENARIOS: tuple[Scenario, ...] = ("self-service", "managed")

ROLE_NAME = "AmazonSageMaker-ExecutionRole-20261122T000000"
ROLE_PATH = "/service-role/"
ROLE_SESSION_NAME = "SageMaker"  # what Studio names the session it runs notebooks as
SELF_SERVICE_POLICY_NAME = "studio-self-service"
DOMAIN_NAME = "studio-demo"
USER_PROFILE_NAME = "data-scientist"
SPACE_NAME = "data-scientist-space"
METADATA_FILE_NAME = "resource-metadata.json"
# Fixed ids rather than EC2 calls: moto's EC2 backend takes seconds to initialise on every
# start, and nothing reads the network back (the domain uses PublicInternetOnly).
DEMO_VPC_ID = "vpc-0a1b2c3d4e5f60718"
DEMO_SUBNET_IDS = ("subnet-0a1b2c3d4e5f60719", "subnet-0a1b2c3d4e5f6071a")

SAGEMAKER_FULL_ACCESS = "AmazonSageMakerFullAccess"
SAGEMAKER_FULL_ACCESS_ARN = f"arn:aws:iam::aws:policy/{SAGEMAKER_FULL_ACCESS}"


@dataclass(frozen=True)
class _ManagedPolicyVersion:
    path: str
    default_version_id: str
    create_date: str
    update_date: str


# Version metadata of the documents in ``data/`` as AWS publishes them (moto 5.2.5's snapshot
# of the same policy carries the same document at the same version).
_AWS_MANAGED_POLICIES = {
    SAGEMAKER_FULL_ACCESS: _ManagedPolicyVersion(
        path="/",
        default_version_id="v29",
        create_date="2017-11-29T13:07:59+00:00",
        update_date="2026-02-12T17:58:32+00:00",
    ),
}


@dataclass(frozen=True)
class SeedInfo:
    account: str
    region: str
    scenario: Scenario
    role_name: str
    role_arn: str
    domain_name: str
    domain_id: str
    user_profile: str
    space_name: str
    access_key_id: str
    secret_access_key: str
    session_token: str
    caller_arn: str
    metadata_path: Path

    def public_dict(self) -> dict[str, Any]:
        """Everything but the session secrets, JSON-ready."""
        data = asdict(self)
        del data["secret_access_key"], data["session_token"]
        data["metadata_path"] = str(self.metadata_path)
        return data


def managed_policy_document_text(name: str) -> str:
    """The packaged AWS managed policy document, byte for byte as AWS publishes it."""
    # One joinpath step at a time: several arguments need Python 3.11.
    return resources.files(__package__).joinpath("data").joinpath(f"{name}.json").read_text("utf-8")


def install_aws_managed_policies(account_id: str = ACCOUNT_ID) -> None:
    """Make the packaged AWS managed policies exist in moto's IAM backend for ``account_id``.

    Replaces a policy of the same ARN (moto's own snapshot, when
    ``MOTO_IAM_LOAD_MANAGED_POLICIES`` is on) so the served document is exactly the packaged
    one. Call it before anything attaches the policy: attachments hold the policy object.
    """
    from moto.iam.models import AWSManagedPolicy, iam_backends

    backend = iam_backends[account_id]["aws"]
    for name, meta in _AWS_MANAGED_POLICIES.items():
        text = managed_policy_document_text(name)
        policy = AWSManagedPolicy.from_data(
            name,
            account_id,
            backend.region_name,
            {
                "DefaultVersionId": meta.default_version_id,
                "Path": meta.path,
                "Document": json.loads(text),
                "CreateDate": meta.create_date,
                "UpdateDate": meta.update_date,
            },
        )
        # from_data re-serialises the document; serve the published bytes instead.
        policy.versions[0].document = text
        backend.aws_managed_policies = [
            p for p in backend.aws_managed_policies if p.arn != policy.arn
        ] + [policy]
        backend.managed_policies[policy.arn] = policy


def trust_policy() -> dict[str, Any]:
    """The trust policy Studio's role wizard creates: SageMaker only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def self_service_policy(role_arn: str) -> dict[str, Any]:
    """Lets the role read and change its own policies and trust, and nothing else in IAM."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadAndChangeOwnRole",
                "Effect": "Allow",
                "Action": [
                    "iam:GetRole",
                    "iam:ListRolePolicies",
                    "iam:GetRolePolicy",
                    "iam:ListAttachedRolePolicies",
                    "iam:PutRolePolicy",
                    "iam:DeleteRolePolicy",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:SimulatePrincipalPolicy",
                ],
                "Resource": role_arn,
            },
            {
                "Sid": "ReadAttachedPolicies",
                "Effect": "Allow",
                "Action": ["iam:GetPolicy", "iam:GetPolicyVersion"],
                "Resource": [SAGEMAKER_FULL_ACCESS_ARN],
            },
        ],
    }


def studio_metadata(*, domain_id: str, role_arn: str) -> dict[str, str]:
    """What Studio writes to /opt/ml/metadata/resource-metadata.json in a JupyterLab space."""
    return {
        "AppType": "JupyterLab",
        "DomainId": domain_id,
        "UserProfileName": USER_PROFILE_NAME,
        "SpaceName": SPACE_NAME,
        "ResourceArn": (
            f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:app/{domain_id}/{SPACE_NAME}/jupyterlab/default"
        ),
        "ResourceName": "default",
        "AppImageVersion": "",
        "ExecutionRoleArn": role_arn,
    }


def seed_demo(
    session: boto3.Session,
    scenario: Scenario = "self-service",
    *,
    metadata_path: Path,
    docker: bool = False,
) -> SeedInfo:
    """Create the demo state through ``session`` (admin credentials, emulator endpoint).

    ``docker``: the domain lets its spaces run Docker (``DockerSettings.EnableDockerAccess``);
    otherwise the domain is created without DockerSettings, as one made before December 2023
    or without the option reads.

    Expects :func:`install_aws_managed_policies` to have run in the emulator's process.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}: expected one of {', '.join(SCENARIOS)}")
    iam = session.client("iam", region_name=REGION)
    role_arn = iam.create_role(
        RoleName=ROLE_NAME,
        Path=ROLE_PATH,
        AssumeRolePolicyDocument=json.dumps(trust_policy()),
        Description="SageMaker execution role created by the Studio demo seed",
    )["Role"]["Arn"]
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=SAGEMAKER_FULL_ACCESS_ARN)
    if scenario == "self-service":
        iam.put_role_policy(
            RoleName=ROLE_NAME,
            PolicyName=SELF_SERVICE_POLICY_NAME,
            PolicyDocument=json.dumps(self_service_policy(role_arn)),
        )

    sagemaker = session.client("sagemaker", region_name=REGION)
    settings: dict[str, Any] = {}
    if docker:
        settings["DomainSettings"] = {"DockerSettings": {"EnableDockerAccess": "ENABLED"}}
    domain_arn = sagemaker.create_domain(
        DomainName=DOMAIN_NAME,
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": role_arn},
        DefaultSpaceSettings={"ExecutionRole": role_arn},
        SubnetIds=list(DEMO_SUBNET_IDS),
        VpcId=DEMO_VPC_ID,
        AppNetworkAccessType="PublicInternetOnly",
        **settings,
    )["DomainArn"]
    domain_id = domain_arn.rsplit("/", 1)[-1]
    sagemaker.create_user_profile(
        DomainId=domain_id,
        UserProfileName=USER_PROFILE_NAME,
        UserSettings={"ExecutionRole": role_arn},
    )
    sagemaker.create_space(
        DomainId=domain_id,
        SpaceName=SPACE_NAME,
        OwnershipSettings={"OwnerUserProfileName": USER_PROFILE_NAME},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceSettings={"AppType": "JupyterLab"},
    )

    # SageMaker itself assumes the role when the space's app starts, with what Studio sends
    # (services/sagemaker/apps.py); the trust policy allows only the service.
    from .services.sagemaker.apps import studio_session

    credentials, caller_arn = studio_session(ACCOUNT_ID, REGION, role_arn)

    metadata_path.parent.mkdir(parents=True, exist_ok=True)
    metadata_path.write_text(
        json.dumps(studio_metadata(domain_id=domain_id, role_arn=role_arn), indent=2) + "\n",
        encoding="utf-8",
    )
    return SeedInfo(
        account=ACCOUNT_ID,
        region=REGION,
        scenario=scenario,
        role_name=ROLE_NAME,
        role_arn=role_arn,
        domain_name=DOMAIN_NAME,
        domain_id=domain_id,
        user_profile=USER_PROFILE_NAME,
        space_name=SPACE_NAME,
        access_key_id=credentials["AccessKeyId"],
        secret_access_key=credentials["SecretAccessKey"],
        session_token=credentials["SessionToken"],
        caller_arn=caller_arn,
        metadata_path=metadata_path,
    )
