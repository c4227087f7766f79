"""The `sm-studio-setup` command line: a thin surface over the service API.

Exit codes: 0 success, 2 an error the user can act on (one sentence, no traceback); check:
0 ready / 1 gaps / 3 unknown; fix and lifecycle-config: 1 when the change is handed off to an
administrator; build: 1 the build failed or was stopped, 3 the check found gaps; attach: 3 gaps.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

from .. import __version__
from ..errors import SetupError
from ..requirements.params import Params
from ..requirements.profiles import PROFILES
from ..service import Service
from ..service.requirements import least_privilege, offline_params, requirement_json
from .arguments import (
    FIX_FORMATS,
    add_attach_arguments,
    add_build_arguments,
    add_check_arguments,
    add_fix_arguments,
    add_lifecycle_arguments,
    add_naming_arguments,
    attach_options,
    build_options,
    check_options,
    poll_seconds,
    split_docker_args,
)
from .render.check import render_text

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_GAPS = 3


def _print_error(exc: SetupError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": exc.to_json("cli")}, indent=2))
    else:
        print(f"error: {exc.message}", file=sys.stderr)
        hint = exc.hint_for("cli")
        if hint:
            print(f"  {hint}", file=sys.stderr)


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


def _params_from_args(args: argparse.Namespace) -> Params:
    return offline_params(
        check_options(args),
        region=args.region,
        account=args.account,
        role_arn=args.role,
        domain_id=args.domain_id,
        user_profile=args.user_profile,
        space=args.space,
    )


def _cmd_requirements(args: argparse.Namespace) -> int:
    params = _params_from_args(args)
    result = least_privilege(
        args.profile, params, source_account_condition=not args.no_source_account_condition
    )
    if args.policy:
        print(json.dumps(result.to_json(), indent=2))
    elif args.json:
        print(json.dumps([requirement_json(r) for r in result.requirements], indent=2))
    else:
        for req in result.requirements:
            target = req.principal if req.who == "trust" else req.resource
            optional = " (optional)" if req.optional else ""
            print(f"{req.who:<7} {req.action:<40} {target}{optional}")
            print(f"{'':<7} {req.why}")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    report = Service(region=args.region).check(check_options(args))
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(render_text(report))
    return report.exit_code


EXIT_HANDOFF = 1


def _cmd_fix(args: argparse.Namespace) -> int:
    from ..repair.handoff import render
    from .render.fix import render_backups_text, render_fix_text, render_undo_plan_text

    service = Service(region=args.region)
    if args.list_backups:
        found = service.list_backups()
        print(
            json.dumps([b.to_json() for b in found], indent=2)
            if args.json
            else render_backups_text(found)
        )
        return EXIT_OK
    if args.undo:
        if not args.apply:
            # What the undo would write, first: a backup is only as trustworthy as its file.
            preview = service.fix_undo_plan(args.undo)
            print(
                json.dumps(preview.to_json(), indent=2)
                if args.json
                else render_undo_plan_text(preview, "cli")
            )
            return EXIT_OK
        undone = service.fix_undo(args.undo, force=args.force)
        print(json.dumps(undone.to_json(), indent=2) if args.json else undone.message)
        return EXIT_OK
    plan = service.fix_plan(check_options(args))
    if args.format and not args.apply:
        # The change as an administrator applies it, and nothing else: ready to redirect.
        print(render(plan.change, args.format))
        return EXIT_OK
    result = service.fix_apply(plan) if args.apply else None
    if args.json:
        body = {"plan": plan.to_json(), "result": result.to_json() if result else None}
        print(json.dumps(body, indent=2))
    else:
        formats = (args.format,) if args.format else FIX_FORMATS
        print(render_fix_text(plan, result, formats))
    return EXIT_HANDOFF if result is not None and result.status == "handoff" else EXIT_OK


def _cmd_build(args: argparse.Namespace) -> int:
    from .render.build import event_line, exit_code, render_text, summary_json

    options = build_options(args, args.docker_args)
    # Progress goes to stderr and the build's own log to stdout, so `> build.log` keeps the
    # log; with --json stdout holds only the one object, and the log joins the progress.
    log = sys.stderr if args.json else sys.stdout

    def show(event: Any) -> None:
        if event.kind == "log":
            print(event.message, file=log, flush=True)
            return
        line = event_line(event)
        if line is not None:
            print(line, file=sys.stderr, flush=True)

    record = Service(region=args.region).build(options, show, poll_seconds=poll_seconds())
    if args.json:
        print(json.dumps(summary_json(record), indent=2))
    elif record.error is not None:
        # What stopped the build is an error like any other: one sentence and what to do.
        print(f"error: {record.error['message']}", file=sys.stderr)
        if record.error.get("hint"):
            print(f"  {record.error['hint']}", file=sys.stderr)
        print(render_text(record, options))
    else:
        print(render_text(record, options))
    return exit_code(record)


def _cmd_attach(args: argparse.Namespace) -> int:
    from ..service.attach import AttachGaps
    from .render.build import render_attach_text

    try:
        service = Service(region=args.region)
        result = service.attach(attach_options(args), lambda text: print(text, file=sys.stderr))
    except AttachGaps as gaps:
        _print_error(gaps, args.json)
        report = gaps.details.get("report")
        if report and not args.json:
            from ..service.check import Report

            print(render_text(Report.from_json(report)), file=sys.stderr)
        return EXIT_GAPS
    body = result.to_json()
    print(json.dumps(body, indent=2) if args.json else render_attach_text(body))
    return EXIT_OK


def _cmd_lifecycle(args: argparse.Namespace) -> int:
    from .arguments import lifecycle_options, wheelhouse_options, wheelhouse_then
    from .render.lifecycle import render_result_text, render_wheelhouse_text

    service = Service(region=args.region)

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if args.wheelhouse:
        house = service.wheelhouse(wheelhouse_options(args), progress)
        body = {**house.to_json(), "then": wheelhouse_then(args)}
        text = render_wheelhouse_text(house, wheelhouse_then(args))
        print(json.dumps(body, indent=2) if args.json else text)
        return EXIT_OK
    options = lifecycle_options(args)
    if options.create is None:
        script = service.lifecycle_script(options)
        if args.json:
            print(json.dumps({"name": options.name, "script": script}, indent=2))
        else:
            # The script alone, ready to redirect into a file.
            sys.stdout.write(script)
        return EXIT_OK
    result = service.lifecycle_install(options, progress)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    elif result.status == "shown" and options.show is not None:
        # The change in the one format asked for, and nothing else: ready to redirect.
        sys.stdout.write((result.handoff or {})[options.show])
    else:
        print(render_result_text(result))
    return EXIT_HANDOFF if result.status == "handoff" else EXIT_OK


def _cmd_emulator(args: argparse.Namespace) -> int:
    from ..demo import require_demo_extra

    require_demo_extra()
    from ..emulator import command

    return command.run(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .. import demo

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

    chk = sub.add_parser(
        "check",
        help="judge the execution role against what a workflow needs",
        description="Find the role a build would use, read what it may do (its own policies, "
        "the IAM simulator, or harmless probes) and report every gap. Exit codes: 0 ready, "
        "1 gaps, 3 unknown, 2 error.",
    )
    add_check_arguments(chk)
    chk.set_defaults(func=_cmd_check)

    fix = sub.add_parser(
        "fix",
        help="plan, apply or undo the change that closes the gaps a check finds",
        description="Plan the smallest change to the execution role (its trust policy and one "
        "inline policy per profile, sm-studio-setup-<profile>) and show it with a diff. With "
        "--apply, back up, write, verify and restore on any failure. When the role may not "
        "change itself the change is printed for an administrator. Exit codes: 0 done (or "
        "plan shown), 1 handed off to an administrator, 2 error.",
    )
    add_fix_arguments(fix)
    fix.set_defaults(func=_cmd_fix)

    req = sub.add_parser(
        "requirements",
        help="what a workflow needs, or the least-privilege policy for a fresh role",
        description="Print the requirements of a workflow profile, derived from its parameters "
        "(defaults follow sm-docker and Studio's metadata), or with --policy the complete "
        "least-privilege permissions and trust policy for a fresh role. Makes no AWS calls.",
    )
    _add_requirements_arguments(req)
    req.set_defaults(func=_cmd_requirements)

    build = sub.add_parser(
        "build",
        help="build a container image on Studio's Docker or CodeBuild (sm-docker build, "
        "checked and fixed)",
        description="Check the role for exactly this build, then send the folder (filtered by "
        ".dockerignore) to the engine (--engine: Studio's own Docker in the space when it has "
        "one, else CodeBuild), follow the build with its log, and print the image URI "
        "and digest when ECR has the image. The project and the uploaded zip are deleted on "
        "every path out. When the repository has an image of exactly these inputs already, "
        "nothing is built: the build ends with that image (see --rebuild). "
        "Arguments after -- go to docker build. Exit codes: 0 built, 1 the "
        "build failed or was stopped, 2 error, 3 the check found gaps (nothing was uploaded).",
    )
    add_build_arguments(build)
    build.set_defaults(func=_cmd_build)

    attach = sub.add_parser(
        "attach",
        help="make an ECR image a Studio custom image (domain or user profile)",
        description="Check the studio-kernel permissions, then create (or reuse) the SageMaker "
        "image, add a version, create or update the app image config and add the image to "
        "the domain's (or the user profile's) custom images, keeping those already there. "
        "Exit codes: 0 attached, 2 error, 3 the check found gaps (nothing was created).",
    )
    add_attach_arguments(attach)
    attach.set_defaults(func=_cmd_attach)

    lcc = sub.add_parser(
        "lifecycle-config",
        help="install this tool for a whole domain: a Studio lifecycle configuration",
        description="Print the bash script of a Studio lifecycle configuration that installs "
        f"sm-studio-setup {__version__} at every start of a JupyterLab (or Code Editor) space, "
        "from PyPI, CodeArtifact or a wheelhouse on S3. With --create, make it (or reuse it) "
        "and with --attach add it to the domain's or user profile's settings; when the caller "
        "may not, nothing is written and the change is printed for an administrator as API "
        "requests, AWS CLI, CloudFormation and Terraform. With --wheelhouse, download what a "
        "domain without internet access installs from S3. Exit codes: 0 done (or shown), 1 "
        "handed off to an administrator, 2 error.",
    )
    add_lifecycle_arguments(lcc)
    lcc.set_defaults(func=_cmd_lifecycle)

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


def _add_requirements_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=sorted(PROFILES), default="image-build")
    parser.add_argument("--region", help="default: AWS_REGION / AWS_DEFAULT_REGION / Studio's")
    parser.add_argument("--account", help="12 digits (default: from --role)")
    parser.add_argument("--role", help="the execution role ARN, with its path")
    parser.add_argument("--domain-id")
    parser.add_argument("--user-profile")
    parser.add_argument("--space")
    add_naming_arguments(parser)
    parser.add_argument("--dockerfile", metavar="PATH", help="its FROM images become pulls")
    parser.add_argument(
        "--engine",
        choices=("codebuild", "local"),
        default="codebuild",
        help="image-build: a build on CodeBuild (default) or on Studio's own Docker in the "
        "space (local: ECR push and pull only, no CodeBuild, S3, PassRole or trust change)",
    )
    parser.add_argument(
        "--no-source-account-condition",
        action="store_true",
        help="don't narrow the added trust statements with aws:SourceAccount and "
        "aws:SourceArn (confused-deputy protection)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="the requirements as JSON")
    output.add_argument("--policy", action="store_true", help="the policies for a fresh role")


def _add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    try:
        from ..emulator import command
    except ImportError:
        # Without moto the command still shows in --help; running it explains the extra.
        return
    command.add_arguments(parser)


def _add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    from .. import demo

    demo.add_arguments(parser)


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an interrupt so that it takes the same way out as Ctrl-C: a fix
    restores what it wrote, a build stops and cleans up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    docker_args: list[str] = []
    if words[:1] == ["build"]:
        words, docker_args = split_docker_args(words)
    args = parser.parse_args(words)
    args.docker_args = docker_args
    as_json = bool(getattr(args, "json", False))
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args))
    except SetupError as exc:
        _print_error(exc, as_json)
        return EXIT_ERROR
    except KeyboardInterrupt as exc:
        # A fix restores what it wrote before the interruption goes on; its backup says so.
        hint = " (fix --list-backups shows how the role was left)" if args.command == "fix" else ""
        if args.command == "build":
            hint = " (the build was stopped and cleaned up)"
        print(f"interrupted{hint}", file=sys.stderr)
        return 128 + exc.signum if isinstance(exc, Terminated) else 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silences the flush at exit
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
