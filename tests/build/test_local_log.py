"""What a build on Studio's Docker keeps of the daemon's output: whole lines, each bounded, a
progress meter as a terminal shows it, and a log that stops growing (a Dockerfile is anyone's)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from sm_studio_setup.service.build import local


class _Build:
    """What the log writes to: the build's events and its record's log."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.shown: list[str] = []
        self.options = SimpleNamespace(no_logs=False)
        self.record = SimpleNamespace(id="b-1", log_lines=0, step=lambda name: SimpleNamespace())
        self.records = SimpleNamespace(append_log=lambda _id, lines: self.lines.extend(lines))

    def _emit(self, kind: str, text: str, **_: Any) -> None:
        if kind == "log":
            self.shown.append(text)

    def _save(self) -> None:
        pass


def _log() -> tuple[Any, _Build]:
    build = _Build()
    return local._Log(build), build  # type: ignore[arg-type]


def test_lines_are_whole_and_a_redrawn_meter_is_its_last_state() -> None:
    log, build = _log()
    log.text("Step 1/2 : RUN x\nfetch 10%\rfetch 50%\rfetch 100%\r")
    log.text("\nlast without newline")
    log.flush(final=True)
    assert build.lines == ["Step 1/2 : RUN x", "fetch 100%", "last without newline"]


def test_a_line_that_never_ends_is_cut_and_memory_stays_bounded() -> None:
    log, build = _log()
    for _ in range(100):
        log.text("y" * 4096)  # `yes | tr -d '\n'`: 400 KiB, no newline
        assert len(log.partial) <= local._MAX_LINE
    log.flush(final=True)
    assert all(len(line) <= local._MAX_LINE + len(" [line cut]") for line in build.lines)
    assert build.lines[0].endswith(" [line cut]")
    assert sum(len(line.removesuffix(" [line cut]")) for line in build.lines) == 100 * 4096


def test_the_log_stops_at_its_cap_with_a_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "_MAX_LINES", 5)
    log, build = _log()
    log.text("".join(f"line {i}\n" for i in range(50)))
    log.flush(final=True)
    assert build.lines[:5] == [f"line {i}" for i in range(5)]
    assert build.lines[5].startswith("[the log stops here: more than 5 lines")
    assert len(build.lines) == 6


def test_a_daemon_s_odd_messages_are_read_as_data() -> None:
    log, build = _log()
    log.status({"status": "Pulling", "id": "abc", "progressDetail": "not an object"})
    log.flush(final=True)
    assert build.lines == ["abc: Pulling"]
    assert local._error_of({"errorDetail": ["x"], "error": ""}) == ""
    assert local._error_of({"errorDetail": {"message": "no space left."}}) == "no space left"
