"""The check: who we are, what the workflow needs, and what the role really has.

Three ways to know, chosen per requirement and named in each finding (DESIGN.md):
``local`` — the role's own documents, read and judged by the engine (the only way to judge the
trust policy); ``simulator`` — IAM's SimulatePrincipalPolicy when the documents cannot be read;
``probe`` — harmless calls when neither is allowed. What could not be established is
``unknown``: never ``missing``, never ``allowed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import boto3

from ..aws.discovery import Discovery, discover
from ..aws.probes import probe
from ..aws.simulator import simulate
from ..aws.snapshot import RoleSnapshot, read_role
from ..errors import SetupError
from ..iam import lint
from ..requirements.model import Requirement
from ..requirements.params import Params, partition_of
from ..requirements.policy import judge
from ..requirements.profiles import requirements_for

Status = Literal["allowed", "missing", "denied", "unknown"]
Source = Literal["local", "simulator", "probe", "none"]
Verdict = Literal["ready", "gaps", "unknown"]

# Exit codes of `sm-studio-setup check` (2 is every error the user can act on).
EXIT_CODES: dict[Verdict, int] = {"ready": 0, "gaps": 1, "unknown": 3}


@dataclass(frozen=True)
class Finding:
    step: str
    status: Status
    who: str
    action: str
    resource: str
    why: str
    source: Source
    evidence: str
    fix: str
    optional: bool = False
    principal: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    verdict: Verdict
    profile: str
    identity: dict[str, Any]
    findings: list[Finding]
    lint: list[dict[str, str]]
    notes: list[str]

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def gaps(self) -> list[Finding]:
        return [f for f in self.findings if f.status in ("missing", "denied") and not f.optional]

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "profile": self.profile,
            "identity": self.identity,
            "findings": [asdict(f) for f in self.findings],
            "lint": self.lint,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class CheckOptions:
    """What the user asked for; everything else comes from discovery and sm-docker's defaults."""

    profile: str = "image-build"
    role: str | None = None
    repository: str | None = None
    bucket: str | None = None
    compute_type: str = "BUILD_GENERAL1_SMALL"
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    kms_key_arn: str | None = None
    base_images: tuple[str, ...] = ()
    no_logs: bool = False
    refresh: bool = False


def build_params(
    options: CheckOptions,
    *,
    region: str,
    account: str,
    role_arn: str | None,
    domain_id: str | None,
    user_profile: str | None,
    space: str | None,
) -> Params:
    """Requirement parameters: where the build runs, plus the user's build options."""
    try:
        return Params(
            region=region,
            account=account,
            partition=partition_of(region),
            role_arn=role_arn,
            domain_id=domain_id,
            user_profile=user_profile,
            space=space,
            repository=options.repository,
            bucket=options.bucket,
            compute_type=options.compute_type,
            vpc_id=options.vpc_id,
            subnet_ids=options.subnet_ids,
            security_group_ids=options.security_group_ids,
            kms_key_arn=options.kms_key_arn,
            base_images=options.base_images,
            no_logs=options.no_logs,
        )
    except ValueError as exc:
        raise SetupError(f"Invalid parameters: {exc}.", "See the command's --help.") from exc


def _params(found: Discovery, options: CheckOptions) -> Params:
    return build_params(
        options,
        region=found.region,
        account=found.account,
        role_arn=found.role_arn,
        domain_id=found.domain_id,
        user_profile=found.user_profile,
        space=found.space,
    )


def _fix(req: Requirement, profile: str) -> str:
    if req.who == "trust":
        return f"add {req.principal} to the role's trust policy (sm-studio-setup fix)"
    return f"grant it in the inline policy sm-studio-setup-{profile} (sm-studio-setup fix)"


def _finding(
    req: Requirement,
    status: Status,
    source: Source,
    evidence: str,
    profile: str,
) -> Finding:
    return Finding(
        step=req.step,
        status=status,
        who=req.who,
        action=req.action,
        resource=req.resource,
        why=req.why,
        source=source,
        evidence=evidence,
        fix="" if status in ("allowed", "unknown") else _fix(req, profile),
        optional=req.optional,
        principal=req.principal,
        context={k: v if isinstance(v, str) else list(v) for k, v in req.context.items()},
    )


def _local(req: Requirement, snapshot: RoleSnapshot, role_arn: str, profile: str) -> Finding:
    identity = [*(snapshot.inline or {}).values(), *(snapshot.managed or {}).values()]
    decision = judge(
        req,
        identity_policies=identity,
        trust_policy=snapshot.trust_policy,
        boundary=snapshot.boundary,
        role_arn=role_arn,
    )
    if decision.result == "allowed":
        status: Status = "allowed"
    elif decision.result == "explicit_deny":
        status = "denied"
    else:
        status = "missing"
    evidence = "; ".join(ref.label() for ref in (decision.blocking or decision.matched)) or (
        decision.reasons[-1] if decision.reasons else decision.result
    )
    return _finding(req, status, "local", evidence, profile)


_SIMULATED: dict[str, Status] = {
    "allowed": "allowed",
    "implicitDeny": "missing",
    "explicitDeny": "denied",
}


def judge_requirements(
    session: boto3.Session,
    requirements: Sequence[Requirement],
    snapshot: RoleSnapshot,
    role_arn: str,
    profile: str,
) -> list[Finding]:
    findings: dict[int, Finding] = {}
    permission_reqs = [(i, r) for i, r in enumerate(requirements) if r.who != "trust"]
    for i, req in enumerate(requirements):
        if req.who != "trust":
            continue
        if snapshot.trust_policy is None:
            findings[i] = _finding(
                req, "unknown", "none", "the trust policy could not be read", profile
            )
        else:
            found = _local(req, snapshot, role_arn, profile)
            # Say where the trust policy came from: ListRoles is the managed-domain path.
            findings[i] = Finding(
                **{**asdict(found), "evidence": f"{snapshot.trust_source}: {found.evidence}"}
            )
    # A boundary hidden from us (GetRole denied) could deny what the policies allow, so the
    # documents alone decide only when the boundary is known too.
    if snapshot.policies_readable and snapshot.boundary_known:
        for i, req in permission_reqs:
            findings[i] = _local(req, snapshot, role_arn, profile)
    else:
        simulated = simulate(session, role_arn, [r for _, r in permission_reqs])
        for i, req in permission_reqs:
            if simulated is not None and req in simulated:
                decision = simulated[req]
                findings[i] = _finding(
                    req, _SIMULATED.get(decision, "unknown"), "simulator", decision, profile
                )
                continue
            result = probe(session, req)
            if result.status == "allowed":
                findings[i] = _finding(req, "allowed", "probe", result.evidence, profile)
            elif result.status == "denied":
                # Only "no policy allows" is a gap a new statement fixes; an explicit deny, an
                # SCP or a boundary needs someone else.
                status: Status = "missing" if result.deny_kind == "implicit" else "denied"
                findings[i] = _finding(req, status, "probe", result.evidence, profile)
            else:
                findings[i] = _finding(req, "unknown", "none", result.evidence, profile)
    return [findings[i] for i in range(len(requirements))]


def _verdict(findings: Sequence[Finding]) -> Verdict:
    required = [f for f in findings if not f.optional]
    if any(f.status in ("missing", "denied") for f in required):
        return "gaps"
    if any(f.status == "unknown" for f in required):
        return "unknown"
    return "ready"


def _lint(snapshot: RoleSnapshot) -> list[dict[str, str]]:
    # Only the role's own inline policies: AWS managed policies are not the user's to change.
    out: list[dict[str, str]] = []
    for name, document in sorted((snapshot.inline or {}).items()):
        for finding in lint(document):
            out.append(
                {
                    "policy": name,
                    "code": finding.code,
                    "severity": finding.severity,
                    "path": finding.path,
                    "message": finding.message,
                    "suggestion": finding.suggestion,
                }
            )
    return out


@dataclass(frozen=True)
class Assessment:
    """A check's report with what it was made from, so a fix plans from the same reading."""

    discovery: Discovery
    requirements: list[Requirement]
    snapshot: RoleSnapshot
    report: Report


def check(session: boto3.Session, options: CheckOptions) -> Report:
    return assess(session, options).report


def assess(session: boto3.Session, options: CheckOptions) -> Assessment:
    found = discover(session, role=options.role)
    if found.role_arn is None:
        raise SetupError(
            "No execution role was found: the credentials are not a role session.",
            "Pass --role with the role a build should use.",
        )
    params = _params(found, options)
    try:
        requirements = requirements_for(options.profile, params)
    except ValueError as exc:
        raise SetupError(f"Cannot derive the {options.profile} requirements: {exc}.", "") from exc
    snapshot = read_role(session, found.role_arn, refresh=options.refresh)
    findings = judge_requirements(session, requirements, snapshot, found.role_arn, options.profile)
    notes = [f"could not call {read}" for read in snapshot.denied_reads]
    if found.role_path is None:
        notes.append("the role's path is unknown: ARNs assume none")
    report = Report(
        verdict=_verdict(findings),
        profile=options.profile,
        identity=asdict(found),
        findings=findings,
        lint=_lint(snapshot),
        notes=notes,
    )
    return Assessment(found, requirements, snapshot, report)
