"""The part of a CodeBuild buildspec the emulator's builds run, read the way CodeBuild reads it.

AWS CodeBuild User Guide, buildspec reference ("Build specification reference for
CodeBuild"): a buildspec is YAML with a ``version`` (0.2 is current; 0.1 is accepted and run
the same way, since the emulator runs every command in one shell state anyway), an optional
``env`` (``variables``, ``shell``, ...) and ``phases.{install,pre_build,build,post_build}``
each with a list of ``commands`` and an optional ``finally`` list, run after the commands even
when one of them failed. Commands are strings; a YAML mapping where a command should be
(typically an unquoted ``- echo a: b``) is CodeBuild's "found subkeys instead" error, which
fails the build in DOWNLOAD_SOURCE with the status code ``YAML_FILE_ERROR``.

Accepted but not acted on: ``env.shell`` (commands always run in bash), ``run-as``,
``on-failure``, ``runtime-versions``, ``env.exported-variables``, ``env.git-credential-helper``,
``reports``, ``artifacts`` and ``cache``. ``env.parameter-store`` and ``env.secrets-manager``
would need values the emulator cannot resolve, so a buildspec that uses them is refused rather
than run with the variables silently missing.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

COMMAND_PHASES = ("INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD")
YAML_FILE_ERROR = "YAML_FILE_ERROR"


class BuildspecError(Exception):
    """A buildspec CodeBuild would refuse; the text is the phase context's message."""

    status_code = YAML_FILE_ERROR


@dataclass(frozen=True)
class PhaseSpec:
    commands: tuple[str, ...] = ()
    finally_commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Buildspec:
    version: str
    variables: Mapping[str, str] = field(default_factory=dict)
    phases: Mapping[str, PhaseSpec] = field(default_factory=dict)  # keys from COMMAND_PHASES


def parse(text: str) -> Buildspec:
    # PyYAML is moto's own dependency; imported by name so that no stubs are needed.
    yaml = importlib.import_module("yaml")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BuildspecError(_yaml_message(exc)) from None
    if not isinstance(data, dict):
        raise BuildspecError("Invalid buildspec: the file is not a YAML mapping")
    version = data.get("version")
    if version is None:
        raise BuildspecError("Invalid buildspec: version is missing")
    if str(version) not in ("0.1", "0.2"):
        raise BuildspecError(f"Unknown buildspec version {version!r}: expected 0.2")
    variables = _variables(data.get("env"))
    phases: dict[str, PhaseSpec] = {}
    raw_phases = data.get("phases") or {}
    if not isinstance(raw_phases, dict):
        raise BuildspecError("Invalid buildspec: phases must be a mapping")
    for key, body in raw_phases.items():
        kind = str(key).upper()
        if kind not in COMMAND_PHASES:
            continue
        if body is None:
            phases[kind] = PhaseSpec()
            continue
        if not isinstance(body, dict):
            raise BuildspecError(f"Invalid buildspec: phase {key} must be a mapping")
        phases[kind] = PhaseSpec(
            commands=_commands(body.get("commands"), "Commands"),
            finally_commands=_commands(body.get("finally"), "Finally"),
        )
    return Buildspec(version=str(version), variables=variables, phases=phases)


def _yaml_message(exc: Exception) -> str:
    # The Go YAML library CodeBuild uses words it "yaml: line N: <problem>".
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"yaml: line {mark.line + 1}: {problem}"
    return f"yaml: {problem}"


def _commands(value: Any, label: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise BuildspecError(f"Invalid buildspec: {label.lower()} must be a list of strings")
    commands: list[str] = []
    for index, item in enumerate(value):
        if isinstance(item, dict | list):
            kind = "subkeys" if isinstance(item, dict) else "a list"
            raise BuildspecError(
                f"Expected {label}[{index}] to be of string type: found {kind} instead"
            )
        if item is None:
            continue
        commands.append(_scalar(item))
    return tuple(commands)


def _variables(env: Any) -> dict[str, str]:
    if env is None:
        return {}
    if not isinstance(env, dict):
        raise BuildspecError("Invalid buildspec: env must be a mapping")
    for unsupported in ("parameter-store", "secrets-manager"):
        if env.get(unsupported):
            raise BuildspecError(
                f"env/{unsupported} is not supported by the emulator's CodeBuild: it cannot "
                "resolve those values (use env/variables or PLAINTEXT project variables)"
            )
    variables = env.get("variables") or {}
    if not isinstance(variables, dict):
        raise BuildspecError("Invalid buildspec: env/variables must be a mapping")
    result: dict[str, str] = {}
    for name, value in variables.items():
        if isinstance(value, dict | list):
            raise BuildspecError(f"Invalid buildspec: env/variables/{name} must be a string")
        result[str(name)] = "" if value is None else _scalar(value)
    return result


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
