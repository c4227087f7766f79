"""The `sm-studio-setup` command line: a thin surface over the service API.

Exit codes: 0 success, 2 an error the user can act on (one sentence, no traceback).
Later commands (check: 0 ready / 1 gaps / 3 unknown) keep 2 for errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from . import __version__
from .errors import SetupError
from .service import Service

EXIT_OK = 0
EXIT_ERROR = 2


def _print_error(exc: SetupError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": exc.to_json()}, indent=2))
    else:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  {exc.hint}", file=sys.stderr)


def _cmd_whoami(args: argparse.Namespace) -> int:
    identity = Service(region=args.region).whoami()
    if args.json:
        print(json.dumps(identity.to_json(), indent=2))
        return EXIT_OK
    rows = [
        ("Account", identity.account),
        ("Region", identity.region),
        ("Running as", identity.caller_arn),
        ("Execution role", identity.role_arn or "—"),
        ("Domain", identity.domain_id or "—"),
        ("User profile", identity.user_profile or "—"),
        ("Space", identity.space or "—"),
    ]
    if identity.demo:
        print("Demo — no AWS account is used")
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return EXIT_OK


def _cmd_emulator(args: argparse.Namespace) -> int:
    from .demo import require_demo_extra

    require_demo_extra()
    from .emulator import command

    return command.run(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from . import demo

    return demo.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sm-studio-setup",
        description="Check, explain and fix the IAM set-up for building container images "
        "from SageMaker Studio.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    who = sub.add_parser("whoami", help="show the caller, the execution role and the Studio domain")
    who.add_argument("--region", help="AWS region (default: the SDK's configuration)")
    who.add_argument("--json", action="store_true", help="print JSON")
    who.set_defaults(func=_cmd_whoami)

    emu = sub.add_parser(
        "emulator", help="serve the embedded AWS emulator on 127.0.0.1 (needs the [demo] extra)"
    )
    _add_emulator_arguments(emu)
    emu.set_defaults(func=_cmd_emulator)

    demo = sub.add_parser(
        "demo", help="start the emulator and JupyterLab against it (needs the [demo] extra)"
    )
    _add_demo_arguments(demo)
    demo.set_defaults(func=_cmd_demo)
    return parser


def _add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    try:
        from .emulator import command
    except ImportError:
        # Without moto the command still shows in --help; running it explains the extra.
        return
    command.add_arguments(parser)


def _add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    from . import demo

    demo.add_arguments(parser)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    as_json = bool(getattr(args, "json", False))
    try:
        return int(args.func(args))
    except SetupError as exc:
        _print_error(exc, as_json)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
