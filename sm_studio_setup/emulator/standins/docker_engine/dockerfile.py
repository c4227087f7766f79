"""The Dockerfile as the classic builder walks it: one step per instruction, stages and
``--target``, the images each step pulls, ``LABEL``s and what ``COPY``/``ADD`` need from the
context.

Which images a step pulls comes from ``requirements.params.parse_dockerfile_from`` (the same
reading the product's check uses: ``ARG`` defaults and ``buildargs``, stage names, ``COPY
--from=image``), asked of the Dockerfile up to each step.
"""

from __future__ import annotations

import json
import posixpath
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from sm_studio_setup.images.dockerignore import DockerignoreError, Pattern
from sm_studio_setup.requirements.params import _logical_lines, parse_dockerfile_from

from .context import Context
from .wire import HttpError

INSTRUCTIONS = frozenset(
    [
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    ]
)
_GLOB = frozenset("*?[")


@dataclass(frozen=True)
class Step:
    keyword: str
    arguments: str
    text: str  # as the Dockerfile has it, continuations joined
    pulls: tuple[str, ...]  # images this step pulls


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]  # up to the end of the target stage, as the classic builder counts
    labels: dict[str, str]


def plan(text: str, build_args: Mapping[str, str], target: str) -> Plan:
    lines = _logical_lines(text)
    if not lines:
        raise HttpError(400, "the Dockerfile (Dockerfile) cannot be empty")
    steps: list[Step] = []
    pulled: tuple[str, ...] = ()
    pull_lines: list[str] = []
    labels: dict[str, str] = {}
    target_found = not target
    in_target = seen_from = False
    for line in lines:
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword not in INSTRUCTIONS:
            raise HttpError(400, f"dockerfile parse error: unknown instruction: {keyword}")
        pulls: tuple[str, ...] = ()
        if keyword == "FROM":
            if in_target:
                break  # the target stage is complete: the build ends here
            words = [w for w in arguments.split() if not w.startswith("--")]
            if target and len(words) >= 3 and words[1].upper() == "AS":
                in_target = target_found = words[2].lower() == target.lower()
        if keyword == "ARG" and not seen_from:
            pull_lines.append(line)  # FROM reads the ARGs declared before the first FROM
        elif keyword == "FROM" or (keyword in ("COPY", "ADD") and "--from" in arguments):
            seen_from = seen_from or keyword == "FROM"
            pull_lines.append(line)
            try:
                now = parse_dockerfile_from("\n".join(pull_lines), build_args)
            except ValueError as exc:
                raise HttpError(400, f"dockerfile parse error: {exc}") from None
            pulls = tuple(image for image in now if image not in pulled)
            pulled = now
        steps.append(Step(keyword, arguments.strip(), line, pulls))
        if keyword == "LABEL":
            labels.update(_labels(arguments))
    if not any(step.keyword == "FROM" for step in steps):
        raise HttpError(400, "dockerfile parse error: no FROM instruction")
    if not target_found:
        # moby builder/dockerfile/builder.go: before any step, so as an HTTP error.
        raise HttpError(500, f"failed to reach build target {target} in Dockerfile")
    return Plan(tuple(steps), labels)


def _labels(arguments: str) -> dict[str, str]:
    """``LABEL k=v "k 2"="v 2"``, or the old ``LABEL key value``."""
    try:
        words = shlex.split(arguments)
    except ValueError:
        return {}
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.partition("=")[::2] for word in words if "=" in word)


def missing_source(step: Step, context: Context) -> str | None:
    """The first source of a ``COPY``/``ADD`` from the context that the context lacks."""
    if step.keyword not in ("COPY", "ADD") or "--from" in step.arguments:
        return None
    for source in _sources(step.arguments):
        if "$" in source or "://" in source:
            continue  # a variable or (ADD) a URL: not judged here
        path = posixpath.normpath(source.lstrip("/")) if source.strip("/.") else "."
        if _GLOB & set(path):
            try:
                pattern = Pattern(path)
            except DockerignoreError:
                continue
            if not any(pattern.match(p) for p in context.paths()):
                return source
        elif not context.has(path) and not any(f.startswith(path + "/") for f in context.files):
            return source
    return None


def _sources(arguments: str) -> list[str]:
    text = arguments.strip()
    words: list[str]
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = None
        words = [str(w) for w in loaded] if isinstance(loaded, list) else text.split()
    else:
        words = text.split()
    words = [w for w in words if not w.startswith("--")]
    return words[:-1]
