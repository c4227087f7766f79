"""What a build's stand-ins remember between calls: logins, built images, cache exports.

One JSON file in the folder named by ``SM_EMULATOR_STANDIN_STATE`` (the build's own, removed
with it), read and written under an exclusive ``flock`` so that stand-ins a buildspec runs in
the background or in a pipeline cannot lose each other's updates. The emulator's runner writes
``known-cache-refs.json`` there before every command: the registry cache refs exported by any
build of this emulator, which ``--cache-from`` reports as found or not.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

STATE_ENV = "SM_EMULATOR_STANDIN_STATE"
STATE_FILE = "state.json"
KNOWN_CACHE_REFS_FILE = "known-cache-refs.json"


class StateUnavailable(RuntimeError):
    pass


def state_dir() -> Path:
    value = os.environ.get(STATE_ENV)
    if not value or not Path(value).is_dir():
        raise StateUnavailable(
            f"{STATE_ENV} does not name the build's stand-in state folder; the stand-ins only "
            "run inside an emulator build"
        )
    return Path(value)


def _empty() -> dict[str, Any]:
    return {"logins": {}, "tags": {}, "images": {}, "cache_exports": []}


def read_state(folder: Path) -> dict[str, Any]:
    try:
        loaded = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return _empty()
    state = _empty()
    if isinstance(loaded, dict):
        state.update({k: v for k, v in loaded.items() if k in state})
    return state


@contextlib.contextmanager
def locked_state(folder: Path | None = None) -> Iterator[dict[str, Any]]:
    """The state, for reading and changing; written back when the block ends normally."""
    folder = folder or state_dir()
    with open(folder / "state.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = read_state(folder)
        yield state
        temporary = folder / f".{STATE_FILE}.{os.getpid()}"
        temporary.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
        os.replace(temporary, folder / STATE_FILE)


def known_cache_refs(folder: Path) -> set[str]:
    try:
        loaded = json.loads((folder / KNOWN_CACHE_REFS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return set()
    return {str(ref) for ref in loaded} if isinstance(loaded, list) else set()


def write_known_cache_refs(folder: Path, refs: set[str]) -> None:
    temporary = folder / f".{KNOWN_CACHE_REFS_FILE}.tmp"
    temporary.write_text(json.dumps(sorted(refs)), encoding="utf-8")
    os.replace(temporary, folder / KNOWN_CACHE_REFS_FILE)
