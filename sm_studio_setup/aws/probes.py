"""Probing a caller requirement with one harmless AWS call.

When neither the role's policies nor the policy simulator can be read, the only way to learn
whether the Studio role may do something is to ask AWS. A probe is a call that

- changes nothing, whatever the answer (a read, or an operation on a name that cannot exist);
- is authorized on the same action, resource and context as the requirement;
- answers differently when allowed (success or "not found") and when denied (AccessDenied).

AWS authorizes a request before the service looks at the resources it names, so "not found"
means the action itself was allowed. Actions without such a call (anything that creates,
writes or passes a role) are ``unknown``: the check never creates something to find out.

Probes run as the caller, so only ``caller`` requirements are probed; ``build`` (the CodeBuild
service role while the build runs) and ``trust`` requirements are always ``unknown``.

Names the probes invent end in 16 characters starting with a digit: sm-docker names its
projects ``{prefix}{16 letters}``, so a probe name can match the requirement's
``project/{prefix}*`` and still never be a project sm-docker (or anyone following its scheme)
made. With a uuid's randomness on top, "this project does not exist" is certain enough to call
DeleteProject and StartBuild on it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import botocore.exceptions

from ..requirements.model import Requirement
from .session import client, error_code, is_access_denied

__all__ = ["PREMISES", "ProbeResult", "deny_kind", "premise_of", "probe"]

Status = Literal["allowed", "denied", "unknown"]


@dataclass(frozen=True)
class ProbeResult:
    status: Status
    evidence: str  # what was called and what AWS answered, for the report
    deny_kind: str | None = None  # for "denied": which policy type denied, when AWS says so
    premise: str = ""  # what the answer rests on, said as confirmed or not (PREMISES)


# What each probe's answer rests on, and the public source that confirms it (None: nothing
# public confirms it; docs/aws-behaviours.md lists each with the test that pins it, and
# scripts/aws-conformance asks AWS). A finding says which, so the user sees how far an
# "allowed" from a probe can be trusted.
PREMISES: dict[str, tuple[str, str | None]] = {
    "codebuild:batchgetbuilds": (
        "CodeBuild authorizes BatchGetBuilds on the project named in the build id before it "
        "looks the build up",
        None,
    ),
    "codebuild:deleteproject": (
        "CodeBuild authorizes DeleteProject before it looks the project up",
        None,
    ),
    "codebuild:startbuild": (
        "CodeBuild authorizes StartBuild before it looks the project up",
        None,
    ),
    "codebuild:stopbuild": (
        "CodeBuild authorizes StopBuild on the project named in the build id before it looks "
        "the build up",
        None,
    ),
    "logs:getlogevents": (
        "CloudWatch Logs authorizes GetLogEvents before it looks the log group up",
        None,
    ),
    "ecr:describeimages": (
        "ECR authorizes DescribeImages before it looks the repository and the tag up",
        None,
    ),
    "ecr:describerepositories": (
        "ECR authorizes DescribeRepositories before it looks the repository up",
        None,
    ),
    "s3:abortmultipartupload": (
        "S3 authorizes AbortMultipartUpload before it looks the upload id up",
        None,
    ),
    "s3:listallmybuckets": (
        "ListBuckets names no resource: it is answered when s3:ListAllMyBuckets allows it",
        "Amazon S3 API Reference, ListBuckets (permissions)",
    ),
    "s3:listbucket": (
        "ListObjectsV2 on an existing bucket is answered when s3:ListBucket allows it",
        "Amazon S3 API Reference, ListObjectsV2 (permissions)",
    ),
}


def premise_of(action: str) -> str:
    """A probe's premise as a finding shows it."""
    found = PREMISES.get(action.lower())
    if found is None:
        return ""
    text, source = found
    if source is None:
        return f"Unconfirmed: {text} (no public source says so; docs/aws-behaviours.md)."
    return f"{text} ({source})."


# ------------------------------------------------------------------------- AccessDenied text

# AWS's AccessDenied messages name the policy type that denied ("Access denied error
# messages", IAM User Guide): "... with an explicit deny in a <type>" or "... because no
# <type> allows the <action> action". Older and cross-account messages carry no reason.
_POLICY_TYPES: tuple[tuple[str, str, str], ...] = (
    # (words in the message, kind for an explicit deny, kind for "no ... allows")
    ("identity-based policy", "explicit-identity", "implicit"),
    ("resource-based policy", "explicit-resource", "resource"),
    ("service control policy", "scp", "scp"),
    ("resource control policy", "rcp", "rcp"),
    ("permissions boundary", "boundary", "boundary"),
    ("session policy", "session", "session"),
    ("vpc endpoint policy", "vpc-endpoint", "vpc-endpoint"),
)
_EXPLICIT = re.compile(r"with an explicit deny in an? (?P<type>[\w -]+)")
_IMPLICIT = re.compile(r"because no (?P<type>[\w -]+?) allows\b")


def deny_kind(message: str) -> str | None:
    """Which policy type an AccessDenied message blames: ``explicit-identity``, ``implicit``
    (no identity-based policy allows), ``scp``, ``rcp``, ``boundary``, ``session``,
    ``resource``, ``explicit-resource``, ``vpc-endpoint``; None when the message does not say.
    """
    text = " ".join(message.split()).lower()
    for pattern, explicit in ((_EXPLICIT, True), (_IMPLICIT, False)):
        found = pattern.search(text)
        if found is None:
            continue
        named = found.group("type")
        for words, explicit_kind, implicit_kind in _POLICY_TYPES:
            if named.startswith(words):
                return explicit_kind if explicit else implicit_kind
    return None


# ------------------------------------------------------------------------------ the probes

_ARN = re.compile(
    r"^arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):"
    r"(?P<resource>.+)$"
)


class _NoProbe(Exception):
    """This requirement cannot be probed harmlessly; the message says why."""


@dataclass(frozen=True)
class _Call:
    service: str
    operation: str  # boto3 method name
    kwargs: dict[str, Any]
    not_found: frozenset[str] = frozenset()  # error codes that mean "allowed, but missing"
    region: str | None = None  # the region the resource lives in, if regional


def _probe_name(prefix: str) -> str:
    # 16 characters like sm-docker's random part, but starting with a digit (see module doc).
    return (prefix + "0" + uuid.uuid4().hex[:15])[:255]


def _parts(req: Requirement) -> re.Match[str]:
    found = _ARN.match(req.resource)
    if found is None:
        raise _NoProbe(f"the resource {req.resource!r} is not an ARN")
    return found


def _project_prefix(req: Requirement) -> tuple[str, str]:
    arn = _parts(req)
    resource = arn["resource"]
    if not resource.startswith("project/") or not resource.endswith("*") or "*" in resource[:-1]:
        raise _NoProbe(f"the resource {req.resource!r} is not a project/{{prefix}}* pattern")
    return arn["region"], resource[len("project/") : -1]


def _batch_get_builds(req: Requirement) -> _Call:
    # BatchGetBuilds is authorized on the project named in each build id ("{project}:{uuid}").
    # A made-up id is a read: allowed -> 200 with it under buildsNotFound; denied ->
    # AccessDeniedException.
    region, prefix = _project_prefix(req)
    build_id = f"{_probe_name(prefix)}:{uuid.uuid4()}"
    return _Call("codebuild", "batch_get_builds", {"ids": [build_id]}, region=region)


def _delete_project(req: Requirement) -> _Call:
    # DeleteProject of a project that does not exist succeeds without doing anything when
    # allowed (CodeBuild answers 200, not ResourceNotFound) and is AccessDeniedException when
    # not. The name cannot exist (module doc), so nothing is deleted.
    region, prefix = _project_prefix(req)
    return _Call(
        "codebuild",
        "delete_project",
        {"name": _probe_name(prefix)},
        not_found=frozenset({"ResourceNotFoundException"}),
        region=region,
    )


def _start_build(req: Requirement) -> _Call:
    # StartBuild on a project that does not exist: allowed -> ResourceNotFoundException
    # ("Project cannot be found"), denied -> AccessDeniedException. No project, no build.
    region, prefix = _project_prefix(req)
    return _Call(
        "codebuild",
        "start_build",
        {"projectName": _probe_name(prefix)},
        not_found=frozenset({"ResourceNotFoundException"}),
        region=region,
    )


def _stop_build(req: Requirement) -> _Call:
    # StopBuild is authorized on the project named in the build id; a made-up id of a project
    # that cannot exist: allowed -> ResourceNotFoundException, denied -> AccessDeniedException.
    region, prefix = _project_prefix(req)
    return _Call(
        "codebuild",
        "stop_build",
        {"id": f"{_probe_name(prefix)}:{uuid.uuid4()}"},
        not_found=frozenset({"ResourceNotFoundException"}),
        region=region,
    )


def _repository(req: Requirement) -> tuple[re.Match[str], str]:
    arn = _parts(req)
    resource = arn["resource"]
    if not resource.startswith("repository/") or "*" in resource:
        raise _NoProbe(f"the resource {req.resource!r} is not one repository")
    return arn, resource[len("repository/") :]


def _describe_images(req: Requirement) -> _Call:
    # A read of a tag that cannot exist in the exact repository: allowed -> ImageNotFound (or
    # RepositoryNotFound before the first build); denied -> AccessDeniedException.
    arn, name = _repository(req)
    return _Call(
        "ecr",
        "describe_images",
        {
            "registryId": arn["account"],
            "repositoryName": name,
            "imageIds": [{"imageTag": _probe_name("sm-studio-setup-probe-")}],
        },
        not_found=frozenset({"ImageNotFoundException", "RepositoryNotFoundException"}),
        region=arn["region"],
    )


def _abort_multipart_upload(req: Requirement) -> _Call:
    # Aborting an upload id that does not exist changes nothing: allowed -> NoSuchUpload,
    # denied -> AccessDenied.
    arn = _parts(req)
    bucket, _, key = arn["resource"].partition("/")
    if not key.endswith("*.zip") or "*" in key[:-5] or "*" in bucket:
        raise _NoProbe(f"the resource {req.resource!r} is not a zip key pattern")
    return _Call(
        "s3",
        "abort_multipart_upload",
        {"Bucket": bucket, "Key": _probe_name(key[:-5]) + ".zip", "UploadId": uuid.uuid4().hex},
        not_found=frozenset({"NoSuchUpload"}),
    )


def _describe_repositories(req: Requirement) -> _Call:
    # A read of the exact repository: allowed -> the repository, or RepositoryNotFoundException
    # when it does not exist yet; denied -> AccessDeniedException.
    arn = _parts(req)
    resource = arn["resource"]
    if not resource.startswith("repository/") or "*" in resource:
        raise _NoProbe(f"the resource {req.resource!r} is not one repository")
    return _Call(
        "ecr",
        "describe_repositories",
        {"registryId": arn["account"], "repositoryNames": [resource[len("repository/") :]]},
        not_found=frozenset({"RepositoryNotFoundException"}),
        region=arn["region"],
    )


_LOG_STREAMS = re.compile(r"^log-group:(?P<group>[^:*]+)\*:log-stream:\*$")


def _get_log_events(req: Requirement) -> _Call:
    # GetLogEvents is authorized on log-group:{group}:log-stream:{stream}. A group that cannot
    # exist: allowed -> ResourceNotFoundException, denied -> AccessDeniedException. A read.
    arn = _parts(req)
    found = _LOG_STREAMS.match(arn["resource"])
    if found is None:
        raise _NoProbe(f"the resource {req.resource!r} is not a log-group:{{prefix}}* pattern")
    return _Call(
        "logs",
        "get_log_events",
        {
            "logGroupName": _probe_name(found["group"]),
            "logStreamName": "sm-studio-setup-probe",
            "limit": 1,
        },
        not_found=frozenset({"ResourceNotFoundException"}),
        region=arn["region"],
    )


def _known(made: Any, call: _Call) -> dict[str, Any]:
    """The call's parameters this botocore knows. An older one (SageMaker Distribution 1.x
    pins botocore 1.31) lacks some that only narrow an answer, such as ListBuckets'
    MaxBuckets; without them the probe asks the same question."""
    try:
        operation = made.meta.service_model.operation_model(
            made.meta.method_to_api_mapping[call.operation]
        )
    except (AttributeError, KeyError, botocore.exceptions.BotoCoreError):
        return call.kwargs  # not a botocore client (a test's stand-in): as asked
    members = operation.input_shape.members if operation.input_shape is not None else {}
    return {k: v for k, v in call.kwargs.items() if k in members or k not in _NARROWING}


# Parameters a probe may go without: they make the answer smaller, not different.
_NARROWING = frozenset({"MaxBuckets", "MaxKeys", "MaxResults", "maxResults"})


def _list_all_my_buckets(req: Requirement) -> _Call:
    # ListBuckets is a read authorized on "*"; asking for one bucket keeps the answer small.
    return _Call("s3", "list_buckets", {"MaxBuckets": 1})


def _list_bucket(req: Requirement) -> _Call:
    # ListObjectsV2 (like sm-docker's HeadBucket) needs s3:ListBucket on the bucket; it is used
    # rather than HeadBucket because a denied HEAD has no body, so no reason would be known.
    # MaxKeys=0 lists nothing. NoSuchBucket is not taken as "allowed": S3 may report a missing
    # bucket before judging the request, so it stays unknown.
    arn = _parts(req)
    bucket = arn["resource"]
    if "/" in bucket or "*" in bucket:
        raise _NoProbe(f"the resource {req.resource!r} is not one bucket")
    return _Call("s3", "list_objects_v2", {"Bucket": bucket, "MaxKeys": 0})


_PROBES: dict[str, Callable[[Requirement], _Call]] = {
    "codebuild:batchgetbuilds": _batch_get_builds,
    "codebuild:deleteproject": _delete_project,
    "codebuild:startbuild": _start_build,
    "codebuild:stopbuild": _stop_build,
    "ecr:describeimages": _describe_images,
    "s3:abortmultipartupload": _abort_multipart_upload,
    "ecr:describerepositories": _describe_repositories,
    "logs:getlogevents": _get_log_events,
    "s3:listallmybuckets": _list_all_my_buckets,
    "s3:listbucket": _list_bucket,
}

# Why the other caller actions of the profiles are never probed.
_WHY_NOT = {
    "codebuild:createproject": "CreateProject would create a project when allowed",
    "iam:passrole": "PassRole is only checked inside a call that would create something",
    "ecr:createrepository": "CreateRepository would create the repository when allowed",
    "s3:createbucket": "CreateBucket would create the bucket when allowed",
    "s3:putobject": "PutObject would write an object when allowed",
    "s3:deleteobject": (
        "DeleteObject of a missing key leaves a delete marker in a versioned bucket"
    ),
}


def prepare(session: Any, requirements: Sequence[Requirement]) -> None:
    """Make the clients the probes of ``requirements`` will use, before they run in parallel.

    Clients are made one at a time (see aws.session); made inside the probe threads, the
    first service's probes would leave while the others still wait for their client, and
    the probes would take two round trips instead of one.
    """
    services: set[str] = set()
    for req in requirements:
        make = _PROBES.get(req.action.lower())
        if make is not None and req.who == "caller" and not req.context:
            try:
                services.add(make(req).service)
            except _NoProbe:
                continue
    for service in sorted(services):
        client(session, service)


def probe(session: Any, requirement: Requirement) -> ProbeResult:
    """Whether the caller may do ``requirement``, learnt from one harmless call.

    ``allowed`` / ``denied`` (with ``deny_kind`` from AWS's message) when the answer says so;
    ``unknown`` with the reason otherwise: not a caller requirement, no harmless probe for the
    action, or an answer that tells nothing (throttled after the client's retries, network).
    """
    req = requirement
    if req.who != "caller":
        return ProbeResult(
            "unknown", f"{req.who} requirements cannot be probed: probes run as the caller"
        )
    action = req.action.lower()
    make = _PROBES.get(action)
    if make is None:
        why = _WHY_NOT.get(action, "there is no call that is harmless and tells")
        return ProbeResult("unknown", f"{req.action} is not probed: {why}")
    if req.context:
        # A probe cannot set condition keys; the requirements probed carry none.
        return ProbeResult("unknown", f"{req.action} is not probed: it needs request context")
    try:
        call = make(req)
    except _NoProbe as exc:
        return ProbeResult("unknown", f"{req.action} is not probed: {exc}")
    region = getattr(session, "region_name", None)
    if call.region and region and call.region != region:
        return ProbeResult(
            "unknown", f"{req.action} is not probed: the resource is in {call.region}"
        )
    shown = f"{call.service}.{call.operation}"
    premise = premise_of(action)
    try:
        made = client(session, call.service)
        getattr(made, call.operation)(**_known(made, call))
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", ""))
        evidence = f"{shown} -> {code}: {message}".rstrip(": ")
        if is_access_denied(exc):
            return ProbeResult("denied", evidence, deny_kind(message), premise)
        if code in call.not_found:
            return ProbeResult("allowed", evidence, premise=premise)
        return ProbeResult("unknown", evidence)
    except botocore.exceptions.BotoCoreError as exc:
        return ProbeResult("unknown", f"{shown} failed: {exc}")
    return ProbeResult("allowed", f"{shown} -> OK", premise=premise)
