"""The ``emulator`` command: serve the emulator in the foreground on loopback.

stdout carries only ``export NAME=VALUE`` lines followed by one ``# ...ready at URL`` comment,
so a wrapper script or a test can read the environment up to that line (and a shell can
``eval`` all of it); everything meant for people goes to stderr.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .core.latency import LatencySpec, parse_latency
from .core.server import SEED_MODES, Emulator
from .seed import SCENARIOS

READY_MARKER = "sm-studio-setup emulator ready at"


def _latency_arg(text: str) -> LatencySpec:
    try:
        return parse_latency(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port_arg(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {port}: expected 0-65535 (0: any free)")
    return port


def _seconds_arg(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be positive")
    return seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=_port_arg, default=0, help="port on 127.0.0.1 (default: any free port)"
    )
    parser.add_argument(
        "--latency",
        type=_latency_arg,
        default=None,
        metavar="MS|MIN-MAX",
        help="delay added to every AWS request, in milliseconds: fixed (80) or a range (50-150)",
    )
    parser.add_argument(
        "--seed",
        choices=SEED_MODES,
        default="demo",
        help="demo: a Studio domain, user profile, space and execution role (default); "
        "none: an empty account",
    )
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default="self-service",
        help="self-service: the role may read and change its own policies (default); "
        "managed: it has only AmazonSageMakerFullAccess",
    )
    parser.add_argument(
        "--build-seconds",
        type=_seconds_arg,
        default=None,
        metavar="S",
        help="how long an emulated CodeBuild build takes from start to COMPLETED",
    )
    parser.add_argument(
        "--propagation-seconds",
        type=_delay_arg,
        default=0.0,
        metavar="S",
        help="after an IAM write, other services see a role's previous documents for S "
        "seconds, as on AWS (default 0)",
    )
    parser.add_argument(
        "--sagemaker-seconds",
        type=_delay_arg,
        default=None,
        metavar="S",
        help="how long SageMaker's images, versions, domains and profiles stay CREATING or "
        "Updating (default 1)",
    )
    parser.add_argument(
        "--provisioning-seconds",
        type=_delay_arg,
        default=0.0,
        metavar="S",
        help="the least an emulated CodeBuild build stays in PROVISIONING (AWS: 90 s to 5 "
        "minutes; default 0: its share of --build-seconds)",
    )
    parser.add_argument(
        "--docker",
        choices=("enabled", "disabled"),
        default="disabled",
        help="Studio's Docker for the domain's spaces (DockerSettings.EnableDockerAccess): a "
        "Docker Engine API stand-in on a unix socket, exported as DOCKER_HOST "
        "(default disabled, as on AWS)",
    )


def _delay_arg(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0 <= seconds <= 3600:
        raise argparse.ArgumentTypeError("expected 0 to 3600 seconds")
    return seconds


def export_lines(env: dict[str, str]) -> list[str]:
    return [f"export {name}={shlex.quote(value)}" for name, value in env.items()]


def run(args: argparse.Namespace) -> int:
    emulator = Emulator(
        port=args.port,
        latency=args.latency,
        seed=args.seed,
        scenario=args.scenario,
        build_seconds=args.build_seconds,
        propagation_seconds=args.propagation_seconds,
        sagemaker_state_seconds=args.sagemaker_seconds,
        provisioning_seconds=args.provisioning_seconds,
        docker=args.docker == "enabled",
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Installed before starting so a signal during seeding still ends in a clean stop.
    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            emulator.start()
        except (OSError, ValueError) as exc:
            print(f"sm-studio-setup emulator: cannot start: {exc}", file=sys.stderr)
            return 1
        try:
            if stop.is_set():
                return 0
            print("\n".join(export_lines(emulator.client_env())), flush=True)
            # Marks the end of the environment for whoever reads stdout; a comment to a shell.
            print(f"# {READY_MARKER} {emulator.endpoint_url}", flush=True)
            identity = emulator.seed_info.caller_arn if emulator.seed_info else "admin credentials"
            latency = f", latency {emulator.latency} ms" if emulator.latency else ""
            print(
                f"AWS emulator (no AWS account is used) serving on {emulator.endpoint_url} as "
                f"{identity}{latency}; stop with Ctrl-C",
                file=sys.stderr,
                flush=True,
            )
            # A timed wait keeps the main thread returning to the interpreter, where signal
            # handlers run.
            while not stop.wait(0.5):
                pass
            return 0
        finally:
            emulator.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sm-studio-setup emulator",
        description="Serve the embedded AWS emulator on 127.0.0.1 until interrupted.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
