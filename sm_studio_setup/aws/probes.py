"""Probing a requirement with one harmless AWS call.

When neither the role's policies nor the policy simulator can be read, the only way to learn
whether the Studio role may do something is to ask AWS. A probe is a call that

- changes nothing, whatever the answer (a read, an operation on a name that cannot exist, or a
  create the service must refuse: ``aws/probe_calls.py`` says which call each action gets);
- is authorized on the same action, resource and context as the requirement;
- answers differently when allowed (success or "not found") and when denied (AccessDenied).

AWS authorizes a request before the service looks at the resources it names, so "not found"
means the action itself was allowed. Actions without such a call are ``unknown``, with the
reason: the check never creates something to find out.

Probes run as the caller. ``build`` requirements (the CodeBuild service role while the build
runs) are probed too when that role is the caller's own, as sm-docker's design has it: the
answer then speaks for the role's identity policies, and the finding says what a call made
as the caller cannot cover (``BUILD_SCOPE``). Another role's, and ``trust`` requirements, are
``unknown``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Literal

import botocore.exceptions

from ..requirements.model import Requirement
from .probe_calls import PROBES, WHY_NOT, NoProbe
from .probe_calls import Call as _Call
from .session import client, error_code, is_access_denied

__all__ = ["BUILD_SCOPE", "PREMISES", "ProbeResult", "deny_kind", "premise_of", "probe"]

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
    "codebuild:createproject": (
        "CodeBuild authorizes CreateProject before it checks the service role it names (the "
        "caller's iam:PassRole, then sts:AssumeRole), and refuses a role that does not exist, "
        "so no project is made",
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
    "logs:createloggroup": (
        "CloudWatch Logs authorizes CreateLogGroup before it checks the KMS key it names, and "
        "refuses a key that does not exist, so no log group is made",
        None,
    ),
    "logs:createlogstream": (
        "CloudWatch Logs authorizes CreateLogStream before it looks the log group up",
        None,
    ),
    "logs:getlogevents": (
        "CloudWatch Logs authorizes GetLogEvents before it looks the log group up",
        None,
    ),
    "logs:putlogevents": (
        "CloudWatch Logs authorizes PutLogEvents before it looks the log group up",
        None,
    ),
    "ecr:batchchecklayeravailability": (
        "ECR authorizes BatchCheckLayerAvailability before it looks the repository and the "
        "layer up",
        None,
    ),
    "ecr:batchgetimage": (
        "ECR authorizes BatchGetImage before it looks the repository and the tag up",
        None,
    ),
    "ecr:completelayerupload": (
        "ECR authorizes CompleteLayerUpload before it looks the repository and the upload up",
        None,
    ),
    "ecr:createrepository": (
        "ECR authorizes CreateRepository before it uses the KMS key it names (a grant asked "
        "as the caller), and refuses a key that does not exist, so no repository is made",
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
    "ecr:getauthorizationtoken": (
        "GetAuthorizationToken names no resource: it is answered when "
        "ecr:GetAuthorizationToken allows it",
        "Amazon ECR User Guide, Private registry authentication",
    ),
    "ecr:getdownloadurlforlayer": (
        "ECR authorizes GetDownloadUrlForLayer before it looks the repository and the layer up",
        None,
    ),
    "ecr:putimage": (
        "ECR authorizes PutImage before it looks the repository up and reads the manifest, and "
        "refuses a manifest that is not JSON, so no image is made",
        None,
    ),
    "ecr:uploadlayerpart": (
        "ECR authorizes UploadLayerPart before it looks the repository and the upload up",
        None,
    ),
    "s3:abortmultipartupload": (
        "S3 authorizes AbortMultipartUpload before it looks the upload id up",
        None,
    ),
    "s3:getobject": (
        "GetObject of a missing key answers NoSuchKey only when s3:GetObject and s3:ListBucket "
        "allow it, and 403 when ListBucket does not",
        "Amazon S3 API Reference, GetObject (permissions)",
    ),
    "s3:getobjectversion": (
        "GetObject of a missing key's version answers NoSuchKey or NoSuchVersion only when "
        "s3:GetObjectVersion and s3:ListBucket allow it",
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
    "s3:listbucketmultipartuploads": (
        "ListMultipartUploads on an existing bucket is answered when "
        "s3:ListBucketMultipartUploads allows it",
        "Amazon S3 API Reference, ListMultipartUploads (permissions)",
    ),
    "s3:putobject": (
        "S3 authorizes PutObject before it checks the body against its Content-MD5, and "
        "refuses a body that does not match (BadDigest), so nothing is stored",
        None,
    ),
}

# What a probe made as the caller cannot say about the build's role, even when the build's role
# is the caller's own: CodeBuild's session is another session of it.
BUILD_SCOPE = (
    "Probed as the Studio role, which CodeBuild assumes for the build: this covers the role's "
    "identity policies, not conditions on CodeBuild's session (aws:CalledVia, "
    "aws:SourceVpc/aws:SourceIp and the build's network, aws:PrincipalTag the session sets, "
    "session policies) nor resource policies that name CodeBuild."
)


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

_PERFORM = re.compile(r"not authorized to perform:?\s+(?P<action>[\w-]+:[\w*-]+)", re.I)


def denied_action(message: str) -> str | None:
    """The action an AccessDenied message names (lower case), None when it names none."""
    found = _PERFORM.search(message)
    return found["action"].lower() if found else None


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
_NARROWING = frozenset({"MaxBuckets", "MaxKeys", "MaxResults", "maxResults", "MaxUploads"})


def _probed(req: Requirement, build_is_caller: bool) -> bool:
    return not req.context and (req.who == "caller" or (req.who == "build" and build_is_caller))


def prepare(
    session: Any, requirements: Sequence[Requirement], *, build_is_caller: bool = False
) -> None:
    """Make the clients the probes of ``requirements`` will use, before they run in parallel.

    Clients are made one at a time (see aws.session); made inside the probe threads, the
    first service's probes would leave while the others still wait for their client, and
    the probes would take two round trips instead of one.
    """
    services: set[str] = set()
    for req in requirements:
        make = PROBES.get(req.action.lower())
        if make is not None and _probed(req, build_is_caller):
            try:
                services.add(make(req).service)
            except NoProbe:
                continue
    for service in sorted(services):
        client(session, service)


def probe(session: Any, requirement: Requirement, *, build_is_caller: bool = False) -> ProbeResult:
    """Whether the caller may do ``requirement``, learnt from one harmless call.

    ``build_is_caller``: the build's service role is the role the caller runs as, so the
    caller's answer also speaks for ``build`` requirements (with ``BUILD_SCOPE`` said).

    ``allowed`` / ``denied`` (with ``deny_kind`` from AWS's message) when the answer says so;
    ``unknown`` with the reason otherwise: not the caller's role, no harmless probe for the
    action, or an answer that tells nothing (throttled after the client's retries, network).
    """
    req = requirement
    if req.who == "build" and not build_is_caller:
        return ProbeResult(
            "unknown",
            "build requirements cannot be probed: probes run as the caller, and the build "
            "runs as another role",
        )
    if req.who not in ("caller", "build"):
        return ProbeResult(
            "unknown", f"{req.who} requirements cannot be probed: probes run as the caller"
        )
    result = _ask(session, req)
    if req.who == "build" and result.status != "unknown":
        premise = f"{result.premise} {BUILD_SCOPE}".strip()
        return ProbeResult(result.status, result.evidence, result.deny_kind, premise)
    return result


def _missing(session: Any, read: _Call) -> str:
    """Why the resource ``read`` looks up is not known to be there ("" when it is)."""
    shown = f"{read.service}.{read.operation}"
    try:
        getattr(client(session, read.service), read.operation)(**read.kwargs)
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        if "NotFound" in code:
            return (
                f"{shown} -> {code}: it does not exist yet, and the only call that asks would "
                "make it; the build makes it"
            )
        return f"{shown} -> {code}: whether it exists is not known, and the call would name it"
    except botocore.exceptions.BotoCoreError as exc:
        return f"{shown} failed: {exc}"
    return ""


def _ask(session: Any, req: Requirement) -> ProbeResult:
    action = req.action.lower()
    make = PROBES.get(action)
    if make is None:
        why = WHY_NOT.get(action, "there is no call that is harmless and tells")
        return ProbeResult("unknown", f"{req.action} is not probed: {why}")
    if req.context:
        # A probe cannot set condition keys; the requirements probed carry none.
        return ProbeResult("unknown", f"{req.action} is not probed: it needs request context")
    try:
        call = make(req)
    except NoProbe as exc:
        return ProbeResult("unknown", f"{req.action} is not probed: {exc}")
    region = getattr(session, "region_name", None)
    if call.region and region and call.region != region:
        return ProbeResult(
            "unknown", f"{req.action} is not probed: the resource is in {call.region}"
        )
    shown = f"{call.service}.{call.operation}"
    premise = premise_of(action)
    if call.exists is not None:
        missing = _missing(session, call.exists)
        if missing:
            return ProbeResult("unknown", f"{req.action} is not probed: {missing}")
    try:
        made = client(session, call.service)
        with _answer_dropped(made, call) if call.secret else nullcontext():
            getattr(made, call.operation)(**_known(made, call))
    except botocore.exceptions.ClientError as exc:
        return _judged(exc, action, call, shown, premise)
    except botocore.exceptions.BotoCoreError as exc:
        return ProbeResult("unknown", f"{shown} failed: {exc}")
    if call.undo is not None:
        return ProbeResult("unknown", f"{shown} -> OK: " + _undone(made, call.undo))
    if call.secret:
        return ProbeResult(
            "allowed", f"{shown} -> OK (the answer was dropped unread)", None, premise
        )
    return ProbeResult("allowed", f"{shown} -> OK", premise=premise)


def _judged(
    exc: botocore.exceptions.ClientError, action: str, call: _Call, shown: str, premise: str
) -> ProbeResult:
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", ""))
    evidence = f"{shown} -> {code}: {message}".rstrip(": ")
    if is_access_denied(exc):
        named = denied_action(message)
        if named == action or (named is None and call.bare_denial_tells):
            return ProbeResult("denied", evidence, deny_kind(message), premise)
        if named in call.checked_after:
            # The service asks about that action only once this one is allowed.
            return ProbeResult("allowed", evidence, premise=premise)
        why = (
            f"a denial of {named}, not of {action}"
            if named
            else "a denial that names no action, which S3 also gives for a missing key"
        )
        return ProbeResult("unknown", f"{evidence} ({why}: this does not tell)")
    if code in call.not_found and call.words.get(code, "").lower() in message.lower():
        return ProbeResult("allowed", evidence, premise=premise)
    if code == "NoSuchBucket":
        # S3 answers a bucket that does not exist whoever asks (the build creates it first),
        # so nothing is learnt about the bucket's permissions until it exists.
        return ProbeResult("unknown", f"{evidence} (nothing can be asked of a missing bucket)")
    return ProbeResult("unknown", evidence)


def _undone(made: Any, undo: _Call) -> str:
    """Remove what a probe made after all, and say so: its premise did not hold."""
    what = f"the service accepted what it should have refused; {undo.service}.{undo.operation}"
    try:
        getattr(made, undo.operation)(**undo.kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return f"{what} failed, so it is left behind: {exc}"
    return f"{what} removed it"


# The answer of a secret-bearing probe is replaced before botocore parses it (and logs it at
# DEBUG), so the secret never becomes a Python value. Only inside the probe's own call, in its
# own thread: the same cached client serves ECR logins that need the token
# (aws/ecr_login.py).
_dropping = threading.local()


@contextmanager
def _answer_dropped(made: Any, call: _Call) -> Iterator[None]:
    try:
        model = made.meta.service_model
        name = model.operation_model(made.meta.method_to_api_mapping[call.operation]).name
    except (AttributeError, KeyError):
        yield  # not a botocore client (a test's stand-in): it parses nothing
        return
    made.meta.events.register(
        f"before-parse.{model.service_id.hyphenize()}.{name}",
        _empty_body,
        unique_id=f"sm-studio-setup-drop-{name}",
    )
    _dropping.active = True
    try:
        yield
    finally:
        _dropping.active = False


def _empty_body(response_dict: dict[str, Any], **_: Any) -> None:
    if getattr(_dropping, "active", False) and int(response_dict.get("status_code", 0)) < 300:
        response_dict["body"] = b"{}"
