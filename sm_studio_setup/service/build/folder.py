"""Reading what a user's build folder holds: only regular files inside it, each with a cap.

A build folder may come from anyone's git repository, so every name in it is hostile input.
The Dockerfile, the ``.dockerignore`` and every file zipped are:

- **inside the folder**: a path is resolved (links followed, as Docker follows them for the
  Dockerfile) and refused unless it stays within the folder, before anything is opened, so an
  outside file's existence or content never shows in an answer (one sentence for both);
- **regular files**: opened without blocking and without following a last link, then judged on
  the open descriptor (``fstat``), so a FIFO cannot hold a thread, ``/dev/zero`` cannot fill
  memory, and a file swapped for something else between a look and the read is still refused;
- **read with a cap**: a Dockerfile or ``.dockerignore`` of megabytes is the wrong file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ...errors import BadInput

# A Dockerfile is a page of text; .dockerignore a few dozen lines. Far larger is the wrong file.
MAX_DOCKERFILE = 1 << 20
MAX_DOCKERIGNORE = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW | os.O_CLOEXEC


def build_folder(path: str) -> Path:
    """The build folder, resolved; one sentence for a missing, non-folder or empty one."""
    root = Path(path).expanduser()
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        hint = (
            "" if what == "does not exist" else "A build takes the folder holding the Dockerfile."
        )
        raise BadInput(f"The build folder {path} {what}.", hint, field="context")
    root = root.resolve()
    with os.scandir(root) as entries:
        if next(entries, None) is None:
            raise BadInput(
                f"The build folder {path} is empty: there is nothing to build.", field="context"
            )
    return root


def inside(root: Path, name: str, *, field: str, what: str) -> Path:
    """``name`` (relative to ``root``, or absolute) resolved, when it stays within ``root``.

    Nothing is opened: the answer is the same whether or not an outside file exists."""
    if not name or "\0" in name:
        raise BadInput(f"The {what} is not a path.", field=field)
    target = (root / name).resolve()
    if target == root:
        raise BadInput(f"The {what} {name} is the build folder itself, not a file.", field=field)
    if root not in target.parents:
        raise BadInput(
            f"The {what} {name} is outside the build folder: only the folder is sent to docker, "
            "so name a file within it.",
            field=field,
        )
    return target


def read_regular(path: Path, cap: int, *, shown: str, field: str, what: str) -> bytes | None:
    """The bytes of the regular file ``path`` (at most ``cap``); None when it does not exist.

    A FIFO, socket, device or directory, a file over ``cap``, or one that cannot be read is
    refused with one sentence naming ``shown``."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # the last element became a link after it was resolved
            raise BadInput(f"The {what} {shown} changed while it was read.", field=field) from exc
        raise BadInput(f"Cannot read the {what} {shown}: {exc.strerror}.", field=field) from exc
    kind = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(kind):
        os.close(descriptor)
        raise BadInput(
            f"The {what} {shown} is {_kind(kind)}, not a file: it is not read.", field=field
        )
    with os.fdopen(descriptor, "rb") as opened:
        data = opened.read(cap + 1)
    if len(data) > cap:
        raise BadInput(f"The {what} {shown} is over {cap:,} bytes: not a {what}.", field=field)
    return data


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_text(data: bytes, *, shown: str, field: str, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(
            f"The {what} {shown} is not UTF-8 text (byte {exc.start}).", field=field
        ) from exc


def dockerfile_path(root: Path, dockerfile: str) -> Path:
    """The Dockerfile within the build folder (as ``docker build -f`` takes it)."""
    return inside(root, dockerfile, field="dockerfile", what="Dockerfile")


def read_dockerfile(root: Path, dockerfile: str, *, shown_folder: str = "") -> str:
    """The Dockerfile's text, read only when it is a regular file inside the folder."""
    path = dockerfile_path(root, dockerfile)
    data = read_regular(
        path, MAX_DOCKERFILE, shown=dockerfile, field="dockerfile", what="Dockerfile"
    )
    if data is None:
        raise no_dockerfile(dockerfile, shown_folder)
    return read_text(data, shown=dockerfile, field="dockerfile", what="Dockerfile")


def no_dockerfile(dockerfile: str, folder: str) -> BadInput:
    """The folder has no such Dockerfile. With the default name the folder is what is wrong
    (the error names that field); with a name the user gave, the name may be."""
    where = f" in {folder}" if folder else ""
    if dockerfile == "Dockerfile":
        return BadInput(
            f"There is no Dockerfile{where}: a build folder holds one at its top.",
            "Choose the folder that holds the Dockerfile.",
            field="context",
        )
    return BadInput(
        f"There is no file {dockerfile}{where} to build from.",
        "Name the Dockerfile as it is within the build folder, or choose the folder that holds it.",
        field="dockerfile",
    )


def read_dockerignore(root: Path) -> str:
    """``.dockerignore``'s text ("" when there is none), under the same rules."""
    name = ".dockerignore"
    if not os.path.lexists(root / name):
        return ""
    path = inside(root, name, field="context", what=".dockerignore")
    data = read_regular(path, MAX_DOCKERIGNORE, shown=name, field="context", what=".dockerignore")
    if data is None:  # a link to nothing: Docker reads no patterns from it
        return ""
    return read_text(data, shown=name, field="context", what=".dockerignore")


def open_for_zip(path: Path, shown: str) -> int:
    """A descriptor of the regular file ``path`` for the zip; refused if it changed kind."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise BadInput(
            f"Cannot read {shown} in the build folder: {exc.strerror}.", field="context"
        ) from exc
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise BadInput(
            f"{shown} in the build folder stopped being a file while it was packaged.",
            field="context",
        )
    return descriptor
