"""The names a build uses, following ``sm-docker`` (docs/sm-docker.md).

The project is ``{project_prefix}`` + 16 random letters and the source zip sits at the bucket's
root as ``codebuild-sagemaker-container-{16 letters}.zip``: the requirement profiles scope
``codebuild:*`` to ``project/{prefix}*`` and the S3 grants to that key pattern, so a build named
any other way would not be covered by the policy the fix writes. Pure: no boto3, no I/O.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable

from ..requirements.params import Params

ZIP_PREFIX = "codebuild-sagemaker-container-"
SECRET_PARAMETER_ROOT = "sm-studio-setup"
_LETTERS = string.ascii_letters

Random = Callable[[int], str]


def random_letters(count: int) -> str:
    return "".join(secrets.choice(_LETTERS) for _ in range(count))


def project_name(params: Params, random: Random = random_letters) -> str:
    return params.project_prefix + random(16)


def zip_key(random: Random = random_letters) -> str:
    return f"{ZIP_PREFIX}{random(16)}.zip"


def registry(account: str, region: str) -> str:
    """The ECR registry host of an account in a region (``.amazonaws.com.cn`` in China)."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{suffix}"


def image_uri(params: Params) -> str:
    return f"{registry(params.account, params.region)}/{params.repository_name}:{params.image_tag}"


def cache_ref(params: Params) -> str:
    """Where ``--cache`` keeps BuildKit's layer cache: a tag of the same repository."""
    return f"{registry(params.account, params.region)}/{params.repository_name}:buildcache"


def secret_parameter(project: str, secret_id: str) -> str:
    """The SecureString parameter an ``env=`` secret is kept in for one build (deleted with
    its project); the requirements scope ``parameter/{Params.secret_parameter_prefix}*``."""
    return f"/{SECRET_PARAMETER_ROOT}/{project}/{secret_id}"
