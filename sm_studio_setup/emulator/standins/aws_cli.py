"""The ``aws`` stand-in: the few AWS CLI commands image buildspecs use, against the emulator.

Every call first prints ``[aws] <JSON array of its arguments>`` on stderr: stdout is what
buildspecs capture (``$(aws ecr get-login ...)``, ``aws ecr get-login-password | docker login
--password-stdin ...``), and stderr reaches the build's log all the same.

- ``ecr get-login-password [--region R]``: ECR GetAuthorizationToken; prints the password (the
  decoded token after ``AWS:``).
- ``ecr get-login [--no-include-email] [--region R] [--registry-ids ID ...]`` (AWS CLI v1, which
  sm-docker 0.6.0's buildspec runs inside ``$(...)``): one ``docker login -u AWS -p PASSWORD
  https://ID.dkr.ecr.REGION.amazonaws.com`` line per registry (default: the caller's account),
  with ``-e none`` unless ``--no-include-email``, as CLI v1 printed it.
- ``sts get-caller-identity [--query KEY] [--output json|text]``.

The calls are signed with the build's credentials (the project's service role session) and sent
only to the emulator, so IAM enforcement applies. Exit statuses are AWS CLI v2's: 252 for a
command line it cannot run (anything else is "not supported by the emulator's aws stand-in"),
253 for missing credentials, 254 for a service error, 255 for anything else.
"""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from .common import StandinError, client, default_region, log_call, say, warn

CLI_VERSION = "aws-cli/2.15.30 Python/3.11 Linux/emulator exe/x86_64 prompt/off"
_GLOBAL_VALUES = {
    "--region",
    "--output",
    "--profile",
    "--endpoint-url",
    "--query",
    "--color",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--ca-bundle",
}
_GLOBAL_FLAGS = {"--no-cli-pager", "--no-paginate", "--debug", "--no-verify-ssl", "--version"}
_SUPPORTED = "ecr get-login-password, ecr get-login, sts get-caller-identity"


@dataclass
class Globals:
    values: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def region(self) -> str:
        return self.values.get("--region") or default_region()


def _split_globals(args: list[str]) -> tuple[Globals, list[str]]:
    """The AWS CLI accepts its global options anywhere on the line."""
    options = Globals()
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        name, eq, inline = arg.partition("=")
        if name in _GLOBAL_VALUES:
            if eq:
                options.values[name] = inline
            elif index + 1 < len(args):
                index += 1
                options.values[name] = args[index]
            else:
                raise StandinError(f"aws: error: argument {name}: expected one argument", 252)
        elif arg in _GLOBAL_FLAGS:
            options.flags.add(arg)
        else:
            rest.append(arg)
        index += 1
    return options, rest


def main(args: list[str]) -> int:
    log_call("aws", args, sys.stderr)
    options, rest = _split_globals(args)
    if "--version" in options.flags:
        say(CLI_VERSION)
        return 0
    if len(rest) < 2:
        raise StandinError(
            "usage: aws [options] <command> <subcommand> [parameters]\n"
            f"the emulator's aws stand-in runs: {_SUPPORTED}",
            252,
        )
    service, operation, tail = rest[0], rest[1], rest[2:]
    handler = _OPERATIONS.get((service, operation))
    if handler is None:
        raise StandinError(
            f"aws {service} {operation}: not supported by the emulator's aws stand-in "
            f"(it runs {_SUPPORTED})",
            252,
        )
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        return handler(tail, options)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        warn(
            f"\nAn error occurred ({error.get('Code', 'Unknown')}) when calling the "
            f"{exc.operation_name} operation: {error.get('Message', '')}"
        )
        return 254
    except NoCredentialsError:
        warn('Unable to locate credentials. You can configure credentials by running "aws login".')
        return 253
    except BotoCoreError as exc:
        warn(f"\n{exc}")
        return 255


def _no_arguments(tail: list[str]) -> None:
    if tail:
        raise StandinError(f"aws: error: unrecognized arguments: {' '.join(tail)}", 252)


def _passwords(options: Globals, registry_ids: list[str] | None) -> list[tuple[str, str]]:
    """(proxy endpoint, password) per registry from GetAuthorizationToken."""
    ecr = client("ecr", options.region)
    kwargs: dict[str, Any] = {"registryIds": registry_ids} if registry_ids else {}
    data = ecr.get_authorization_token(**kwargs)["authorizationData"]
    found = []
    for item in data:
        token = base64.b64decode(item["authorizationToken"]).decode()
        found.append((str(item["proxyEndpoint"]), token.partition(":")[2]))
    return found


def get_login_password(tail: list[str], options: Globals) -> int:
    _no_arguments(tail)
    say(_passwords(options, None)[0][1])
    return 0


def get_login(tail: list[str], options: Globals) -> int:
    include_email = True
    registry_ids: list[str] = []
    index = 0
    while index < len(tail):
        arg = tail[index]
        if arg == "--no-include-email":
            include_email = False
        elif arg == "--include-email":
            include_email = True
        elif arg == "--registry-ids":
            while index + 1 < len(tail) and not tail[index + 1].startswith("--"):
                index += 1
                registry_ids.append(tail[index])
            if not registry_ids:
                raise StandinError(
                    "aws: error: argument --registry-ids: expected one argument", 252
                )
        else:
            raise StandinError(f"aws: error: unrecognized arguments: {arg}", 252)
        index += 1
    for endpoint, password in _passwords(options, registry_ids or None):
        email = " -e none" if include_email else ""
        say(f"docker login -u AWS -p {password}{email} {endpoint}")
    return 0


def get_caller_identity(tail: list[str], options: Globals) -> int:
    _no_arguments(tail)
    identity = client("sts", options.region).get_caller_identity()
    shown = {key: identity[key] for key in ("UserId", "Account", "Arn")}
    query = options.values.get("--query")
    output = options.values.get("--output", "json")
    if query:
        if query not in shown:
            raise StandinError(
                f"the emulator's aws stand-in answers --query with a top-level key only "
                f"({', '.join(shown)}), not {query!r}",
                252,
            )
        value = shown[query]
        say(value if output == "text" else json.dumps(value))
        return 0
    if output == "text":
        say("\t".join(shown[key] for key in ("Account", "Arn", "UserId")))
    else:
        say(json.dumps(shown, indent=4))
    return 0


_OPERATIONS = {
    ("ecr", "get-login-password"): get_login_password,
    ("ecr", "get-login"): get_login,
    ("sts", "get-caller-identity"): get_caller_identity,
}
