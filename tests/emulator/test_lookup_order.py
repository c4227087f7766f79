"""What S3, ECR and CloudWatch Logs refuse once a call is authorized, as AWS refuses it
(docs/aws-behaviours.md, "The probes' premises"): the answers the check's probes read."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sm_studio_setup.emulator.core.server import Emulator

from ..role_sessions import session_allowed
from .support import error_of

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "lookup-order-sagemaker"
REPOSITORY = "lookup-order-sagemaker"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(seed="demo", scenario="managed") as running:
        admin = running.admin_session()
        admin.client("s3").create_bucket(Bucket=BUCKET)
        admin.client("s3").put_object(Bucket=BUCKET, Key="there.zip", Body=b"zip")
        admin.client("ecr").create_repository(repositoryName=REPOSITORY)
        yield running


def allow(action: str, resource: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


OBJECTS = f"arn:aws:s3:::{BUCKET}/*"


@pytest.mark.parametrize("version", [{}, {"VersionId": "null"}], ids=["object", "version"])
def test_a_missing_key_is_a_bare_403_without_list_bucket(
    emulator: Emulator, version: dict[str, str]
) -> None:
    actions = ["s3:GetObject", "s3:GetObjectVersion"]
    without = session_allowed(emulator, allow(actions[0], OBJECTS), allow(actions[1], OBJECTS))
    s3 = without.client("s3")
    with pytest.raises(ClientError) as hidden:
        s3.get_object(Bucket=BUCKET, Key="missing.zip", **version)
    assert error_of(hidden) == ("AccessDenied", "Access Denied", 403)
    if not version:
        # (moto answers any HEAD with a version id in an unversioned bucket 400.)
        with pytest.raises(ClientError) as head:
            s3.head_object(Bucket=BUCKET, Key="missing.zip")
        assert error_of(head)[2] == 403
        # An existing key is read as before.
        assert s3.get_object(Bucket=BUCKET, Key="there.zip")["Body"].read() == b"zip"
    listing = session_allowed(
        emulator,
        allow(actions[0], OBJECTS),
        allow(actions[1], OBJECTS),
        allow("s3:ListBucket", f"arn:aws:s3:::{BUCKET}"),
    ).client("s3")
    with pytest.raises(ClientError) as found:
        listing.get_object(Bucket=BUCKET, Key="missing.zip", **version)
    assert error_of(found)[0] in ("NoSuchKey", "NoSuchVersion")
    assert error_of(found)[2] == 404


def test_a_body_that_does_not_match_its_content_md5_is_refused_and_not_stored(
    emulator: Emulator,
) -> None:
    s3 = session_allowed(emulator, allow("s3:PutObject", OBJECTS)).client("s3")
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=BUCKET, Key="md5.zip", Body=b"", ContentMD5=wrong)
    assert error_of(refused)[:2] == (
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
    )
    keys = emulator.admin_session().client("s3").list_object_versions(Bucket=BUCKET)
    assert "md5.zip" not in {v["Key"] for v in keys.get("Versions", [])}
    right = base64.b64encode(hashlib.md5(b"body").digest()).decode()
    s3.put_object(Bucket=BUCKET, Key="md5.zip", Body=b"body", ContentMD5=right)
    emulator.admin_session().client("s3").delete_object(Bucket=BUCKET, Key="md5.zip")


def ecr_allowed(emulator: Emulator, *actions: str) -> Any:
    return session_allowed(emulator, allow(list(actions), "*")).client("ecr")  # type: ignore[arg-type]


def test_put_image_refuses_a_missing_repository_and_a_manifest_that_is_not_json(
    emulator: Emulator,
) -> None:
    ecr = ecr_allowed(emulator, "ecr:PutImage")
    with pytest.raises(ClientError) as missing:
        ecr.put_image(repositoryName="nowhere", imageManifest="{}", imageTag="t")
    assert error_of(missing)[0] == "RepositoryNotFoundException"
    with pytest.raises(ClientError) as bad:
        ecr.put_image(repositoryName=REPOSITORY, imageManifest="not json", imageTag="t")
    code, message, _ = error_of(bad)
    assert code == "InvalidParameterException" and "ImageManifest" in message
    images = emulator.admin_session().client("ecr").list_images(repositoryName=REPOSITORY)
    assert images["imageIds"] == []


def test_get_download_url_for_layer_answers_by_the_layer(emulator: Emulator) -> None:
    ecr = ecr_allowed(emulator, "ecr:GetDownloadUrlForLayer")
    digest = "sha256:" + "0" * 64
    with pytest.raises(ClientError) as missing:
        ecr.get_download_url_for_layer(repositoryName="nowhere", layerDigest=digest)
    assert error_of(missing)[0] == "RepositoryNotFoundException"
    with pytest.raises(ClientError) as layer:
        ecr.get_download_url_for_layer(repositoryName=REPOSITORY, layerDigest=digest)
    assert error_of(layer)[0] == "LayersNotFoundException"
    admin = emulator.admin_session().client("ecr")
    upload = admin.initiate_layer_upload(repositoryName=REPOSITORY)["uploadId"]
    admin.upload_layer_part(
        repositoryName=REPOSITORY,
        uploadId=upload,
        partFirstByte=0,
        partLastByte=2,
        layerPartBlob=b"abc",
    )
    real = admin.complete_layer_upload(
        repositoryName=REPOSITORY, uploadId=upload, layerDigests=["sha256:x"]
    )["layerDigest"]
    answer = ecr.get_download_url_for_layer(repositoryName=REPOSITORY, layerDigest=real)
    assert answer["layerDigest"] == real and answer["downloadUrl"].startswith("https://")


def test_a_kms_key_that_does_not_exist_makes_no_repository_and_no_log_group(
    emulator: Emulator,
) -> None:
    missing_key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{uuid.uuid4()}"
    admin = emulator.admin_session()
    with pytest.raises(ClientError) as repository:
        admin.client("ecr").create_repository(
            repositoryName="encrypted-nowhere",
            encryptionConfiguration={"encryptionType": "KMS", "kmsKey": missing_key},
        )
    assert error_of(repository)[0] == "KmsException"
    names = {
        r["repositoryName"] for r in admin.client("ecr").describe_repositories()["repositories"]
    }
    assert "encrypted-nowhere" not in names
    with pytest.raises(ClientError) as group:
        admin.client("logs").create_log_group(logGroupName="/nowhere", kmsKeyId=missing_key)
    code, message, _ = error_of(group)
    assert code == "InvalidParameterException" and "KMS key" in message
    assert (
        admin.client("logs").describe_log_groups(logGroupNamePrefix="/nowhere")["logGroups"] == []
    )
    # A key that exists is used as before.
    key = admin.client("kms").create_key()["KeyMetadata"]["Arn"]
    admin.client("logs").create_log_group(logGroupName="/somewhere", kmsKeyId=key)
    admin.client("ecr").create_repository(
        repositoryName="encrypted-somewhere",
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key},
    )
    admin.client("logs").delete_log_group(logGroupName="/somewhere")
    admin.client("ecr").delete_repository(repositoryName="encrypted-somewhere")


def test_a_denied_caller_is_told_so_before_anything_is_looked_up(emulator: Emulator) -> None:
    # Nothing allowed: every refusal above is AccessDenied naming the action instead.
    bare = session_allowed(emulator, allow("sts:GetCallerIdentity", "*"))
    missing_key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{uuid.uuid4()}"
    calls = [
        ("logs", "create_log_group", {"logGroupName": "/x", "kmsKeyId": missing_key}),
        ("ecr", "put_image", {"repositoryName": "nowhere", "imageManifest": "x"}),
        (
            "ecr",
            "get_download_url_for_layer",
            {"repositoryName": REPOSITORY, "layerDigest": "sha256:" + "0" * 64},
        ),
        ("s3", "get_object", {"Bucket": BUCKET, "Key": "missing.zip"}),
    ]
    for service, operation, kwargs in calls:
        with pytest.raises(ClientError) as denied:
            getattr(bare.client(service), operation)(**kwargs)
        code, message, _ = error_of(denied)
        assert code in ("AccessDenied", "AccessDeniedException"), (operation, code)
        assert "because no identity-based policy allows" in message, message
