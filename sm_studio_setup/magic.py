"""`%load_ext sm_studio_setup`, then `%sm_setup check [options]`: the CLI's check in a notebook.

The options are the CLI's own (same parser), so the two surfaces can never drift apart.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from .errors import SetupError

USAGE = """%sm_setup check [--profile P] [--role ARN] [--repository NAME[:TAG]] [--bucket B] ...
%sm_setup fix [check options] [--apply] [--format json|cli|cloudformation|terraform]
%sm_setup fix --undo BACKUP_ID [--apply [--force]]   |   %sm_setup fix --list-backups
%sm_setup whoami

Run `%sm_setup check --help` or `%sm_setup fix --help` for every option."""


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
    from .cli import add_check_arguments, add_fix_arguments

    parser = _Parser(prog="%sm_setup", add_help=False)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    check = sub.add_parser("check")
    add_check_arguments(check)
    fix = sub.add_parser("fix")
    add_fix_arguments(fix)
    who = sub.add_parser("whoami")
    who.add_argument("--region")
    return parser


def _in_notebook(shell: Any) -> bool:
    return type(shell).__name__ == "ZMQInteractiveShell"


def sm_setup(line: str, shell: Any = None) -> Any:
    from IPython.core.error import UsageError
    from IPython.display import HTML, display

    from .cli import check_options
    from .report import render_html, render_text
    from .service import Service

    if not line.strip():
        raise UsageError(USAGE)
    args = _parser().parse_args(shlex.split(line))
    try:
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

    from .cli import FIX_FORMATS, check_options
    from .fix_report import (
        render_backups_text,
        render_fix_text,
        render_plan_html,
        render_undo_plan_text,
    )
    from .repair.handoff import render
    from .service import Service

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


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magic_function(
        lambda line: sm_setup(line, ipython), magic_kind="line", magic_name="sm_setup"
    )
