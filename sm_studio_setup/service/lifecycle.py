"""Install this tool for a whole domain: a lifecycle configuration that installs it at every
start of a space, attached to the domain's (or a user profile's) settings.

The lifecycle-config check runs first (``assess``, profile ``lifecycle-config``). When the
caller may not make the change, the usual case for a Studio user, nothing is written and the
same change is handed to an administrator in four formats (``repair/lifecycle_handoff.py``);
a write AWS refuses although the check could not tell (``unknown``) ends the same way.

A configuration of that name holding this very script is reused; one holding another script
is refused, never replaced: every space of the domain runs what it holds at its next start,
so a new script is a new configuration (the default name carries the version, so an upgrade
is one). Attaching keeps every lifecycle configuration and setting the member had
(``images/attach.py``), and waits for SageMaker's asynchronous update to be InService.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, TypeVar

import boto3

from .. import __version__
from ..aws import lifecycle_configs, propagation, studio_images
from ..aws.discovery import discover
from ..errors import AwsAccessDenied, BadInput, SetupError
from ..images.attach import AppType, with_lifecycle_config
from ..images.lifecycle import (
    CodeArtifact,
    PyPI,
    S3Wheelhouse,
    ScriptError,
    Source,
    encoded,
    lifecycle_script,
)
from ..repair.lifecycle_handoff import LifecycleChange, render, render_all
from ..requirements.model import BLOCKERS
from .backups import changed_within
from .check import Assessment, Finding, assess, studio_target
from .options import CheckOptions, LifecycleOptions

T = TypeVar("T")
Status = Literal["done", "shown", "handoff"]
_CREATE_STEP = "create the lifecycle configuration"
_DENIED_CODES = ("AccessDenied", "AccessDeniedException")


@dataclass(frozen=True)
class LifecycleResult:
    """``done``: made and attached as asked (or already so); ``shown``: the change in one
    format, nothing written; ``handoff``: the caller may not make it, nothing (or, when
    SageMaker refused the update after the creation, only the configuration) was written."""

    status: Status
    name: str
    arn: str
    app_type: str
    attach_to: str | None
    target: str | None
    created: bool
    settings_changed: bool
    message: str
    handoff: dict[str, str] | None = None
    gaps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def source_of(options: LifecycleOptions) -> Source:
    if options.source == "codeartifact":
        return CodeArtifact(
            domain=str(options.codeartifact_domain),
            owner=str(options.codeartifact_owner),
            repository=str(options.codeartifact_repository),
            region=str(options.codeartifact_region),
        )
    if options.source == "s3":
        from ..aws.grammar import check_s3_folder

        bucket, prefix = check_s3_folder(str(options.s3_uri))
        return S3Wheelhouse(bucket, prefix)
    return PyPI(options.index_url)


def script(options: LifecycleOptions) -> str:
    """The lifecycle configuration's bash script for ``options`` (no AWS call)."""
    try:
        return lifecycle_script(__version__, options.app_type, source_of(options))
    except ScriptError as exc:
        raise BadInput(f"No lifecycle script can be made: {exc}.", field=exc.field) from exc


def _decoded(content: str) -> str | None:
    try:
        return base64.b64decode(content, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _same_script(found: dict[str, Any], text: str, content: str) -> bool:
    # Compared as the script's text, so that a configuration made from the hand-off (openssl's
    # base64 of the same bytes) counts as the same, however SageMaker gives the content back.
    held = str(found.get("StudioLifecycleConfigContent") or "")
    return held in (content, text) or _decoded(held) == text


def install(
    session: boto3.Session,
    options: LifecycleOptions,
    say: Callable[[str], None] | None = None,
) -> LifecycleResult:
    """Create (or reuse) the configuration and, with ``attach_to``, attach it (module doc)."""
    assert options.create is not None, "only --create writes"
    progress: list[str] = []

    def tell(text: str) -> None:
        progress.append(text)
        if say is not None:
            say(text)

    text = script(options)
    content = encoded(text)
    name = options.name
    scope = options.attach_to or "domain"
    if options.attach_to is not None:
        studio_images.require_settings_member(session, options.app_type)
    check_options = CheckOptions(
        profile="lifecycle-config",
        role=options.role,
        scope=scope,
        lifecycle_config=name,
        refresh=True,
        domain_id=options.domain_id,
        user_profile=options.user_profile,
    )
    assessment: Assessment | None = None
    if options.show is None:
        assessment = _assess(session, check_options)
        found = assessment.discovery
    else:
        # Printing the change writes nothing, so it needs no check, and no role session: an
        # administrator's IAM user may print it as well.
        found = discover(session, role=options.role)
    domain_id, user_profile = studio_target(found, check_options)
    if not domain_id:
        raise BadInput(
            "No Studio domain was named or found to install for.",
            "Give the domain with {option} (outside Studio no space's metadata names it).",
            field="domain_id",
        )
    if scope == "user-profile" and not user_profile:
        raise BadInput(
            "No user profile was named or found to install for.",
            "Give the user profile with {option}, or attach to the domain.",
            field="user_profile",
        )
    partition = found.partition or "aws"
    config_arn = lifecycle_configs.arn(partition, found.region, found.account, name)
    warnings: list[str] = []

    existing, _ = _readable(
        lambda: lifecycle_configs.describe(session, name),
        warnings,
        f"Lifecycle configuration {name}",
    )
    if existing is not None:
        held_type = existing.get("StudioLifecycleConfigAppType")
        if held_type != options.app_type:
            raise BadInput(
                f"Lifecycle configuration {name} exists for {held_type} apps, not "
                f"{options.app_type}.",
                "Give another name with {option} NAME.",
                field="create",
            )
        if not _same_script(existing, text, content):
            raise BadInput(
                f"Lifecycle configuration {name} exists with another script (another version "
                "or source), and every space of the domain runs what it holds at its next "
                "start: it is not replaced.",
                "Give a new name with {option} NAME, or delete the old configuration once no "
                "domain or profile names it.",
                field="create",
            )
        config_arn = str(existing.get("StudioLifecycleConfigArn") or config_arn)
        tell(f"Lifecycle configuration {name} exists with this script: reusing it.")

    update: dict[str, Any] | None = None
    target: str | None = None
    settings_read = True
    if options.attach_to is not None:
        app_type: AppType = options.app_type  # type: ignore[assignment]
        if scope == "user-profile":
            target = f"user profile {domain_id}/{user_profile}"
            current, settings_read = _readable(
                lambda: studio_images.profile_settings(session, domain_id, str(user_profile)),
                warnings,
                target,
            )
        else:
            target = f"domain {domain_id}"
            current, settings_read = _readable(
                lambda: studio_images.domain_settings(session, domain_id),
                warnings,
                target,
            )
        update = with_lifecycle_config(current, app_type, config_arn, default=options.default)

    change = LifecycleChange(
        name=name,
        app_type=options.app_type,
        script=text,
        config_arn=config_arn,
        region=found.region,
        scope=scope,
        domain_id=domain_id,
        user_profile=user_profile,
        create=existing is None,
        settings=update,
        attach=options.attach_to is not None,
        warnings=tuple(warnings),
    )

    def result(
        status: Status,
        message: str,
        *,
        handoff: dict[str, str] | None = None,
        gaps: Sequence[str] = (),
        created: bool = False,
        settings_changed: bool = False,
    ) -> LifecycleResult:
        return LifecycleResult(
            status=status,
            name=name,
            arn=config_arn,
            app_type=options.app_type,
            attach_to=options.attach_to,
            target=target,
            created=created,
            settings_changed=settings_changed,
            message=message,
            handoff=handoff,
            gaps=list(gaps),
            warnings=warnings,
            progress=progress,
        )

    if options.show is not None:
        return result(
            "shown",
            f"The change as {options.show}; nothing was written.",
            handoff={options.show: render(change, options.show)},
        )

    assert assessment is not None  # only --format goes without the check
    reason = _why_not(assessment.report.findings, change)
    if reason is None and not settings_read:
        # Written blind, the update would drop what the member holds: never.
        reason = f"The settings of {target} could not be read"
    if reason is not None:
        return result(
            "handoff",
            _handoff_message(change, reason),
            handoff=render_all(change),
            gaps=[reason],
        )
    if assessment.report.verdict == "unknown":
        warnings.append("Some of what this needs could not be verified; going on.")

    # Right after a fix, SageMaker may still judge with the role's old documents.
    recent = changed_within(found.role_arn, propagation.window_seconds())

    def propagated(call: Callable[[], T]) -> T:
        return propagation.retrying(call, recent_change=recent, say=tell)

    created = False
    if change.create:
        try:
            config_arn = propagated(
                lambda: lifecycle_configs.create(session, name, options.app_type, content)
            )
        except SetupError as exc:
            if not _denied(exc):
                raise
            return result(
                "handoff",
                _handoff_message(change, exc.message),
                handoff=render_all(change),
                gaps=[exc.message],
            )
        created = True
        tell(f"Created lifecycle configuration {name} ({config_arn}).")
    if update is not None:
        changed = update
        try:
            if scope == "user-profile":
                profile = str(user_profile)
                propagated(
                    lambda: studio_images.update_profile(session, domain_id, profile, changed, tell)
                )
            else:
                propagated(lambda: studio_images.update_domain(session, domain_id, changed, tell))
        except SetupError as exc:
            if not _denied(exc):
                raise
            rest = replace(change, create=False)
            return result(
                "handoff",
                _handoff_message(rest, exc.message, created=created),
                handoff=render_all(rest),
                gaps=[exc.message],
                created=created,
            )
    return result(
        "done",
        _done_message(change, created, update is not None, options.default),
        created=created,
        settings_changed=update is not None,
    )


def _assess(session: boto3.Session, options: CheckOptions) -> Assessment:
    try:
        return assess(session, options)
    except BadInput as exc:
        if exc.field != "role" or options.role is not None:
            raise
        # The check judges the caller's role; an IAM user's credentials have none.
        raise BadInput(
            "Checking what this needs takes a role session, and these credentials are not "
            "one (an IAM user's, say).",
            "Use a role (aws sso login, or assume a role), or print the change with --format "
            "cli and apply it yourself.",
            field="role",
        ) from exc


def _why_not(findings: Sequence[Finding], change: LifecycleChange) -> str | None:
    """Why the change is handed off rather than made, or None: what the role lacks for the
    steps it would take; or, when it attaches, that it could not be verified that the role may
    update the settings (the configuration made but left unattached would be half the change;
    an administrator whose policies cannot be read applies the hand-off instead)."""
    steps = {_CREATE_STEP} if change.create else set()
    if change.settings is not None:
        steps |= {f.step for f in findings if f.step != _CREATE_STEP}
    needed = [f for f in findings if f.step in steps and not f.optional]
    lacking = [
        f"{f.action} on {f.resource}"
        + (f" (blocked by {BLOCKERS.get(f.blocked_by, f.blocked_by)})" if f.blocked_by else "")
        for f in needed
        if f.status in ("missing", "blocked")
    ]
    if lacking:
        return "The role lacks " + "; ".join(lacking)
    unverified = [f.action for f in needed if f.status == "unknown" and f.step != _CREATE_STEP]
    if unverified:
        return (
            f"Whether the role may {' and '.join(unverified)} could not be verified (its "
            "policies are not readable here), and a configuration created but not attached "
            "would be half the change"
        )
    return None


def _readable(call: Callable[[], Any], warnings: list[str], what: str) -> tuple[Any, bool]:
    """(``call()``, True); (None, False) with a warning when the caller may not read it: the
    hand-off is made from what could be read, and says what could not."""
    try:
        return call(), True
    except SetupError as exc:
        if not _denied(exc):
            raise
        warnings.append(
            f"{what} could not be read ({exc.message}); the change assumes it holds nothing: "
            "merge it with what is there before applying it."
        )
        return None, False


def _denied(exc: SetupError) -> bool:
    if isinstance(exc, AwsAccessDenied):
        return True
    return str(exc.details.get("code") or "") in _DENIED_CODES


def _handoff_message(change: LifecycleChange, why: str, *, created: bool = False) -> str:
    if created:
        # SageMaker refused the update the check could not foresee: the rest is handed off.
        return (
            f"{why.rstrip('.')}. Lifecycle configuration {change.name} was created, but "
            f"{change.target} was not changed: hand the rest of the change to an administrator."
        )
    return (
        f"{why.rstrip('.')}. Nothing was written: hand this change to an administrator "
        f"(it installs {change.name} for {change.target})."
    )


def _done_message(change: LifecycleChange, created: bool, attached: bool, default: bool) -> str:
    made = "Created" if created else "Reused"
    if not change.attach:
        return f"{made} lifecycle configuration {change.name} ({change.config_arn})."
    if not attached:
        return (
            f"Lifecycle configuration {change.name} is already attached to {change.target} as "
            "asked: nothing to change."
        )
    if default:
        return (
            f"{made} lifecycle configuration {change.name} and made it the default of "
            f"{change.target}: each {change.app_type} space installs sm-studio-setup "
            f"{__version__} at its next start."
        )
    return (
        f"{made} lifecycle configuration {change.name} and attached it to {change.target}: "
        "users can choose it in a space's settings (--default makes it run in every space)."
    )
