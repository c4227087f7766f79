"""Whether a KMS key another service is asked to use exists, from moto's KMS state.

ECR's CreateRepository and CloudWatch Logs' CreateLogGroup name a key and refuse one that does
not exist or is disabled (CloudWatch Logs API Reference, CreateLogGroup; ECR User Guide,
"Encryption at rest"); moto accepts any string. Both services' additions ask here.
"""

from __future__ import annotations


def usable(key: str, account: str, region: str) -> bool:
    """Whether ``key`` (an id, key ARN, alias or alias ARN) names an enabled key. A key ARN or
    alias ARN is looked up in its own account and region; AWS managed aliases (``alias/aws/``)
    are made by AWS on first use, so they always count."""
    from moto.kms.models import kms_backends

    if key.startswith("arn:"):
        parts = key.split(":", 5)
        if len(parts) == 6:
            region, account = parts[3] or region, parts[4] or account
        if ":alias/aws/" in key:
            return True
    elif key.startswith("alias/aws/"):
        return True
    backend = kms_backends[account][region]
    try:
        found = backend.keys.get(backend.any_id_to_key_id(key))
    except (KeyError, TypeError, AttributeError):
        return False
    return found is not None and bool(getattr(found, "enabled", True))
