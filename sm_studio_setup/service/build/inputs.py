"""A build's inputs as one digest, and the image an earlier build of the same inputs pushed.

Never rebuild what is built: the image a build pushes also carries the tag
``smss-inputs-<the digest's 64 hex digits>`` (76 characters, inside ECR's 1 to 300 and docker's
128; lowercase letters, digits and ``-``, inside every tag grammar). Before anything is
uploaded, that tag is looked up in the build's repository (``ecr:DescribeImages``): when ECR has
it, the build ends at once with that image, and only the requested tag is moved to it when it
names another image (a retag: the manifest put again, nothing pulled or pushed).

**The digest, version 2.** SHA-256 over a sequence of fields, each its UTF-8 bytes preceded by
their length as 8 bytes big-endian (so no field can run into the next), ``<count>`` in decimal:

- ``"sm-studio-setup build inputs"``, ``"2"``;
- ``"builder"``, ``"classic"`` (Studio's Docker) or ``"buildkit"`` (CodeBuild, sm-docker): the
  two builders may make different images of the same folder (BuildKit's automatic ``TARGET*``
  arguments are empty on the classic builder), so an image of one is never reused for the other;
- ``"dockerfile"``, its path within the context, the SHA-256 (hex) of its bytes;
- ``"platform"``, the platform;
- ``"build-args"``, ``<count>``, then for each name in sorted order its name and value (the
  last value given for a name, as docker takes it);
- ``"docker-args"``, ``<count>``, each further docker argument as given, in order (``--target``
  is one of them, and so is every other option that shapes the image);
- ``"environment"``, ``<count>``, then for each ``--build-arg NAME`` among them that gives no
  value (docker then takes it from the environment) its name and the environment's value, or
  ``"\0unset"``;
- ``"files"``, ``<count>``, then each entry of the context as Docker would send it (after
  ``.dockerignore``, ``context.py``'s walk) in path order: a regular file as ``"file"``, its
  path, its permission bits in octal (``"0644"``: what Docker sends and COPY keeps) and the
  SHA-256 (hex) of its bytes;
  a symbolic link as ``"link"``, its path and its target's text (never followed).

Not inputs: secrets (``--secret``: their values never reach the digest, the record or the tag,
so a changed secret alone does not rebuild), file times and the order files were made in, the
cache, the compute type, the timeout and the project's tags. Nor is what a ``FROM`` tag names
today: an unchanged folder reuses the image built with the base image of that day, and
``--rebuild`` (or docker's own ``--pull`` or ``--no-cache`` after ``--``) builds afresh and
pulls again.

Reading is bounded as every read of the folder is: the walk is ``context.py``'s (its entry and
time bounds, links never followed), every file is opened as ``folder.py`` opens files and read
in 1 MB blocks up to the size the walk saw, and hashing that takes longer than the walk's time
bound gives up the lookup (the build goes on, without the extra tag) instead of failing.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ...aws import ecr
from ...errors import AwsAccessDenied, SetupError, Surface, spell_input
from ...images.docker_options import DockerArgsError, parse_build_args
from ..options import BuildOptions
from .context import MAX_SECONDS, BuildContext, ContextStopped, Flag, shown_name
from .folder import MAX_DOCKERFILE, open_for_zip, read_regular
from .records import BuildRecord, Records

VERSION = "2"
TAG_PREFIX = "smss-inputs-"
_MAGIC = "sm-studio-setup build inputs"
_BLOCK = 1 << 20
# docker's --pull and --no-cache ask for a fresh build: reusing an image would ignore them.
_FRESH = ("pull", "no-cache")
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})


class HashingTooSlow(Exception):
    """Reading the folder for its digest took longer than the bound."""


def _field(digest: Any, text: str) -> None:
    data = text.encode("utf-8")
    digest.update(len(data).to_bytes(8, "big"))
    digest.update(data)


def _file_sha256(
    context: BuildContext, path: str, size: int, stop: Flag | None, deadline: float
) -> tuple[str, str]:
    """(permission bits in octal, SHA-256 hex) of a regular file, read in blocks up to
    ``size`` bytes."""
    descriptor = open_for_zip(context.root / path, shown_name(path))
    with os.fdopen(descriptor, "rb") as source:
        mode = f"{stat.S_IMODE(os.fstat(source.fileno()).st_mode):04o}"
        digest = hashlib.sha256()
        left = size
        while left > 0 and (block := source.read(min(_BLOCK, left))):
            left -= len(block)
            digest.update(block)
            if stop is not None and stop.is_set():
                raise ContextStopped()
            if time.monotonic() > deadline:
                raise HashingTooSlow()
    return mode, digest.hexdigest()


def build_args(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The build arguments as docker takes them: the last value of a name wins; sorted."""
    return sorted(dict(pairs).items())


def inputs_digest(
    context: BuildContext,
    options: BuildOptions,
    *,
    stop: Flag | None = None,
    max_seconds: float = MAX_SECONDS,
    builder: str = "buildkit",
) -> str:
    """The digest of a build's inputs (version 1, the module's docstring), as 64 hex digits.

    ``HashingTooSlow`` past ``max_seconds``; ``ContextStopped`` when ``stop`` is set."""
    deadline = time.monotonic() + max_seconds
    digest = hashlib.sha256()
    dockerfile = read_regular(
        context.root / context.dockerfile,
        MAX_DOCKERFILE,
        shown=context.dockerfile,
        field="dockerfile",
        what="Dockerfile",
    )
    for text in (_MAGIC, VERSION, "builder", builder, "dockerfile", context.dockerfile):
        _field(digest, text)
    _field(digest, hashlib.sha256(dockerfile or b"").hexdigest())
    _field(digest, "platform")
    _field(digest, options.platform)
    args = build_args(options.build_args)
    _field(digest, "build-args")
    _field(digest, str(len(args)))
    for name, value in args:
        _field(digest, name)
        _field(digest, value)
    _field(digest, "docker-args")
    _field(digest, str(len(options.docker_args)))
    for word in options.docker_args:
        _field(digest, word)
    from_environment = _environment_args(options.docker_args)
    _field(digest, "environment")
    _field(digest, str(len(from_environment)))
    for name in from_environment:
        _field(digest, name)
        _field(digest, os.environ.get(name, "\0unset"))
    _field(digest, "files")
    _field(digest, str(len(context.files)))
    for item in sorted(context.files, key=lambda f: f.path):
        if item.link is not None:
            for text in ("link", item.path, item.link):
                _field(digest, text)
            continue
        mode, content = _file_sha256(context, item.path, item.size, stop, deadline)
        for text in ("file", item.path, mode, content):
            _field(digest, text)
        if time.monotonic() > deadline:
            raise HashingTooSlow()
    return digest.hexdigest()


def _environment_args(docker_args: tuple[str, ...]) -> list[str]:
    """The names of ``--build-arg NAME`` without a value, which docker reads from its
    environment, in order."""
    try:
        parsed, _ = parse_build_args(docker_args)
    except DockerArgsError:
        return []  # refused when the options were made
    return [
        option.value
        for option in parsed
        if option.name == "build-arg" and option.value is not None and "=" not in option.value
    ]


def inputs_tag(digest: str) -> str:
    return TAG_PREFIX + digest


def fresh_reason(options: BuildOptions, surface: Surface = "cli") -> str | None:
    """Why this build must not reuse an image (``--rebuild``, docker's ``--pull`` or
    ``--no-cache``), or None."""
    if options.rebuild:
        return _rebuild(surface)
    try:
        parsed, _ = parse_build_args(options.docker_args)
    except DockerArgsError:
        return None  # refused when the options were made; nothing to add here
    for option in parsed:
        if option.name in _FRESH and (option.value is None or option.value in _TRUE):
            return f"docker's --{option.name}"
    return None


def _rebuild(surface: Surface) -> str:
    spelled = spell_input("rebuild", surface)
    return f"{spelled}: true" if surface == "rest" else spelled


@dataclass(frozen=True)
class Decision:
    """What the INPUTS step found: the digest, the tag to push the image with (None: none),
    the image of these inputs already in ECR (None: build), and what to say."""

    digest: str | None
    tag: str | None
    found: ecr.TaggedImage | None
    state: str  # the step's: SUCCEEDED, or SKIPPED when nothing was looked up
    detail: str
    warnings: tuple[str, ...] = field(default_factory=tuple)


def decide(
    session: Any,
    options: BuildOptions,
    context: BuildContext,
    repository: str,
    *,
    stop: Flag | None = None,
    surface: Surface = "cli",
    max_seconds: float = MAX_SECONDS,
    builder: str = "buildkit",
) -> Decision:
    """The digest of this build's inputs, and whether ``repository`` has their image."""
    try:
        digest = inputs_digest(
            context, options, stop=stop, max_seconds=max_seconds, builder=builder
        )
    except HashingTooSlow:
        return Decision(
            None,
            None,
            None,
            "SKIPPED",
            "the folder took too long to read for its digest",
            (
                f"Reading the build folder for its digest took over {max_seconds:.0f} s, so "
                "whether these inputs were built already was not looked up: building, without "
                "the inputs tag.",
            ),
        )
    tag = inputs_tag(digest)
    fresh = fresh_reason(options, surface)
    if fresh is not None:
        if _may_hold(session, repository, tag):
            return Decision(
                digest,
                None,
                None,
                "SKIPPED",
                f"{fresh}: not looked up; building without the inputs tag",
                (
                    f"The tags of {repository} are immutable and {tag} may already name an "
                    "image of these inputs, so this build is pushed without it (a later build "
                    "of the same inputs finds the earlier image).",
                ),
            )
        return Decision(digest, tag, None, "SKIPPED", f"{fresh}: not looked up; building")
    try:
        found = ecr.find_tag(session, repository, tag)
    except AwsAccessDenied:
        keep = None if _may_hold(session, repository, tag) else tag
        return Decision(
            digest,
            keep,
            None,
            "SUCCEEDED",
            "the lookup was not allowed: building",
            (
                f"ecr:DescribeImages on {repository} was not allowed, so whether these inputs "
                "were built already could not be told: building.",
            ),
        )
    except SetupError as exc:
        keep = None if _may_hold(session, repository, tag) else tag
        return Decision(
            digest,
            keep,
            None,
            "SUCCEEDED",
            "the lookup failed: building",
            (f"Looking for an image of these inputs failed ({exc.message}): building.",),
        )
    if found is None:
        return Decision(digest, tag, None, "SUCCEEDED", "not built yet: building")
    return Decision(digest, tag, found, "SUCCEEDED", f"built already: {found.digest}")


def _may_hold(session: Any, repository: str, tag: str) -> bool:
    """Whether pushing ``tag`` again could be refused: the repository's tags are not plainly
    mutable (IMMUTABLE, or with exclusion filters) and the tag is not known to be absent. A
    repository that cannot be described, or does not exist yet, is taken as mutable (this
    tool creates it so)."""
    mutability = ecr.tag_mutability(session, repository)
    if mutability is None or mutability == "MUTABLE":
        return False
    try:
        return ecr.find_tag(session, repository, tag) is not None
    except SetupError:
        return True


# --- the earlier build, and what the record and the surfaces say -------------------------------


def earlier_build(
    records: Records, digest: str, image_digest: str, *, exclude: str
) -> BuildRecord | None:
    """The newest build on this machine that built ``image_digest`` from these inputs."""
    try:
        found = records.all()
    except (SetupError, OSError):
        return None
    for record in found:
        if (
            record.id != exclude
            and record.inputs_digest == digest
            and record.digest == image_digest
            and record.status == "SUCCEEDED"
            and record.reason != "unchanged"
        ):
            return record
    return None


def since(earlier: BuildRecord | None, image: ecr.TaggedImage) -> dict[str, Any]:
    """``unchanged_since``: the build that made the image (None when no record here says) and
    when (that build's end, else ECR's ``imagePushedAt``), ISO 8601 in UTC."""
    if earlier is not None:
        return {"build_id": earlier.id, "date": earlier.ended or earlier.created}
    pushed = image.pushed_at or datetime.now(timezone.utc)
    if pushed.tzinfo is None:
        pushed = pushed.replace(tzinfo=timezone.utc)
    return {
        "build_id": None,
        "date": pushed.astimezone(timezone.utc).isoformat(timespec="seconds"),
    }


def _shown_date(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def unchanged_message(
    unchanged_since: dict[str, Any], image_uri: str, retagged: str | None, surface: Surface
) -> str:
    """The record's message for a build that found its image: what, since when, and that a
    moving base tag was not pulled again."""
    when = _shown_date(str(unchanged_since.get("date") or ""))
    build_id = unchanged_since.get("build_id")
    whence = f"build {build_id} ({when})" if build_id else f"the image pushed {when}"
    moved = f"; {retagged} was moved to it (a retag)" if retagged else ""
    return (
        f"Unchanged since {whence}: {image_uri}. Nothing was built or pushed{moved}. A base "
        "image named by a moving tag (FROM …:latest) was not pulled again: "
        f"{_rebuild(surface)} builds afresh."
    )
