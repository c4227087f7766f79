"""Enforcement through a real loopback moto server and real boto3 clients."""

from __future__ import annotations

import io
import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from sm_studio_setup.emulator.core import access, resources
from sm_studio_setup.emulator.core.enforcement import EnforcementMiddleware, parse_call
from sm_studio_setup.emulator.services import iam

from .support import error_of

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = "Builder"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/SageMaker"
ADMIN_KEY = ("AKIAIOSFODNN7EXAMPLE", "admin")
DENIED_REPO_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/denied"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    iam.install()
    app = EnforcementMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield url
    finally:
        access.set_decider(None)
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
        server.shutdown()
        thread.join()


@pytest.fixture(scope="module")
def session_creds(endpoint: str) -> tuple[str, str, str]:
    _client(endpoint, "iam", *ADMIN_KEY).create_role(RoleName=ROLE, AssumeRolePolicyDocument=TRUST)
    sts = _client(endpoint, "sts", *ADMIN_KEY)
    creds = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="SageMaker")["Credentials"]
    return creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]


def _client(endpoint: str, service: str, key: str, secret: str, token: str | None = None) -> Any:
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"max_attempts": 1}),
    )


ClientFactory = Callable[[str], Any]


@pytest.fixture
def session(endpoint: str, session_creds: tuple[str, str, str]) -> ClientFactory:
    return lambda service: _client(endpoint, service, *session_creds)


@pytest.fixture
def admin(endpoint: str) -> ClientFactory:
    return lambda service: _client(endpoint, service, *ADMIN_KEY)


class Recorder:
    """A test decider: explicit-denies iam:GetRole, implicit-denies creating one ECR
    repository and whatever ``deny`` matches, allows the rest, and records every question."""

    def __init__(self, deny: Callable[[access.AccessRequest], bool] = lambda r: False) -> None:
        self.seen: list[access.AccessRequest] = []
        self.deny = deny

    def __call__(self, request: access.AccessRequest) -> access.Decision:
        self.seen.append(request)
        if request.action == "iam:GetRole":
            return "explicitDeny"
        if request.action == "ecr:CreateRepository" and request.resource == DENIED_REPO_ARN:
            return "implicitDeny"
        return "implicitDeny" if self.deny(request) else "allowed"

    def resources_for(self, action: str) -> list[str]:
        return [r.resource for r in self.seen if r.action == action]


@pytest.fixture
def decider() -> Iterator[Recorder]:
    recorder = Recorder()
    access.set_decider(recorder)
    try:
        yield recorder
    finally:
        access.set_decider(None)


def test_json_service_denial_has_access_denied_exception_shape(
    session: ClientFactory, decider: Recorder
) -> None:
    ecr = session("ecr")
    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository(repositoryName="denied")
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: {SESSION_ARN} is not authorized to perform: ecr:CreateRepository on resource: "
        f"{DENIED_REPO_ARN} because no identity-based policy allows the "
        "ecr:CreateRepository action",
        400,
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == (
        "AccessDeniedException"
    )
    # The denial never reached moto, and another repository is allowed and created.
    created = ecr.create_repository(repositoryName="allowed")["repository"]
    assert created["repositoryName"] == "allowed"
    names = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
    assert "denied" not in names
    assert "allowed" in names


def test_iam_explicit_deny_has_query_error_shape(session: ClientFactory, decider: Recorder) -> None:
    with pytest.raises(ClientError) as excinfo:
        session("iam").get_role(RoleName=ROLE)
    assert error_of(excinfo) == (
        "AccessDenied",
        f"User: {SESSION_ARN} is not authorized to perform: iam:GetRole on resource: "
        f"role {ROLE} with an explicit deny in an identity-based policy",
        403,
    )
    assert excinfo.value.response["Error"].get("Type") == "Sender"
    assert decider.seen[-1].resource == ROLE_ARN
    assert decider.seen[-1].principal_arn == SESSION_ARN
    assert decider.seen[-1].context["aws:PrincipalArn"] == ROLE_ARN


def test_iam_implicit_deny_names_policy_and_body_stays_readable(
    session: ClientFactory, admin: ClientFactory, decider: Recorder
) -> None:
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    policy_arn = admin("iam").create_policy(PolicyName="p1", PolicyDocument=document)["Policy"][
        "Arn"
    ]
    decider.deny = lambda r: r.action == "iam:GetPolicy"
    client = session("iam")
    with pytest.raises(ClientError) as excinfo:
        client.get_policy(PolicyArn=policy_arn)
    assert error_of(excinfo)[1] == (
        f"User: {SESSION_ARN} is not authorized to perform: iam:GetPolicy on resource: "
        f"policy {policy_arn} because no identity-based policy allows the iam:GetPolicy action"
    )
    # An allowed request whose form body the middleware read still reaches moto whole.
    client.put_role_policy(RoleName=ROLE, PolicyName="inline", PolicyDocument=document)
    client.attach_role_policy(RoleName=ROLE, PolicyArn=policy_arn)
    stored = admin("iam").get_role_policy(RoleName=ROLE, PolicyName="inline")
    assert stored["PolicyDocument"] == json.loads(document)
    attach = next(r for r in decider.seen if r.action == "iam:AttachRolePolicy")
    assert attach.resource == ROLE_ARN
    assert attach.context["iam:PolicyARN"] == policy_arn


def test_s3_denials_and_resources(session: ClientFactory, decider: Recorder) -> None:
    s3 = session("s3")
    secret = "arn:aws:s3:::bkt/secret/k\u00e9y.txt"
    decider.deny = lambda r: r.resource == secret
    s3.create_bucket(Bucket="bkt")
    s3.put_object(Bucket="bkt", Key="open.txt", Body=b"hello")
    assert s3.get_object(Bucket="bkt", Key="open.txt")["Body"].read() == b"hello"
    s3.head_object(Bucket="bkt", Key="open.txt")
    s3.head_bucket(Bucket="bkt")
    s3.list_objects_v2(Bucket="bkt", Prefix="op")
    s3.list_buckets()
    s3.delete_object(Bucket="bkt", Key="open.txt")
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket="bkt", Key="secret/k\u00e9y.txt", Body=b"x")
    assert error_of(excinfo) == (
        "AccessDenied",
        f"User: {SESSION_ARN} is not authorized to perform: s3:PutObject on resource: "
        f'"{secret}" because no identity-based policy allows the s3:PutObject action',
        403,
    )
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket="bkt", Key="secret/k\u00e9y.txt")
    assert error_of(excinfo)[0] == "403"  # S3 sends no body for HEAD, as on AWS
    assert decider.resources_for("s3:CreateBucket") == ["arn:aws:s3:::bkt"]
    assert decider.resources_for("s3:GetObject") == [
        "arn:aws:s3:::bkt/open.txt",
        "arn:aws:s3:::bkt/open.txt",
        secret,
    ]
    assert decider.resources_for("s3:ListBucket") == ["arn:aws:s3:::bkt", "arn:aws:s3:::bkt"]
    listing = [r for r in decider.seen if r.action == "s3:ListBucket"][-1]
    assert listing.context["s3:prefix"] == "op"
    assert decider.resources_for("s3:ListAllMyBuckets") == ["*"]
    assert decider.resources_for("s3:DeleteObject") == ["arn:aws:s3:::bkt/open.txt"]


def test_logs_codebuild_and_ecr_resources(session: ClientFactory, decider: Recorder) -> None:
    logs = session("logs")
    logs.create_log_group(logGroupName="/aws/codebuild/p")
    logs.create_log_stream(logGroupName="/aws/codebuild/p", logStreamName="b/1")
    logs.get_log_events(logGroupName="/aws/codebuild/p", logStreamName="b/1")
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/codebuild/p"
    assert decider.resources_for("logs:CreateLogGroup") == [f"{group}:log-stream:"]
    assert decider.resources_for("logs:GetLogEvents") == [f"{group}:log-stream:b/1"]

    codebuild = session("codebuild")
    codebuild.batch_get_projects(names=["p"])
    codebuild.batch_get_builds(ids=["p:0b6ee4a9-1f0e-4f5c-8a51-31d36d2e7b4e"])
    project = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/p"
    assert decider.resources_for("codebuild:BatchGetProjects") == [project]
    assert decider.resources_for("codebuild:BatchGetBuilds") == [project]

    session("ecr").describe_repositories()
    assert decider.resources_for("ecr:DescribeRepositories") == ["*"]


def test_sagemaker_denial_names_each_resource(session: ClientFactory, decider: Recorder) -> None:
    decider.deny = lambda r: r.action.startswith("sagemaker:")
    sagemaker = session("sagemaker")
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:"
    calls: list[tuple[Callable[..., Any], dict[str, Any], str]] = [
        (sagemaker.describe_domain, {"DomainId": "d-abc"}, f"{arn}domain/d-abc"),
        (
            sagemaker.describe_user_profile,
            {"DomainId": "d-abc", "UserProfileName": "u"},
            f"{arn}user-profile/d-abc/u",
        ),
        (
            sagemaker.describe_space,
            {"DomainId": "d-abc", "SpaceName": "sp"},
            f"{arn}space/d-abc/sp",
        ),
        (sagemaker.describe_image, {"ImageName": "img"}, f"{arn}image/img"),
        (
            sagemaker.describe_app_image_config,
            {"AppImageConfigName": "cfg"},
            f"{arn}app-image-config/cfg",
        ),
    ]
    for method, kwargs, resource in calls:
        with pytest.raises(ClientError) as excinfo:
            method(**kwargs)
        code, message, status = error_of(excinfo)
        action = f"sagemaker:{excinfo.value.operation_name}"
        assert (code, status) == ("AccessDeniedException", 400)
        assert message == (
            f"User: {SESSION_ARN} is not authorized to perform: {action} on resource: "
            f"{resource} because no identity-based policy allows the {action} action"
        )


def test_sts_get_caller_identity_is_never_denied_but_assume_role_is(
    session: ClientFactory, decider: Recorder
) -> None:
    decider.deny = lambda r: True
    sts = session("sts")
    assert sts.get_caller_identity()["Arn"] == SESSION_ARN
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="again")
    assert error_of(excinfo) == (
        "AccessDenied",
        f"User: {SESSION_ARN} is not authorized to perform: sts:AssumeRole on resource: "
        f"{ROLE_ARN} because no identity-based policy allows the sts:AssumeRole action",
        403,
    )
    assert all(r.action != "sts:GetCallerIdentity" for r in decider.seen)


def test_admin_credentials_are_never_denied(
    admin: ClientFactory, endpoint: str, decider: Recorder
) -> None:
    decider.deny = lambda r: True
    assert admin("iam").get_role(RoleName=ROLE)["Role"]["Arn"] == ROLE_ARN
    admin("ecr").create_repository(repositoryName="admin-repo")
    admin("s3").list_buckets()
    assert decider.seen == []
    # The emulator's own endpoints are not AWS calls.
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json") as response:
        assert response.status == 200
    assert decider.seen == []


def test_iam_user_keys_are_enforced(admin: ClientFactory, endpoint: str, decider: Recorder) -> None:
    admin("iam").create_user(UserName="dev")
    key = admin("iam").create_access_key(UserName="dev")["AccessKey"]
    user_iam = _client(endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as excinfo:
        user_iam.get_role(RoleName=ROLE)
    assert error_of(excinfo)[1].startswith(
        f"User: arn:aws:iam::{ACCOUNT}:user/dev is not authorized to perform: iam:GetRole"
    )
    assert decider.seen[-1].context["aws:PrincipalType"] == "User"


def test_enforcement_off_forwards_everything(session: ClientFactory) -> None:
    access.set_decider(None)
    assert session("iam").get_role(RoleName=ROLE)["Role"]["RoleName"] == ROLE


def test_simulator_agrees_with_enforcement(session: ClientFactory, decider: Recorder) -> None:
    results = session("iam").simulate_principal_policy(
        PolicySourceArn=ROLE_ARN,
        ActionNames=["iam:GetRole", "ecr:CreateRepository"],
        ResourceArns=[ROLE_ARN, DENIED_REPO_ARN],
    )["EvaluationResults"]
    decisions = {(r["EvalActionName"], r["EvalResourceName"]): r["EvalDecision"] for r in results}
    assert decisions[("iam:GetRole", ROLE_ARN)] == "explicitDeny"
    assert decisions[("ecr:CreateRepository", DENIED_REPO_ARN)] == "implicitDeny"
    assert decisions[("ecr:CreateRepository", ROLE_ARN)] == "allowed"


SCOPE = resources.Scope(account=ACCOUNT, region=REGION)


@pytest.mark.parametrize(
    ("service", "operation", "params", "resource", "label"),
    [
        (
            "iam",
            "CreateRole",
            {"RoleName": "R", "Path": "/svc/"},
            f"arn:aws:iam::{ACCOUNT}:role/svc/R",
            f"arn:aws:iam::{ACCOUNT}:role/svc/R",
        ),
        ("iam", "ListRoles", {}, f"arn:aws:iam::{ACCOUNT}:role/", f"arn:aws:iam::{ACCOUNT}:role/"),
        (
            "iam",
            "UpdateAssumeRolePolicy",
            {"RoleName": "R"},
            f"arn:aws:iam::{ACCOUNT}:role/R",
            "role R",
        ),
        (
            "iam",
            "CreatePolicy",
            {"PolicyName": "P"},
            f"arn:aws:iam::{ACCOUNT}:policy/P",
            f"policy arn:aws:iam::{ACCOUNT}:policy/P",
        ),
        ("iam", "SimulatePrincipalPolicy", {"PolicySourceArn": ROLE_ARN}, ROLE_ARN, ROLE_ARN),
        ("iam", "ListAccountAliases", {}, "*", "*"),
        ("sts", "AssumeRole", {"RoleArn": ROLE_ARN}, ROLE_ARN, ROLE_ARN),
        (
            "ecr",
            "PutImage",
            {"repositoryName": "m", "registryId": "210987654321"},
            f"arn:aws:ecr:{REGION}:210987654321:repository/m",
            f"arn:aws:ecr:{REGION}:210987654321:repository/m",
        ),
        (
            "ecr",
            "DescribeRepositories",
            {"repositoryNames": ["m"]},
            f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/m",
            f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/m",
        ),
        ("ecr", "GetAuthorizationToken", {}, "*", "*"),
        (
            "codebuild",
            "CreateProject",
            {"name": "p"},
            f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/p",
            None,
        ),
        (
            "codebuild",
            "StartBuild",
            {"projectName": "p"},
            f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/p",
            None,
        ),
        (
            "codebuild",
            "StopBuild",
            {"id": "p:123"},
            f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/p",
            None,
        ),
        (
            "codebuild",
            "BatchGetBuilds",
            {"ids": [f"arn:aws:codebuild:{REGION}:{ACCOUNT}:build/p:1"]},
            f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/p",
            None,
        ),
        (
            "logs",
            "DescribeLogGroups",
            {},
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group::log-stream:",
            None,
        ),
        (
            "logs",
            "FilterLogEvents",
            {"logGroupIdentifier": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:g:*"},
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:g:log-stream:",
            None,
        ),
        (
            "sagemaker",
            "CreateApp",
            {"DomainId": "d-1", "SpaceName": "s", "AppType": "JupyterLab", "AppName": "default"},
            f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:app/d-1/s/jupyterlab/default",
            None,
        ),
        (
            "sagemaker",
            "UpdateDomain",
            {"DomainId": "d-1"},
            f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/d-1",
            None,
        ),
        (
            "sagemaker",
            "CreateImageVersion",
            {"ImageName": "My-Img", "BaseImage": "x"},
            f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:image/my-img",
            None,
        ),
        ("sagemaker", "ListDomains", {}, "*", None),
        ("s3", "ListAllMyBuckets", {"Bucket": "", "Key": ""}, "*", '"arn:aws:s3:::"'),
    ],
)
def test_resource_table(
    service: str, operation: str, params: dict[str, Any], resource: str, label: str | None
) -> None:
    target = resources.resolve(service, operation, params, SCOPE)
    assert target.action == f"{service}:{operation}"
    assert target.resource == resource
    assert target.label == (resource if label is None else label)


@pytest.mark.parametrize(
    ("method", "bucket", "key", "query", "action"),
    [
        ("GET", "", "", {}, "ListAllMyBuckets"),
        ("PUT", "b", "", {}, "CreateBucket"),
        ("HEAD", "b", "", {}, "ListBucket"),
        ("GET", "b", "", {"list-type": ["2"]}, "ListBucket"),
        ("GET", "b", "", {"location": [""]}, "GetBucketLocation"),
        ("PUT", "b", "", {"policy": [""]}, "PutBucketPolicy"),
        ("DELETE", "b", "", {}, "DeleteBucket"),
        ("GET", "b", "k", {}, "GetObject"),
        ("HEAD", "b", "k", {}, "GetObject"),
        ("PUT", "b", "k", {"partNumber": ["1"], "uploadId": ["u"]}, "PutObject"),
        ("POST", "b", "k", {"uploads": [""]}, "PutObject"),
        ("DELETE", "b", "k", {"uploadId": ["u"]}, "AbortMultipartUpload"),
        ("DELETE", "b", "k", {}, "DeleteObject"),
    ],
)
def test_s3_action_table(
    method: str, bucket: str, key: str, query: dict[str, list[str]], action: str
) -> None:
    assert resources.s3_action(method, bucket, key, query) == action


def test_parse_call_reads_virtual_host_s3_and_presigned_credentials() -> None:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/dir/k",
        "HTTP_HOST": "bkt.s3.us-east-1.amazonaws.com",
        "QUERY_STRING": "X-Amz-Credential=ASIAXYZ%2F20250101%2Fus-east-1%2Fs3%2Faws4_request",
    }
    call = parse_call(environ)
    assert call is not None
    assert (call.access_key, call.service, call.operation) == ("ASIAXYZ", "s3", "GetObject")
    assert (call.params["Bucket"], call.params["Key"]) == ("bkt", "dir/k")


def test_parse_call_leaves_the_body_readable() -> None:
    body = b"Action=GetRole&Version=2010-05-08&RoleName=R"
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKIA1/20250101/us-east-1/iam/"
        "aws4_request, SignedHeaders=host, Signature=x",
        "wsgi.input": io.BytesIO(body),
    }
    call = parse_call(environ)
    assert call is not None
    assert (call.service, call.operation, call.params["RoleName"]) == ("iam", "GetRole", "R")
    assert environ["wsgi.input"].read() == body
    assert parse_call({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}) is None  # unsigned
