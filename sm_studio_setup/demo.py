"""`sm-studio-setup demo`: the embedded emulator plus JupyterLab pointed at it.

The emulator runs in this process; JupyterLab runs as a child process whose environment holds
only the emulator's endpoint and the demo session's credentials, so nothing it does can reach
a real AWS account.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from .aws.session import DEMO_ENV, is_loopback_url
from .demo_workspace import EXAMPLE, make_workspace
from .errors import SetupError, UnsafeEndpointError

# Every AWS_* variable can make a child process talk to real AWS instead of the emulator
# (credentials, profiles, per-service endpoints, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, container
# and web-identity credentials...): all of them are removed from JupyterLab's environment
# before the emulator's own are added. So are botocore's older spellings.
_DROPPED_PREFIXES = ("AWS_", "BOTO_")
# What points a Docker client at a daemon (or authenticates to one): the user's own must not
# reach the demo, where only the emulator's Docker stand-in may answer.
_DROPPED_DOCKER = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")


def require_demo_extra() -> None:
    try:
        import moto  # noqa: F401
    except ImportError as exc:
        raise SetupError(
            "The emulator and the demo need the optional [demo] dependencies (moto).",
            "Install them with: pip install 'sm-studio-setup[demo]'",
        ) from exc


# AWS is slower than a local emulator: the demo shows it, so that the product's waiting is seen.
DEMO_PROPAGATION_SECONDS = 3.0
DEMO_SAGEMAKER_SECONDS = 2.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8888, help="JupyterLab port (default 8888)")
    parser.add_argument(
        "--emulator-port", type=int, default=0, help="emulator port (default: a free one)"
    )
    parser.add_argument(
        "--scenario",
        choices=("self-service", "managed"),
        default="self-service",
        help="self-service: the role may read and change itself; managed: it may not",
    )
    parser.add_argument(
        "--latency", default=None, help="inject latency per AWS call: MS or MIN-MAX (ms)"
    )
    parser.add_argument(
        "--build-seconds", type=float, default=None, help="how long an emulated build takes"
    )
    parser.add_argument(
        "--propagation-seconds",
        type=float,
        default=DEMO_PROPAGATION_SECONDS,
        help="after an IAM change, other services see the role's old documents for this "
        f"long, as on AWS (default {DEMO_PROPAGATION_SECONDS:g})",
    )
    parser.add_argument(
        "--sagemaker-seconds",
        type=float,
        default=DEMO_SAGEMAKER_SECONDS,
        help="how long SageMaker's images and domain updates take, as on AWS "
        f"(default {DEMO_SAGEMAKER_SECONDS:g})",
    )
    parser.add_argument(
        "--docker",
        choices=("enabled", "disabled"),
        default="disabled",
        help="Studio's Docker in the demo's domain (DockerSettings.EnableDockerAccess): enabled, "
        "images build in the space without CodeBuild (default disabled, as a new domain is)",
    )
    parser.add_argument("--no-browser", action="store_true", help="don't open a browser")
    parser.add_argument(
        "--root-dir",
        default=None,
        help="folder JupyterLab serves (default: a fresh workspace holding an example image to "
        "build, removed when the demo stops)",
    )
    parser.add_argument(
        "lab_args",
        nargs=argparse.REMAINDER,
        help="after --, further JupyterLab options (for example --config=FILE)",
    )


def lab_environment(client_env: dict[str, str]) -> dict[str, str]:
    endpoint = client_env.get("AWS_ENDPOINT_URL", "")
    if not is_loopback_url(endpoint):
        raise UnsafeEndpointError(
            f"The demo refuses the endpoint {endpoint or '(none)'}: only loopback is allowed.",
            "This is a bug in the emulator's set-up; please report it.",
        )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED_DOCKER
    }
    env.update(client_env)
    env[DEMO_ENV] = "1"
    # botocore must not read a real ~/.aws/config, whose endpoint or role settings could
    # override the emulator; an empty path makes it read nothing. Nor may it fall back to the
    # instance metadata service, which on a real machine hands out real credentials.
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


def lab_command(args: argparse.Namespace, workspace: Path | None = None) -> list[str]:
    """JupyterLab's command line: ``workspace`` (the demo's own, with the example image) is
    served and opened on the example's folder unless ``--root-dir`` names another."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={args.port}",
        "--ServerApp.port_retries=0",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")
    if args.no_browser:
        command.append("--no-browser")
    if args.root_dir:
        command.append(f"--ServerApp.root_dir={args.root_dir}")
    elif workspace is not None:
        command.append(f"--ServerApp.root_dir={workspace}")
        # The file browser opens on the example, so the panel's build folder is it.
        command.append(f"--LabApp.default_url=/lab/tree/{EXAMPLE}")
    extra = list(args.lab_args or [])
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return command + extra


def lab_settings(folder: Path) -> Path:
    """JupyterLab's user settings for the demo (never the user's own): the news prompt off,
    so the first thing a newcomer sees is the demo, not a question."""
    notification = (
        folder / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    )
    notification.parent.mkdir(parents=True, exist_ok=True)
    if not notification.exists():
        notification.write_text(json.dumps({"fetchNews": "false"}), encoding="utf-8")
    return folder


def run(args: argparse.Namespace) -> int:
    require_demo_extra()
    from .emulator.core.server import Emulator

    emulator = Emulator(
        seed="demo",
        port=args.emulator_port,
        scenario=args.scenario,
        latency=args.latency,
        build_seconds=args.build_seconds,
        propagation_seconds=args.propagation_seconds,
        sagemaker_state_seconds=args.sagemaker_seconds,
        docker=args.docker == "enabled",
    ).start()
    try:
        env = lab_environment(emulator.client_env())
        assert emulator.workdir is not None
        workspace = None
        if not args.root_dir:
            workspace = emulator.workdir / "workspace"
            make_workspace(workspace)
        env["JUPYTERLAB_SETTINGS_DIR"] = str(lab_settings(emulator.workdir / "lab-settings"))
        print(
            f"Demo — no AWS account is used. Emulator at {emulator.endpoint_url}"
            f" (scenario {args.scenario}, Studio's Docker {args.docker})."
            + (
                f" Workspace {workspace} (removed when the demo stops): open the shield icon "
                f"in the left sidebar and build {EXAMPLE}."
                if workspace is not None
                else ""
            ),
            file=sys.stderr,
            flush=True,
        )
        child = subprocess.Popen(lab_command(args, workspace), env=env)

        def forward(signum: int, _frame: object) -> None:
            child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        try:
            return child.wait()
        except KeyboardInterrupt:
            # JupyterLab got the same Ctrl-C from the terminal; give it time to shut down.
            return child.wait()
    finally:
        emulator.stop()
