"""The loopback emulator server: moto's server app with the project's additions.

Interface others code against (keep it):

    class Emulator:
        def __init__(self, *, host="127.0.0.1", port=0, latency=None, seed="demo",
                     scenario="self-service", workdir=None): ...
        def start(self) -> "Emulator"; def stop(self) -> None   # also a context manager
        endpoint_url: str                  # http://127.0.0.1:PORT
        seed_info: SeedInfo | None         # account, region, role_arn, domain_id, ...
        def client_env(self) -> dict[str, str]
            # AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
            # AWS_DEFAULT_REGION, AWS_REGION, SM_STUDIO_SETUP_METADATA (when seeded),
            # SM_STUDIO_SETUP_CONFIG_DIR (fix backups, in the emulator's folder),
            # DOCKER_HOST=unix://<workdir>/docker/proxy.sock (while Studio's Docker is enabled)
        def admin_session(self) -> boto3.Session  # unrestricted credentials for tests/seeding
        def studio_session(self) -> boto3.Session # the seeded Studio role's session

Requests pass, outermost first: the control API (``/_sm_emulator/...``), injected latency and
the request counter, injected faults, IAM enforcement, stale IAM reads, moto.

    Emulator.faults: FaultPlan   # in-process handle: faults.throttle("iam:GetRole", 2),
                                 # faults.stale_reads(2) (IAM's eventual consistency)

Control API (JSON in and out) under ``/_sm_emulator``: GET /health, GET /stats,
POST /stats/reset, GET /seed, POST /latency {"latency": "50-150"|null},
POST /codebuild {"duration_seconds", "fail_phase", "provisioning_seconds"},
POST /faults {"throttle": "iam:GetRole", "count": N, "code"?, "after"?} or {"stale_reads": N},
GET /faults; both /faults answer {"pending": {...}, "stale_reads": N}.
POST /shutdown: stop serving, as if the emulator had gone away (the UI tests' outage).
POST /propagation {"seconds": S}: IAM writes reach other services S seconds late.
POST /scps {"policies": [...]}: the account's SCPs. POST /sagemaker {"state_seconds", "fail"}:
SageMaker's asynchronous states. POST /studio/restart: SageMaker assumes the Studio role again.
GET /docker, POST /docker {"enabled", "vpc_only", "trusted_accounts", "build_seconds", "fail"}:
Studio's Docker (``standins/docker_engine``), also written to the seeded domain's settings.

moto keeps its state in process-wide backends, so one process runs at most one emulator at a
time, and starting one resets moto's state.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import boto3
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from sm_studio_setup.aws.metadata import METADATA_ENV

from ..seed import (
    ACCOUNT_ID,
    METADATA_FILE_NAME,
    REGION,
    SCENARIOS,
    Scenario,
    SeedInfo,
    install_aws_managed_policies,
    seed_demo,
)
from .faults import FaultMiddleware, FaultPlan, StaleReadMiddleware
from .guard import GuardMiddleware, disable_moto_cors
from .latency import LatencyMiddleware, LatencySpec, RequestCounter, WSGIApp, parse_latency

# Where fix backups go (sm_studio_setup.service.backups.CONFIG_ENV); spelled here so the
# emulator does not import the service layer.
CONFIG_DIR_ENV = "SM_STUDIO_SETUP_CONFIG_DIR"

SeedMode = Literal["demo", "none"]
SEED_MODES: tuple[SeedMode, ...] = ("demo", "none")

# Keys unknown to moto act as the account root, which enforcement never restricts.
ADMIN_ACCESS_KEY_ID = "AKIAEMULATORADMIN000"
ADMIN_SECRET_ACCESS_KEY = "sm-studio-setup-emulator-admin-secret"

CONTROL_PREFIX = "/_sm_emulator"

# stop() runs one at a time in the process (one emulator runs per process anyway).
_stop_lock = threading.RLock()

_running_lock = threading.Lock()
_running: Emulator | None = None


def check_loopback(host: str) -> None:
    """Refuse any address that is not loopback: the emulator must never be reachable from,
    nor be mistaken for, anything outside this machine."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"refusing host {host!r}: the emulator serves on loopback only "
            "(use 127.0.0.1, ::1 or localhost)"
        )


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound here because werkzeug answers a busy port with sys.exit()."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError as exc:
        listener.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return listener


class _EndpointSession(boto3.session.Session):
    """A boto3 session whose clients talk to the emulator unless told otherwise.

    Passing ``endpoint_url`` per client, rather than through ``AWS_ENDPOINT_URL`` or a config
    file, keeps the process environment and the user's AWS config out of the picture.
    """

    def __init__(self, endpoint_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._emulator_endpoint_url = endpoint_url

    def client(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("endpoint_url", self._emulator_endpoint_url)
        return super().client(*args, **kwargs)

    def resource(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("endpoint_url", self._emulator_endpoint_url)
        return super().resource(*args, **kwargs)


def _caching_dispatcher(base: type[Any]) -> type[Any]:
    """moto's dispatcher, remembering which backend serves a host.

    moto finds the backend for every request under one global lock, listing its own package
    folder (a directory read and some 180 stats) on the way: several milliseconds per request,
    one request at a time, which would make concurrent reads look sequential. A host always
    maps to the same backend, so the answer is kept.
    """

    class CachingDispatcher(base):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._backend_of: dict[str | None, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            try:
                return self._backend_of[host]
            except KeyError:
                found = self._backend_of[host] = super().get_backend_for_host(host)
                return found

    return CachingDispatcher


class Emulator:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: LatencySpec | str | None = None,
        seed: SeedMode = "demo",
        scenario: Scenario = "self-service",
        workdir: Path | str | None = None,
        build_seconds: float | None = None,
        enforce: bool = True,
        propagation_seconds: float = 0.0,
        sagemaker_state_seconds: float | None = None,
        docker: bool = False,
        provisioning_seconds: float = 0.0,
    ) -> None:
        check_loopback(host)
        if seed not in SEED_MODES:
            raise ValueError(f"unknown seed {seed!r}: expected one of {', '.join(SEED_MODES)}")
        if scenario not in SCENARIOS:
            raise ValueError(
                f"unknown scenario {scenario!r}: expected one of {', '.join(SCENARIOS)}"
            )
        if build_seconds is not None and not build_seconds > 0:
            raise ValueError(f"build_seconds must be positive, not {build_seconds}")
        self.host = host
        self.port = port
        self.latency = parse_latency(latency) if isinstance(latency, str) else latency
        self.seed = seed
        self.scenario: Scenario = scenario
        self.build_seconds = build_seconds
        self.enforce = enforce
        if not 0 <= propagation_seconds <= 3600:
            raise ValueError(f"propagation_seconds must be 0 to 3600, not {propagation_seconds}")
        self.propagation_seconds = float(propagation_seconds)
        self.sagemaker_state_seconds = sagemaker_state_seconds
        if not 0 <= provisioning_seconds <= 3600:
            raise ValueError(f"provisioning_seconds must be 0 to 3600, not {provisioning_seconds}")
        self.provisioning_seconds = float(provisioning_seconds)
        from ..standins.docker_engine import DockerControl

        # Studio's Docker (DockerSettings.EnableDockerAccess): off by default, as on AWS.
        self.docker = DockerControl(enabled=docker)
        self.faults = FaultPlan()
        self._workdir_arg = Path(workdir) if workdir is not None else None
        self.workdir: Path | None = None
        self.counter = RequestCounter()
        self.seed_info: SeedInfo | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._latency_app: LatencyMiddleware | None = None
        self._owns_workdir = False
        # Set by stop(): requests still arriving on kept-alive connections are cut.
        self.gone = False
        # (previous value,) while this emulator has MOTO_ACCOUNT_ID set, else None.
        self._saved_account_env: tuple[str | None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Emulator:
        global _running
        with _running_lock:
            if _running is not None:
                raise RuntimeError(
                    f"an emulator already runs in this process at {_running.endpoint_url}"
                )
            _running = self
        self.gone = False
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        # moto reads MOTO_ACCOUNT_ID on every request (before the access key): set it before
        # the first backend is touched so no state lands in another account.
        self._saved_account_env = (os.environ.get("MOTO_ACCOUNT_ID"),)
        os.environ["MOTO_ACCOUNT_ID"] = ACCOUNT_ID
        self.seed_info = None

        from moto.moto_api._internal.models import moto_api_backend
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        from ..services import codebuild
        from .enforcement import EnforcementMiddleware
        from .extensions import install_all

        install_all()
        # A previous emulator (or mock_aws) in this process may have left state behind.
        moto_api_backend.reset()
        # Build settings are process-wide too: start from the defaults, not a predecessor's.
        defaults = codebuild.BuildSettings()
        codebuild.configure(
            duration_seconds=(
                self.build_seconds if self.build_seconds is not None else defaults.duration_seconds
            ),
            fail_phase="",
            provisioning_seconds=self.provisioning_seconds,
        )
        install_aws_managed_policies(ACCOUNT_ID)
        from . import access
        from .propagation import PROPAGATION

        # Process-wide like moto's backends: start from nothing a predecessor left.
        PROPAGATION.set_seconds(self.propagation_seconds)
        PROPAGATION.reset()
        access.set_scps(())
        from ..services import sagemaker

        sagemaker.configure(
            state_seconds=self.sagemaker_state_seconds
            if self.sagemaker_state_seconds is not None
            else sagemaker.DEFAULT_STATE_SECONDS,
            fail=None,
        )
        sagemaker.lifecycle.reset()
        if self.enforce:
            # The project's IAM engine decides, from moto's IAM state, what non-root callers
            # may do; the admin credentials (the account root) are never denied.
            from .decider import engine_decider, engine_judge

            access.set_decider(engine_decider, engine_judge)

        if self._workdir_arg is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="sm-studio-emulator-"))
            self._owns_workdir = True
        else:
            self.workdir = self._workdir_arg
            self.workdir.mkdir(parents=True, exist_ok=True)

        disable_moto_cors()
        moto_app = _caching_dispatcher(DomainDispatcherApplication)(create_backend_app)
        from .decider import role_documents
        from .propagation import PropagationMiddleware

        beside_moto = PropagationMiddleware(
            StaleReadMiddleware(moto_app, self.faults), PROPAGATION, role_documents
        )
        self._latency_app = LatencyMiddleware(
            FaultMiddleware(EnforcementMiddleware(beside_moto), self.faults),
            self.latency,
            self.counter,
        )
        # Outermost: nothing, not even the control API, answers a request from a web page.
        app = GuardMiddleware(
            ControlApp(self._latency_app, self), own_paths=(CONTROL_PREFIX, "/moto-api")
        )

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        listener = _listen(self.host, self.port)
        self.port = listener.getsockname()[1]
        try:
            self._server = make_server(
                self.host,
                self.port,
                app,
                threaded=True,
                request_handler=QuietHandler,
                fd=listener.fileno(),  # werkzeug duplicates it
            )
        finally:
            listener.close()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sm-studio-emulator", daemon=True
        )
        self._thread.start()
        from ..services.codebuild import runner

        # Builds call the emulator back (their stand-ins' ECR and STS calls) at this URL.
        runner.set_endpoint(self.endpoint_url)

        if self.seed == "demo":
            self.seed_info = seed_demo(
                self.admin_session(),
                self.scenario,
                metadata_path=self.workdir / METADATA_FILE_NAME,
                docker=self.docker.settings.enabled,
            )
            # Seeding is set-up, not part of what anyone wants to count.
            self.counter.reset()
        from ..standins.docker_engine.settings import DomainLink

        info = self.seed_info
        self.docker.attach(
            self.workdir,
            endpoint_url=self.endpoint_url,
            counter=self.counter,
            account=ACCOUNT_ID,
            domain=DomainLink(info.account, info.region, info.domain_id) if info else None,
        )

    def stop(self) -> None:
        """Stop serving and release the port; idempotent, and safe from two threads at once
        (POST /shutdown stops from a timer while its owner may be stopping too)."""
        with _stop_lock:
            self._stop()

    def _stop(self) -> None:
        global _running
        # Connections kept alive from before go on being served by their threads after the
        # listening socket closes; they are cut too (see ControlApp), so nothing gets through.
        self.gone = True
        # Its pushes call this server: it stops first.
        self.docker.detach()
        if _running is self:
            from ..services.codebuild import runner

            # Builds call back into this server and run processes of their own: end them
            # first, so that none outlives the emulator.
            runner.stop_all()
            runner.set_endpoint(None)
        if self._server is not None:
            if self._thread is not None:
                # shutdown() waits for serve_forever() to notice, so only when it runs.
                self._server.shutdown()
                self._thread.join(timeout=10)
                self._thread = None
            self._server.server_close()
            self._server = None
        if self._owns_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self._owns_workdir = False
        with _running_lock:
            if _running is self:
                _running = None
                if self.enforce:
                    from . import access

                    access.set_decider(None)
            if self._saved_account_env is not None:
                (previous,) = self._saved_account_env
                if previous is None:
                    os.environ.pop("MOTO_ACCOUNT_ID", None)
                else:
                    os.environ["MOTO_ACCOUNT_ID"] = previous
                self._saved_account_env = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- what clients need -------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def set_latency(self, latency: LatencySpec | None) -> None:
        self.latency = latency
        if self._latency_app is not None:
            self._latency_app.spec = latency

    def client_env(self) -> dict[str, str]:
        """Environment for a client process: the demo session when seeded, else admin."""
        env = {"AWS_ENDPOINT_URL": self.endpoint_url}
        info = self.seed_info
        if info is not None:
            env["AWS_ACCESS_KEY_ID"] = info.access_key_id
            env["AWS_SECRET_ACCESS_KEY"] = info.secret_access_key
            env["AWS_SESSION_TOKEN"] = info.session_token
        else:
            env["AWS_ACCESS_KEY_ID"] = ADMIN_ACCESS_KEY_ID
            env["AWS_SECRET_ACCESS_KEY"] = ADMIN_SECRET_ACCESS_KEY
            # Present but empty, so a token inherited from a real AWS session is overridden.
            env["AWS_SESSION_TOKEN"] = ""
        env["AWS_DEFAULT_REGION"] = REGION
        env["AWS_REGION"] = REGION
        if info is not None:
            env[METADATA_ENV] = str(info.metadata_path)
        if self.workdir is not None:
            # Backups of the emulator's role belong with the emulator, not in the user's real
            # config folder, where they would sit beside (and look like) real accounts' ones.
            env[CONFIG_DIR_ENV] = str(self.workdir / "config")
        docker_host = self.docker.docker_host
        if docker_host is not None:
            env["DOCKER_HOST"] = docker_host
        return env

    def admin_session(self) -> boto3.Session:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return _EndpointSession(
            self.endpoint_url,
            aws_access_key_id=ADMIN_ACCESS_KEY_ID,
            aws_secret_access_key=ADMIN_SECRET_ACCESS_KEY,
            region_name=REGION,
        )

    def studio_session(self) -> boto3.Session:
        """The seeded Studio role's session (what a notebook in the demo space runs as)."""
        info = self.seed_info
        if self._server is None or info is None:
            raise RuntimeError("the emulator is not running with the demo seed")
        return _EndpointSession(
            self.endpoint_url,
            aws_access_key_id=info.access_key_id,
            aws_secret_access_key=info.secret_access_key,
            aws_session_token=info.session_token,
            region_name=info.region,
        )

    def restart_studio_app(self) -> None:
        """SageMaker assumes the execution role again, as restarting the space's app makes it
        do; the seeded session is replaced. Raises StudioCannotAssume when the trust policy no
        longer lets Studio in."""
        from dataclasses import replace

        from ..services.sagemaker.apps import studio_session

        info = self.seed_info
        if info is None:
            raise RuntimeError("the emulator is not running with the demo seed")
        credentials, caller_arn = studio_session(info.account, info.region, info.role_arn)
        self.seed_info = replace(
            info,
            access_key_id=credentials["AccessKeyId"],
            secret_access_key=credentials["SecretAccessKey"],
            session_token=credentials["SessionToken"],
            caller_arn=caller_arn,
        )

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "endpoint_url": self.endpoint_url,
            "account": ACCOUNT_ID,
            "region": REGION,
            "seed": self.seed,
            "scenario": self.scenario if self.seed_info is not None else None,
            "latency_ms": str(self.latency) if self.latency is not None else None,
            "propagation_seconds": self.propagation_seconds,
            "docker": self.docker.docker_host is not None,
        }


class ControlApp:
    """The emulator's own API under ``/_sm_emulator/``; everything else goes to ``app``."""

    def __init__(self, app: WSGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator
        self._routes: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "/health"): self._health,
            ("GET", "/stats"): self._stats,
            ("POST", "/stats/reset"): self._stats_reset,
            ("GET", "/seed"): self._seed,
            ("POST", "/latency"): self._latency,
            ("POST", "/codebuild"): self._codebuild,
            ("GET", "/faults"): self._faults_state,
            ("POST", "/faults"): self._faults,
            ("POST", "/shutdown"): self._shutdown,
            ("POST", "/propagation"): self._propagation,
            ("POST", "/scps"): self._scps,
            ("POST", "/sagemaker"): self._sagemaker,
            ("POST", "/studio/restart"): self._studio_restart,
            ("GET", "/docker"): self._docker_state,
            ("POST", "/docker"): self._docker,
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.emulator.gone:
            # A stopped emulator answers nothing: the client's connection is cut, as a
            # process that went away cuts it.
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            return _json({"error": "the emulator is stopped"}, 503)(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if path != CONTROL_PREFIX and not path.startswith(CONTROL_PREFIX + "/"):
            return self.app(environ, start_response)
        request = Request(environ)
        sub = path[len(CONTROL_PREFIX) :].rstrip("/") or "/"
        handler = self._routes.get((request.method, sub))
        if handler is None:
            if any(route == sub for _, route in self._routes):
                response = _json({"error": f"method {request.method} not allowed"}, 405)
            else:
                response = _json({"error": f"no control endpoint {path}"}, 404)
        else:
            try:
                response = handler(request)
            except (TypeError, ValueError) as exc:
                response = _json({"error": str(exc)}, 400)
        return response(environ, start_response)

    def _health(self, request: Request) -> Response:
        return _json(self.emulator.health())

    def _stats(self, request: Request) -> Response:
        return _json(self.emulator.counter.snapshot())

    def _stats_reset(self, request: Request) -> Response:
        self.emulator.counter.reset()
        return _json(self.emulator.counter.snapshot())

    def _seed(self, request: Request) -> Response:
        info = self.emulator.seed_info
        return _json(info.public_dict() if info is not None else None)

    def _latency(self, request: Request) -> Response:
        body = _body(request, allowed={"latency"})
        value = body.get("latency")
        if value is not None and not isinstance(value, str | int | float):
            raise ValueError("latency must be a string such as '80' or '50-150', or null")
        spec = None if value is None else parse_latency(str(value))
        self.emulator.set_latency(spec)
        return _json({"latency_ms": str(spec) if spec is not None else None})

    def _faults(self, request: Request) -> Response:
        # {"throttle": "iam:GetRole", "count": 2}: the next two GetRole calls are throttled;
        # with "code": "ExpiredToken" they fail with that error instead.
        # {"stale_reads": 2}: after an IAM write to a role, its next two reads are stale.
        body = _body(request, allowed={"throttle", "count", "code", "after", "stale_reads"})
        if "stale_reads" in body:
            reads = body["stale_reads"]
            if len(body) != 1 or isinstance(reads, bool) or not isinstance(reads, int):
                raise ValueError('expected {"stale_reads": N} on its own')
            self.emulator.faults.stale_reads(reads)
            return self._faults_state(request)
        operation, count, code = body.get("throttle"), body.get("count", 1), body.get("code")
        if not isinstance(operation, str) or not isinstance(count, int):
            raise ValueError('expected {"throttle": "service:Operation", "count": N}')
        if code is not None and not isinstance(code, str):
            raise ValueError("code must be an AWS error code string")
        after = body.get("after", 0)
        if isinstance(after, bool) or not isinstance(after, int):
            raise ValueError("after must be a whole number of calls to let pass first")
        self.emulator.faults.throttle(operation, count, code=code, after=after)
        return self._faults_state(request)

    def _faults_state(self, request: Request) -> Response:
        faults = self.emulator.faults
        return _json({"pending": faults.pending(), "stale_reads": faults.stale_read_count})

    def _shutdown(self, request: Request) -> Response:
        # stop() waits for the serving thread, which is answering this request: stop from
        # another thread once the answer is out. Clients then meet a closed port, exactly as
        # when the emulator's process is gone.
        # From this answer on, every request is cut (before the port closes, too).
        self.emulator.gone = True
        timer = threading.Timer(0.2, self.emulator.stop)
        timer.daemon = True
        timer.start()
        return _json({"stopping": True})

    def _codebuild(self, request: Request) -> Response:
        from ..services import codebuild

        body = _body(request, allowed={"duration_seconds", "fail_phase", "provisioning_seconds"})
        duration = body.get("duration_seconds")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, int | float)
        ):
            raise ValueError("duration_seconds must be a number of seconds, or null")
        fail_phase = body.get("fail_phase")
        if fail_phase is not None and not isinstance(fail_phase, str):
            raise ValueError(
                "fail_phase must be a phase name such as 'BUILD', '' to clear, or null"
            )
        provisioning = body.get("provisioning_seconds")
        if provisioning is not None and (
            isinstance(provisioning, bool) or not isinstance(provisioning, int | float)
        ):
            raise ValueError("provisioning_seconds must be a number of seconds (0: none), or null")
        # None leaves a setting as it is; configure() validates the values.
        settings = codebuild.configure(
            duration_seconds=duration, fail_phase=fail_phase, provisioning_seconds=provisioning
        )
        return _json(
            {
                "duration_seconds": settings.duration_seconds,
                "fail_phase": settings.fail_phase,
                "provisioning_seconds": settings.provisioning_seconds,
            }
        )

    def _propagation(self, request: Request) -> Response:
        # {"seconds": 20}: after an IAM write, other services see a role's old documents for
        # 20 s (core/propagation.py); 0 turns it off.
        from .propagation import PROPAGATION

        body = _body(request, allowed={"seconds"})
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError('expected {"seconds": S} with S >= 0')
        PROPAGATION.set_seconds(float(seconds))
        self.emulator.propagation_seconds = float(seconds)
        return _json({"seconds": PROPAGATION.seconds, "pending": PROPAGATION.pending()})

    def _scps(self, request: Request) -> Response:
        # {"policies": [SCP documents]}: every non-root request of the account is judged
        # under them too (as an AWS Organizations member account's are); [] removes them.
        from . import access

        body = _body(request, allowed={"policies"})
        policies = body.get("policies")
        if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
            raise ValueError('expected {"policies": [policy documents]}')
        access.set_scps(tuple(policies))
        return _json({"policies": len(policies)})

    def _sagemaker(self, request: Request) -> Response:
        # {"state_seconds": 2}: how long images, image versions, domains and user profiles
        # stay CREATING / Updating; {"fail": "image-version"}: the next one of that kind fails.
        from ..services import sagemaker

        body = _body(request, allowed={"state_seconds", "fail"})
        seconds = body.get("state_seconds")
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0
        ):
            raise ValueError("state_seconds must be a number of seconds >= 0")
        fail = body.get("fail")
        if fail is not None and fail not in sagemaker.FAILABLE:
            raise ValueError(f"fail must be one of {', '.join(sagemaker.FAILABLE)}")
        return _json(sagemaker.configure(state_seconds=seconds, fail=fail))

    def _studio_restart(self, request: Request) -> Response:
        # What restarting the demo space's app does: SageMaker assumes the execution role
        # again, with what Studio sends (services/sagemaker/apps.py). 409 when it may not.
        from ..services.sagemaker.apps import StudioCannotAssume

        try:
            self.emulator.restart_studio_app()
        except StudioCannotAssume as exc:
            return _json({"error": str(exc)}, 409)
        info = self.emulator.seed_info
        return _json({"restarted": True, "caller_arn": info.caller_arn if info else None})

    def _docker_state(self, request: Request) -> Response:
        return _json(self.emulator.docker.state())

    def _docker(self, request: Request) -> Response:
        # {"enabled": true, "vpc_only": true, "trusted_accounts": ["..."], "build_seconds": 2,
        # "fail": "push"}: Studio's Docker, and the seeded domain's settings with it.
        allowed = {"enabled", "vpc_only", "trusted_accounts", "build_seconds", "fail"}
        return _json(self.emulator.docker.configure(_body(request, allowed=allowed)))


def _body(request: Request, *, allowed: set[str]) -> dict[str, Any]:
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ValueError("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    return body


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data) + "\n", status=status, mimetype="application/json")
