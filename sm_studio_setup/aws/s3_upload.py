"""Uploading the build context to S3 as it is produced, and the bucket it goes to.

The zip comes in pieces; parts of 8 MB are sent as they fill, a few at a time, so memory holds
a handful of parts whatever the size of the context, and a failed or stopped upload is aborted
(AbortMultipartUpload) so no half-uploaded parts are left to be billed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import botocore.exceptions

from ..errors import AwsAccessDenied, BadInput
from .session import client, error_code, translate

PART_SIZE = 8 * 1024 * 1024  # S3's minimum is 5 MiB for every part but the last
IN_FLIGHT = 3


class Flag(Protocol):
    def is_set(self) -> bool: ...


class UploadStopped(Exception):
    """The upload was asked to stop; what was sent is aborted."""


@dataclass(frozen=True)
class Uploaded:
    bucket: str
    key: str
    size: int
    parts: int


def ensure_bucket(session: Any, bucket: str, *, account: str, region: str, create: bool) -> None:
    """The bucket exists, belongs to ``account`` and is in ``region``; made when ``create``
    (sm-docker's default bucket) and missing. Refuses another account's or region's bucket:
    the policies the fix writes name this account's, and CodeBuild reads its source in its own
    region."""
    s3 = client(session, "s3")
    try:
        answer = s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if code in ("404", "NoSuchBucket", "NotFound") or status == 404:
            if not create:
                raise BadInput(
                    f"The bucket {bucket} does not exist.",
                    "Create it first, or leave the option out to use SageMaker's default bucket.",
                    field="bucket",
                ) from exc
            _create(s3, bucket, region)
            return
        if status == 403 and code not in ("AccessDenied", "AccessDeniedException"):
            # A refused HEAD has no body: another account's bucket and a missing s3:ListBucket
            # look alike. Still an AccessDenied, so a grant made moments ago is waited for.
            raise AwsAccessDenied(
                f"The bucket {bucket} belongs to another account or may not be read with these "
                "credentials.",
                "Use a bucket of this account, or grant s3:ListBucket on it (the check says).",
                field="bucket",
                details={"code": code},
            ) from exc
        raise translate(exc, f"looking up bucket {bucket}") from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc, f"looking up bucket {bucket}") from exc
    where = answer.get("BucketRegion") or answer.get("ResponseMetadata", {}).get(
        "HTTPHeaders", {}
    ).get("x-amz-bucket-region")
    if where and where != region:
        raise BadInput(
            f"The bucket {bucket} is in {where}, not in {region} where the build runs.",
            "Use a bucket in the build's region.",
            field="bucket",
        )


def _create(s3: Any, bucket: str, region: str) -> None:
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) != "BucketAlreadyOwnedByYou":
            raise translate(exc, f"creating bucket {bucket}") from exc


def upload(
    session: Any,
    chunks: Iterable[bytes],
    bucket: str,
    key: str,
    *,
    on_progress: Callable[[int], None] | None = None,
    on_started: Callable[[str], None] | None = None,
    stop: Flag | None = None,
) -> Uploaded:
    """Upload the concatenation of ``chunks`` to ``bucket/key``, in parts as they fill.

    ``on_started`` hears the multipart upload's id as soon as there is one, so that a process
    dying mid-upload leaves a record from which the next one can abort it."""
    s3 = client(session, "s3")
    buffer = bytearray()
    upload_id: str | None = None
    parts: list[Future[dict[str, Any]]] = []
    sent = 0
    doing = f"uploading the build context to s3://{bucket}/{key}"

    def put_part(number: int, body: bytes) -> dict[str, Any]:
        answer = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
        )
        if on_progress is not None:
            on_progress(len(body))
        return {"PartNumber": number, "ETag": answer["ETag"]}

    pool = ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="upload")
    try:
        for chunk in chunks:
            if stop is not None and stop.is_set():
                raise UploadStopped()
            buffer += chunk
            while len(buffer) >= PART_SIZE:
                if upload_id is None:
                    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
                    if on_started is not None:
                        on_started(upload_id)
                body = bytes(buffer[:PART_SIZE])
                del buffer[:PART_SIZE]
                # At most IN_FLIGHT parts wait in memory: finish the oldest first.
                while sum(not f.done() for f in parts) >= IN_FLIGHT:
                    next(f for f in parts if not f.done()).result()
                parts.append(pool.submit(put_part, len(parts) + 1, body))
                sent += len(body)
        if upload_id is None:
            s3.put_object(Bucket=bucket, Key=key, Body=bytes(buffer))
            if on_progress is not None:
                on_progress(len(buffer))
            return Uploaded(bucket, key, len(buffer), 1)
        if buffer:
            parts.append(pool.submit(put_part, len(parts) + 1, bytes(buffer)))
            sent += len(buffer)
        done = [f.result() for f in parts]
        s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done}
        )
        return Uploaded(bucket, key, sent, len(done))
    except BaseException as exc:
        for future in parts:
            future.cancel()
        pool.shutdown(wait=True)
        if upload_id is not None:
            abort(session, bucket, key, upload_id)
        if isinstance(exc, botocore.exceptions.ClientError | botocore.exceptions.BotoCoreError):
            raise translate(exc, doing) from exc
        raise
    finally:
        pool.shutdown(wait=True)


def abort(session: Any, bucket: str, key: str, upload_id: str) -> None:
    """Drop an unfinished multipart upload; a failure to do so must not hide the first one."""
    with contextlib.suppress(botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        client(session, "s3").abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)


def delete(session: Any, bucket: str, key: str) -> str | None:
    """Delete the uploaded zip; None, or why it could not be."""
    try:
        client(session, "s3").delete_object(Bucket=bucket, Key=key)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return str(translate(exc, f"deleting s3://{bucket}/{key}"))
    return None


def abort_all(session: Any, bucket: str, key: str) -> None:
    """Abort every unfinished multipart upload of exactly ``key`` (a build's key is its own):
    one begun just before a stop or a crash, whose id was never recorded. Listing needs
    s3:ListBucketMultipartUploads, an optional requirement: without it this is skipped."""
    s3 = client(session, "s3")
    try:
        answer = s3.list_multipart_uploads(Bucket=bucket, Prefix=key)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return
    for upload in answer.get("Uploads") or []:
        if upload.get("Key") == key and upload.get("UploadId"):
            abort(session, bucket, key, str(upload["UploadId"]))
