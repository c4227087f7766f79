"""Which IAM action and which concrete resource ARN an AWS API call is authorized against.

Table-driven for the services and operations the product uses; anything else resolves to the
resource ``*``, which is what IAM itself evaluates for actions without a resource type.
Pure: no moto, no I/O. The one thing that needs the emulator's state (a role's path, which is
part of its ARN but not of the request) is passed in as ``role_arn``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Params = Mapping[str, Any]
RoleArnLookup = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Target:
    action: str  # "service:Action" as IAM policies name it
    resource: str  # the concrete ARN the action is authorized against, or "*"
    label: str  # how the service names that resource in its AccessDenied message


@dataclass(frozen=True)
class Scope:
    account: str
    region: str
    partition: str = "aws"


def _no_role(_: str) -> str | None:
    return None


def resolve(
    service: str,
    operation: str,
    params: Params,
    scope: Scope,
    *,
    role_arn: RoleArnLookup = _no_role,
) -> Target:
    """``service`` is the IAM action prefix (``iam``, ``ecr``, ...), ``operation`` the API
    operation name (for S3 the action name from ``s3_action``)."""
    action = f"{service}:{operation}"
    if service == "iam":
        return _iam(action, operation, params, scope, role_arn)
    resolver = _RESOLVERS.get(service)
    resource = resolver(operation, params, scope) if resolver else "*"
    if service == "s3":
        # S3 quotes the ARN in its messages, and names no bucket at all for ListAllMyBuckets.
        shown = f"arn:{scope.partition}:s3:::" if resource == "*" else resource
        return Target(action, resource, f'"{shown}"')
    return Target(action, resource, resource)


# --- IAM -----------------------------------------------------------------------------------

# IAM names most entities as "role NAME" in its messages, but a few operations (those that
# create the entity or list by path) show the ARN instead.
_IAM_ARN_LABEL_OPERATIONS = frozenset({"CreateRole", "CreateUser", "CreateGroup", "ListRoles"})


def _iam(action: str, operation: str, p: Params, scope: Scope, role_arn: RoleArnLookup) -> Target:
    prefix = f"arn:{scope.partition}:iam::{scope.account}:"
    kind, name, resource = "", "", "*"
    if isinstance(p.get("RoleName"), str):
        kind, name = "role", p["RoleName"]
        if operation == "CreateRole":
            resource = f"{prefix}role{_path(p.get('Path'))}{name}"
        else:
            resource = role_arn(name) or f"{prefix}role/{name}"
    elif isinstance(p.get("PolicyArn"), str):
        kind, resource = "policy", p["PolicyArn"]
        name = resource
    elif operation == "CreatePolicy" and isinstance(p.get("PolicyName"), str):
        kind, resource = "policy", f"{prefix}policy{_path(p.get('Path'))}{p['PolicyName']}"
        name = resource
    elif isinstance(p.get("UserName"), str):
        kind, name = "user", p["UserName"]
        resource = f"{prefix}user{_path(p.get('Path'))}{name}"
    elif isinstance(p.get("GroupName"), str):
        kind, name = "group", p["GroupName"]
        resource = f"{prefix}group{_path(p.get('Path'))}{name}"
    elif isinstance(p.get("PolicySourceArn"), str):
        resource = p["PolicySourceArn"]
    elif operation == "ListRoles":
        resource = f"{prefix}role{_path(p.get('PathPrefix'))}"
    if resource == "*" or operation in _IAM_ARN_LABEL_OPERATIONS or not kind:
        return Target(action, resource, resource)
    return Target(action, resource, f"{kind} {name}")


def _path(path: object) -> str:
    if not isinstance(path, str) or not path:
        return "/"
    return path if path.endswith("/") else path + "/"


# --- STS -----------------------------------------------------------------------------------


def _sts(operation: str, p: Params, scope: Scope) -> str:
    role = p.get("RoleArn")
    return role if operation.startswith("AssumeRole") and isinstance(role, str) else "*"


def _one(p: Params, single: str, many: str) -> object:
    """The one resource a call names, by its single parameter or a one-element list."""
    found = p.get(single)
    values = p.get(many)
    if found is None and isinstance(values, list) and len(values) == 1:
        found = values[0]
    return found


# --- ECR -----------------------------------------------------------------------------------


def _ecr(operation: str, p: Params, scope: Scope) -> str:
    if isinstance(p.get("resourceArn"), str):
        return str(p["resourceArn"])
    name = _one(p, "repositoryName", "repositoryNames")
    if not isinstance(name, str):
        return "*"
    registry = p.get("registryId") or scope.account
    return f"arn:{scope.partition}:ecr:{scope.region}:{registry}:repository/{name}"


# --- CodeBuild -----------------------------------------------------------------------------


def _codebuild(operation: str, p: Params, scope: Scope) -> str:
    project: object = p.get("projectName") or p.get("name")
    build_id: object = p.get("id")
    for many, single in (("names", "project"), ("ids", "build")):
        values = p.get(many)
        if isinstance(values, list) and len(values) == 1:
            if single == "project":
                project = values[0]
            else:
                build_id = values[0]
    if not isinstance(project, str) and isinstance(build_id, str):
        # A build id is "<project>:<uuid>", or the build's ARN ".../build/<project>:<uuid>".
        project = build_id.rsplit("/", 1)[-1].rsplit(":", 1)[0]
    if not isinstance(project, str) or not project:
        return "*"
    if project.startswith("arn:"):
        return project
    return f"arn:{scope.partition}:codebuild:{scope.region}:{scope.account}:project/{project}"


# --- CloudWatch Logs -----------------------------------------------------------------------


def _logs(operation: str, p: Params, scope: Scope) -> str:
    base = f"arn:{scope.partition}:logs:{scope.region}:{scope.account}:log-group:"
    group = p.get("logGroupName")
    identifier = p.get("logGroupIdentifier")
    if not isinstance(group, str) and isinstance(identifier, str):
        if identifier.startswith("arn:"):
            group = identifier.removesuffix(":*").split(":log-group:", 1)[-1]
        else:
            group = identifier
    if not isinstance(group, str):
        # Logs names the account's whole log-group space this way for DescribeLogGroups.
        return f"{base}:log-stream:" if operation == "DescribeLogGroups" else "*"
    stream = p.get("logStreamName")
    return f"{base}{group}:log-stream:{stream if isinstance(stream, str) else ''}"


# --- SageMaker -----------------------------------------------------------------------------


def _sagemaker(operation: str, p: Params, scope: Scope) -> str:
    arn = f"arn:{scope.partition}:sagemaker:{scope.region}:{scope.account}:"
    if isinstance(p.get("ResourceArn"), str):
        return str(p["ResourceArn"])
    domain = p.get("DomainId")
    if isinstance(domain, str):
        owner = p.get("UserProfileName") or p.get("SpaceName")
        if isinstance(p.get("AppName"), str) and isinstance(p.get("AppType"), str):
            kind = str(p["AppType"]).lower()
            return f"{arn}app/{domain}/{owner}/{kind}/{p['AppName']}"
        if isinstance(p.get("SpaceName"), str):
            return f"{arn}space/{domain}/{p['SpaceName']}"
        if isinstance(p.get("UserProfileName"), str):
            return f"{arn}user-profile/{domain}/{p['UserProfileName']}"
        return f"{arn}domain/{domain}"
    # SageMaker lower-cases image and app-image-config names in their ARNs.
    if isinstance(p.get("AppImageConfigName"), str):
        return f"{arn}app-image-config/{str(p['AppImageConfigName']).lower()}"
    if isinstance(p.get("ImageName"), str):
        return f"{arn}image/{str(p['ImageName']).lower()}"
    # Whether SageMaker lower-cases these names too is not published: kept as given (the
    # product names them in lower case only, docs/aws-behaviours.md).
    if isinstance(p.get("StudioLifecycleConfigName"), str):
        return f"{arn}studio-lifecycle-config/{p['StudioLifecycleConfigName']}"
    return "*"


# --- S3 ------------------------------------------------------------------------------------


def _s3(operation: str, p: Params, scope: Scope) -> str:
    bucket = p.get("Bucket")
    if not isinstance(bucket, str) or not bucket:
        return "*"
    key = p.get("Key")
    if isinstance(key, str) and key:
        return f"arn:{scope.partition}:s3:::{bucket}/{key}"
    return f"arn:{scope.partition}:s3:::{bucket}"


# --- Systems Manager Parameter Store and Secrets Manager --------------------------------------


def _ssm(operation: str, p: Params, scope: Scope) -> str:
    # A parameter's ARN is "parameter/" and its name without the leading "/" (Systems Manager
    # User Guide, "Working with parameter hierarchies"; CodeBuild's denials quote it so).
    name = _one(p, "Name", "Names")
    if not isinstance(name, str) or not name:
        return "*"
    if name.startswith("arn:"):
        return name
    return f"arn:{scope.partition}:ssm:{scope.region}:{scope.account}:parameter/{name.lstrip('/')}"


def _secretsmanager(operation: str, p: Params, scope: Scope) -> str:
    # By ARN only: a secret named without its ARN is judged as "*" (the emulator does not look
    # up the random suffix a name's ARN carries).
    secret = p.get("SecretId")
    return secret if isinstance(secret, str) and secret.startswith("arn:") else "*"


_RESOLVERS: dict[str, Callable[[str, Params, Scope], str]] = {
    "ssm": _ssm,
    "secretsmanager": _secretsmanager,
    "sts": _sts,
    "ecr": _ecr,
    "codebuild": _codebuild,
    "logs": _logs,
    "sagemaker": _sagemaker,
    "s3": _s3,
}

# Sub-resources (query parameters) that turn a bucket or object request into another action.
_S3_BUCKET_SUBRESOURCES: dict[str, dict[str, str]] = {
    "GET": {
        "location": "GetBucketLocation",
        "policy": "GetBucketPolicy",
        "versioning": "GetBucketVersioning",
        "tagging": "GetBucketTagging",
        "acl": "GetBucketAcl",
        "cors": "GetBucketCORS",
        "lifecycle": "GetLifecycleConfiguration",
        "encryption": "GetEncryptionConfiguration",
        "publicAccessBlock": "GetBucketPublicAccessBlock",
        "ownershipControls": "GetBucketOwnershipControls",
        "notification": "GetBucketNotification",
        "uploads": "ListBucketMultipartUploads",
        "versions": "ListBucketVersions",
    },
    "PUT": {
        "policy": "PutBucketPolicy",
        "versioning": "PutBucketVersioning",
        "tagging": "PutBucketTagging",
        "acl": "PutBucketAcl",
        "cors": "PutBucketCORS",
        "lifecycle": "PutLifecycleConfiguration",
        "encryption": "PutEncryptionConfiguration",
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "ownershipControls": "PutBucketOwnershipControls",
        "notification": "PutBucketNotification",
    },
    "DELETE": {
        "policy": "DeleteBucketPolicy",
        "tagging": "PutBucketTagging",
        "cors": "PutBucketCORS",
        "lifecycle": "PutLifecycleConfiguration",
        "encryption": "PutEncryptionConfiguration",
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "ownershipControls": "PutBucketOwnershipControls",
    },
}
_S3_BUCKET_DEFAULT = {
    "GET": "ListBucket",
    "HEAD": "ListBucket",  # HeadBucket is authorized as s3:ListBucket
    "PUT": "CreateBucket",
    "DELETE": "DeleteBucket",
    "POST": "DeleteObject",  # POST ?delete (DeleteObjects) is the only bucket-level POST
}
_S3_OBJECT_SUBRESOURCES: dict[str, dict[str, str]] = {
    "GET": {
        "tagging": "GetObjectTagging",
        "acl": "GetObjectAcl",
        "uploadId": "ListMultipartUploadParts",
        "versionId": "GetObjectVersion",
    },
    "HEAD": {"versionId": "GetObjectVersion"},
    "PUT": {"tagging": "PutObjectTagging", "acl": "PutObjectAcl"},
    "POST": {"restore": "RestoreObject"},
    "DELETE": {
        "uploadId": "AbortMultipartUpload",
        "tagging": "DeleteObjectTagging",
        "versionId": "DeleteObjectVersion",
    },
}
_S3_OBJECT_DEFAULT = {
    "GET": "GetObject",
    "HEAD": "GetObject",  # HeadObject is authorized as s3:GetObject
    "PUT": "PutObject",  # also CopyObject and UploadPart
    "POST": "PutObject",  # CreateMultipartUpload, CompleteMultipartUpload
    "DELETE": "DeleteObject",
}


def s3_action(method: str, bucket: str, key: str, query: Mapping[str, object]) -> str | None:
    """The IAM action name (without ``s3:``) of an S3 REST request, or None if unknown."""
    method = method.upper()
    if not bucket:
        return "ListAllMyBuckets" if method == "GET" else None
    subresources = _S3_OBJECT_SUBRESOURCES if key else _S3_BUCKET_SUBRESOURCES
    for name, action in subresources.get(method, {}).items():
        if name in query:
            return action
    return (_S3_OBJECT_DEFAULT if key else _S3_BUCKET_DEFAULT).get(method)


def also_authorized(service: str, operation: str, params: Params) -> list[tuple[str, str]]:
    """Further (action, resource) pairs a call is authorized on as its caller, beyond its own
    action: ECR's CreateRepository with a customer managed KMS key needs kms:CreateGrant,
    kms:DescribeKey and kms:RetireGrant on that key (Amazon ECR User Guide, "Encryption at
    rest", required IAM permissions)."""
    if (service, operation) == ("ecr", "CreateRepository"):
        encryption = params.get("encryptionConfiguration")
        if isinstance(encryption, Mapping) and encryption.get("encryptionType") == "KMS":
            key = encryption.get("kmsKey")
            if isinstance(key, str) and key:
                return [
                    (f"kms:{action}", key)
                    for action in ("CreateGrant", "DescribeKey", "RetireGrant")
                ]
    return []
