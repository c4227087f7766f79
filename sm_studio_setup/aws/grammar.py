"""AWS's grammar for every identifier a user gives, checked where it enters.

A value that reaches a policy, a script or a template unchecked can widen access (``*`` in a
key ARN grants every key), read as an IAM policy variable (``${...}``), or break out of a
comment or a quoted string. So each option is checked against the grammar AWS itself applies
before it is used anywhere: botocore's service models where they carry it (IAM role names and
paths, ECR repository names, SageMaker ids, CodeBuild compute types), AWS's documented rules
where they do not (S3 bucket names, EC2 ids, KMS key ARNs, regions). A refused value is one
sentence naming the option and what a valid value looks like.

Beyond IAM's own grammar, role paths may not hold ``*``, ``?`` or ``$``: IAM allows them, but in
the Resource of a policy they are wildcards and variables, so a PassRole on such a role could
never be granted as exactly that role.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache
from typing import Any

import botocore.session

from ..errors import BadInput

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f")
_PARTITION = "|".join(re.escape(p) for p in PARTITIONS)
_ACCOUNT = re.compile(r"\d{12}")
# us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-5, us-isob-east-1.
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
# "Amazon resource IDs": a prefix and 8 or 17 hexadecimal characters.
_EC2_ID = {
    "vpc_id": ("vpc", "a VPC id such as vpc-0a1b2c3d4e5f60718"),
    "subnet_ids": ("subnet", "a subnet id such as subnet-0a1b2c3d4e5f60719"),
    "security_group_ids": ("sg", "a security group id such as sg-0a1b2c3d4e5f6071b"),
}
_KMS_KEY = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):kms:(?P<region>[a-z0-9-]+):(?P<account>\d{{12}}):key/"
    r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
)
_POLICY_SPECIAL = re.compile(r"[*?$]")
_SHOWN = 60


def shown(value: str) -> str:
    """A value as a message quotes it: escaped (no line break or control character can end
    the sentence) and cut when long."""
    text = value if len(value) <= _SHOWN else f"{value[:_SHOWN]}… ({len(value)} characters)"
    return repr(text)


@cache
def _rule(service: str, shape: str) -> dict[str, Any]:
    model = botocore.session.get_session().get_service_model(service)
    found = model.shape_for(shape)
    rule: dict[str, Any] = dict(found.metadata)
    enum = getattr(found, "enum", None)  # only string shapes have one
    if enum:
        rule["enum"] = list(enum)
    return rule


def _fits(value: str, service: str, shape: str) -> bool:
    rule = _rule(service, shape)
    if not rule.get("min", 0) <= len(value) <= rule.get("max", len(value)):
        return False
    pattern = rule.get("pattern")
    # botocore writes the patterns for Java, where \w is ASCII; so must Python read them.
    return pattern is None or re.fullmatch(pattern, value, re.ASCII) is not None


def _refuse(field: str, value: str, expected: str) -> BadInput:
    return BadInput(f"{shown(value)} is not {expected}.", field=field)


def check_account(value: str, field: str = "account") -> str:
    if not _ACCOUNT.fullmatch(value):
        raise _refuse(field, value, "an AWS account id (12 digits)")
    return value


def check_region(value: str, field: str = "region") -> str:
    if not _REGION.fullmatch(value):
        raise _refuse(field, value, "an AWS region such as us-east-1")
    return value


def _check_role_path(path: str, given: str) -> None:
    if not _fits(path, "iam", "pathType") or _POLICY_SPECIAL.search(path):
        raise BadInput(
            f"{shown(given)} has a role path IAM or a policy cannot take: a path is / or "
            "/segments/ of printable characters other than * ? $.",
            field="role",
        )


def _check_role_name(name: str, given: str) -> None:
    if not _fits(name, "iam", "roleNameType"):
        raise BadInput(
            f"{shown(given)} does not name a role: a role name has 1 to 64 letters, digits "
            "and + = , . @ _ - characters.",
            field="role",
        )


def check_role(value: str) -> str:
    """A role as ``--role`` takes it: a name, ``path/name`` or an ARN."""
    if value.startswith("arn:"):
        found = re.fullmatch(rf"arn:(?:{_PARTITION}):iam::(\d{{12}}):role(/.*)", value, re.S)
        if found is None:
            raise BadInput(
                f"{shown(value)} is not a role ARN: expected arn:aws:iam::ACCOUNT:role/NAME "
                "(or role/PATH/NAME).",
                field="role",
            )
        rest = found.group(2)
    else:
        rest = "/" + value.strip("/") if value.strip("/") else ""
    path, _, name = rest.rpartition("/")
    _check_role_name(name, value)
    _check_role_path(path + "/", value)
    return value


def check_bucket(value: str) -> str:
    """S3's rules for general purpose bucket names ("Bucket naming rules")."""
    valid = (
        3 <= len(value) <= 63
        and re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", value) is not None
        and ".." not in value
        and not value.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        and not value.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
    )
    if valid:
        try:
            ipaddress.ip_address(value)
            valid = False  # "must not be formatted as an IP address"
        except ValueError:
            pass
    if not valid:
        raise _refuse(
            "bucket",
            value,
            "an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit",
        )
    return value


def check_repository(value: str) -> str:
    """``name[:tag]``: ECR's repository-name grammar, and Docker's tag grammar."""
    name, colon, tag = value.partition(":")
    if not _fits(name, "ecr", "RepositoryName"):
        raise _refuse(
            "repository",
            value,
            "an ECR repository name[:tag]: lower-case letters, digits and . _ - / between them",
        )
    if colon and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", tag):
        raise _refuse(
            "repository", value, "a repository with a valid tag (up to 128 letters, digits, _ . -)"
        )
    return value


def check_ec2_id(field: str, value: str) -> str:
    prefix, example = _EC2_ID[field]
    if not re.fullmatch(rf"{prefix}-(?:[0-9a-f]{{8}}|[0-9a-f]{{17}})", value):
        raise _refuse(field, value, example)
    return value


def check_kms_key(value: str) -> str:
    if not _KMS_KEY.fullmatch(value):
        raise _refuse(
            "kms_key_arn",
            value,
            "a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/"
            "1234abcd-12ab-34cd-56ef-1234567890ab (one key, no wildcards, not an alias)",
        )
    return value


def kms_key_region(value: str) -> str:
    found = _KMS_KEY.fullmatch(value)
    assert found is not None, "check_kms_key first"
    return found.group("region")


def check_compute_type(value: str) -> str:
    if value not in _rule("codebuild", "ComputeType")["enum"]:
        raise _refuse(
            "compute_type", value, "a CodeBuild compute type such as BUILD_GENERAL1_SMALL"
        )
    return value


# Docker's image reference grammar (distribution/reference): [host[:port]/]path[:tag][@digest].
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE = re.compile(
    rf"(?:{_DOMAIN}/)?{_PATH_PART}(?:/{_PATH_PART})*(?::[\w][\w.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?",
    re.ASCII,
)


def check_image(value: str) -> str:
    """A base image reference as a Dockerfile's FROM names it."""
    if len(value) > 1024 or not _IMAGE.fullmatch(value):
        raise _refuse(
            "base_images",
            value,
            "an image reference such as public.ecr.aws/docker/library/python:3.11",
        )
    return value


def check_sagemaker_name(field: str, value: str, shape: str, what: str) -> str:
    if not _fits(value, "sagemaker", shape):
        raise _refuse(field, value, what)
    return value


# AWS Secrets Manager: "arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random>",
# a name of ASCII letters, digits and / _ + = . @ - (Secrets Manager User Guide, "Create a
# secret"; CreateSecret's Name). The ARN must be whole: a partial one would, in a policy, need
# a wildcard for the suffix.
_SECRET_ARN = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):secretsmanager:(?P<region>[a-z]{{2}}(?:-[a-z]+)+-\d{{1,2}}):"
    r"(?P<account>\d{12}):secret:(?P<name>[A-Za-z0-9/_+=.@-]{1,512})-[A-Za-z0-9]{6}",
    re.ASCII,
)
# Parameter Store: letters, digits and _ . - with / between levels, at most 15 levels; a name
# with a / begins with one; "aws" and "ssm" (any case) are AWS's own prefixes (Systems Manager
# User Guide, "Requirements and constraints for parameter names"); PutParameter allows 2,048.
_PARAMETER_NAME = re.compile(r"(?:/[A-Za-z0-9_.-]+){1,15}|[A-Za-z0-9_.-]+", re.ASCII)


def check_secret_arn(value: str, field: str = "secrets") -> str:
    if not _SECRET_ARN.fullmatch(value):
        raise _refuse(
            field,
            value,
            "a whole Secrets Manager secret ARN such as arn:aws:secretsmanager:us-east-1:"
            "123456789012:secret:my-token-AbCdEf (with the six characters after its name)",
        )
    return value


def check_parameter_name(value: str, field: str = "secrets") -> str:
    bare = value.lstrip("/").lower()
    if len(value) > 2048 or not _PARAMETER_NAME.fullmatch(value) or bare.startswith(("aws", "ssm")):
        raise _refuse(
            field,
            value,
            "a Parameter Store name such as /team/build/npm-token (letters, digits, _ . - and "
            "/ between levels, not starting with aws or ssm)",
        )
    return value


# --- a lifecycle configuration and where its script installs from -------------------------


def check_lifecycle_config_name(value: str, field: str = "lifecycle_config") -> str:
    """StudioLifecycleConfigName (botocore's model), in lower case only: whether SageMaker
    lower-cases the name in the configuration's ARN, as it does for images, is not
    documented, and the ARN is written into the domain's settings before the configuration
    exists (docs/aws-behaviours.md); a lower-case name is the same ARN either way."""
    if not _fits(value, "sagemaker", "StudioLifecycleConfigName") or value != value.lower():
        raise _refuse(
            field,
            value,
            "a lifecycle configuration name: 1 to 63 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit",
        )
    return value


def check_codeartifact_domain(value: str) -> str:
    if not _fits(value, "codeartifact", "DomainName"):
        raise _refuse(
            "codeartifact_domain",
            value,
            "a CodeArtifact domain name: 2 to 50 lower-case letters, digits and hyphens, "
            "starting with a letter",
        )
    return value


def check_codeartifact_repository(value: str) -> str:
    if not _fits(value, "codeartifact", "RepositoryName"):
        raise _refuse(
            "codeartifact_repository",
            value,
            "a CodeArtifact repository name: 2 to 100 letters, digits and . _ -, starting with "
            "a letter or digit",
        )
    return value


# S3's "safe characters" for object keys ("Object key naming guidelines"), and "/" between
# the folders of a prefix; none is special to the AWS CLI, pip or a URL.
_S3_PREFIX = re.compile(r"[A-Za-z0-9!_.*'()/-]*", re.ASCII)


def check_s3_folder(value: str, field: str = "s3_uri") -> tuple[str, str]:
    """``s3://BUCKET/PREFIX/`` (or ``s3://BUCKET``): the bucket, and the prefix with its
    trailing slash ("" for the whole bucket)."""
    rest = value[len("s3://") :] if value.startswith("s3://") else None
    bucket, _, prefix = (rest or "").partition("/")
    segments = prefix.rstrip("/").split("/") if prefix.rstrip("/") else []
    valid = (
        rest is not None
        and len(prefix.encode()) <= 1024
        and _S3_PREFIX.fullmatch(prefix) is not None
        and all(segment not in ("", ".", "..") for segment in segments)
    )
    if valid:
        try:
            check_bucket(bucket)
        except BadInput:
            valid = False
    if not valid:
        raise _refuse(
            field,
            value,
            "an S3 folder such as s3://my-bucket/wheels/ (a bucket name, then folders of "
            "letters, digits and ! _ . * ' ( ) -)",
        )
    return bucket, "/".join(segments) + "/" if segments else ""


# RFC 3986's characters; no space, quote mark, backslash or control character.
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]*)?")


def check_index_url(value: str) -> str:
    """A package index (PyPI's simple API), without credentials: the script is readable by
    whoever may describe lifecycle configurations, so a password in it would be shared."""
    host = value.split("://", 1)[-1].split("/", 1)[0]
    if len(value) > 2048 or not _URL.fullmatch(value) or "@" in host:
        raise _refuse(
            "index_url",
            value,
            "a package index URL such as https://pypi.example.com/simple/ (http or https, no "
            "user or password: use --source codeartifact for an index that needs a token)",
        )
    return value
