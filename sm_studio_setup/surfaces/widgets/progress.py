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

# Where a build is, in the order it gets there: the engine's steps around CodeBuild's phases.
_BEFORE, _AFTER = STEPS[: STEPS.index("IMAGE")], STEPS[STEPS.index("IMAGE") :]
STAGES = _BEFORE + PHASES + _AFTER
# The bar's colour by the build's status; any other status is a failure (FAILED, FAULT, ...).
_STYLE = {"IN_PROGRESS": "", "SUCCEEDED": "success", "STOPPED": "warning", "STOPPING": "warning"}


class Progress:
    """An IntProgress moved by step and phase events: a stage counts half while it runs and
    whole when it ends; it never moves back (CLEANUP runs after the status is final)."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        bar.min, bar.max = 0, 2 * len(STAGES)

    def reset(self) -> None:
        self.bar.value, self.bar.bar_style, self.bar.description = 0, "", ""

    def on_event(self, event: BuildEvent) -> None:
        if event.kind == "status" and event.status:
            self.bar.bar_style = _STYLE.get(event.status, "danger")
            return
        if event.kind not in ("step", "phase") or event.name not in STAGES:
            return
        done = event.state not in (None, "IN_PROGRESS")
        value = 2 * STAGES.index(event.name) + (2 if done else 1)
        if value > self.bar.value:
            self.bar.value = value
            self.bar.description = event.name

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
