"""IAM enforcement in front of moto's server: every signed AWS request is turned into
(caller, action, resource, context), ``access.decide`` judges it, and a denial is answered
with the error each service really returns instead of reaching moto.

moto's own enforcement is not used: it ignores resources for most services and crashes on
service-principal trust policies (docs/ARCHITECTURE.md, "The emulator").
"""

from __future__ import annotations

import gzip
import io
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from . import access, resources

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_PASS_THROUGH_PREFIXES = ("/moto-api", "/_sm_emulator")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
# Signing names whose IAM action prefix differs.
_ACTION_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}
_QUERY_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}
_S3_VIRTUAL_HOST = re.compile(r"^(?P<bucket>[^:]+?)\.s3[.-]")


@dataclass(frozen=True)
class Call:
    """One AWS API call as IAM sees it."""

    access_key: str
    region: str
    service: str  # IAM action prefix
    operation: str  # API operation (for S3: the IAM action name)
    params: Mapping[str, Any]
    protocol: str  # "query" | "json" | "s3"
    method: str


class EnforcementMiddleware:
    """WSGI middleware; forwards everything unchanged while ``access.enforcement_enabled()``
    is false."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not access.enforcement_enabled():
            return self.app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if path.startswith(_PASS_THROUGH_PREFIXES):
            return self.app(environ, start_response)
        call = parse_call(environ)
        # AWS never denies GetCallerIdentity; unsigned or unrecognised calls are not judged.
        if call is None or (call.service, call.operation) == ("sts", "GetCallerIdentity"):
            return self.app(environ, start_response)
        principal = access.principal_for(call.access_key, environ)
        if principal.is_root:
            # Identity policies cannot restrict the account root: this is the admin identity.
            return self.app(environ, start_response)
        scope = resources.Scope(account=principal.account, region=call.region)
        target = resources.resolve(
            call.service, call.operation, call.params, scope, role_arn=_role_arn(scope.account)
        )
        request = access.AccessRequest(
            principal_arn=principal.arn,
            action=target.action,
            resource=target.resource,
            context=_context(principal, call),
        )
        judged = access.judge(request)
        label = target.label
        if judged.decision == "allowed":
            for action, resource in resources.also_authorized(
                call.service, call.operation, call.params
            ):
                request = access.AccessRequest(principal.arn, action, resource, request.context)
                judged, label = access.judge(request), resource
                if judged.decision != "allowed":
                    break
            else:
                return self.app(environ, start_response)
        message = access.access_denied_message(request, judged, resource_text=label)
        status, headers, body = deny_response(call, message)
        start_response(status, headers)
        return [body]


# --- request parsing -----------------------------------------------------------------------


def parse_call(environ: dict[str, Any]) -> Call | None:
    signed = _credential(environ)
    if signed is None:
        return None
    access_key, region, signing_name = signed
    service = _ACTION_PREFIX.get(signing_name, signing_name)
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    target = environ.get("HTTP_X_AMZ_TARGET")
    content_type = str(environ.get("CONTENT_TYPE", ""))
    query = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
    if target:
        body = _peek_body(environ)
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        operation = str(target).rsplit(".", 1)[-1]
        return Call(access_key, region, service, operation, _mapping(params), "json", method)
    if service == "s3":
        bucket, key = _s3_bucket_and_key(environ)
        action = resources.s3_action(method, bucket, key, query)
        if action is None:
            return None
        params = {"Bucket": bucket, "Key": key, **{k: v[0] for k, v in query.items()}}
        return Call(access_key, region, service, action, params, "s3", method)
    flat = {k: v[0] for k, v in query.items()}
    if content_type.startswith("application/x-www-form-urlencoded"):
        body = _peek_body(environ)
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        flat.update({k: v[0] for k, v in form.items()})
    operation = flat.pop("Action", "")
    if not operation:
        return None
    return Call(access_key, region, service, operation, flat, "query", method)


def _credential(environ: Mapping[str, Any]) -> tuple[str, str, str] | None:
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    match = _CREDENTIAL.search(auth)
    if match is None:
        # Presigned URLs carry the credential in the query string.
        query = parse_qs(str(environ.get("QUERY_STRING", "")))
        credential = query.get("X-Amz-Credential", [""])[0]
        match = _CREDENTIAL.search(f"Credential={credential}")
    if match is None:
        return None
    return match.group(1), match.group(2), match.group(3)


def _peek_body(environ: dict[str, Any]) -> bytes:
    """Reads the body and puts an identical stream back so moto can read it again."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = str(environ.get("CONTENT_LENGTH") or "")
    if length.isdigit():
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        return b""
    environ["wsgi.input"] = io.BytesIO(body)
    if environ.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
        try:
            return gzip.decompress(body)
        except OSError:
            return b""
    return bytes(body)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _s3_bucket_and_key(environ: Mapping[str, Any]) -> tuple[str, str]:
    # WSGI hands the path over as latin-1 decoded bytes; S3 keys are UTF-8.
    raw = str(environ.get("PATH_INFO", ""))
    try:
        path = raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        path = raw
    host = str(environ.get("HTTP_HOST", ""))
    virtual = _S3_VIRTUAL_HOST.match(host)
    if virtual:
        return virtual["bucket"], path.lstrip("/")
    bucket, _, key = path.lstrip("/").partition("/")
    return bucket, key


# --- the caller ----------------------------------------------------------------------------


def _role_arn(account: str) -> resources.RoleArnLookup:
    # A role's ARN carries its path, which the request (RoleName only) does not.
    def lookup(name: str) -> str | None:
        from moto.iam.exceptions import IAMException
        from moto.iam.models import iam_backends

        try:
            return str(iam_backends[account]["aws"].get_role(name).arn)
        except IAMException:
            return None

    return lookup


def _context(principal: access.Principal, call: Call) -> dict[str, access.ContextValue]:
    now = datetime.now(timezone.utc)
    context: dict[str, access.ContextValue] = {
        "aws:PrincipalArn": principal.role_arn or principal.arn,
        "aws:PrincipalAccount": principal.account,
        "aws:PrincipalType": principal.kind,
        "aws:RequestedRegion": call.region,
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
    }
    p = call.params
    if call.service == "iam" and isinstance(p.get("PolicyArn"), str):
        context["iam:PolicyARN"] = p["PolicyArn"]
    if call.service == "iam" and isinstance(p.get("PermissionsBoundary"), str):
        context["iam:PermissionsBoundary"] = p["PermissionsBoundary"]
    if call.protocol == "s3" and call.operation == "ListBucket":
        context["s3:prefix"] = str(p.get("prefix", ""))
    return context


# --- the denial, as each protocol spells it ------------------------------------------------


def deny_response(call: Call, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    # S3 answers a denied HEAD with the status only; botocore then reports the code "403".
    code = "AccessDeniedException" if call.protocol == "json" else "AccessDenied"
    return error_response(
        call, code, message, "403 Forbidden" if call.protocol != "json" else "400 Bad Request"
    )


def error_response(
    call: Call, code: str, message: str, status: str
) -> tuple[str, list[tuple[str, str]], bytes]:
    """An error in the shape ``call``'s service really uses (JSON, S3 REST XML, query XML)."""
    request_id = str(uuid.uuid4())
    if call.protocol == "json":
        # botocore reads the code from __type (or x-amzn-ErrorType) and the text from
        # "message" or "Message"; SageMaker capitalises it, the others don't.
        key = "Message" if call.service == "sagemaker" else "message"
        body = json.dumps({"__type": code, key: message}).encode()
        return (
            status,
            [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-RequestId", request_id),
                ("x-amzn-ErrorType", code),
                ("Content-Length", str(len(body))),
            ],
            body,
        )
    if call.protocol == "s3":
        host_id = uuid.uuid4().hex
        headers = [
            ("Content-Type", "application/xml"),
            ("x-amz-request-id", request_id),
            ("x-amz-id-2", host_id),
        ]
        if call.method == "HEAD":
            return status, [*headers, ("Content-Length", "0")], b""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
        ).encode()
        return status, [*headers, ("Content-Length", str(len(body)))], body
    namespace = _QUERY_NAMESPACES.get(call.service)
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    body = (
        f"<ErrorResponse{xmlns}><Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return (
        status,
        [
            ("Content-Type", "text/xml"),
            ("x-amzn-RequestId", request_id),
            ("Content-Length", str(len(body))),
        ],
        body,
    )
