"""The pure IAM core: parse, validate, evaluate, explain, lint and merge trust policies.

No boto3 and no I/O: it is fed documents and returns values. Public API (stable):

    from sm_studio_setup.iam import Request, evaluate, can_assume, merge_trust, lint
"""

from .evaluate import (
    Decision,
    StatementRef,
    compile_policies,
    compile_policy,
    derived_context,
    evaluate,
)
from .lint import Finding, lint
from .model import Policy, PolicyValidationError, Request
from .parse import parse_policy
from .trust import TrustMergeError, can_assume, merge_trust

__all__ = [
    "Decision",
    "Finding",
    "Policy",
    "PolicyValidationError",
    "Request",
    "StatementRef",
    "TrustMergeError",
    "can_assume",
    "compile_policies",
    "compile_policy",
    "derived_context",
    "evaluate",
    "lint",
    "merge_trust",
    "parse_policy",
]
