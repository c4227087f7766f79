"""What CodeBuild does with a PARAMETER_STORE or SECRETS_MANAGER variable: read its value as the
build's service role, or fail the build saying why.

CodeBuild logs "Decrypting parameter store environment variables" and, refused, ends
DOWNLOAD_SOURCE with ``Phase context status code: Decrypted Variables Error Message:
AccessDeniedException: User: <session> is not authorized to perform: ssm:GetParameters on
resource: arn:...:parameter/<name without its leading slash> ...`` (aws/aws-cdk #9980 and
#11032, and a public build log in YumaInaura/YumaInaura #3354); a missing parameter reads
``parameter does not exist: <name>`` (aws/aws-codebuild-docker-images #159). For Secrets
Manager the same path is taken with ``secretsmanager:GetSecretValue``; its exact wording is
unconfirmed (docs/aws-behaviours.md).
"""

from __future__ import annotations

from typing import Any, Protocol

from ...core import access


class Unresolved(Exception):
    """The variable could not be resolved; the message is CodeBuild's phase context."""


class _Judge(Protocol):
    def _denied(
        self, action: str, resource: str
    ) -> tuple[access.AccessRequest, access.Judged] | None: ...


def resolve(plan: Any, kind: str, where: str, judge: _Judge) -> str:
    if kind == "PARAMETER_STORE":
        return _parameter(plan, where, judge)
    return _secret(plan, where, judge)


def _refused(judge: _Judge, action: str, arn: str) -> None:
    denied = judge._denied(action, arn)
    if denied is not None:
        request, decision = denied
        detail = access.access_denied_message(request, decision)
        raise Unresolved(f"AccessDeniedException: {detail} status code: 400")


def _parameter(plan: Any, name: str, judge: _Judge) -> str:
    from moto.ssm.models import ssm_backends

    arn = f"arn:{plan.partition}:ssm:{plan.region}:{plan.account}:parameter/{name.lstrip('/')}"
    _refused(judge, "ssm:GetParameters", arn)
    backend = ssm_backends[plan.account][plan.region]
    found = backend.get_parameter(name)
    if found is None:
        raise Unresolved(f"parameter does not exist: {name}")
    return str(found.decrypt(found.value) or "")


def _secret(plan: Any, arn: str, judge: _Judge) -> str:
    from moto.secretsmanager.models import secretsmanager_backends

    _refused(judge, "secretsmanager:GetSecretValue", arn)
    backend = secretsmanager_backends[plan.account][plan.region]
    try:
        answer = backend.get_secret_value(arn, None, "AWSCURRENT")  # type: ignore[arg-type]
    except Exception as exc:  # moto's ResourceNotFoundException and kin
        raise Unresolved(f"ResourceNotFoundException: Secrets Manager can't find {arn}") from exc
    return str(answer.get("SecretString") or "")
