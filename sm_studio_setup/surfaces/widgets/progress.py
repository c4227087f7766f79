"""A build as the panel follows it: how far it got (the progress bar) and its log (an Output).

Both are fed from the build's thread with the engine's events; neither reads AWS.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from ...aws.codebuild import PHASES
from ...service.build.engine import BuildEvent
from ...service.build.records import STEPS

Stage = tuple[str, str]  # (the event's kind, "step" or "phase"; its name)

# The steps only one engine takes: CodeBuild's before its phases, Studio's Docker's own.
_CODEBUILD_STEPS = ("UPLOAD", "PROJECT", "START")
_LOCAL_STEPS = ("BUILD", "PUSH")
_IMAGE = STEPS.index("IMAGE")


def stages(engine: str | None) -> tuple[Stage, ...]:
    """Where a build on ``engine`` is, in the order it gets there.

    local (Studio's Docker): CHECK, INPUTS, PACKAGE, BUILD, PUSH, IMAGE, ATTACH, CLEANUP.
    codebuild: CHECK, INPUTS, PACKAGE, UPLOAD, PROJECT, START, CodeBuild's phases, IMAGE,
    ATTACH, CLEANUP. sm-docker: CHECK, START (sm-docker zips, uploads and starts), the phases,
    IMAGE, ATTACH, CLEANUP. Until the check has chosen (None, or auto), CodeBuild's: the
    check is first on every engine. A step and a phase may share a name (BUILD), so a stage
    is the event's kind with its name.
    """
    after = tuple(("step", s) for s in STEPS[_IMAGE:])
    phases = tuple(("phase", p) for p in PHASES)
    if engine == "local":
        return tuple(("step", s) for s in STEPS if s not in _CODEBUILD_STEPS)
    if engine == "sm-docker":
        return (("step", "CHECK"), ("step", "START"), *phases, *after)
    before = tuple(("step", s) for s in STEPS[:_IMAGE] if s not in _LOCAL_STEPS)
    return before + phases + after


# The bar's colour by the build's status; any other status is a failure (FAILED, FAULT, ...).
_STYLE = {"IN_PROGRESS": "", "SUCCEEDED": "success", "STOPPED": "warning", "STOPPING": "warning"}


class Progress:
    """An IntProgress moved by step and phase events: a stage counts half while it runs and
    whole when it ends; it never moves back (CLEANUP runs after the status is final).

    The stages are the engine's (``stages``): ``set_engine`` once the check has chosen."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.engine: str | None = None
        self._stages = stages(None)
        bar.min, bar.max = 0, 2 * len(self._stages)

    @property
    def stages(self) -> tuple[Stage, ...]:
        return self._stages

    def reset(self, engine: str | None = None) -> None:
        """A new build; ``engine`` when it is known before the check (asked for)."""
        self.bar.value, self.bar.bar_style, self.bar.description = 0, "", ""
        self.set_engine(None if engine == "auto" else engine)

    def set_engine(self, engine: str | None) -> None:
        """Where the build runs: its stages from now on (the ones passed keep their place,
        the check being first on every engine)."""
        self.engine = engine
        self._stages = stages(engine)
        self.bar.max = 2 * len(self._stages)

    def on_event(self, event: BuildEvent) -> None:
        if event.kind == "status" and event.status:
            self.bar.bar_style = _STYLE.get(event.status, "danger")
            return
        if event.kind not in ("step", "phase") or (event.kind, event.name) not in self._stages:
            return
        done = event.state not in (None, "IN_PROGRESS")
        value = 2 * self._stages.index((event.kind, str(event.name))) + (2 if done else 1)
        if value > self.bar.value:
            self.bar.value = value
            self.bar.description = str(event.name)

    def finish(self, status: str) -> None:
        if status == "SUCCEEDED":
            self.bar.value = self.bar.max
        self.bar.bar_style = _STYLE.get(status, "danger")
        self.bar.description = status


class LogView:
    """The build's log in an Output widget, its last ``limit`` lines.

    Lines come one event each; sending the whole output per line would cost the kernel a
    message per line, so they are gathered and sent at most every ``interval`` seconds (a
    timer sends what is left of a burst).
    """

    def __init__(self, output: Any, limit: int = 2000, interval: float = 0.25) -> None:
        self.output = output
        self.interval = interval
        self._lines: deque[str] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.count = 0  # every line seen, also the ones scrolled out

    @property
    def text(self) -> str:
        with self._lock:
            return "\n".join(self._lines)

    def clear(self) -> None:
        with self._lock:
            self._lines.clear()
            self.count = 0
        self.flush()

    def append(self, line: str) -> None:
        with self._lock:
            self._lines.append(line.rstrip("\n"))
            self.count += 1
            if self._timer is None:
                self._timer = threading.Timer(self.interval, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        # Under the lock, so a timer's flush and the build thread's never swap their order.
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            text = "\n".join(self._lines)
            self.output.outputs = (
                ({"output_type": "stream", "name": "stdout", "text": text + "\n"},) if text else ()
            )
