"""The panel's operations, each in a thread of its own: the kernel stays free for the next
cell while a check or a build runs, and the widgets change as the service reports."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from ...errors import SetupError
from .views import error_html, unexpected_html

T = TypeVar("T")


class Operations:
    """Runs at most one operation per group ("check", "fix", "build", "attach") at a time.

    ``on_change`` is called whenever a group starts or ends (the panel enables and disables
    its buttons from ``running``); ``show_error`` gets the HTML of what stopped one.
    """

    def __init__(self, on_change: Callable[[], None], show_error: Callable[[str], None]) -> None:
        self._on_change = on_change
        self._show_error = show_error
        self._running: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def running(self, group: str) -> bool:
        with self._lock:
            return group in self._running

    def start(
        self,
        group: str,
        work: Callable[[], T],
        *,
        wait: bool,
        on_interrupt: Callable[[], None] | None = None,
    ) -> T | None:
        """Run ``work`` in a thread; with ``wait``, return what it returned (None when it
        failed: the error is shown). A second start of a running group does nothing."""
        with self._lock:
            if group in self._running:
                return None
            self._running.add(group)
            self._threads = [t for t in self._threads if t.is_alive()]
        self._on_change()
        result: list[T] = []

        def body() -> None:
            try:
                result.append(work())
            except SetupError as exc:
                self._show_error(error_html(exc))
            except Exception as exc:
                self._show_error(unexpected_html(exc))
            finally:
                with self._lock:
                    self._running.discard(group)
                self._on_change()

        thread = threading.Thread(target=body, name=f"sm-setup-{group}", daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()
        if not wait:
            return None
        try:
            thread.join()
        except KeyboardInterrupt:
            # Interrupting the kernel while a cell waits: stop the work too, as Ctrl-C would.
            if on_interrupt is not None:
                on_interrupt()
            raise
        return result[0] if result else None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for every running operation; False if one still runs after ``timeout``."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in threads)
