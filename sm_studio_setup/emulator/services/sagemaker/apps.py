"""What SageMaker does when a Studio app starts: it assumes the execution role, sending what
Studio sends.

AWS's SageMaker Developer Guide ("Cross-service confused deputy prevention") gives, for Studio,
``ArnLike aws:SourceArn arn:aws:sagemaker:<region>:<account>:*`` and says not to replace it
with the ARN of a specific Studio application, user profile or domain: the ``*`` is what Studio
sends, not a pattern. So the emulator judges the role's trust policy (as SageMaker sees it,
after propagation) for ``sagemaker.amazonaws.com`` with ``aws:SourceAccount`` and that
``aws:SourceArn``; a trust narrowed to an app's ARN does not let the app start. What SageMaker
answers then is unconfirmed: the emulator refuses with a sentence of its own.
"""

from __future__ import annotations

from typing import Any

from ....iam import can_assume
from ...core.decider import seen_by

STUDIO = "sagemaker.amazonaws.com"


class StudioCannotAssume(Exception):
    """The trust policy does not let Studio assume the execution role."""


def studio_context(account: str, region: str) -> dict[str, str]:
    return {
        "aws:SourceAccount": account,
        "aws:SourceArn": f"arn:aws:sagemaker:{region}:{account}:*",
    }


def studio_session(account: str, region: str, role_arn: str) -> tuple[dict[str, Any], str]:
    """(credentials, caller ARN) of the session Studio runs the app as."""
    from moto.sts.models import sts_backends

    name = role_arn.rsplit("/", 1)[-1]
    documents = seen_by("sagemaker", account, name)
    if documents is None:
        raise StudioCannotAssume(f"The execution role {role_arn} does not exist.")
    decision = can_assume(documents.trust, STUDIO, studio_context(account, region))
    if not decision.allowed:
        raise StudioCannotAssume(
            f"SageMaker could not assume the execution role {role_arn} for the Studio app: "
            "its trust policy does not admit sagemaker.amazonaws.com with what Studio sends "
            f"(aws:SourceArn arn:aws:sagemaker:{region}:{account}:*)."
        )
    assumed = sts_backends[account]["aws"].assume_role(
        region_name=region,
        role_session_name="SageMaker",
        role_arn=role_arn,
        policy="",
        duration=3600,
        external_id="",
    )
    credentials = {
        "AccessKeyId": assumed.access_key_id,
        "SecretAccessKey": assumed.secret_access_key,
        "SessionToken": assumed.session_token,
    }
    return credentials, f"arn:aws:sts::{account}:assumed-role/{name}/SageMaker"
