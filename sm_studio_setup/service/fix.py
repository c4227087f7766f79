"""Fix: plan from a fresh check, then apply or undo as one all-or-nothing change to the role.

Apply and undo are the same transaction with the documents' sides swapped:

1. re-read the role and compare its fingerprint with the plan's (someone may have edited it);
2. save the documents about to be overwritten (``backups``), before any write;
3. write each document, then read them back until IAM's eventual consistency settles
   (bounded), and re-judge the requirements with the engine on what was read back;
4. on any failure restore what was there, verify that too, and say what happened.

AccessDenied on the first write means the role may not change itself: nothing was written,
and the same change is handed off in the four formats an administrator pastes.
"""

from __future__ import annotations

import difflib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Literal

import boto3
import botocore.exceptions

from ..aws.identity import caller_account as whoami_account
from ..aws.session import error_code, is_access_denied, raw_policy_client, translate
from ..aws.snapshot import RoleSnapshot, clear_cache, parse_document, policy_text, read_role
from ..errors import (
    FixFailedError,
    QuotaExceededError,
    RoleChangedError,
    SetupError,
    undo_command,
)
from ..repair.handoff import FORMATS, render
from ..repair.plan import (
    Assessed,
    Plan,
    RoleDocuments,
    document_text,
    make_plan,
    policy_name,
)
from ..requirements.policy import judge
from . import backups
from .backups import Backup, Document
from .check import Assessment, CheckOptions, assess
from .interrupts import deferred_interrupts

__all__ = [
    "FixFailedError",
    "FixResult",
    "QuotaExceededError",
    "RoleChangedError",
    "Settle",
    "apply",
    "handoff",
    "plan",
    "undo",
]

ApplyStatus = Literal["applied", "unchanged", "handoff"]


@dataclass(frozen=True)
class Settle:
    """How long to wait for IAM's eventual consistency: reads with exponential back-off.

    The defaults wait up to about 10 s, which covers what AWS documents as usually "a few
    seconds" for IAM changes to propagate; a restore waits twice as many reads.
    """

    attempts: int = 8
    first_delay: float = 0.25
    max_delay: float = 2.0
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class FixResult:
    status: ApplyStatus
    message: str
    plan_id: str | None = None
    backup_id: str | None = None
    reads_to_settle: int = 0
    handoff: dict[str, str] | None = None
    denied_action: str | None = None
    # The backup itself (its file's path and the documents' exact text before and after), so
    # the caller holds a copy even if the file is lost.
    backup: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "plan_id": self.plan_id,
            "backup_id": self.backup_id,
            "reads_to_settle": self.reads_to_settle,
            "handoff": self.handoff,
            "denied_action": self.denied_action,
            "backup": self.backup,
        }


# ----------------------------------------------------------------------------- plan


def role_documents(
    snapshot: RoleSnapshot, ours: tuple[bool, str | None] = (False, None)
) -> RoleDocuments:
    known, text = ours
    return RoleDocuments(
        role_arn=snapshot.role_arn,
        trust_policy=snapshot.trust_policy,
        inline=snapshot.inline,
        fingerprint=snapshot.fingerprint,
        ours=parse_document(text) if text is not None else None,
        ours_known=known,
    )


def _read_ours(iam: Any, role: str, name: str) -> tuple[bool, str | None]:
    """Our inline policy read by name: (known, text); text None when it does not exist.

    Used when the role may not list its inline policies (ListRolePolicies denied) but may
    still read one by name: enough to merge with it and to back it up.
    """
    try:
        return True, _read(iam, role, Document("inline", name, None, None))
    except botocore.exceptions.ClientError as exc:
        if is_access_denied(exc):
            return False, None
        raise translate(exc, f"reading inline policy {name}") from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc, f"reading inline policy {name}") from exc


def plan_from(assessment: Assessment, ours: tuple[bool, str | None] = (False, None)) -> Plan:
    assessed = [
        Assessed(req, finding.status, finding.evidence, finding.blocked_by)
        for req, finding in zip(assessment.requirements, assessment.report.findings, strict=True)
    ]
    return make_plan(
        role_documents(assessment.snapshot, ours),
        assessment.report.profile,
        assessed,
        source_account=assessment.discovery.account,
    )


def plan(session: boto3.Session, options: CheckOptions) -> Plan:
    """The plan for the role as it is now (never from the check's cache)."""
    assessment = assess(session, replace(options, refresh=True))
    ours: tuple[bool, str | None] = (False, None)
    if assessment.snapshot.inline_text is None:
        ours = _read_ours(
            raw_policy_client(session),
            _role_name(assessment.snapshot.role_arn),
            policy_name(options.profile),
        )
    return plan_from(assessment, ours)


def handoff(plan: Plan) -> dict[str, str]:
    return {fmt: render(plan.change, fmt) for fmt in FORMATS}


# ----------------------------------------------------------------------------- I/O


class _NotSettled(Exception):
    def __init__(self, documents: Sequence[Document]) -> None:
        super().__init__(", ".join(d.label for d in documents))
        self.documents = documents


class _WriteFailed(Exception):
    def __init__(self, document: Document, action: str, cause: Exception) -> None:
        super().__init__(f"{action} failed")
        self.document = document
        self.action = action
        self.cause = cause

    @property
    def refused(self) -> bool:
        """Whether IAM certainly did not apply the write. A timeout, a lost connection or a
        server-side failure may come after IAM stored the document: then it is restored like
        a write that succeeded (writing the previous document again is harmless)."""
        if not isinstance(self.cause, botocore.exceptions.ClientError):
            return False
        status = int(self.cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        return error_code(self.cause) not in _UNCERTAIN_CODES and 400 <= status < 500


_UNCERTAIN_CODES = {
    "ServiceFailure",
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
}


def _role_name(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


def _write(iam: Any, role: str, document: Document) -> None:
    if document.kind == "trust":
        if document.after is None:  # pragma: no cover - a role always has a trust policy
            raise ValueError("a trust policy cannot be deleted")
        action = "iam:UpdateAssumeRolePolicy"
        call: Callable[[], Any] = lambda: iam.update_assume_role_policy(  # noqa: E731
            RoleName=role, PolicyDocument=document.after
        )
    elif document.after is None:
        action = "iam:DeleteRolePolicy"
        call = lambda: iam.delete_role_policy(RoleName=role, PolicyName=document.name)  # noqa: E731
    else:
        action = "iam:PutRolePolicy"
        call = lambda: iam.put_role_policy(  # noqa: E731
            RoleName=role, PolicyName=document.name, PolicyDocument=document.after
        )
    try:
        call()
    except botocore.exceptions.ClientError as exc:
        if action == "iam:DeleteRolePolicy" and error_code(exc) == "NoSuchEntity":
            return  # already gone: what the delete wanted
        raise _WriteFailed(document, action, exc) from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise _WriteFailed(document, action, exc) from exc


def _read(iam: Any, role: str, document: Document) -> str | None:
    if document.kind == "trust":
        return policy_text(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"])
    try:
        found = iam.get_role_policy(RoleName=role, PolicyName=document.name)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return None
        raise
    return policy_text(found["PolicyDocument"])


def _listed(iam: Any, role: str) -> set[str] | None:
    """The role's inline policy names; None when the role may not list them (then the
    documents read by name are all there is to verify)."""
    names: set[str] = set()
    try:
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
            names.update(page.get("PolicyNames", []))
    except botocore.exceptions.ClientError as exc:
        if is_access_denied(exc):
            return None
        raise
    return names


def _same(text: str | None, expected: str | None) -> bool:
    # Parsed, not byte-wise: what IAM returns is the document it stored, but a proxy or an
    # older API version may re-encode it; what matters is that it says the same.
    if text is None or expected is None:
        return text is expected
    return parse_document(text) == parse_document(expected)


def _settle(
    iam: Any, role: str, documents: Sequence[Document], settle: Settle, *, attempts: int
) -> tuple[int, dict[str, str | None]]:
    """Read ``documents`` until each shows its ``after`` side; the number of reads it took."""
    delay = settle.first_delay
    pending = list(documents)
    seen: dict[str, str | None] = {}
    for attempt in range(1, attempts + 1):
        still = []
        names, texts = _read_all(iam, role, pending)
        for document, text in zip(pending, texts, strict=True):
            seen[document.name] = text
            # The list is checked too: the check finds inline policies through it, and IAM
            # may show a new document before the list names it (or a deleted one after).
            listed_right = (
                document.kind == "trust"
                or names is None
                or (document.name in names) == (document.after is not None)
            )
            if not listed_right or not _same(text, document.after):
                still.append(document)
        pending = still
        if not pending:
            return attempt, seen
        if attempt < attempts:
            settle.sleep(delay)
            delay = min(delay * 2, settle.max_delay)
    raise _NotSettled(pending)


def _read_all(
    iam: Any, role: str, documents: Sequence[Document]
) -> tuple[set[str] | None, list[str | None]]:
    """The inline policy names and each document's text, read concurrently: one round trip
    per read-back instead of one per document (botocore clients are thread-safe)."""
    listing = any(d.kind == "inline" for d in documents)
    with ThreadPoolExecutor(max_workers=len(documents) + 1, thread_name_prefix="fix") as pool:
        names = pool.submit(_listed, iam, role) if listing else None
        texts = [pool.submit(_read, iam, role, d) for d in documents]
        return (names.result() if names else None), [t.result() for t in texts]


def _current(iam: Any, role: str, documents: Sequence[Document]) -> list[str | None]:
    try:
        return _read_all(iam, role, documents)[1]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise translate(exc, f"reading role {role}") from exc


# ----------------------------------------------------------------------------- transaction


@dataclass(frozen=True)
class _Outcome:
    reads: int
    seen: dict[str, str | None]


# Rounds of write-then-verify a restore makes: a write whose answer was never seen may still
# land after the first restoring write, and is then put right by the next.
_RESTORE_ROUNDS = 3


def _restore(iam: Any, role: str, written: Sequence[Document], settle: Settle) -> str | None:
    """Put back the ``before`` side of every written document; None, or what went wrong.

    Runs with interrupts deferred (a second Ctrl-C must not leave half a restore), and writes
    again whatever does not read back restored.
    """
    with deferred_interrupts():
        pending = [d.reversed() for d in reversed(written)]
        problem: str | None = None
        for _ in range(_RESTORE_ROUNDS):
            try:
                for document in pending:
                    _write(iam, role, document)
                _settle(iam, role, pending, settle, attempts=settle.attempts * 2)
                return None
            except _WriteFailed as exc:
                return f"{exc.action} failed while restoring ({_cause(exc.cause)})"
            except _NotSettled as exc:
                problem = f"{exc} did not read back as restored"
                pending = list(exc.documents)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                return f"reading the role back after restoring failed ({_cause(exc)})"
        return problem


def _cause(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")
    return str(exc)


def _try_save(backup: Backup) -> str:
    """Update a backup's file after writes began; a failure to do so must not hide what
    happened to the role, so it becomes a sentence appended to the message."""
    try:
        backups.save(backup)
    except SetupError as exc:
        return f" (The backup file could not be updated: {exc.message})"
    return ""


def _failed(
    backup: Backup, what: str, problem: str | None, *, restored_what: str = "what was there"
) -> FixFailedError:
    if problem is None:
        note = _try_save(replace(backup, outcome="rolled-back", detail=what))
        return FixFailedError(
            f"{what}; {restored_what} was restored and verified, so the role is as it was." + note,
            "Run the fix again once the cause is gone.",
            details={
                "backup_id": backup.id,
                "restored": True,
                "path": str(backups.path_of(backup.id)),
            },
        )
    note = _try_save(replace(backup, outcome="restore-failed", detail=f"{what}; {problem}"))
    return FixFailedError(
        f"{what}, and restoring the role failed too: {problem}." + note,
        f"The previous documents are in backup {backup.id} "
        f"({backups.path_of(backup.id)}): restore them with {{command}}.",
        command=undo_command(backup.id),
        details={
            "backup_id": backup.id,
            "restored": False,
            "path": str(backups.path_of(backup.id)),
        },
    )


def _transact(
    iam: Any,
    role: str,
    backup: Backup,
    settle: Settle,
    recheck: Callable[[dict[str, str | None]], str | None],
) -> _Outcome:
    """Write ``backup.documents``' after sides, verify, and restore on failure.

    Raises ``_WriteFailed`` untouched when the first write fails (nothing was written), and
    ``FixFailedError`` for any later failure, after restoring.
    """
    written: list[Document] = []
    # The write whose answer has not come back yet: an interrupt then may or may not have
    # stopped it, so it is restored like the ones that succeeded.
    in_flight: Document | None = None
    try:
        for document in backup.documents:
            in_flight = document
            _write(iam, role, document)
            written.append(document)
            in_flight = None
        reads, seen = _settle(iam, role, backup.documents, settle, attempts=settle.attempts)
        problem = recheck(seen)
        if problem is not None:
            raise _Rejected(problem)
    except _WriteFailed as exc:
        if not exc.refused:
            written.append(exc.document)
        if not written:
            raise
        problem = _restore(iam, role, written, settle)
        if problem is None and is_access_denied(exc.cause):
            _try_save(replace(backup, outcome="rolled-back", detail=f"{exc.action} denied"))
            raise _DeniedRestored(exc, written) from exc
        what = f"{exc.action} on {exc.document.label} failed ({_cause(exc.cause)})"
        raise _failed(backup, what, problem) from exc
    except _NotSettled as exc:
        what = (
            f"{exc} still did not read back as written after {settle.attempts} reads "
            "(IAM's eventual consistency did not settle in time)"
        )
        raise _failed(backup, what, _restore(iam, role, written, settle)) from exc
    except _Rejected as exc:
        what = f"the engine's re-check of what was written failed: {exc}"
        raise _failed(backup, what, _restore(iam, role, written, settle)) from exc
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        what = f"reading the role back to verify it failed ({_cause(exc)})"
        raise _failed(backup, what, _restore(iam, role, written, settle)) from exc
    except Exception as exc:  # an error of ours: never leave half a change, nor a traceback
        if in_flight is not None:
            written.append(in_flight)
        what = f"an unexpected error stopped the fix ({exc!r})"
        raise _failed(backup, what, _restore(iam, role, written, settle)) from exc
    except BaseException as exc:
        # Interrupted (Ctrl-C in the CLI): restore, then let the interruption go on.
        if in_flight is not None:
            written.append(in_flight)
        if written:
            problem = _restore(iam, role, written, settle)
            ended: backups.Outcome = "rolled-back" if problem is None else "restore-failed"
            _try_save(replace(backup, outcome=ended, detail=f"interrupted: {exc!r}"))
        raise
    return _Outcome(reads, seen)


class _Rejected(Exception):
    pass


class _DeniedRestored(Exception):
    """A later write was denied after earlier ones succeeded; those were restored."""

    def __init__(self, failed: _WriteFailed, written: Sequence[Document]) -> None:
        super().__init__(failed.action)
        self.failed = failed
        self.written = tuple(written)


# ----------------------------------------------------------------------------- apply


def _applied_already(snapshot: RoleSnapshot, ours: str | None, plan: Plan) -> bool:
    if plan.trust_after is not None and snapshot.trust_policy != plan.trust_after:
        return False
    current = parse_document(ours) if ours is not None else None
    return plan.policy_after is None or current == plan.policy_after


def _recheck(plan: Plan, snapshot: RoleSnapshot) -> Callable[[dict[str, str | None]], str | None]:
    """Judge every planned requirement on the documents as read back, with the engine."""

    def check(seen: dict[str, str | None]) -> str | None:
        trust_text = seen.get("", snapshot.trust_text)
        trust = parse_document(trust_text) if trust_text else snapshot.trust_policy
        inline = dict(snapshot.inline or {})
        if plan.policy_name in seen:
            text = seen[plan.policy_name]
            if text is None:
                inline.pop(plan.policy_name, None)
            else:
                inline[plan.policy_name] = parse_document(text)
        identity = [*inline.values(), *(snapshot.managed or {}).values()]
        boundary = snapshot.boundary if snapshot.boundary_known else None
        for req in (*plan.trusted, *plan.granted):
            decision = judge(
                req,
                identity_policies=identity,
                trust_policy=trust,
                boundary=boundary,
                role_arn=plan.role_arn,
            )
            if not decision.allowed:
                return f"{req.action} on {req.principal or req.resource} is still {decision.result}"
        return None

    return check


def _handoff_result(plan: Plan, sentence: str, denied_action: str | None) -> FixResult:
    return FixResult(
        status="handoff",
        message=sentence,
        plan_id=plan.id,
        handoff=handoff(plan),
        denied_action=denied_action,
    )


def _changed(plan: Plan, snapshot: RoleSnapshot) -> RoleChangedError:
    return RoleChangedError(
        f"Role {plan.role_name} changed since the plan was made (someone else edited it); "
        "nothing was written.",
        "Run the fix again to plan from the role as it is now.",
        details={"plan_fingerprint": plan.fingerprint, "role_fingerprint": snapshot.fingerprint},
    )


_role_locks: dict[str, threading.Lock] = {}
_role_locks_guard = threading.Lock()


def _role_lock(role_arn: str) -> threading.Lock:
    """One apply or undo per role at a time in this process: two REST requests (two tabs, a
    double click) would otherwise both pass the fingerprint check and the second write would
    silently drop the first's change."""
    with _role_locks_guard:
        return _role_locks.setdefault(role_arn.lower(), threading.Lock())


def _same_account(session: boto3.Session, role_arn: str) -> None:
    """Writes name the role, not its account: refuse a role of another account, which would
    otherwise be written in the caller's account under the same name."""
    account = whoami_account(session)
    role_account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    if role_account != account:
        raise SetupError(
            f"Role {role_arn} is in account {role_account or '(unknown)'}, but the credentials "
            f"are for account {account}: nothing was changed.",
            "Use credentials of the role's own account (AWS_PROFILE), or hand the change to "
            "its administrator (the plan's hand-off formats).",
        )


def save_before_writing(backup: Backup) -> None:
    try:
        backups.save(backup)
    except SetupError as exc:
        raise SetupError(f"{exc.message} Nothing was changed.", exc.hint) from exc


def apply(session: boto3.Session, plan: Plan, *, settle: Settle | None = None) -> FixResult:
    settle = settle or Settle()
    if plan.empty:
        return FixResult(
            "unchanged",
            "Nothing to change: the role already has what the plan could add.",
            plan_id=plan.id,
        )
    blocking = [q for q in plan.quotas if q.blocking]
    if blocking:
        raise QuotaExceededError(blocking[0].message, "Nothing was changed.")
    _same_account(session, plan.role_arn)
    with _role_lock(plan.role_arn):
        try:
            return _apply(session, plan, settle)
        finally:
            clear_cache()


def _apply(session: boto3.Session, plan: Plan, settle: Settle) -> FixResult:
    snapshot = read_role(session, plan.role_arn, refresh=True)
    iam = raw_policy_client(session)
    ours: str | None = None
    if plan.policy_after is not None:
        if snapshot.inline_text is not None:
            ours = snapshot.inline_text.get(plan.policy_name)
        else:
            known, ours = _read_ours(iam, plan.role_name, plan.policy_name)
            if not known:
                return _handoff_result(
                    plan,
                    f"The role may not read its own inline policy {plan.policy_name} "
                    "(iam:GetRolePolicy was denied), so it cannot be backed up before writing: "
                    "nothing was changed; give an administrator the change below.",
                    "iam:GetRolePolicy",
                )
    if _applied_already(snapshot, ours, plan):
        return FixResult(
            "unchanged", "This plan is already applied: nothing was written.", plan_id=plan.id
        )
    if snapshot.fingerprint != plan.fingerprint:
        raise _changed(plan, snapshot)
    # The fingerprint cannot see our policy when the list is hidden: compare it directly.
    ours_now = parse_document(ours) if ours is not None else None
    if (
        plan.policy_after is not None
        and snapshot.inline_text is None
        and (ours_now != plan.policy_before)
    ):
        raise _changed(plan, snapshot)
    if plan.trust_after is not None and snapshot.trust_source != "get-role":
        # The trust policy was read from ListRoles: a write to it could not be read back, so
        # it could be neither verified nor restored with certainty.
        return _handoff_result(
            plan,
            "The role may not read its own trust policy (iam:GetRole was denied), so a change "
            "to it could not be verified: nothing was changed; give an administrator the change "
            "below.",
            "iam:GetRole",
        )

    documents: list[Document] = []
    if plan.policy_after is not None:
        documents.append(
            Document("inline", plan.policy_name, ours, document_text(plan.policy_after))
        )
    if plan.trust_after is not None:
        if snapshot.trust_text is None:  # pragma: no cover - the plan needed the trust policy
            raise SetupError("The trust policy can no longer be read; nothing was changed.", "")
        documents.append(
            Document("trust", "", snapshot.trust_text, document_text(plan.trust_after))
        )

    backup = Backup(
        id=backups.new_id(),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        role_arn=plan.role_arn,
        operation="fix",
        documents=tuple(documents),
        plan_id=plan.id,
        extra={"profile": plan.profile},
    )
    save_before_writing(backup)
    try:
        outcome = _transact(iam, plan.role_name, backup, settle, _recheck(plan, snapshot))
    except _WriteFailed as exc:
        backups.discard(backup.id)  # IAM refused the first write: there is nothing to undo
        if is_access_denied(exc.cause):
            return _handoff_result(
                plan,
                f"The role may not change itself ({exc.action} was denied): nothing was "
                "changed; give an administrator the change below.",
                exc.action,
            )
        raise FixFailedError(
            f"{exc.action} on {exc.document.label} failed ({_cause(exc.cause)}); nothing was "
            "changed.",
            "Fix the cause and run the fix again.",
        ) from exc
    except _DeniedRestored as exc:
        allowed = " and ".join(d.label for d in exc.written)
        return _handoff_result(
            plan,
            f"The role may change {allowed} but not {exc.failed.document.label} "
            f"({exc.failed.action} was denied): what was written was restored, so nothing is "
            "changed; give an administrator the whole change below.",
            exc.failed.action,
        )
    backup = replace(backup, outcome="applied")
    note = _try_save(backup)
    return FixResult(
        "applied",
        f"Changed {' and '.join(d.label for d in documents)} of {plan.role_name}; verified "
        f"after {outcome.reads} read{'s' if outcome.reads != 1 else ''}. The documents it "
        f"replaced are in backup {backup.id}." + note,
        plan_id=plan.id,
        backup_id=backup.id,
        reads_to_settle=outcome.reads,
        backup=backup.to_json(),
    )


# ----------------------------------------------------------------------------- undo


def undo(
    session: boto3.Session, backup_id: str, *, force: bool = False, settle: Settle | None = None
) -> FixResult:
    """Put back the documents a fix replaced, exactly as they were (the same bytes).

    Refuses when the role changed since the fix (an undo would lose that edit) unless
    ``force``. Documents already as the backup holds them are left alone, so an undo also
    finishes a restore that failed half-way. The undo is itself backed up and can be undone.
    """
    settle = settle or Settle()
    original = backups.load(backup_id)
    _same_account(session, original.role_arn)
    with _role_lock(original.role_arn):
        try:
            return _undo(session, original, force, settle)
        finally:
            clear_cache()


@dataclass(frozen=True)
class UndoPlan:
    """What an undo would write, shown before it writes: each document as it is now and as the
    backup would put it back, with a diff, and which of them changed since the fix."""

    backup_id: str
    role_arn: str
    documents: tuple[Document, ...]  # before: as it is now; after: as the undo writes it
    changed_since: tuple[str, ...]  # labels of documents someone edited after the fix

    @property
    def empty(self) -> bool:
        return not self.documents

    def diff(self) -> str:
        parts = []
        for document in self.documents:
            old = (document.before or "").splitlines(keepends=True)
            new = (document.after or "").splitlines(keepends=True)
            lines = difflib.unified_diff(
                old,
                new,
                fromfile=f"{document.label} (now)",
                tofile=f"{document.label} (after the undo)"
                if document.after is not None
                else "/dev/null (deleted by the undo)",
            )
            parts.append("".join(ln if ln.endswith("\n") else ln + "\n" for ln in lines))
        return "".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "backup_id": self.backup_id,
            "role_arn": self.role_arn,
            "empty": self.empty,
            "documents": [
                {
                    "kind": d.kind,
                    "name": d.name,
                    "label": d.label,
                    "now": d.before,
                    "after": d.after,
                }
                for d in self.documents
            ],
            "changed_since": list(self.changed_since),
            "diff": self.diff(),
        }


def undo_plan(session: boto3.Session, backup_id: str) -> UndoPlan:
    """What ``undo`` would write for ``backup_id``, without writing anything."""
    original = backups.load(backup_id)
    _same_account(session, original.role_arn)
    iam = raw_policy_client(session)
    return _undo_plan(iam, original)


def _undo_plan(iam: Any, original: Backup) -> UndoPlan:
    role = _role_name(original.role_arn)
    current = _current(iam, role, original.documents)
    pending = [
        (now, d)
        for now, d in zip(current, original.documents, strict=True)
        if not _same(now, d.before)
    ]
    return UndoPlan(
        backup_id=original.id,
        role_arn=original.role_arn,
        documents=tuple(Document(d.kind, d.name, now, d.before) for now, d in pending),
        changed_since=tuple(d.label for now, d in pending if not _same(now, d.after)),
    )


def _undo(session: boto3.Session, original: Backup, force: bool, settle: Settle) -> FixResult:
    role = _role_name(original.role_arn)
    iam = raw_policy_client(session)
    preview = _undo_plan(iam, original)
    if preview.empty:
        return FixResult(
            "unchanged", f"{role} already has the documents backup {original.id} holds."
        )
    changed = list(preview.changed_since)
    if changed and not force:
        raise RoleChangedError(
            f"{' and '.join(changed).capitalize()} of {role} changed since the fix; undoing "
            "would lose that change, so nothing was written.",
            "Review the role, then undo with {option} to restore the backup anyway.",
            field="force",
        )
    documents = preview.documents
    backup = Backup(
        id=backups.new_id(),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        role_arn=original.role_arn,
        operation="undo",
        documents=documents,
        undoes=original.id,
    )
    save_before_writing(backup)
    try:
        outcome = _transact(iam, role, backup, settle, lambda seen: None)
    except _WriteFailed as exc:
        backups.discard(backup.id)
        raise FixFailedError(
            f"{exc.action} on {exc.document.label} failed ({_cause(exc.cause)}); nothing was "
            "changed.",
            "The backup is untouched: try again once the cause is gone.",
        ) from exc
    except _DeniedRestored as exc:
        raise FixFailedError(
            f"{exc.failed.action} on {exc.failed.document.label} was denied; what was written "
            "was restored, so nothing is changed.",
            "Ask an administrator to restore the backup's documents (the file named below).",
            details={"backup_id": original.id, "path": str(backups.path_of(original.id))},
        ) from exc
    backup = replace(backup, outcome="applied")
    note = _try_save(backup) + _try_save(replace(original, outcome="undone"))
    return FixResult(
        "applied",
        f"Restored {' and '.join(d.label for d in documents)} of {role} from backup "
        f"{original.id}; verified after {outcome.reads} read"
        f"{'s' if outcome.reads != 1 else ''}." + note,
        backup_id=backup.id,
        reads_to_settle=outcome.reads,
        backup=backup.to_json(),
    )
