"""`%load_ext sm_studio_setup`, then `%sm_setup check|fix|build|attach|lifecycle-config
[options]`: the CLI in a notebook, its output rendered for the cell; `%sm_setup panel` shows
the same flow as widgets.

The options are the CLI's own (same parser), so the two surfaces can never drift apart.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from ..errors import SetupError

USAGE = """%sm_setup check [--profile P] [--role ARN] [--repository NAME[:TAG]] [--bucket B] ...
%sm_setup fix [check options] [--apply] [--format json|cli|cloudformation|terraform]
%sm_setup fix --undo BACKUP_ID [--apply [--force]]   |   %sm_setup fix --list-backups
%sm_setup build [PATH] [--repository NAME[:TAG]] [--build-arg K=V] [--attach NAME] [--rebuild]
                [--engine auto|local|codebuild|sm-docker] [-- ARGS]
%sm_setup attach IMAGE_URI --image-name NAME [--app-type JupyterLab] [--scope domain|user-profile]
%sm_setup lifecycle-config [--source pypi|codeartifact|s3] [--create [NAME] [--attach domain]]
%sm_setup whoami
%sm_setup panel [--repository NAME[:TAG]] [--bucket B] [--context PATH] [--profile P] ...

Run `%sm_setup check --help` (or fix, build, attach, lifecycle-config, panel) for every
option."""


class _Parser(argparse.ArgumentParser):
    # argparse exits the process on bad input; in a notebook that must be a UsageError.
    def error(self, message: str) -> None:  # type: ignore[override]
        from IPython.core.error import UsageError

        raise UsageError(f"{message}\n\n{self.format_usage()}")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        from IPython.core.error import UsageError

        # --help ends here: show it without a traceback.
        raise UsageError(message or self.format_help())


def _parser() -> argparse.ArgumentParser:
    from .arguments import (
        add_attach_arguments,
        add_build_arguments,
        add_check_arguments,
        add_fix_arguments,
        add_lifecycle_arguments,
    )

    parser = _Parser(prog="%sm_setup", add_help=False)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    check = sub.add_parser("check")
    add_check_arguments(check)
    fix = sub.add_parser("fix")
    add_fix_arguments(fix)
    add_build_arguments(sub.add_parser("build"))
    add_attach_arguments(sub.add_parser("attach"))
    add_lifecycle_arguments(sub.add_parser("lifecycle-config"))
    who = sub.add_parser("whoami")
    who.add_argument("--region")
    _add_panel_arguments(sub.add_parser("panel"))
    return parser


def _add_panel_arguments(parser: argparse.ArgumentParser) -> None:
    """The panel's fields, named as the other subcommands name them."""
    from ..requirements.profiles import PROFILES
    from .arguments import PLATFORMS

    parser.add_argument("--profile", choices=sorted(PROFILES), default="image-build")
    parser.add_argument("--role")
    parser.add_argument("--region")
    parser.add_argument("--repository", metavar="NAME[:TAG]")
    parser.add_argument("--bucket")
    parser.add_argument(
        "--context", metavar="PATH", help="the build folder (default: the kernel's folder)"
    )
    parser.add_argument("--compute-type", default="BUILD_GENERAL1_SMALL")
    parser.add_argument("--platform", choices=PLATFORMS, default="linux/amd64")
    # The panel offers what it can follow; sm-docker's builds are %sm_setup build's.
    parser.add_argument("--engine", choices=("auto", "local", "codebuild"), default="auto")


def _in_notebook(shell: Any) -> bool:
    return type(shell).__name__ == "ZMQInteractiveShell"


def sm_setup(line: str, shell: Any = None) -> Any:
    from IPython.core.error import UsageError
    from IPython.display import HTML, display

    from ..service import Service
    from .arguments import check_options, split_docker_args
    from .render.check import render_html, render_text

    if not line.strip():
        raise UsageError(USAGE)
    words = shlex.split(line)
    docker_args: list[str] = []
    if words[:1] == ["build"]:
        words, docker_args = split_docker_args(words)
    args = _parser().parse_args(words)
    try:
        if args.command == "build":
            return _build(args, docker_args, shell)
        if args.command == "attach":
            return _attach(args, shell)
        if args.command == "lifecycle-config":
            return _lifecycle(args)
        if args.command == "panel":
            return _panel(args)
        if args.command == "whoami":
            identity = Service(region=args.region).whoami()
            print("\n".join(f"{k}: {v}" for k, v in identity.to_json().items()))
            return None
        if args.command == "fix":
            return _fix(args, shell)
        report = Service(region=args.region).check(check_options(args))
    except SetupError as exc:
        # One sentence and what to do, as the CLI prints it: no traceback in the notebook.
        hint = exc.hint_for("magic")
        print(f"error: {exc.message}" + (f"\n  {hint}" if hint else ""))
        return None
    if args.json:
        return report.to_json()
    if _in_notebook(shell):
        display(HTML(render_html(report)))
    else:
        print(render_text(report, surface="magic"))
    return None


def _fix(args: Any, shell: Any) -> Any:
    """The CLI's fix: plan (and with --apply, write) and show it; a hand-off shows every format."""
    from IPython.display import HTML, display

    from ..repair.handoff import render
    from ..service import Service
    from .arguments import FIX_FORMATS, check_options
    from .render.fix import (
        render_backups_text,
        render_fix_text,
        render_plan_html,
        render_undo_plan_text,
    )

    service = Service(region=args.region)
    if args.list_backups:
        found = service.list_backups()
        return [b.to_json() for b in found] if args.json else print(render_backups_text(found))
    if args.undo:
        if not args.apply:
            preview = service.fix_undo_plan(args.undo)
            return (
                preview.to_json() if args.json else print(render_undo_plan_text(preview, "magic"))
            )
        undone = service.fix_undo(args.undo, force=args.force)
        return undone.to_json() if args.json else print(undone.message)
    plan = service.fix_plan(check_options(args))
    if args.format and not args.apply:
        print(render(plan.change, args.format))
        return None
    result = service.fix_apply(plan) if args.apply else None
    if args.json:
        return {"plan": plan.to_json(), "result": result.to_json() if result else None}
    if _in_notebook(shell):
        display(HTML(render_plan_html(plan, result)))
    else:
        formats = (args.format,) if args.format else FIX_FORMATS
        print(render_fix_text(plan, result, formats, surface="magic"))
    return None


class BuildResult:
    """What ``%sm_setup build`` returns: shown as the build's summary, and holding what the next
    cell wants (``.image_uri``, ``.digest``, ``.status``, ``.build_id``, ``.to_json()``)."""

    def __init__(self, record: Any, options: Any) -> None:
        self.record, self._options = record, options
        self.status: str = record.status
        self.build_id: str = record.id
        self.image_uri: str | None = record.image_uri
        self.digest: str | None = record.digest

    def to_json(self) -> dict[str, Any]:
        from .render.build import summary_json

        return summary_json(self.record)

    def _repr_html_(self) -> str:
        from .render.build import render_html

        return render_html(self.record, self._options)

    def __repr__(self) -> str:
        from .render.build import render_text

        return render_text(self.record, self._options, surface="magic")


def _build(args: Any, docker_args: list[str], shell: Any) -> Any:
    """The build, its progress and log printed into the cell as they come; interrupting the
    kernel stops it (StopBuild) and cleans up, as Ctrl-C does on the command line."""
    from ..service import Service
    from .arguments import build_options, poll_seconds
    from .render.build import event_line

    options = build_options(args, docker_args)

    def show(event: Any) -> None:
        line = event.message if event.kind == "log" else event_line(event)
        if line is not None:
            print(line, flush=True)

    record = Service(region=args.region).build(options, show, poll_seconds=poll_seconds())
    result = BuildResult(record, options)
    return result.to_json() if args.json else result


def _attach(args: Any, shell: Any) -> Any:
    from ..service import Service
    from .arguments import attach_options
    from .render.build import render_attach_text

    say = None if args.json else print  # what attaching waits for, as it waits
    result = Service(region=args.region).attach(attach_options(args), say).to_json()
    if args.json:
        return result
    print(render_attach_text(result))
    return None


def _lifecycle(args: Any) -> Any:
    """The CLI's lifecycle-config: the script, the wheelhouse, or the configuration made (or
    handed off, every format printed); --json returns the result instead."""
    from ..service import Service
    from .arguments import lifecycle_options, wheelhouse_options, wheelhouse_then
    from .render.lifecycle import render_result_text, render_wheelhouse_text

    service = Service(region=args.region)
    say = None if args.json else print
    if args.wheelhouse:
        house = service.wheelhouse(wheelhouse_options(args), say)
        if args.json:
            return {**house.to_json(), "then": wheelhouse_then(args)}
        print(render_wheelhouse_text(house, wheelhouse_then(args)))
        return None
    options = lifecycle_options(args)
    if options.create is None:
        script = service.lifecycle_script(options)
        if args.json:
            return {"name": options.name, "script": script}
        print(script, end="")
        return None
    result = service.lifecycle_install(options, say)
    if args.json:
        return result.to_json()
    if result.status == "shown" and options.show is not None:
        print((result.handoff or {})[options.show], end="")
    else:
        print(render_result_text(result))
    return None


def _panel(args: Any) -> None:
    from IPython.display import display

    from .widgets import panel

    display(
        panel(
            profile=args.profile,
            role=args.role,
            region=args.region,
            repository=args.repository,
            bucket=args.bucket,
            context=args.context,
            compute_type=args.compute_type,
            platform=args.platform,
            engine=args.engine,
        )
    )


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magic_function(
        lambda line: sm_setup(line, ipython), magic_kind="line", magic_name="sm_setup"
    )
