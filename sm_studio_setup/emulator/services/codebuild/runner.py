"""Runs the emulator's CodeBuild builds for real: one daemon thread per build.

StartBuild (``responses.py``) records the build and hands it here. The thread walks AWS's phase
sequence (AWS CodeBuild User Guide, "Build phase transitions"), recording each phase when it
begins and ends, and does in each what CodeBuild does:

- PROVISIONING: the build runs as the project's service role, whose session StartBuild took
  with moto's STS AssumeRole (session ``AWSCodeBuild-<build uuid>``). With enforcement on and
  CloudWatch Logs enabled, the session must be allowed ``logs:CreateLogStream`` on the build's
  stream, else the phase fails ``ACCESS_DENIED`` with AWS's message and nothing runs.
- DOWNLOAD_SOURCE: an S3 zip (``s3:GetObject`` judged for the session) unpacked safely
  (``sources.py``) into a fresh folder, or an empty one for NO_SOURCE; then the buildspec
  (``buildspec.py``). Errors carry CodeBuild's ``CLIENT_ERROR`` / ``YAML_FILE_ERROR``. Then
  PARAMETER_STORE and SECRETS_MANAGER variables are resolved from the emulator's SSM and
  Secrets Manager as the session (``ssm:GetParameters`` / ``secretsmanager:GetSecretValue``
  judged), failing the phase with ``Decrypted Variables Error`` as CodeBuild does.
- INSTALL, PRE_BUILD, BUILD, POST_BUILD: each command is logged ``Running command ...`` and run
  with ``bash -c`` in its own process group, stdout and stderr merged and streamed into the log
  one event per line as it is produced. A non-zero exit fails the phase with
  ``COMMAND_EXECUTION_ERROR``, skips the phase's remaining commands, and the build goes on as
  ``phases.AFTER_FAILURE`` says (POST_BUILD still runs after BUILD, with
  ``CODEBUILD_BUILD_SUCCEEDING=0``).

The environment is built from scratch (AWS CodeBuild User Guide, "Environment variables in
build environments"), never inherited from the emulator's process: PATH with the stand-ins
first (``standins/``: the real ``docker`` and ``aws`` never run), HOME and TMPDIR in the build's
folder, the session's keys, ``AWS_ENDPOINT_URL`` pointing at this emulator, ``CODEBUILD_*``, then
the project's variables and StartBuild's overrides, then the buildspec's ``env.variables``.
Buildspec version 0.2 runs every command in the same shell state ("Shells and commands in
build environments"): after each command its shell writes its exported variables (NUL
separated, so any value survives) and its working directory from an EXIT trap, which keeps the
command's exit status; the next command starts with exactly that environment and directory.

Timing: ``phases.settings.duration_seconds`` is the least the whole build takes, spread over the
phases by ``phases.WEIGHTS``; a phase whose commands take longer lasts as long as they do.
PROVISIONING lasts at least ``phases.settings.provisioning_seconds`` (on AWS 90 s to 5 minutes;
0 by default, so tests stay fast).
``timeoutInMinutes`` is enforced from PROVISIONING on (``SECONDS_PER_MINUTE`` lets tests
shrink a minute): the running command's process group is killed and the phase and build end
TIMED_OUT. StopBuild closes the record at once (``responses.py``) and the thread then sends the
command's group SIGTERM and, two seconds later, SIGKILL. moto's reset and ``Emulator.stop()``
kill every build's processes, end its thread and remove its folder.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from ...core import access
from ...standins.state import STATE_ENV, read_state, write_known_cache_refs
from . import buildspec, models, phases, secret_values, sources
from .models import BuildPlan

# Tests shrink a minute so that timeoutInMinutes (at least 5 on AWS) can be tested quickly.
SECONDS_PER_MINUTE = 60.0
KILL_GRACE_SECONDS = 2.0
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"
INLINE_BUILDSPEC_LOCATION = "/codebuild/readonly/buildspec.yml"
TIMED_OUT_CONTEXT = {"statusCode": "BUILD_TIMED_OUT", "message": "Build has timed out. "}
_POLL_SECONDS = 0.02
_BASH = shutil.which("bash", path=BASE_PATH) or "/bin/bash"
# Variables the shell itself maintains; carrying them over would only confuse the next one.
_SHELL_OWN = frozenset({"PWD", "OLDPWD", "SHLVL", "_"})
_log = logging.getLogger(__name__)

# What each command runs in: the command itself, in the current shell so that `export` and
# `cd` count, then (from the EXIT trap, which also runs on `exit N`) its exported variables and
# working directory for the next command. Builtins only: the command may have broken PATH;
# and the options and IFS it may have changed are reset first, since the trap runs in its shell.
_COMMAND_SHELL = r"""__sm_state=$1
__sm_command=$2
shift 2
__sm_save() {
  __sm_status=$?
  trap - EXIT
  builtin set +eu -f
  IFS=$' \t\n'
  if builtin compgen -e >/dev/null 2>&1; then
    for __sm_name in $(builtin compgen -e); do
      builtin printf '%s=%s\0' "$__sm_name" "${!__sm_name-}"
    done >"$__sm_state/env"
  else  # a bash built without programmable completion
    /usr/bin/env -0 >"$__sm_state/env"
  fi
  builtin printf '%s' "$PWD" >"$__sm_state/cwd"
  builtin exit "$__sm_status"
}
trap __sm_save EXIT
eval "$__sm_command"
"""

_endpoint_url: str | None = None
_active: set[BuildRunner] = set()
_active_lock = threading.Lock()
# Registry cache refs that any build of this emulator exported (docker --cache-to).
_exported_cache_refs: set[str] = set()
_cache_lock = threading.Lock()


def set_endpoint(url: str | None) -> None:
    """The emulator's own URL, which builds get as AWS_ENDPOINT_URL (None: no server, as
    under mock_aws, and the stand-ins then refuse every AWS call)."""
    global _endpoint_url
    _endpoint_url = url


def endpoint_url() -> str | None:
    return _endpoint_url


@dataclass
class _Ending:
    status: str
    context: dict[str, str] | None = None  # None: the empty context AWS reports on success


def _share(kind: str, duration: float) -> float:
    return phases.WEIGHTS[kind] * duration / sum(phases.WEIGHTS.values())


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@functools.cache
def _standin_launcher() -> tuple[str, ...]:
    """How the wrappers start a stand-in: ``python -I -m ...``, so that the build's working
    directory (its untrusted source) can never shadow a module; if the package is importable
    only through this process's sys.path (not installed), it is put on the path explicitly."""
    module = (sys.executable, "-I", "-m", "sm_studio_setup.emulator.standins")
    probe = subprocess.run(
        [sys.executable, "-I", "-c", "import sm_studio_setup.emulator.standins"],
        cwd="/",
        env={"PATH": BASE_PATH, "LANG": "C.UTF-8"},
        capture_output=True,
        timeout=60,
        check=False,
    )
    if probe.returncode == 0:
        return module
    root = str(Path(__file__).resolve().parents[4])
    code = (
        f"import runpy, sys; sys.path.insert(0, {root!r}); "
        "runpy.run_module('sm_studio_setup.emulator.standins', run_name='__main__', "
        "alter_sys=True)"
    )
    return (sys.executable, "-I", "-c", code)


class BuildRunner:
    def __init__(self, record: models.BuildRun, plan: BuildPlan) -> None:
        self.record = record
        self.plan = plan
        self.folder = Path(tempfile.mkdtemp(prefix="sm-emulator-build-"))
        self.src_dir = self.folder / "src"
        self._bin = self.folder / "bin"
        self._home = self.folder / "home"
        self._tmp = self.folder / "tmp"
        self._standin_state = self.folder / "standins"
        self._shell_state = self.folder / "shell"
        for folder in (
            self.src_dir,
            self._bin,
            self._home,
            self._tmp,
            self._standin_state,
            self._shell_state,
        ):
            folder.mkdir()
        self.cwd = self.src_dir
        self.env: dict[str, str] = {}
        self.buildspec: buildspec.Buildspec | None = None
        self.failed = False
        self.deadline = float("inf")
        self._stop = threading.Event()
        self._hard = False  # shutting down: SIGKILL at once, no grace
        self._proc_lock = threading.Lock()  # no command starts once a stop was asked for
        self._groups: list[int] = []  # every command's process group, for the final kill
        self._thread = threading.Thread(
            target=self._main, name=f"codebuild-{plan.build_id}", daemon=True
        )

    # -- lifecycle (called from other threads) -----------------------------------------------

    def start(self) -> None:
        with _active_lock:
            _active.add(self)
        self._thread.start()

    def request_stop(self) -> None:
        """StopBuild: the record is already closed; the thread ends the command's group."""
        self._stop.set()

    def shutdown(self, join_timeout: float) -> None:
        """moto's reset or the emulator's stop: end everything now and remove the folder."""
        self._hard = True
        self._stop.set()
        with self._proc_lock:
            groups = list(self._groups)
        for pgid in groups:
            _signal_group(pgid, signal.SIGKILL)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(join_timeout)
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- the build ---------------------------------------------------------------------------

    def _main(self) -> None:
        try:
            self._run_phases()
        except Exception as exc:  # a defect of the emulator: the build faults, never hangs
            _log.exception("build %s failed inside the emulator", self.plan.build_id)
            self.record.interrupt(
                "FAULT",
                {"statusCode": "EMULATOR_ERROR", "message": f"the emulator failed: {exc!r}"},
            )
        finally:
            self._kill_leftovers()
            shutil.rmtree(self.folder, ignore_errors=True)
            with _active_lock:
                _active.discard(self)

    def _run_phases(self) -> None:
        plan, record = self.plan, self.record
        if not self._wait_until(record.current_start() + _share("QUEUED", plan.duration_seconds)):
            return
        if not record.transition("SUCCEEDED", None, "PROVISIONING"):
            return
        self.deadline = record.current_start() + plan.timeout_minutes * SECONDS_PER_MINUTE
        kind = "PROVISIONING"
        queue = list(phases.PHASES[phases.PHASES.index(kind) + 1 : -1])
        while True:
            ending = self._phase(kind)
            if ending is None:
                return
            if ending.status == "FAILED":
                self.failed = True
                queue = list(phases.AFTER_FAILURE.get(kind, ("FINALIZING",)))
            following = queue.pop(0) if queue else None
            if not record.transition(
                ending.status,
                ending.context,
                following,
                lines=self._end_lines(kind, ending),
                final="FAILED" if self.failed else "SUCCEEDED",
            ):
                return
            if following is None:
                return
            kind = following

    def _phase(self, kind: str) -> _Ending | None:
        started = self.record.current_start()
        work = {
            "PROVISIONING": self._provision,
            "DOWNLOAD_SOURCE": self._download_source,
            "UPLOAD_ARTIFACTS": self._upload_artifacts,
            "FINALIZING": self._finalize,
        }.get(kind, self._commands)
        ending = work(kind)
        if ending is None:
            return None
        if (
            ending.status == "SUCCEEDED"
            and kind == self.plan.fail_phase
            and kind not in phases.COMMAND_PHASES
        ):
            ending = _Ending("FAILED", phases.failure_context(kind))
        least = _share(kind, self.plan.duration_seconds)
        if kind == "PROVISIONING":
            least = max(least, self.plan.provisioning_seconds)
        if not self._wait_until(started + least):
            return None
        return ending

    @staticmethod
    def _end_lines(kind: str, ending: _Ending) -> list[str]:
        if kind == "PROVISIONING":
            return ["Waiting for DOWNLOAD_SOURCE"] if ending.status == "SUCCEEDED" else []
        if kind == "FINALIZING":
            return []
        context = ending.context or phases.EMPTY_CONTEXT
        return [
            f"Phase complete: {kind} State: {ending.status}",
            f"Phase context status code: {context['statusCode']} Message: {context['message']}",
        ]

    def _wait_until(self, moment: float) -> bool:
        """Sleeps until ``moment``; False when the build was stopped or timed out meanwhile."""
        while True:
            if self._stop.is_set() or self.record.closed:
                return False
            now = models.clock()
            if now >= self.deadline:
                self._time_out()
                return False
            if now >= moment:
                return True
            self._stop.wait(min(moment, self.deadline) - now)

    def _time_out(self) -> None:
        context = dict(TIMED_OUT_CONTEXT)
        self.record.interrupt(
            "TIMED_OUT",
            context,
            lines=[
                f"Phase complete: {self.record.current_kind()} State: TIMED_OUT",
                f"Phase context status code: {context['statusCode']} Message: {context['message']}",
            ],
        )

    # -- PROVISIONING ------------------------------------------------------------------------

    def _access_context(self) -> dict[str, access.ContextValue]:
        now = datetime.now(timezone.utc)
        return {
            "aws:PrincipalArn": self.plan.role_arn,
            "aws:PrincipalAccount": self.plan.account,
            "aws:PrincipalType": "AssumedRole",
            "aws:RequestedRegion": self.plan.region,
            "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(now.timestamp())),
        }

    def _denied(
        self, action: str, resource: str
    ) -> tuple[access.AccessRequest, access.Judged] | None:
        """(request, decision) when enforcement is on and refuses the service role session."""
        credentials = self.plan.credentials
        if credentials is None or not access.enforcement_enabled():
            return None
        request = access.AccessRequest(
            principal_arn=credentials.session_arn,
            action=action,
            resource=resource,
            context=self._access_context(),
        )
        judged = access.judge(request)
        return None if judged.decision == "allowed" else (request, judged)

    def _provision(self, kind: str) -> _Ending:
        plan = self.plan
        if plan.credentials is None:
            return _Ending(
                "FAILED", {"statusCode": "CLIENT_ERROR", "message": plan.credentials_error}
            )
        if plan.log_group is not None:
            stream_arn = (
                f"arn:{plan.partition}:logs:{plan.region}:{plan.account}:log-group:"
                f"{plan.log_group}:log-stream:{plan.log_stream}"
            )
            denied = self._denied("logs:CreateLogStream", stream_arn)
            if denied is not None:
                request, decision = denied
                detail = access.access_denied_message(request, decision)
                return _Ending(
                    "FAILED",
                    {
                        "statusCode": "ACCESS_DENIED",
                        "message": f"Service role {plan.role_arn} does not allow AWS CodeBuild "
                        "to create Amazon CloudWatch Logs log streams for build "
                        f"{plan.build_arn}. Error message: {detail}",
                    },
                )
            self.record.start_logs()
        self.record.say("Waiting for agent ping")
        self.env = self._base_environment()
        for variable in plan.variables:
            # PARAMETER_STORE and SECRETS_MANAGER variables are resolved in DOWNLOAD_SOURCE.
            if "name" in variable and str(variable.get("type") or "PLAINTEXT") == "PLAINTEXT":
                self.env[str(variable["name"])] = str(variable.get("value", ""))
        self._write_standins()
        return _Ending("SUCCEEDED")

    def _decrypted_variables(self) -> _Ending | None:
        """CodeBuild resolves PARAMETER_STORE and SECRETS_MANAGER variables as the service role
        after "Processing environment variables"; a denial or a missing one fails
        DOWNLOAD_SOURCE with "Decrypted Variables Error" (docs/aws-behaviours.md)."""
        typed = [
            v
            for v in self.plan.variables
            if str(v.get("type") or "PLAINTEXT") in ("PARAMETER_STORE", "SECRETS_MANAGER")
        ]
        if not typed:
            return None
        self.record.say("Decrypting parameter store environment variables")
        for variable in typed:
            try:
                value = secret_values.resolve(
                    self.plan, str(variable.get("type")), str(variable.get("value", "")), self
                )
            except secret_values.Unresolved as exc:
                return _Ending(
                    "FAILED", {"statusCode": "Decrypted Variables Error", "message": str(exc)}
                )
            self.env[str(variable["name"])] = value
        return None

    def _base_environment(self) -> dict[str, str]:
        plan = self.plan
        credentials = plan.credentials
        assert credentials is not None
        env = {
            "PATH": f"{self._bin}:{BASE_PATH}",
            "HOME": str(self._home),
            "TMPDIR": str(self._tmp),
            "LANG": "C.UTF-8",
            "AWS_ACCESS_KEY_ID": credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "AWS_SESSION_TOKEN": credentials.session_token,
            "AWS_REGION": plan.region,
            "AWS_DEFAULT_REGION": plan.region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "CODEBUILD_BUILD_ARN": plan.build_arn,
            "CODEBUILD_BUILD_ID": plan.build_id,
            "CODEBUILD_BUILD_IMAGE": plan.image,
            "CODEBUILD_BUILD_NUMBER": str(plan.build_number),
            "CODEBUILD_BUILD_SUCCEEDING": "1",
            "CODEBUILD_INITIATOR": plan.initiator,
            "CODEBUILD_LOG_PATH": plan.log_stream,
            "CODEBUILD_SRC_DIR": str(self.src_dir),
            "CODEBUILD_START_TIME": str(int(plan.start_time * 1000)),
            STATE_ENV: str(self._standin_state),
        }
        endpoint = endpoint_url()
        if endpoint is not None:
            env["AWS_ENDPOINT_URL"] = endpoint
        return env

    def _write_standins(self) -> None:
        launcher = " ".join(shlex.quote(part) for part in _standin_launcher())
        for name in ("docker", "aws"):
            wrapper = self._bin / name
            wrapper.write_text(
                "#!/bin/sh\n"
                f"# The emulator's {name} stand-in: a build never runs the real {name}.\n"
                f'exec {launcher} {name} "$@"\n',
                encoding="utf-8",
            )
            wrapper.chmod(0o755)

    # -- DOWNLOAD_SOURCE ---------------------------------------------------------------------

    def _download_source(self, kind: str) -> _Ending:
        record, source = self.record, self.plan.source
        spec = str(source.get("buildspec") or "")
        inline = "\n" in spec or spec.lstrip().startswith("version")
        name = "buildspec.yml" if inline or not spec else spec
        record.say("Phase is DOWNLOAD_SOURCE")
        record.say(f"CODEBUILD_SRC_DIR={self.src_dir}")
        record.say(
            f"YAML location is {INLINE_BUILDSPEC_LOCATION if inline else self.src_dir / name}"
        )
        source_type = str(source.get("type") or "")
        try:
            if source_type == "S3":
                record.say("Setting HTTP client timeout to higher timeout for S3 source")
                sources.unpack_zip(self._s3_source(), self.src_dir)
            elif source_type != "NO_SOURCE":
                raise sources.SourceError(
                    sources.CLIENT_ERROR,
                    f"source type {source_type} is not supported by the emulator's CodeBuild "
                    "(S3 and NO_SOURCE are)",
                )
            text = spec if inline else sources.read_buildspec_file(self.src_dir, name)
            self.buildspec = buildspec.parse(text)
        except sources.SourceError as exc:
            return _Ending("FAILED", {"statusCode": exc.status_code, "message": exc.message})
        except buildspec.BuildspecError as exc:
            return _Ending("FAILED", {"statusCode": exc.status_code, "message": str(exc)})
        record.say("Processing environment variables")
        failed = self._decrypted_variables()
        if failed is not None:
            return failed
        self.env.update(self.buildspec.variables)
        record.say("No runtime version selected in buildspec.")
        record.say(f"Moving to directory {self.src_dir}")
        found = [k for k in phases.COMMAND_PHASES if k in self.buildspec.phases]
        record.say(f"Phases found in YAML: {len(found)}")
        for phase in found:
            record.say(f" {phase}: {len(self.buildspec.phases[phase].commands)} commands")
        return _Ending("SUCCEEDED")

    def _s3_source(self) -> bytes:
        from moto.s3.exceptions import MissingBucket
        from moto.s3.models import s3_backends

        plan = self.plan
        bucket, key = sources.s3_bucket_and_key(str(plan.source.get("location") or ""))
        object_arn = f"arn:{plan.partition}:s3:::{bucket}/{key}"
        where = f"for primary source and source version {object_arn}"
        action = "s3:GetObjectVersion" if plan.source_version else "s3:GetObject"
        denied = self._denied(action, object_arn)
        if denied is not None:
            request, decision = denied
            detail = access.access_denied_message(
                request, decision, resource_text=f'"{object_arn}"'
            )
            raise sources.SourceError(
                sources.CLIENT_ERROR, f"AccessDenied: {detail} status code: 403, {where}"
            )
        try:
            found = s3_backends[plan.account][plan.partition].get_object(
                bucket, key, version_id=plan.source_version
            )
        except MissingBucket:
            raise sources.SourceError(
                sources.CLIENT_ERROR,
                f"NoSuchBucket: The specified bucket does not exist status code: 404, {where}",
            ) from None
        if found is None or not key:
            raise sources.SourceError(
                sources.CLIENT_ERROR,
                f"NoSuchKey: The specified key does not exist. status code: 404, {where}",
            )
        return bytes(found.value)

    # -- the command phases ------------------------------------------------------------------

    def _commands(self, kind: str) -> _Ending | None:
        self.record.say(f"Entering phase {kind}")
        spec = self.buildspec.phases.get(kind) if self.buildspec else None
        commands = list(spec.commands) if spec else []
        finally_commands = list(spec.finally_commands) if spec else []
        injected = self.plan.fail_phase == kind
        if injected and not commands:
            commands = ["exit 1"]  # how the injected failure of a phase without commands reads
        failure: tuple[str, int] | None = None
        for command in commands:
            status = self._run(command)
            if status is None:
                return None
            if status != 0:
                failure = (command, status)
                break
        for command in finally_commands:
            status = self._run(command)
            if status is None:
                return None
            if status != 0:
                failure = failure or (command, status)
                break
        if failure is None and injected:
            failure = (commands[-1], 1)
            self.record.say(f"Command did not exit successfully {commands[-1]} exit status 1")
        if failure is None:
            return _Ending("SUCCEEDED")
        command, status = failure
        return _Ending(
            "FAILED",
            {
                "statusCode": "COMMAND_EXECUTION_ERROR",
                "message": f"Error while executing command: {command}. Reason: exit status "
                f"{status}",
            },
        )

    def _run(self, command: str) -> int | None:
        """Runs one command; its exit status, or None when the build was stopped or timed out."""
        self.record.say(f"Running command {command}")
        for name in ("env", "cwd"):
            with contextlib.suppress(FileNotFoundError):
                (self._shell_state / name).unlink()
        env = dict(self.env)
        env["CODEBUILD_BUILD_SUCCEEDING"] = "0" if self.failed else "1"
        with _cache_lock:
            known = set(_exported_cache_refs)
        write_known_cache_refs(self._standin_state, known)
        cwd = self.cwd if self.cwd.is_dir() else self.src_dir
        with self._proc_lock:
            if self._stop.is_set():
                return None
            proc = subprocess.Popen(
                [_BASH, "-c", _COMMAND_SHELL, "bash", str(self._shell_state), command],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self._groups.append(proc.pid)
        assert proc.stdout is not None
        reader = threading.Thread(
            target=self._pump, args=(proc.stdout,), name=f"{self._thread.name}-output", daemon=True
        )
        reader.start()
        status = self._await(proc)
        # Output of a background process that keeps the pipe open arrives later, as on AWS.
        reader.join(timeout=None if status is None else 1.0)
        if status is None:
            return None
        self._load_shell_state()
        self._collect_cache_exports()
        if status != 0:
            self.record.say(f"Command did not exit successfully {command} exit status {status}")
        return status

    def _pump(self, stream: IO[bytes]) -> None:
        with stream:
            for raw in iter(stream.readline, b""):
                self.record.output(raw.decode("utf-8", "replace").rstrip("\r\n"))

    def _await(self, proc: subprocess.Popen[bytes]) -> int | None:
        while True:
            code = proc.poll()
            if code is not None:
                return code if code >= 0 else 128 - code
            if self._stop.is_set() or self.record.closed:
                self._terminate(proc)
                return None
            if models.clock() >= self.deadline:
                self._time_out()
                self._terminate(proc)
                return None
            self._stop.wait(_POLL_SECONDS)

    def _terminate(self, proc: subprocess.Popen[bytes]) -> None:
        """The command's whole process group: SIGTERM, then SIGKILL after the grace period."""
        pgid = proc.pid
        if not self._hard:
            _signal_group(pgid, signal.SIGTERM)
            give_up = time.monotonic() + KILL_GRACE_SECONDS
            while time.monotonic() < give_up and not self._hard:
                if proc.poll() is not None and not _group_alive(pgid):
                    return
                time.sleep(_POLL_SECONDS)
        _signal_group(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def _kill_leftovers(self) -> None:
        """What commands left running in the background: the container would be gone."""
        with self._proc_lock:
            groups, self._groups = self._groups, []
        for pgid in groups:
            _signal_group(pgid, signal.SIGKILL)

    def _load_shell_state(self) -> None:
        try:
            data = (self._shell_state / "env").read_bytes()
        except FileNotFoundError:
            return  # the command exec'd or was killed: the shell state stays as it was
        env: dict[str, str] = {}
        for item in data.split(b"\0"):
            name, eq, value = item.partition(b"=")
            key = os.fsdecode(name)
            if eq and key and key not in _SHELL_OWN:
                env[key] = os.fsdecode(value)
        self.env = env
        with contextlib.suppress(FileNotFoundError):
            directory = Path(os.fsdecode((self._shell_state / "cwd").read_bytes()))
            if directory.is_dir():
                self.cwd = directory

    def _collect_cache_exports(self) -> None:
        exported = read_state(self._standin_state).get("cache_exports") or []
        with _cache_lock:
            _exported_cache_refs.update(str(ref) for ref in exported)

    # -- UPLOAD_ARTIFACTS, FINALIZING --------------------------------------------------------

    def _upload_artifacts(self, kind: str) -> _Ending:
        self.record.say("Entering phase UPLOAD_ARTIFACTS")
        return _Ending("SUCCEEDED")

    def _finalize(self, kind: str) -> _Ending:
        # The container goes away: leftover processes and the build's files with it.
        self._kill_leftovers()
        shutil.rmtree(self.src_dir, ignore_errors=True)
        return _Ending("SUCCEEDED")


def stop_runners(runners: Iterable[models.Runner], *, join_timeout: float = 1.0) -> None:
    for runner in runners:
        runner.shutdown(join_timeout)


def stop_all(join_timeout: float = 10.0) -> None:
    """Emulator.stop(): every running build ends STOPPED, its processes and folder gone."""
    with _active_lock:
        runners = list(_active)
    for runner in runners:
        runner.record.interrupt("STOPPED", dict(phases.EMPTY_CONTEXT))
    stop_runners(runners, join_timeout=join_timeout)
    with _cache_lock:
        _exported_cache_refs.clear()


@atexit.register
def _kill_at_exit() -> None:
    # Commands run in sessions of their own, so an interpreter that exits without stopping
    # the emulator (or mock_aws) would leave them running: no build outlives this process.
    with _active_lock:
        runners = list(_active)
    for runner in runners:
        runner._hard = True
        runner._stop.set()
        runner._kill_leftovers()
        shutil.rmtree(runner.folder, ignore_errors=True)


def running() -> list[BuildRunner]:
    with _active_lock:
        return list(_active)
