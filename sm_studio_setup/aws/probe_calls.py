"""The harmless call each probed action is asked with (``aws/probes.py`` runs them).

A call is harmless in one of two ways:

- it reads, or it names a resource that cannot exist (a made-up project, log group, upload id,
  key or tag): there is nothing for it to read, change or delete;
- it would create something, but names a second thing that cannot be accepted (a KMS key or
  a service role that does not exist, a manifest that is not JSON, a body whose Content-MD5
  does not match): the service refuses the request after authorizing it, so nothing is made.
  Should the service accept it after all (the premise was wrong), ``undo`` removes what was
  made and the answer is ``unknown``.

Names the probes invent end in 16 characters starting with a digit: sm-docker names its
projects ``{prefix}{16 letters}``, so a probe name can match the requirement's
``project/{prefix}*`` and still never be a project sm-docker (or anyone following its scheme)
made. With a uuid's randomness on top, "this does not exist" is certain enough to call
DeleteProject and StartBuild on it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..requirements.model import Requirement

__all__ = ["PROBES", "WHY_NOT", "Call", "NoProbe"]


class NoProbe(Exception):
    """This requirement cannot be probed harmlessly; the message says why."""


@dataclass(frozen=True)
class Call:
    service: str
    operation: str  # boto3 method name
    kwargs: dict[str, Any]
    # Error codes that mean "allowed, but missing" (the service looked up what the call names,
    # which it does only once the call is authorized). A code mapped to words counts only when
    # its message has them: an InvalidParameterException about the made-up key, not the name.
    not_found: frozenset[str] = frozenset()
    region: str | None = None  # the region the resource lives in, if regional
    words: Mapping[str, str] = field(default_factory=dict)
    # Actions the service authorizes only after this one (the role CreateProject passes, the
    # key CreateRepository grants ECR): their AccessDenied means this action was allowed.
    checked_after: frozenset[str] = frozenset()
    # False where AWS denies without naming the action for another reason too (S3's bare 403
    # for a missing key when s3:ListBucket is not allowed): such a denial then tells nothing.
    bare_denial_tells: bool = True
    # For a call that creates something unless its made-up part is refused: how to remove it
    # should the service accept it anyway.
    undo: Call | None = None
    # The answer carries a secret (ECR's authorization token): it is dropped unparsed.
    secret: bool = False
    # A read that must find the resource before this call is made: a call that names the
    # user's own resource (not a made-up one) is made only where, whatever the service does
    # with it, the resource is there already and cannot be made by the probe.
    exists: Call | None = None


def _probe_name(prefix: str) -> str:
    # 16 characters like sm-docker's random part, but starting with a digit (see module doc).
    return (prefix + "0" + uuid.uuid4().hex[:15])[:255]


def _digest() -> str:
    return "sha256:" + uuid.uuid4().hex + uuid.uuid4().hex


_ARN = re.compile(
    r"^arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):"
    r"(?P<resource>.+)$"
)


def _parts(req: Requirement) -> re.Match[str]:
    found = _ARN.match(req.resource)
    if found is None:
        raise NoProbe(f"the resource {req.resource!r} is not an ARN")
    return found


# --------------------------------------------------------------------------------- CodeBuild


def _project_prefix(req: Requirement) -> tuple[str, str]:
    arn = _parts(req)
    resource = arn["resource"]
    if not resource.startswith("project/") or not resource.endswith("*") or "*" in resource[:-1]:
        raise NoProbe(f"the resource {req.resource!r} is not a project/{{prefix}}* pattern")
    return arn["region"], resource[len("project/") : -1]


def _batch_get_builds(req: Requirement) -> Call:
    # BatchGetBuilds is authorized on the project named in each build id ("{project}:{uuid}").
    # A made-up id is a read: allowed -> 200 with it under buildsNotFound; denied ->
    # AccessDeniedException.
    region, prefix = _project_prefix(req)
    build_id = f"{_probe_name(prefix)}:{uuid.uuid4()}"
    return Call("codebuild", "batch_get_builds", {"ids": [build_id]}, region=region)


def _delete_project(req: Requirement) -> Call:
    # DeleteProject of a project that does not exist succeeds without doing anything when
    # allowed (CodeBuild answers 200, not ResourceNotFound) and is AccessDeniedException when
    # not. The name cannot exist (module doc), so nothing is deleted.
    region, prefix = _project_prefix(req)
    return Call(
        "codebuild",
        "delete_project",
        {"name": _probe_name(prefix)},
        not_found=frozenset({"ResourceNotFoundException"}),
        region=region,
    )


def _start_build(req: Requirement) -> Call:
    # StartBuild on a project that does not exist: allowed -> ResourceNotFoundException
    # ("Project cannot be found"), denied -> AccessDeniedException. No project, no build.
    region, prefix = _project_prefix(req)
    return Call(
        "codebuild",
        "start_build",
        {"projectName": _probe_name(prefix)},
        not_found=frozenset({"ResourceNotFoundException"}),
        region=region,
    )


def _stop_build(req: Requirement) -> Call:
    # StopBuild is authorized on the project named in the build id; a made-up id of a project
    # that cannot exist: allowed -> ResourceNotFoundException, denied -> AccessDeniedException.
    region, prefix = _project_prefix(req)
    return Call(
        "codebuild",
        "stop_build",
        {"id": f"{_probe_name(prefix)}:{uuid.uuid4()}"},
        not_found=frozenset({"ResourceNotFoundException"}),
        region=region,
    )


def _create_project(req: Requirement) -> Call:
    # A project that passes a service role that does not exist: CodeBuild refuses it ("not
    # authorized to perform: sts:AssumeRole on service role ... Please verify that: 1) The
    # provided service role exists", docs/aws-behaviours.md), after authorizing CreateProject
    # and then the caller's iam:PassRole on that made-up role, so a PassRole denial also means
    # CreateProject was allowed. What it says about PassRole is about the made-up role only.
    region, prefix = _project_prefix(req)
    arn = _parts(req)
    name = _probe_name(prefix)
    role = (
        f"arn:{arn['partition']}:iam::{arn['account']}:role/{_probe_name('sm-studio-setup-probe-')}"
    )
    return Call(
        "codebuild",
        "create_project",
        {
            "name": name,
            "source": {"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases: {}\n"},
            "artifacts": {"type": "NO_ARTIFACTS"},
            "environment": {
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            "serviceRole": role,
        },
        not_found=frozenset({"InvalidInputException"}),
        words={"InvalidInputException": "sts:AssumeRole"},
        checked_after=frozenset({"iam:passrole"}),
        region=region,
        undo=Call("codebuild", "delete_project", {"name": name}, region=region),
    )


# --------------------------------------------------------------------------------------- ECR


def _repository(req: Requirement) -> tuple[re.Match[str], str]:
    arn = _parts(req)
    resource = arn["resource"]
    if not resource.startswith("repository/") or "*" in resource:
        raise NoProbe(f"the resource {req.resource!r} is not one repository")
    return arn, resource[len("repository/") :]


_NO_REPOSITORY = "RepositoryNotFoundException"


def _in_repository(req: Requirement, operation: str, not_found: set[str], **kwargs: Any) -> Call:
    # Every ECR call on the exact repository: RepositoryNotFound (before the first build) is
    # as good an answer as the made-up layer, upload or tag not being found.
    arn, name = _repository(req)
    return Call(
        "ecr",
        operation,
        {"registryId": arn["account"], "repositoryName": name, **kwargs},
        not_found=frozenset({_NO_REPOSITORY, *not_found}),
        region=arn["region"],
    )


def _describe_images(req: Requirement) -> Call:
    # A read of a tag that cannot exist: allowed -> ImageNotFound; denied -> AccessDenied.
    tag = _probe_name("sm-studio-setup-probe-")
    return _in_repository(
        req, "describe_images", {"ImageNotFoundException"}, imageIds=[{"imageTag": tag}]
    )


def _describe_repositories(req: Requirement) -> Call:
    # A read of the exact repository: the repository, or RepositoryNotFoundException.
    arn, name = _repository(req)
    return Call(
        "ecr",
        "describe_repositories",
        {"registryId": arn["account"], "repositoryNames": [name]},
        not_found=frozenset({_NO_REPOSITORY}),
        region=arn["region"],
    )


def _batch_check_layer_availability(req: Requirement) -> Call:
    # A read: a made-up digest comes back under failures (MissingLayerDigest).
    return _in_repository(req, "batch_check_layer_availability", set(), layerDigests=[_digest()])


def _batch_get_image(req: Requirement) -> Call:
    # A read: a tag that cannot exist comes back under failures (ImageNotFound).
    tag = _probe_name("sm-studio-setup-probe-")
    return _in_repository(req, "batch_get_image", set(), imageIds=[{"imageTag": tag}])


def _get_download_url_for_layer(req: Requirement) -> Call:
    # A read of a layer that cannot exist: LayersNotFoundException (or LayerInaccessible).
    return _in_repository(
        req,
        "get_download_url_for_layer",
        {"LayersNotFoundException", "LayerInaccessibleException"},
        layerDigest=_digest(),
    )


def _upload_layer_part(req: Requirement) -> Call:
    # A part for an upload id that was never started: UploadNotFoundException; no upload is
    # opened (InitiateLayerUpload would open one, which is why it is not probed).
    return _in_repository(
        req,
        "upload_layer_part",
        {"UploadNotFoundException"},
        uploadId=str(uuid.uuid4()),
        partFirstByte=0,
        partLastByte=0,
        layerPartBlob=b"\0",
    )


def _complete_layer_upload(req: Requirement) -> Call:
    return _in_repository(
        req,
        "complete_layer_upload",
        {"UploadNotFoundException"},
        uploadId=str(uuid.uuid4()),
        layerDigests=[_digest()],
    )


def _put_image(req: Requirement) -> Call:
    # A manifest that is not JSON cannot become an image: InvalidParameterException about the
    # manifest (or RepositoryNotFound). The tag is a probe's, so not even a premise gone wrong
    # could move one of the user's tags.
    tag = _probe_name("sm-studio-setup-probe-")
    call = _in_repository(
        req,
        "put_image",
        {"InvalidParameterException"},
        imageManifest="sm-studio-setup probe: not a manifest",
        imageTag=tag,
    )
    where = {k: call.kwargs[k] for k in ("registryId", "repositoryName")}
    undo = Call(
        "ecr", "batch_delete_image", {**where, "imageIds": [{"imageTag": tag}]}, region=call.region
    )
    return replace(call, words={"InvalidParameterException": "manifest"}, undo=undo)


def _create_repository(req: Requirement) -> Call:
    # Only for a repository that exists already (``exists``), which ECR answers with
    # RepositoryAlreadyExists after authorizing: the call names the user's own repository, and
    # were it missing and the premise below wrong, the probe would make it (encrypted with a
    # key that does not exist, every push failing) and its undo would need DeleteRepository,
    # which the role seldom has. Before the first build it stays unknown; the build makes it.
    # The KMS key that does not exist is kept as a second guard: ECR authorizes
    # CreateRepository, then asks KMS for a grant on the key, which fails (KmsException).
    arn, name = _repository(req)
    key = f"arn:{arn['partition']}:kms:{arn['region']}:{arn['account']}:key/{uuid.uuid4()}"
    where = {"registryId": arn["account"], "repositoryName": name}
    return Call(
        "ecr",
        "create_repository",
        {**where, "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": key}},
        not_found=frozenset(
            {"KmsException", "RepositoryAlreadyExistsException", "InvalidParameterException"}
        ),
        words={"InvalidParameterException": "kms"},
        checked_after=frozenset({"kms:creategrant", "kms:describekey", "kms:retiregrant"}),
        region=arn["region"],
        undo=Call("ecr", "delete_repository", where, region=arn["region"]),
        exists=Call(
            "ecr",
            "describe_repositories",
            {"registryId": arn["account"], "repositoryNames": [name]},
            region=arn["region"],
        ),
    )


def _get_authorization_token(req: Requirement) -> Call:
    # Takes no resource; the token it returns is dropped before botocore parses it.
    if req.resource != "*":
        raise NoProbe(f"the resource {req.resource!r} is not '*'")
    return Call("ecr", "get_authorization_token", {}, secret=True)


# ------------------------------------------------------------------------------ CloudWatch Logs

_LOG_STREAMS = re.compile(r"^log-group:(?P<group>[^:*]+)\*:log-stream:\*$")
_LOG_GROUPS = re.compile(r"^log-group:(?P<group>[^:*]+)\*$")


def _log_group(req: Requirement, pattern: re.Pattern[str]) -> tuple[re.Match[str], str]:
    arn = _parts(req)
    found = pattern.match(arn["resource"])
    if found is None:
        raise NoProbe(f"the resource {req.resource!r} is not a log-group:{{prefix}}* pattern")
    return arn, _probe_name(found["group"])


def _in_missing_group(req: Requirement, operation: str, **kwargs: Any) -> Call:
    # Authorized on log-group:{group}:log-stream:{stream}; a group that cannot exist answers
    # ResourceNotFoundException, so no stream is made and no event is written.
    arn, group = _log_group(req, _LOG_STREAMS)
    return Call(
        "logs",
        operation,
        {"logGroupName": group, "logStreamName": "sm-studio-setup-probe", **kwargs},
        not_found=frozenset({"ResourceNotFoundException"}),
        region=arn["region"],
    )


def _get_log_events(req: Requirement) -> Call:
    return _in_missing_group(req, "get_log_events", limit=1)


def _create_log_stream(req: Requirement) -> Call:
    return _in_missing_group(req, "create_log_stream")


def _put_log_events(req: Requirement) -> Call:
    event = {"timestamp": int(time.time() * 1000), "message": "sm-studio-setup probe"}
    return _in_missing_group(req, "put_log_events", logEvents=[event])


def _create_log_group(req: Requirement) -> Call:
    # A group encrypted with a KMS key that does not exist: CloudWatch Logs refuses it with
    # InvalidParameterException (CloudWatch Logs API Reference, CreateLogGroup), so no group is
    # made. The name is a probe's, never a build's.
    arn, group = _log_group(req, _LOG_GROUPS)
    key = f"arn:{arn['partition']}:kms:{arn['region']}:{arn['account']}:key/{uuid.uuid4()}"
    return Call(
        "logs",
        "create_log_group",
        {"logGroupName": group, "kmsKeyId": key},
        not_found=frozenset({"InvalidParameterException"}),
        words={"InvalidParameterException": "kms"},
        region=arn["region"],
        undo=Call("logs", "delete_log_group", {"logGroupName": group}, region=arn["region"]),
    )


# ---------------------------------------------------------------------------------------- S3


def _bucket(req: Requirement) -> str:
    bucket = _parts(req)["resource"]
    if "/" in bucket or "*" in bucket:
        raise NoProbe(f"the resource {req.resource!r} is not one bucket")
    return bucket


def _zip_key(req: Requirement) -> tuple[str, str]:
    """(bucket, a key that cannot exist) for ``{bucket}/{prefix}*.zip``."""
    bucket, _, key = _parts(req)["resource"].partition("/")
    if not key.endswith("*.zip") or "*" in key[:-5] or "*" in bucket:
        raise NoProbe(f"the resource {req.resource!r} is not a zip key pattern")
    return bucket, _probe_name(key[:-5]) + ".zip"


def _abort_multipart_upload(req: Requirement) -> Call:
    # Aborting an upload id that does not exist changes nothing: allowed -> NoSuchUpload,
    # denied -> AccessDenied.
    bucket, key = _zip_key(req)
    return Call(
        "s3",
        "abort_multipart_upload",
        {"Bucket": bucket, "Key": key, "UploadId": uuid.uuid4().hex},
        not_found=frozenset({"NoSuchUpload"}),
    )


def _list_all_my_buckets(req: Requirement) -> Call:
    # ListBuckets is a read authorized on "*"; asking for one bucket keeps the answer small.
    return Call("s3", "list_buckets", {"MaxBuckets": 1})


def _list_bucket(req: Requirement) -> Call:
    # ListObjectsV2 (like sm-docker's HeadBucket) needs s3:ListBucket on the bucket; it is used
    # rather than HeadBucket because a denied HEAD has no body, so no reason would be known.
    # MaxKeys=0 lists nothing.
    return Call("s3", "list_objects_v2", {"Bucket": _bucket(req), "MaxKeys": 0})


def _list_multipart_uploads(req: Requirement) -> Call:
    # A read; the prefix is a probe's, so no upload of anyone's is listed.
    bucket = _bucket(req)
    return Call(
        "s3",
        "list_multipart_uploads",
        {"Bucket": bucket, "Prefix": _probe_name("sm-studio-setup-probe-"), "MaxUploads": 1},
    )


def _get_object(req: Requirement, **version: str) -> Call:
    # A key that cannot exist: NoSuchKey only when s3:ListBucket is allowed too; without it S3
    # answers a bare 403 (Amazon S3 API Reference, GetObject), which tells nothing. A 403
    # naming s3:ListBucket means GetObject itself was allowed. One byte at most, were it there.
    bucket, key = _zip_key(req)
    return Call(
        "s3",
        "get_object",
        {"Bucket": bucket, "Key": key, "Range": "bytes=0-0", **version},
        not_found=frozenset({"NoSuchKey", "NoSuchVersion"}),
        checked_after=frozenset({"s3:listbucket"}),
        bare_denial_tells=False,
    )


def _get_object_version(req: Requirement) -> Call:
    # A version id makes GetObject s3:GetObjectVersion; "null" is a valid id for any key.
    return _get_object(req, VersionId="null")


def _put_object(req: Requirement) -> Call:
    # An empty body whose Content-MD5 is another's: S3 refuses it (BadDigest) and stores
    # nothing. A bare 403 is taken as telling nothing, as for GetObject.
    bucket, key = _zip_key(req)
    wrong = base64.b64encode(hashlib.md5(b"sm-studio-setup probe").digest()).decode()
    return Call(
        "s3",
        "put_object",
        {"Bucket": bucket, "Key": key, "Body": b"", "ContentMD5": wrong},
        not_found=frozenset({"BadDigest", "InvalidDigest"}),
        bare_denial_tells=False,
        undo=Call("s3", "delete_object", {"Bucket": bucket, "Key": key}),
    )


PROBES: dict[str, Callable[[Requirement], Call]] = {
    "codebuild:batchgetbuilds": _batch_get_builds,
    "codebuild:createproject": _create_project,
    "codebuild:deleteproject": _delete_project,
    "codebuild:startbuild": _start_build,
    "codebuild:stopbuild": _stop_build,
    "ecr:batchchecklayeravailability": _batch_check_layer_availability,
    "ecr:batchgetimage": _batch_get_image,
    "ecr:completelayerupload": _complete_layer_upload,
    "ecr:createrepository": _create_repository,
    "ecr:describeimages": _describe_images,
    "ecr:describerepositories": _describe_repositories,
    "ecr:getauthorizationtoken": _get_authorization_token,
    "ecr:getdownloadurlforlayer": _get_download_url_for_layer,
    "ecr:putimage": _put_image,
    "ecr:uploadlayerpart": _upload_layer_part,
    "logs:createloggroup": _create_log_group,
    "logs:createlogstream": _create_log_stream,
    "logs:getlogevents": _get_log_events,
    "logs:putlogevents": _put_log_events,
    "s3:abortmultipartupload": _abort_multipart_upload,
    "s3:getobject": _get_object,
    "s3:getobjectversion": _get_object_version,
    "s3:listallmybuckets": _list_all_my_buckets,
    "s3:listbucket": _list_bucket,
    "s3:listbucketmultipartuploads": _list_multipart_uploads,
    "s3:putobject": _put_object,
}

# Why the other actions of the profiles are never probed.
WHY_NOT = {
    "iam:passrole": (
        "CodeBuild checks PassRole only inside CreateProject, for the role passed there; the "
        "CreateProject probe passes a made-up role, which tells nothing about this one"
    ),
    "s3:createbucket": (
        "CreateBucket creates a missing bucket, and in us-east-1 re-creating one's own answers "
        "200 and resets its ACLs: no call asks without doing one or the other"
    ),
    "s3:deleteobject": (
        "DeleteObject of a missing key leaves a delete marker in a versioned bucket"
    ),
    "ecr:initiatelayerupload": (
        "InitiateLayerUpload opens an upload in the repository when allowed (ECR keeps it "
        "until it expires); no call names an upload without opening one"
    ),
}
