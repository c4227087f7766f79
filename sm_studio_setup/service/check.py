"""The check: who we are, what the workflow needs, and what the role really has.

Three ways to know, chosen per requirement and named in each finding (docs/ARCHITECTURE.md):
``local`` — the role's own documents, read and judged by the engine (the only way to judge the
trust policy); ``simulator`` — IAM's SimulatePrincipalPolicy when the documents cannot be read;
``probe`` — harmless calls when neither is allowed. What could not be established is
``unknown``: never ``missing``, never ``allowed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import boto3

from ..aws.discovery import Discovery, caller_identity, finish, locate, target_role
from ..aws.identity import is_session_of
from ..aws.metadata import read_metadata
from ..aws.probes import prepare, probe
from ..aws.simulator import Simulated, simulate
from ..aws.snapshot import RoleSnapshot, read_role
from ..errors import BadInput
from ..iam import Policy, PolicyValidationError, compile_policy, lint
from ..images.local_build import Need
from ..requirements.model import BLOCKERS, Requirement
from ..requirements.params import Params, partition_of
from ..requirements.policy import judge
from ..requirements.profiles import requirements_for
from .build import choice
from .options import CheckOptions
from .secrets import parse_secrets

# "blocked": denied by what a new Allow cannot override (an explicit Deny, a permissions
# boundary, an SCP or RCP, a session policy): an administrator must act; ``blocked_by`` says
# which kind of policy.
Status = Literal["allowed", "missing", "blocked", "unknown"]
# "domain": the domain's own settings (DescribeDomain), for what no policy decides.
Source = Literal["local", "simulator", "probe", "none", "domain"]
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
    # For "blocked": explicit-deny, boundary, scp, rcp, session, resource or vpc-endpoint.
    blocked_by: str | None = None
    # For a probe's answer: what it rests on, said as confirmed or not (aws/probes.PREMISES).
    premise: str | None = None


@dataclass(frozen=True)
class Report:
    verdict: Verdict
    profile: str
    identity: dict[str, Any]
    findings: list[Finding]
    lint: list[dict[str, str]]
    notes: list[str]
    # image-build: the engine a build with these options uses (local, codebuild, sm-docker)
    # and why, as "local: ..." / "codebuild: ..." (service/build/choice.py); None otherwise.
    engine: str | None = None
    engine_reason: str | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def gaps(self) -> list[Finding]:
        return [f for f in self.findings if f.status in ("missing", "blocked") and not f.optional]

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Report:
        """A report as ``to_json`` wrote it (a build record keeps its preflight's)."""
        return cls(
            verdict=body["verdict"],
            profile=body["profile"],
            identity=dict(body["identity"]),
            # Records written before "blocked" was named say "denied".
            findings=[
                Finding(**{**f, "status": "blocked" if f["status"] == "denied" else f["status"]})
                for f in body["findings"]
            ],
            lint=list(body["lint"]),
            notes=list(body["notes"]),
            engine=body.get("engine"),
            engine_reason=body.get("engine_reason"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "profile": self.profile,
            "identity": self.identity,
            "findings": [asdict(f) for f in self.findings],
            "lint": self.lint,
            "notes": self.notes,
            "engine": self.engine,
            "engine_reason": self.engine_reason,
        }


def refused(exc: ValueError, what: str) -> BadInput:
    """A parameter the requirements refuse, naming the input that fixes it when known."""
    return BadInput(f"{what}: {exc}.", "", field=getattr(exc, "field", None))


def build_params(
    options: CheckOptions,
    *,
    region: str,
    account: str,
    role_arn: str | None,
    domain_id: str | None,
    user_profile: str | None,
    space: str | None,
    engine: str | None = None,
) -> Params:
    """Requirement parameters: where the build runs, plus the user's build options. ``engine``
    is the one resolved for image-build; without it only an explicit local is local."""
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
            studio_image_name=options.image_name,
            studio_scope=options.scope,
            secrets=tuple((s.kind, s.source) for s in parse_secrets(options.secrets)),
            lifecycle_config_name=options.lifecycle_config,
            engine=engine or ("local" if options.engine == "local" else "codebuild"),
        )
    except ValueError as exc:
        raise refused(exc, "Invalid parameters") from exc


def studio_target(found: Discovery, options: CheckOptions) -> tuple[str | None, str | None]:
    """The domain and user profile to act on: as given, else the space's. A profile of the
    space belongs to the space's domain only: another domain given takes no profile from it."""
    domain_id = options.domain_id or found.domain_id
    if options.user_profile is not None:
        return domain_id, options.user_profile
    same = options.domain_id is None or options.domain_id == found.domain_id
    return domain_id, found.user_profile if same else None


def params_of(found: Discovery, options: CheckOptions, engine: str | None = None) -> Params:
    """The requirement parameters of ``options`` where ``found`` says the user runs."""
    domain_id, user_profile = studio_target(found, options)
    return build_params(
        options,
        region=found.region,
        account=found.account,
        role_arn=found.role_arn,
        domain_id=domain_id,
        user_profile=user_profile,
        space=found.space,
        engine=engine,
    )


def _fix(req: Requirement, profile: str, blocked_by: str | None) -> str:
    if blocked_by is not None:
        what = BLOCKERS.get(blocked_by, "a policy this tool does not write")
        return f"an administrator must change {what}; an added Allow cannot override it"
    if req.who == "trust":
        return f"add {req.principal} to the role's trust policy"
    return f"grant it in the inline policy sm-studio-setup-{profile}"


def _finding(
    req: Requirement,
    status: Status,
    source: Source,
    evidence: str,
    profile: str,
    blocked_by: str | None = None,
    premise: str | None = None,
) -> Finding:
    if status == "blocked" and blocked_by is None:
        blocked_by = "explicit-deny"
    return Finding(
        step=req.step,
        status=status,
        who=req.who,
        action=req.action,
        resource=req.resource,
        why=req.why,
        source=source,
        evidence=evidence,
        fix="" if status in ("allowed", "unknown") else _fix(req, profile, blocked_by),
        optional=req.optional,
        principal=req.principal,
        context={k: v if isinstance(v, str) else list(v) for k, v in req.context.items()},
        blocked_by=blocked_by if status == "blocked" else None,
        premise=premise or None,
    )


@dataclass(frozen=True)
class _Compiled:
    """The role's documents parsed once per check, not once per requirement (a Studio role's
    managed policies hold hundreds of statements), and named, so evidence says which policy.

    A document the engine cannot parse (IAM would have refused it, or the engine is stricter
    than IAM) is left out and named in ``unreadable``: whatever depends on it is then not
    judged from the documents, so it can never turn into a gap.
    """

    identity: list[Policy]
    trust: Policy | None
    boundary: Policy | None
    unreadable: dict[str, str]

    @property
    def trust_unreadable(self) -> str | None:
        return self.unreadable.get(_TRUST)

    @property
    def permissions_readable(self) -> bool:
        return not (set(self.unreadable) - {_TRUST})

    @classmethod
    def of(cls, snapshot: RoleSnapshot) -> _Compiled:
        unreadable: dict[str, str] = {}

        def compile_one(document: Any, kind: Any, name: str, label: str) -> Policy | None:
            try:
                return compile_policy(document, kind, name=name)
            except PolicyValidationError as exc:
                unreadable[label] = _one_problem(exc)
                return None

        named = {
            **(snapshot.inline or {}),
            **{arn.rsplit("/", 1)[-1]: doc for arn, doc in (snapshot.managed or {}).items()},
        }
        identity = [
            policy
            for name, doc in named.items()
            if (policy := compile_one(doc, "identity", name, f"policy {name}")) is not None
        ]
        trust = boundary = None
        if snapshot.trust_policy is not None:
            trust = compile_one(snapshot.trust_policy, "trust", "trust policy", _TRUST)
        if snapshot.boundary is not None and snapshot.boundary_arn:
            name = snapshot.boundary_arn.rsplit("/", 1)[-1]
            boundary = compile_one(snapshot.boundary, "boundary", name, f"boundary {name}")
        return cls(identity, trust, boundary, unreadable)


_TRUST = "the trust policy"


def _one_problem(exc: PolicyValidationError) -> str:
    problems = getattr(exc, "problems", None) or []
    if problems:
        path, rule = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return f"{path or 'the document'}: {rule}{more}"
    return str(exc).splitlines()[0]


def _local(req: Requirement, compiled: _Compiled, role_arn: str, profile: str) -> Finding:
    decision = judge(
        req,
        identity_policies=compiled.identity,
        trust_policy=compiled.trust,
        boundary=compiled.boundary,
        role_arn=role_arn,
    )
    blocked_by = None
    if decision.result == "allowed":
        status: Status = "allowed"
    elif decision.result == "explicit_deny":
        status, blocked_by = "blocked", "explicit-deny"
    elif decision.decided_by in _NOT_GRANTABLE:
        # No identity statement can lift a boundary's (or a session's) implicit deny.
        status, blocked_by = "blocked", _NOT_GRANTABLE[decision.decided_by]
    else:
        status = "missing"
    evidence = "; ".join(ref.label() for ref in (decision.blocking or decision.matched)) or (
        decision.reasons[-1] if decision.reasons else decision.result
    )
    return _finding(req, status, "local", evidence, profile, blocked_by)


_NOT_GRANTABLE = {"boundary": "boundary", "scp": "scp", "session": "session"}
# A probe's AccessDenied names the policy type (aws/probes.py deny_kind).
_PROBE_BLOCKERS = {"explicit-identity": "explicit-deny", "explicit-resource": "resource"}


def judge_requirements(
    session: boto3.Session,
    requirements: Sequence[Requirement],
    snapshot: RoleSnapshot,
    role_arn: str,
    profile: str,
    *,
    caller_arn: str | None = None,
) -> list[Finding]:
    """Each requirement judged the best way available. ``caller_arn`` (STS's) says whether the
    caller runs as ``role_arn``: only then do its probes speak for the build's role too."""
    findings: dict[int, Finding] = {}
    build_is_caller = caller_arn is not None and is_session_of(caller_arn, role_arn)
    permission_reqs = [(i, r) for i, r in enumerate(requirements) if r.who != "trust"]
    compiled = _Compiled.of(snapshot)
    for i, req in enumerate(requirements):
        if req.who != "trust":
            continue
        if snapshot.trust_policy is None:
            findings[i] = _finding(
                req, "unknown", "none", "the trust policy could not be read", profile
            )
        elif compiled.trust_unreadable is not None:
            findings[i] = _finding(
                req,
                "unknown",
                "none",
                f"the trust policy could not be parsed ({compiled.trust_unreadable})",
                profile,
            )
        else:
            found = _local(req, compiled, role_arn, profile)
            # Say where the trust policy came from: ListRoles is the managed-domain path.
            findings[i] = Finding(
                **{**asdict(found), "evidence": f"{snapshot.trust_source}: {found.evidence}"}
            )
    # A boundary hidden from us (GetRole denied) could deny what the policies allow, so the
    # documents alone decide only when the boundary is known too.
    if snapshot.policies_readable and snapshot.boundary_known and compiled.permissions_readable:
        for i, req in permission_reqs:
            findings[i] = _local(req, compiled, role_arn, profile)
    else:
        simulated = simulate(session, role_arn, [r for _, r in permission_reqs])
        unsimulated = [
            (i, r) for i, r in permission_reqs if simulated is None or r not in simulated
        ]
        # The probes are independent calls: all in one round, not one round each.
        prepare(session, [r for _, r in unsimulated], build_is_caller=build_is_caller)
        workers = min(48, max(1, len(unsimulated)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe") as pool:
            probed = dict(
                zip(
                    (i for i, _ in unsimulated),
                    pool.map(
                        lambda ir: probe(session, ir[1], build_is_caller=build_is_caller),
                        unsimulated,
                    ),
                    strict=True,
                )
            )
        for i, req in permission_reqs:
            if simulated is not None and req in simulated:
                findings[i] = _simulated(req, simulated[req], profile)
                continue
            result = probed[i]
            if result.status == "allowed":
                findings[i] = _finding(
                    req, "allowed", "probe", result.evidence, profile, premise=result.premise
                )
            elif result.status == "denied":
                # Only "no policy allows" is a gap a new statement fixes; an explicit deny, an
                # SCP or a boundary needs someone else.
                if result.deny_kind == "implicit":
                    findings[i] = _finding(
                        req, "missing", "probe", result.evidence, profile, premise=result.premise
                    )
                else:
                    kind = result.deny_kind or "explicit-identity"
                    findings[i] = _finding(
                        req,
                        "blocked",
                        "probe",
                        result.evidence,
                        profile,
                        _PROBE_BLOCKERS.get(kind, kind),
                        result.premise,
                    )
            else:
                findings[i] = _finding(req, "unknown", "none", result.evidence, profile)
    return [findings[i] for i in range(len(requirements))]


def _simulated(req: Requirement, decision: Simulated, profile: str) -> Finding:
    """The simulator's answer as a finding: an implicit deny is a gap only when the identity
    policies are what lack the Allow; when the boundary or an SCP does not allow it
    (PermissionsBoundaryDecisionDetail, OrganizationsDecisionDetail), no grant can help."""
    evidence = decision.decision
    if decision.decision == "allowed":
        return _finding(req, "allowed", "simulator", evidence, profile)
    blocker = None
    if decision.organizations_allowed is False:
        blocker = "scp"
    elif decision.boundary_allowed is False:
        blocker = "boundary"
    elif decision.decision == "explicitDeny":
        blocker = "explicit-deny"
    if blocker is not None:
        evidence += f" ({BLOCKERS[blocker]} does not allow it)"
        return _finding(req, "blocked", "simulator", evidence, profile, blocker)
    if decision.decision == "implicitDeny":
        return _finding(req, "missing", "simulator", evidence, profile)
    return _finding(req, "unknown", "simulator", evidence, profile)


def unreadable_documents(snapshot: RoleSnapshot) -> dict[str, str]:
    """The role's documents the engine could not parse, and why (one line each)."""
    return _Compiled.of(snapshot).unreadable


def _verdict(findings: Sequence[Finding]) -> Verdict:
    required = [f for f in findings if not f.optional]
    if any(f.status in ("missing", "blocked") for f in required):
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


def _read(session: boto3.Session, options: CheckOptions) -> tuple[Discovery, RoleSnapshot]:
    """Discovery and the role's snapshot, overlapped: the role's first reads need only its
    name, which is known before STS answers unless it comes from the caller's own session,
    so identity and the role's lists go out together (3 rounds in all, not 4)."""
    meta = read_metadata()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="check") as pool:
        caller_future = pool.submit(caller_identity, session)
        located = locate(session, role=options.role, meta=meta)
        snapshot_future = (
            pool.submit(read_role, session, located.role, refresh=options.refresh)
            if located.role is not None
            else None
        )
        caller = caller_future.result()
        if snapshot_future is None:
            target = target_role(located, caller)
            if target is None:
                raise BadInput(
                    "No execution role was found: the credentials are not a role session.",
                    "Give the role a build should use (a role name, path/name or ARN).",
                    field="role",
                )
            snapshot_future = pool.submit(read_role, session, target, refresh=options.refresh)
        snapshot = snapshot_future.result()
    iam_arn = snapshot.role_arn if snapshot.arn_from_iam else None
    if located.how == "explicit" and located.role is not None:
        _given_matches_iam(located.role, str(caller["Account"]), iam_arn)
    found = finish(located, caller, str(session.region_name or ""), iam_arn=iam_arn)
    assert found.role_arn is not None  # a role was read
    return found, replace(snapshot, role_arn=found.role_arn)


def _given_matches_iam(given: str, account: str, iam_arn: str | None) -> None:
    """A role given by ARN or path must be the role IAM has: IAM's role calls take only the
    name and act in the credentials' account, so another account's ARN or a wrong path would
    otherwise quietly describe a different role (or grant PassRole on one that is not there)."""
    if given.startswith("arn:"):
        given_account = given.split(":")[4]
        if given_account != account:
            raise BadInput(
                f"Role {given} is in account {given_account}, but the credentials are for "
                f"account {account}, and IAM reads and changes roles of that account only.",
                "Use credentials of the role's own account, or give a role of this one.",
                field="role",
            )
        wanted = given
    elif "/" in given.strip("/"):
        wanted = "/" + given.strip("/")
    else:
        return  # a bare name: IAM's answer is the role
    if iam_arn is None:
        return  # IAM would not say; the report notes that the path is unverified
    if not (iam_arn == wanted or iam_arn.endswith(":role" + wanted)):
        raise BadInput(
            f"Role {given} is {iam_arn} in IAM: the path or account given is not the role's.",
            "Give the role's name alone, or its ARN as IAM shows it.",
            field="role",
        )


def assess(
    session: boto3.Session, options: CheckOptions, *, codebuild_needs: Sequence[Need] | None = None
) -> Assessment:
    """The check. For image-build the engine is resolved first (``codebuild_needs``: what of
    a build's own options only CodeBuild can do), and the role judged against its needs."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine") as pool:
        # The space's Docker and the domain's settings are asked beside the role's reads.
        facts = pool.submit(choice.facts_for, session, options)
        found, snapshot = _read(session, options)
        docker = facts.result()
    assert found.role_arn is not None
    engine = (
        choice.resolve(options, docker, found.account, codebuild_needs)
        if options.profile == "image-build"
        else None
    )
    params = params_of(found, options, engine.requirements_engine if engine else None)
    try:
        requirements = requirements_for(options.profile, params)
    except ValueError as exc:
        raise refused(exc, f"Cannot derive the {options.profile} requirements") from exc
    findings = judge_requirements(
        session,
        requirements,
        snapshot,
        found.role_arn,
        options.profile,
        caller_arn=found.caller_arn,
    )
    for requirement, finding in choice.domain_findings(engine, options.profile) if engine else ():
        requirements.append(requirement)
        findings.append(finding)
    notes = [f"could not call {read}" for read in snapshot.denied_reads]
    notes += [
        f"{label} could not be parsed, so nothing was judged from it: {why}"
        for label, why in unreadable_documents(snapshot).items()
    ]
    if found.role_path is None:
        notes.append("the role's path is unknown: ARNs assume none")
    elif not snapshot.arn_from_iam:
        notes.append(f"IAM would not confirm the role's ARN; {found.role_arn} is taken as given")
    notes += engine.notes() if engine else []
    report = Report(
        verdict=_verdict(findings),
        profile=options.profile,
        identity=asdict(found),
        findings=findings,
        lint=_lint(snapshot),
        notes=notes,
        engine=engine.choice.engine if engine else None,
        engine_reason=engine.choice.reason if engine else None,
    )
    return Assessment(found, requirements, snapshot, report)
