"""CodeBuild (and its CloudWatch Logs output) made to behave like AWS inside moto.

moto 5.2 reports every build SUCCEEDED on the first poll, appends its phases again on every
poll, writes no logs and runs nothing. Here a started build really runs its buildspec
(``runner.py``, one daemon thread per build, with stand-ins for ``docker`` and ``aws``), moves
through AWS's phase sequence as it does so (AWS CodeBuild User Guide, "Build phase
transitions"), writes ``[Container]`` lines and the commands' output to
``/aws/codebuild/<project>``, can be made to fail, honours StopBuild and timeoutInMinutes, and
CreateProject/UpdateProject check the service role's trust policy (and the caller's
``iam:PassRole`` when enforcement is on).

The package, in the order a build meets it: ``responses.py`` answers the API calls and starts
builds; ``roles.py`` decides whether CodeBuild may assume the service role and takes its
session; ``models.py`` holds each build's record and the plan StartBuild settled; ``runner.py``
runs the build, reading its source (``sources.py``), buildspec (``buildspec.py``) and secret
variables (``secret_values.py``); ``phases.py`` is the pure vocabulary both sides share.
Log lines are copied into moto's logs backend lazily, on every CodeBuild call and before
every Logs read (GetLogEvents, FilterLogEvents, DescribeLogStreams, ...): no client can tell
the difference, since nobody observes a log line without making a request that first brings
the logs up to date. moto's reset first ends every build it forgets (processes, thread,
temporary folder).

What others use: ``install()`` (``core.extensions``), ``configure``/``settings``/
``BuildSettings`` (the control API's ``POST /codebuild``), ``PHASES`` and ``trusts_codebuild``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.codebuild.models import CodeBuildBackend
from moto.codebuild.responses import CodeBuildResponse
from moto.logs.models import LogsBackend

from . import models, responses
from .phases import PHASES, BuildSettings, configure, settings
from .roles import trusts_codebuild
from .runner import stop_runners

__all__ = ["PHASES", "BuildSettings", "configure", "install", "settings", "trusts_codebuild"]

_LOG_READS = (
    "get_log_events",
    "filter_log_events",
    "describe_log_streams",
    "describe_log_groups",
    "start_live_tail",
)
_installed = False


def _advancing_logs_read(original: Callable[..., Any]) -> Callable[..., Any]:
    def read(self: LogsBackend, *args: Any, **kwargs: Any) -> Any:
        models.advance_builds(self.account_id, self.region_name)
        return original(self, *args, **kwargs)

    read.__name__ = original.__name__
    read.__doc__ = original.__doc__
    return read


def install() -> None:
    global _installed
    if _installed:
        return
    original_call_action = CodeBuildResponse.call_action

    def call_action(self: CodeBuildResponse) -> Any:
        models.advance_builds(self.current_account, self.region)
        return original_call_action(self)

    # setattr: these are moto's classes, patched once for in-process use and the server alike.
    setattr(CodeBuildResponse, "call_action", call_action)  # noqa: B010
    for name, method in responses.METHODS.items():
        setattr(CodeBuildResponse, name, method)
    for name in _LOG_READS:
        setattr(LogsBackend, name, _advancing_logs_read(getattr(LogsBackend, name)))
    original_reset = CodeBuildBackend.reset

    def reset(self: CodeBuildBackend) -> None:
        # moto resets under its global backend lock: end the builds without taking ours.
        stop_runners([r.runner for r in models.runs(self).values() if r.runner is not None])
        original_reset(self)

    setattr(CodeBuildBackend, "reset", reset)  # noqa: B010
    _installed = True
