"""The build engine: sm-docker's steps, with its options and defaults, and none of its defects.

A build goes: CHECK (the role against exactly what this build needs, before anything of the
folder is read: gaps stop it, with the fix to run), PACKAGE (the folder as Docker would send
it), UPLOAD (the zip, streamed to S3 in parts), PROJECT (a CodeBuild project named as sm-docker
names them, with an inline buildspec that reads every value from the environment), START, then
CodeBuild's own phases, followed until the build ends with its log, IMAGE (the digest ECR has
for the tag), ATTACH (when asked), CLEANUP. Every path out, success, failure, stop, error or
signal, deletes the project and the zip (and aborts an unfinished upload).

What it reports is what happened: the image URI and digest only when the build SUCCEEDED and
ECR has the image (sm-docker printed a URI for failed builds and exited 0); the log tail ends
when the build does, also when its log group never appears (sm-docker waited for ever); a stop
(Ctrl-C, SIGTERM, the REST stop) calls StopBuild and waits for CodeBuild to say STOPPED.

Every step is an event (``BuildEvent``) for the surface's callback, and the record of the build
is saved at each step, so a reloaded page or a restarted server finds it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any, Literal, TypeVar

import boto3

from ...aws import codebuild, ecr, propagation, s3_upload, ssm
from ...aws.codebuild import LogTail
from ...aws.discovery import discover
from ...errors import BadInput, SetupError, Surface
from ...images import names
from ...images.buildspec import BuildSpecInput, buildspec
from ...images.local_build import codebuild_needs, dockerfile_needs
from ...requirements.image_build import ecr_repository_arn
from ...requirements.params import Params, parse_dockerfile_from
from ..backups import changed_within
from ..check import assess, params_of
from ..interrupts import deferred_interrupts
from ..options import BuildOptions, CheckOptions, parse_image_uri
from ..secrets import env_value, looks_secret, parse_secrets
from . import choice, folder, inputs
from .context import BuildContext, ContextStopped, matcher_for, read_context, zip_chunks
from .records import FINAL, BuildRecord, Records, new_id, now

T = TypeVar("T")
EventKind = Literal["status", "step", "phase", "log", "info", "warning", "progress"]


@dataclass(frozen=True)
class BuildEvent:
    kind: EventKind
    build_id: str
    message: str = ""
    status: str | None = None  # the build's status, for "status"
    name: str | None = None  # the step or phase, for "step" and "phase"
    state: str | None = None  # the step's or phase's status
    at: str = field(default_factory=now)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


EventSink = Callable[[BuildEvent], None]


class PreflightGaps(SetupError):
    """The check found what this build would fail on: nothing was read or uploaded."""

    code = "preflight_gaps"
    http_status = 409


class _Stopped(Exception):
    pass


@dataclass(frozen=True)
class _Halt:
    stop: threading.Event
    detach: threading.Event

    def is_set(self) -> bool:
        return self.stop.is_set() or self.detach.is_set()


class _Detached(Exception):
    """The server is going away while the build runs on CodeBuild: leave it to the next start."""


REDACTED = "<redacted>"
# How long a stop waits for CodeBuild to say STOPPED, and a build for its log to settle.
STOP_WAIT_SECONDS = 120.0
_PHASE_KEYS = ("phaseType", "phaseStatus", "startTime", "endTime", "durationInSeconds")


@dataclass
class Build:
    """One build, run by ``run()`` in the caller's thread (the CLI, the magic) or a server's
    worker thread. ``stop`` asks it to stop from another thread (the REST stop); in the main
    thread a KeyboardInterrupt (Ctrl-C, or SIGTERM through the CLI) does the same."""

    session: boto3.Session
    options: BuildOptions
    records: Records
    on_event: EventSink | None = None
    poll_seconds: float = 5.0
    stop: threading.Event = field(default_factory=threading.Event)
    record: BuildRecord = field(default_factory=lambda: BuildRecord(id=new_id(), created=now()))
    attach: Callable[[BuildRecord, Callable[[str], None]], dict[str, Any]] | None = None
    # Set by a server shutting down: a build already on CodeBuild is left running there (its
    # record says where) and followed by the next start; one not there yet is stopped.
    detach: threading.Event = field(default_factory=threading.Event)
    surface: Surface = "cli"  # whose words a failure's hint is in
    # While a run goes on, how it ended waits here until the image is read and the cleanup
    # done: a record that says SUCCEEDED (and so final) must already hold the digest, the
    # attach result and the cleanup, since a reader stops following it there.
    _ending: tuple[str, str] | None = field(default=None, init=False, repr=False)
    _running: bool = field(default=False, init=False, repr=False)
    _codebuild_succeeded: bool = field(default=False, init=False, repr=False)
    _recent_change: bool = field(default=False, init=False, repr=False)
    # The folder as the INPUTS step walked it, which PACKAGE then sends (one walk, one view).
    _context: BuildContext | None = field(default=None, init=False, repr=False)

    # --- events and the record -----------------------------------------------------------

    def _emit(self, kind: EventKind, message: str = "", **fields: Any) -> None:
        if self.on_event is not None:
            self.on_event(BuildEvent(kind, self.record.id, message, **fields))

    def _save(self) -> None:
        self.records.save(self.record)

    def _status(self, status: str, message: str = "") -> None:
        if status in FINAL and self._running:
            self._ending = (status, message)
            if message:
                self.record.message = message
            if status != "SUCCEEDED":
                self.record.image_uri = None
            self._save()
            return
        self.record.status = status
        if message:
            self.record.message = message
        if status in FINAL:
            self.record.ended = now()
            if status != "SUCCEEDED":
                self.record.image_uri = None  # said only of an image that is in ECR
        self._save()
        self._emit("status", message, status=status)

    def _step_start(self, name: str, detail: str = "") -> None:
        step = self.record.step(name)
        step.status, step.started, step.ended, step.detail = "IN_PROGRESS", now(), None, detail
        self._save()
        self._emit("step", detail, name=name, state="IN_PROGRESS")

    def _step_end(self, name: str, state: str = "SUCCEEDED", detail: str = "") -> None:
        step = self.record.step(name)
        step.status, step.ended = state, now()
        if detail:
            step.detail = detail
        self._save()
        self._emit("step", detail, name=name, state=state)

    def _warn(self, message: str) -> None:
        self.record.warnings.append(message)
        self._save()
        self._emit("warning", message)

    @property
    def _halt(self) -> _Halt:
        """What a step before CodeBuild watches: a stop, or the server going away (which
        stops a build that has not reached CodeBuild)."""
        return _Halt(self.stop, self.detach)

    def _propagating(self, call: Callable[[], T]) -> T:
        """``call()`` retried while IAM changes are still reaching the service, saying what
        it waits for (aws/propagation.py)."""
        return propagation.retrying(
            call,
            recent_change=self._recent_change,
            say=lambda text: self._emit("info", text),
            stop=self._halt,
            sleep=self._pause,
        )

    def _pause(self, seconds: float) -> None:
        self.stop.wait(seconds)  # a stop ends the wait at once

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise _Stopped()
        if self.detach.is_set():
            if self.record.codebuild_id is None:
                raise _Stopped()
            raise _Detached()

    # --- the run -------------------------------------------------------------------------

    def run(self) -> BuildRecord:
        """The whole build, from the check to the cleanup."""
        self.record.options = options_json(self.options)
        self._status("IN_PROGRESS", "The build started.")
        return self._guarded(self._from_the_start)

    def resume(self) -> BuildRecord:
        """Follow a build a previous server started on CodeBuild, to its end and cleanup."""
        if self.record.codebuild_id is None:
            raise SetupError(f"The build {self.record.id} never reached CodeBuild.")
        self._emit("info", f"Following {self.record.codebuild_id} again after a restart.")
        return self._guarded(self._on_codebuild)

    def abandon(self) -> BuildRecord:
        """A build whose server went away before CodeBuild had it (or before its cleanup):
        say so, and delete what it left."""
        record = self.record
        if not record.final:
            record.reason = "server-gone"
            self._end_step_in_progress("FAILED")
            self._status(
                "FAILED",
                "The server stopped while the build ran on Studio's Docker, which cannot be "
                "followed after a restart. Start the build again."
                if record.engine == "local"
                else "The server stopped before the build reached CodeBuild; what it had made "
                "was deleted. Start the build again.",
            )
        with deferred_interrupts():
            self._cleanup()
        return record

    def _from_the_start(self) -> None:
        params = self._check()
        self._check_stop()
        if self._unchanged(params):
            return
        self._check_stop()
        if self.options.engine == "sm-docker":
            self._smdocker(params)
            return
        if self.record.engine == "local":
            from . import local

            local.run(self, params)
            return
        context = self._package()
        self._check_stop()
        self._upload(params, context)
        self._check_stop()
        self._project(params, context)
        self._check_stop()
        self._start()
        self._on_codebuild()

    @property
    def _outcome(self) -> str:
        return self._ending[0] if self._ending is not None else self.record.status

    def _on_codebuild(self) -> None:
        self._follow()
        if self._codebuild_succeeded:
            self._image()
        if self._outcome == "SUCCEEDED" and self.options.attach and self.attach:
            self._attach()

    def _guarded(self, body: Callable[[], None]) -> BuildRecord:
        """Run ``body``; whatever ends it, say so in the record and clean up (except when the
        server leaves a build running on CodeBuild for its next start to follow)."""
        record = self.record
        detached = False
        self._running = True
        try:
            body()
        except PreflightGaps as gaps:
            self._end_step_in_progress("FAILED")
            record.reason = "preflight"
            self._status("FAILED", gaps.message)
        except _Detached:
            detached = True
            self._save()
        except _Stopped as stopped:
            self._stopped(str(stopped) or "The build was stopped.")
        except KeyboardInterrupt:
            record.reason = "interrupted"
            self._stopped("The build was interrupted and stopped.")
        except SetupError as exc:
            self._end_step_in_progress("FAILED", exc.message)
            record.reason = "error"
            record.error = exc.to_json(self.surface)
            self._status("FAILED", exc.message)
        except Exception as exc:  # a bug of ours: still clean up, and say so in one sentence
            self._end_step_in_progress("FAILED")
            record.reason = "error"
            message = f"The build failed unexpectedly ({type(exc).__name__}: {exc})."
            record.error = {"code": "internal", "message": message, "hint": ""}
            self._status("FAILED", message)
        finally:
            if not detached:
                with deferred_interrupts():
                    self._cleanup()
            self._running = False
            if self._ending is not None:
                status, message = self._ending
                self._ending = None
                self._status(status, message)
        return record

    def _end_step_in_progress(self, state: str, detail: str = "") -> None:
        for step in self.record.steps:
            if step.status == "IN_PROGRESS":
                self._step_end(step.name, state, detail)

    def _stopped(self, message: str) -> None:
        """Stop on CodeBuild too, if it got that far, and wait until it says so."""
        with deferred_interrupts():
            self._end_step_in_progress("STOPPED")
            record = self.record
            if record.codebuild_id and self._outcome not in FINAL:
                record.status = "STOPPING"
                self._save()
                self._emit("status", "Stopping the build on CodeBuild.", status="STOPPING")
                problem = codebuild.stop_build(self.session, record.codebuild_id)
                if problem:
                    self._warn(f"StopBuild failed: {problem}")
                deadline = time.monotonic() + STOP_WAIT_SECONDS
                while time.monotonic() < deadline:
                    build = codebuild.get_build(self.session, record.codebuild_id)
                    if build is not None:
                        self._phases(build)
                        self._tail(build)
                        if build.get("buildComplete"):
                            status = str(build.get("buildStatus") or "STOPPED")
                            self._status(status, message if status == "STOPPED" else "")
                            return
                    time.sleep(min(1.0, self.poll_seconds))
                self._warn("CodeBuild did not say the build stopped in time.")
            self._status("STOPPED", message)

    # --- the steps -----------------------------------------------------------------------

    def _check(self) -> Params:
        """Who, which role, and the check for exactly this build, before the folder is read
        (only its Dockerfile, for the registries the build pulls from)."""
        options = self.options
        self._step_start("CHECK", "checking the role for this build")
        base_images = local_preflight(options)
        for key, _ in options.build_args:
            if looks_secret(key):
                self._warn(
                    f"The build argument {key} reads like a secret: a build argument is plain "
                    "text in CodeBuild's project, the image's history and the record. Pass it "
                    f"as a secret ({_secret_hint(self.surface, key)}) and read it with "
                    f"RUN --mount=type=secret,id={key}."
                )
        check_options = replace(_as_check_options(options), base_images=base_images, refresh=True)
        # What of the build's own options (platform, cache, docker's) only CodeBuild can do.
        root = folder.build_folder(options.context)
        dockerfile = folder.read_dockerfile(root, options.dockerfile, shown_folder=options.context)
        needs = codebuild_needs(options) + dockerfile_needs(dockerfile)
        if options.skip_check:
            found = discover(self.session, role=options.role)
            if found.role_arn is None:
                raise SetupError("No execution role was found.", field="role")
            resolved = choice.resolve(
                check_options, choice.facts_for(self.session, check_options), found.account, needs
            )
            self._engine(resolved.choice.engine, resolved.choice.reason)
            params = params_of(found, check_options)
            self._step_end("CHECK", "SKIPPED", "--skip-check: the role was not checked")
        else:
            assessment = assess(self.session, check_options, codebuild_needs=needs)
            params = params_of(assessment.discovery, check_options)
            report = assessment.report
            self._engine(report.engine or options.engine, report.engine_reason or "")
            if report.verdict == "gaps":
                self.record.preflight = report.to_json()
                gaps = report.gaps()
                listed = "; ".join(f"{g.action} ({g.who})" for g in gaps[:6])
                more = f" and {len(gaps) - 6} more" if len(gaps) > 6 else ""
                raise PreflightGaps(
                    f"The role lacks what this build needs: {listed}{more}. Nothing was uploaded.",
                    "Close the gaps with the fix (with the same options), then build again.",
                    details={"report": report.to_json()},
                )
            if report.verdict == "unknown":
                unknown = [f.action for f in report.findings if f.status == "unknown"]
                self._warn(
                    "The check could not establish "
                    + ", ".join(sorted(set(unknown))[:8])
                    + "; the build goes on and will say if one is missing."
                )
            self._step_end(
                "CHECK", "SUCCEEDED", f"the role has what the build needs ({report.verdict})"
            )
        record = self.record
        record.account, record.region, record.role_arn = (
            params.account,
            params.region,
            params.role_arn,
        )
        # A role this tool changed moments ago may still be judged by its old documents
        # elsewhere: AccessDenied is then waited out (aws/propagation.py).
        self._recent_change = changed_within(params.role_arn, propagation.window_seconds())
        record.image_uri = names.image_uri(params)
        self._save()
        return params

    def _engine(self, engine: str, reason: str) -> None:
        """Where the build runs, and why (images/engine_choice.py), said once it is known."""
        self.record.engine, self.record.engine_reason = engine, reason
        self._save()
        self._emit("info", f"Engine: {engine} — {reason.partition(': ')[2] or reason}")

    def _walk(self) -> BuildContext:
        try:
            return read_context(self.options.context, self.options.dockerfile, stop=self._halt)
        except ContextStopped:
            raise _Stopped() from None

    def _unchanged(self, params: Params) -> bool:
        """INPUTS: the digest of what this build is made of, and its image looked up in ECR
        (service/build/inputs.py). True when it is there: the build ends with it, and nothing
        is uploaded, created or pushed. sm-docker's builds always run and carry no inputs tag."""
        if self.options.engine == "sm-docker":
            return False
        record = self.record
        self._step_start("INPUTS", "looking for an image built from these inputs")
        self._context = self._walk()
        try:
            decision = inputs.decide(
                self.session,
                self.options,
                self._context,
                params.repository_name,
                stop=self._halt,
                surface=self.surface,
                # Studio's Docker runs the classic builder; CodeBuild and sm-docker BuildKit.
                builder="classic" if record.engine == "local" else "buildkit",
            )
        except ContextStopped:
            raise _Stopped() from None
        record.inputs_digest, record.inputs_tag = decision.digest, decision.tag
        for warning in decision.warnings:
            self._warn(warning)
        self._step_end("INPUTS", decision.state, decision.detail)
        if decision.found is None:
            return False
        self._reuse(params, decision.found)
        return True

    def _inputs_uri(self, params: Params) -> str | None:
        tag = self.record.inputs_tag
        if not tag:
            return None
        return f"{names.registry(params.account, params.region)}/{params.repository_name}:{tag}"

    def _reuse(self, params: Params, found: ecr.TaggedImage) -> None:
        """The image of these inputs is in ECR: the requested tag is moved to it when it names
        another (a retag: its manifest put again), then the build ends SUCCEEDED with it."""
        record = self.record
        repository, tag = params.repository_name, params.image_tag
        record.reason = "unchanged"
        assert record.inputs_digest is not None
        earlier = inputs.earlier_build(
            self.records, record.inputs_digest, found.digest, exclude=record.id
        )
        record.unchanged_since = inputs.since(earlier, found)
        self._step_start("IMAGE", f"making {tag} name the unchanged image")
        if tag in found.tags:
            detail = f"{tag} already names {found.digest}"
        else:
            try:
                self._propagating(partial(ecr.retag, self.session, repository, found.digest, tag))
                record.retagged = tag
                detail = f"{tag} moved to {found.digest} (a retag, not a build)"
            except SetupError as exc:
                record.image_uri = self._inputs_uri(params)
                detail = f"{tag} could not be moved"
                self._warn(f"{exc.message} The unchanged image is {record.image_uri}.")
        record.digest = found.digest
        self._step_end("IMAGE", "SUCCEEDED", detail)
        assert record.image_uri is not None and record.unchanged_since is not None
        self._status(
            "SUCCEEDED",
            inputs.unchanged_message(
                record.unchanged_since, record.image_uri, record.retagged, self.surface
            ),
        )
        if self.options.attach and self.attach:
            self._attach()

    def _package(self) -> Any:
        self._step_start("PACKAGE", "reading the build folder with its .dockerignore")
        context = self._context or self._walk()
        record = self.record
        record.files, record.context_bytes, record.ignored = (
            len(context.files),
            context.size,
            context.ignored,
        )
        detail = (
            f"{len(context.files):,} files, {_size(context.size)} to send; "
            f"{context.ignored:,} left out by .dockerignore"
        )
        if context.skipped:
            self._warn(f"Left out (not files): {', '.join(context.skipped[:5])}")
        self._step_end("PACKAGE", "SUCCEEDED", detail)
        self._emit("info", f"Build context: {detail}.")
        return context

    def _upload(self, params: Params, context: Any) -> None:
        record = self.record
        record.bucket = params.bucket_name
        record.key = names.zip_key()
        self._step_start("UPLOAD", f"s3://{record.bucket}/{record.key}")
        bucket = record.bucket
        self._propagating(
            lambda: s3_upload.ensure_bucket(
                self.session,
                bucket,
                account=params.account,
                region=params.region,
                create=self.options.bucket is None,
            )
        )
        record.uploaded = True  # from here on the zip may exist: cleanup deletes it
        self._save()
        sent = [0]

        def progress(size: int) -> None:
            # From the upload's threads: a number and an event, no record write per part.
            sent[0] += size
            record.bytes_uploaded = sent[0]
            self._emit("progress", f"{_size(sent[0])} of the context uploaded", name="UPLOAD")

        try:
            done = s3_upload.upload(
                self.session,
                zip_chunks(context),
                record.bucket,
                record.key,
                on_progress=progress,
                on_started=self._upload_started,
                stop=self._halt,
            )
        except s3_upload.UploadStopped:
            raise _Stopped() from None
        finally:
            record.upload_id = None  # completed or aborted: nothing left to abort
        record.bytes_uploaded = done.size
        self._step_end("UPLOAD", "SUCCEEDED", f"{_size(done.size)} in {done.parts} part(s)")

    def _upload_started(self, upload_id: str) -> None:
        self.record.upload_id = upload_id
        self._save()

    def _project(self, params: Params, context: Any) -> None:
        options, record = self.options, self.record
        self._step_start("PROJECT", "creating the CodeBuild project")
        self._propagating(
            lambda: ecr.ensure_repository(
                self.session, params.repository_name, kms_key_arn=options.kms_key_arn
            )
        )
        project_name = names.project_name(params)
        spec = buildspec(
            BuildSpecInput(
                image_uri=names.image_uri(params),
                inputs_uri=self._inputs_uri(params),
                dockerfile=context.dockerfile,
                platform=options.platform,
                build_args=options.build_args,
                docker_args=options.docker_args,
                registries=_registries(params),
                cache_ref=names.cache_ref(params) if options.cache else None,
                secrets=self._secrets(project_name),
            )
        )
        record.project = project_name
        self._save()
        project: dict[str, Any] = {
            "name": record.project,
            "description": "sm-studio-setup build (deleted when the build ends)",
            "source": {
                "type": "S3",
                "location": f"{record.bucket}/{record.key}",
                "buildspec": spec.text,
            },
            "artifacts": {"type": "NO_ARTIFACTS"},
            "environment": {
                "type": spec.environment_type,
                "image": spec.image,
                "computeType": options.compute_type,
                "privilegedMode": True,
                "environmentVariables": spec.environment_variables(),
            },
            "serviceRole": params.role_arn,
            "timeoutInMinutes": options.timeout_minutes,
            "logsConfig": {"cloudWatchLogs": {"status": "ENABLED"}},
        }
        if options.kms_key_arn:
            project["encryptionKey"] = options.kms_key_arn
        if options.tags:
            project["tags"] = [{"key": k, "value": v} for k, v in options.tags]
        if options.vpc_id:
            project["vpcConfig"] = {
                "vpcId": options.vpc_id,
                "subnets": list(options.subnet_ids),
                "securityGroupIds": list(options.security_group_ids),
            }
        try:
            self._propagating(lambda: codebuild.create_project(self.session, **project))
        except SetupError:
            record.project = None  # nothing was created: nothing to delete
            raise
        self._step_end("PROJECT", "SUCCEEDED", record.project)

    def _secrets(self, project: str) -> tuple[tuple[str, str, str], ...]:
        """Where CodeBuild reads each secret: an ``env=`` one is first put, for this build
        only, in a SecureString parameter (recorded by name before it is made, so every path
        out deletes it)."""
        found = []
        for secret in parse_secrets(self.options.secrets):
            where = secret.source
            if secret.kind == "env":
                value = env_value(secret, dict(os.environ))
                where = names.secret_parameter(project, secret.id)
                self.record.secret_parameters.append(where)
                self._save()
                self._propagating(partial(ssm.put_secret, self.session, where, value))
            found.append((secret.id, secret.codebuild_type, where))
        return tuple(found)

    def _start(self) -> None:
        record = self.record
        assert record.project is not None
        self._step_start("START", "starting the build")
        project = record.project
        build = self._propagating(lambda: codebuild.start_build(self.session, project, record.id))
        record.codebuild_id = str(build["id"])
        self._phases(build)
        self._step_end("START", "SUCCEEDED", record.codebuild_id)

    def _follow(self) -> None:
        """Poll the build and its log until it ends; a stop request stops it."""
        record = self.record
        assert record.codebuild_id is not None
        while True:
            self._check_stop()
            build = codebuild.get_build(self.session, record.codebuild_id)
            if build is None:
                raise SetupError(f"CodeBuild has no build {record.codebuild_id} any more.")
            # The log first, then the phases it led to, so they read in the order they ran.
            self._tail(build)
            self._phases(build)
            if build.get("buildComplete"):
                # Whatever the log still had when the build ended, then the end.
                self._tail(build)
                if not self.options.no_logs and record.log_lines == 0:
                    self._warn(
                        f"CodeBuild wrote no log to {record.log_group or 'CloudWatch Logs'}: "
                        "the role may lack logs:CreateLogGroup, CreateLogStream or PutLogEvents."
                    )
                status = str(build.get("buildStatus") or "FAILED")
                message = _ending(status, build)
                if status == "SUCCEEDED":
                    self._codebuild_succeeded = True  # the image is checked before it is said
                    self._save()
                else:
                    record.image_uri = None
                    self._status(status, message)
                return
            _sleep(self.poll_seconds, self.stop)

    def _phases(self, build: dict[str, Any]) -> None:
        record = self.record
        before = {p.get("phaseType"): p.get("phaseStatus") for p in record.phases}
        record.phases = [
            {k: _plain(p.get(k)) for k in _PHASE_KEYS if p.get(k) is not None}
            | ({"contexts": p["contexts"]} if p.get("contexts") else {})
            for p in build.get("phases") or []
        ]
        record.current_phase = build.get("currentPhase")
        logs = build.get("logs") or {}
        record.log_group = logs.get("groupName") or record.log_group
        record.log_stream = logs.get("streamName") or record.log_stream
        for phase in record.phases:
            name, state = phase.get("phaseType"), phase.get("phaseStatus")
            if name not in before or before.get(name) != state:
                self._emit("phase", name=name, state=state or "IN_PROGRESS")
        self._save()

    def _tail(self, build: dict[str, Any]) -> None:
        record = self.record
        if self.options.no_logs or not record.log_group or not record.log_stream:
            return
        tail = LogTail(record.log_group, record.log_stream, record.log_token)
        lines = list(tail.read(self.session))
        record.log_token = tail.token
        if lines:
            self.records.append_log(record.id, lines)
            record.log_lines += len(lines)
            for line in lines:
                self._emit("log", line)
        self._save()

    def _image(self) -> None:
        """The digest ECR has for the build's tag: the image exists, or the build did not push."""
        record = self.record
        assert record.image_uri is not None
        where = parse_image_uri(record.image_uri)
        repository, tag = where["repository"], where["tag"] or "latest"
        self._step_start("IMAGE", "reading the pushed image from ECR")
        digest = ecr.image_digest(self.session, repository, tag)
        if digest is None:
            record.image_uri = None
            self._step_end("IMAGE", "FAILED", "ECR has no image with this tag")
            self._status(
                "FAILED",
                f"CodeBuild says the build succeeded, but ECR has no image {repository}:{tag}: "
                "the build pushed nothing.",
            )
            return
        record.digest = digest
        self._step_end("IMAGE", "SUCCEEDED", digest)
        self._status("SUCCEEDED", f"Built and pushed {record.image_uri} ({digest}).")

    def _smdocker(self, params: Params) -> None:
        """The original CLI, after the check; its result read back from CodeBuild."""
        import os

        from . import smdocker

        self._step_start("START", "running sm-docker build")
        # sm-docker is given --bucket (so it never imports the SageMaker SDK), and with
        # --bucket it does not create it: the default bucket is made here, as our engine does.
        s3_upload.ensure_bucket(
            self.session,
            params.bucket_name,
            account=params.account,
            region=params.region,
            create=self.options.bucket is None,
        )
        lines: list[str] = []

        def line(text: str) -> None:
            lines.append(text)
            self.records.append_log(self.record.id, [text])
            self.record.log_lines += 1
            self._emit("log", text)

        code, started = smdocker.run(self.options, params, dict(os.environ), line, self.stop)
        if self.stop.is_set():
            raise _Stopped()
        build = smdocker.find_build(self.session, params, started)
        if build is None:
            # sm-docker exits 0 for a failed build too, so its exit says nothing; listing
            # builds needs codebuild:ListBuilds, which a Studio role rarely has. What tells is
            # ECR: an image pushed to the tag since sm-docker started.
            pushed = ecr.image_pushed(self.session, params.repository_name, params.image_tag)
            if pushed is not None and pushed[1] >= started:
                self._step_end("START", "SUCCEEDED", f"sm-docker exited {code}")
                self._image()
                return
            self._step_end("START", "FAILED")
            self._status(
                "FAILED",
                f"sm-docker exited {code} and pushed no image to {params.repository_name}:"
                f"{params.image_tag} (it exits 0 for failed builds too; its log is above).",
            )
            return
        self.record.codebuild_id = str(build["id"])
        self._phases(build)
        status = str(build.get("buildStatus") or "FAILED")
        self._step_end("START", "SUCCEEDED" if status == "SUCCEEDED" else "FAILED")
        if status == "SUCCEEDED":
            self._image()
        else:
            self.record.image_uri = None
            self._status(status, _ending(status, build) + f" (sm-docker exited {code}.)")

    def _attach(self) -> None:
        assert self.attach is not None
        self._step_start("ATTACH", f"attaching the image to Studio as {self.options.attach}")
        try:
            self.record.attach = self.attach(self.record, lambda text: self._emit("info", text))
        except SetupError as exc:
            self._step_end("ATTACH", "FAILED", exc.message)
            self._warn(f"The image was built, but attaching it failed: {exc.message}")
            return
        self._step_end("ATTACH", "SUCCEEDED", str(self.record.attach.get("message", "")))

    def _cleanup(self) -> None:
        """Delete what the build made, whatever ended it; say what could not be deleted."""
        record = self.record
        if record.cleaned:
            return
        if not record.made_something:
            record.cleaned = True  # nothing was made: nothing to delete, no step to show
            self._save()
            return
        self._step_start("CLEANUP", "deleting the project and the uploaded context")
        problems = []
        if record.project:
            problem = codebuild.delete_project(self.session, record.project)
            if problem:
                problems.append(problem)
        if record.uploaded and record.bucket and record.key:
            if record.upload_id:
                s3_upload.abort(self.session, record.bucket, record.key, record.upload_id)
                record.upload_id = None
            # An upload begun just before a stop, whose id was never recorded.
            s3_upload.abort_all(self.session, record.bucket, record.key)
            problem = s3_upload.delete(self.session, record.bucket, record.key)
            if problem:
                problems.append(problem)
        kept = []
        for name in record.secret_parameters:
            problem = ssm.delete(self.session, name)
            if problem:
                problems.append(problem)
                kept.append(name)
        record.secret_parameters = kept
        record.cleaned = not problems
        for problem in problems:
            self._warn(problem)
        self._step_end("CLEANUP", "FAILED" if problems else "SUCCEEDED")


# --- helpers ----------------------------------------------------------------------------


def local_preflight(options: BuildOptions) -> tuple[str, ...]:
    """Everything a build can know is wrong before anything leaves this machine, checked
    without AWS: the folder, its Dockerfile (a regular file inside it, read with a cap), the
    engine's limits, the secrets' sources; returns the images the FROM lines pull."""
    root = folder.build_folder(options.context)
    text = folder.read_dockerfile(root, options.dockerfile, shown_folder=options.context)
    try:
        images = parse_dockerfile_from(text, dict(options.build_args))
    except ValueError as exc:
        raise BadInput(f"The Dockerfile cannot be read: {exc}.", field="dockerfile") from exc
    for secret in parse_secrets(options.secrets):
        if secret.kind == "env":
            env_value(secret, dict(os.environ))
    # .dockerignore is read (a regular file, a cap) and every pattern compiled now: a line
    # Docker refuses is a sentence before anything is made, not a failure halfway through.
    relative = folder.dockerfile_path(root, options.dockerfile).relative_to(root).as_posix()
    matcher_for(root, relative)
    if options.engine == "sm-docker":
        from . import smdocker

        smdocker.preflight(options, root, relative)
    return images


def _secret_hint(surface: Surface, name: str) -> str:
    if surface == "rest":
        return f'"secrets": ["id={name},env={name}"] in the request'
    return f"--secret id={name},env={name}"


def _as_check_options(options: BuildOptions) -> CheckOptions:
    names_ = {f for f in CheckOptions.__dataclass_fields__}
    return CheckOptions(**{name: getattr(options, name) for name in names_})


def _registries(params: Params) -> tuple[tuple[str, str], ...]:
    """(region, host) of the build's own registry and of every ECR registry its base images
    come from: exactly the logins the build needs (sm-docker logged in to seven fixed ones)."""
    found = [(params.region, names.registry(params.account, params.region))]
    for image in params.base_images:
        arn = ecr_repository_arn(image)
        if arn is None:
            continue
        region, account = arn.split(":")[3], arn.split(":")[4]
        pair = (region, names.registry(account, region))
        if pair not in found:
            found.append(pair)
    return tuple(found)


def options_json(options: BuildOptions) -> dict[str, Any]:
    """The options as the record keeps them: JSON's own types, so a record read back compares
    equal to the options it was started with. A build argument whose name says it is a secret
    is kept as "<redacted>", not its value (the record is a file on disk; the build warned)."""
    body: dict[str, Any] = json.loads(json.dumps(asdict(options)))
    body["build_args"] = [
        [key, REDACTED if looks_secret(key) else value] for key, value in body.get("build_args", [])
    ]
    return body


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size}"


def _ending(status: str, build: dict[str, Any]) -> str:
    failed = [
        p for p in build.get("phases") or [] if p.get("phaseStatus") not in (None, "SUCCEEDED")
    ]
    where = ""
    if failed:
        phase = failed[0]
        context: dict[str, Any] = next(iter(phase.get("contexts") or []), {})
        reason = str(context.get("message") or "").strip()
        where = f" in {phase.get('phaseType')}" + (f": {reason}" if reason else "")
    words = {
        "FAILED": "The build failed",
        "FAULT": "CodeBuild failed (a fault of its own)",
        "TIMED_OUT": "The build timed out",
        "STOPPED": "The build was stopped",
    }
    return f"{words.get(status, f'The build ended {status}')}{where}."


def _sleep(seconds: float, stop: threading.Event) -> None:
    stop.wait(seconds)
