"""``--engine sm-docker``: the original ``sm-docker build``, for those who want it, after our
check.

sm-docker zips its working directory, so it runs in the build folder. It exits 0 for a failed
build, so its exit status says nothing: the build it ran is found on CodeBuild afterwards (the
newest build of a project with this build's prefix, started after it) and that build's status
is what is reported.

What sm-docker 0.6.0 cannot do safely is refused before anything is zipped (``preflight``):

- it joins every argument it passes to ``docker build`` with spaces into its buildspec's
  command line (``REPLACE_ME_BUILD_ARGS``), so a build argument, a Dockerfile name or a docker
  argument is shell and YAML there: only words that read the same to bash, unquoted, are taken
  (letters, digits and ``_ @ % + = : , . / -``);
- it zips the whole folder with ``zipfile.write``, which follows links (a link to
  ``~/.aws/credentials`` uploads the credentials) and blocks on a named pipe, and it ignores
  ``.dockerignore``: a folder holding a link, a special file, a name that is not UTF-8, or
  anything ``.dockerignore`` leaves out is refused; so is a ``buildspec.yml`` at its root, which
  would sit in the zip beside the one sm-docker adds;
- it has no secrets, platforms, cache, KMS key, tags or timeout: asking for one is refused
  rather than silently dropped.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import botocore.exceptions

from ...aws import grammar
from ...aws.session import client
from ...errors import BadInput
from ...requirements.params import Params
from ..options import BuildOptions
from .context import matcher_for, shown_name, walk

# What bash reads as one word, unchanged, when it stands unquoted in a command line (and YAML
# as plain text): no spaces, quotes, $ ` ; & | < > ( ) * ? [ ] { } ~ # ! \ or line breaks.
_INERT = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
_HINT = "Use the codebuild engine (the default), which passes every value intact."


def executable() -> str:
    found = shutil.which("sm-docker")
    if found is None:
        raise BadInput(
            "sm-docker is not installed here.",
            "Install it (pip install sagemaker-studio-image-build) or use the codebuild engine.",
            field="engine",
        )
    return found


def preflight(options: BuildOptions, root: Any, dockerfile: str) -> None:
    """Refuse, before anything is read for the zip, what sm-docker would mangle or leak."""
    unsupported = [
        ("secrets", bool(options.secrets), "secrets"),
        ("platform", options.platform != "linux/amd64", f"the platform {options.platform}"),
        ("cache", options.cache, "a layer cache"),
        ("kms_key_arn", bool(options.kms_key_arn), "a KMS key"),
        ("tags", bool(options.tags), "project tags"),
        ("timeout_minutes", options.timeout_minutes != 60, "a timeout"),
    ]
    for field, asked, what in unsupported:
        if asked:
            raise BadInput(f"The sm-docker engine cannot build with {what}.", _HINT, field=field)
    for field, word in _passed_words(options):
        if not _INERT.fullmatch(word):
            raise BadInput(
                f"The sm-docker engine pastes docker's arguments into a shell command unquoted: "
                f"{grammar.shown(word)} would not arrive as written.",
                _HINT,
                field=field,
            )
    matcher = matcher_for(root, dockerfile)
    for entry in walk(root, matcher, everything=True):
        shown = shown_name(entry.path)
        problem = None
        if entry.kind == "link":
            problem = f"{shown} is a link, which sm-docker's zip follows to what it points to"
        elif entry.kind == "other":
            problem = f"{shown} is not a file or folder (sm-docker's zip would wait on it)"
        elif entry.excluded and entry.kind == "file":
            problem = (
                f"sm-docker ignores .dockerignore and would upload {shown}, which it leaves out"
            )
        elif entry.path == "buildspec.yml":
            problem = "buildspec.yml would sit in sm-docker's zip beside the one it adds"
        elif shown != entry.path:
            problem = f"the name {shown} is not UTF-8, which sm-docker's zip cannot carry"
        if problem:
            raise BadInput(
                f"The sm-docker engine cannot build this folder safely: {problem}.",
                _HINT,
                field="engine",
            )


def _passed_words(options: BuildOptions) -> list[tuple[str, str]]:
    """The words sm-docker pastes into its buildspec, with the option each comes from."""
    words = [("dockerfile", options.dockerfile)]
    words += [("build_args", f"{key}={value}") for key, value in options.build_args]
    words += [("docker_args", word) for word in options.docker_args]
    return words


def argv(options: BuildOptions, params: Params) -> list[str]:
    role = params.role_arn.split(":role/", 1)[-1] if params.role_arn else ""
    words = [
        "build",
        ".",
        "--repository",
        f"{params.repository_name}:{params.image_tag}",
        "--role",
        role,  # sm-docker takes a name or path/name; an ARN gives it a broken service role
        "--bucket",
        params.bucket_name,
        "--compute-type",
        options.compute_type,
    ]
    if options.vpc_id:
        words += [
            "--vpc-id",
            options.vpc_id,
            "--subnet-ids",
            ",".join(options.subnet_ids),
            "--security-group-ids",
            ",".join(options.security_group_ids),
        ]
    if options.no_logs:
        words.append("--no-logs")
    # Everything else goes through to `docker build`, as sm-docker passes it.
    if options.dockerfile != "Dockerfile":
        words += ["--file", options.dockerfile]
    for key, value in options.build_args:
        words += ["--build-arg", f"{key}={value}"]
    return words + list(options.docker_args)


def run(
    options: BuildOptions,
    params: Params,
    env: dict[str, str],
    on_line: Callable[[str], None],
    stop: threading.Event,
) -> tuple[int, datetime]:
    """Run sm-docker to its end (or until ``stop``); its exit status and when it started."""
    started = datetime.now(timezone.utc)
    process = subprocess.Popen(
        [executable(), *argv(options, params)],
        cwd=options.context,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def stop_when_asked() -> None:
        # sm-docker cleans up its project and zip on SIGINT (not on SIGTERM).
        while process.poll() is None:
            if stop.wait(0.5) and process.poll() is None:
                process.send_signal(signal.SIGINT)
                return

    threading.Thread(target=stop_when_asked, daemon=True).start()
    assert process.stdout is not None
    for line in process.stdout:
        on_line(line.rstrip("\n"))
    return process.wait(), started


def find_build(session: Any, params: Params, since: datetime) -> dict[str, Any] | None:
    """The build sm-docker ran: the newest of a project with our prefix, started since."""
    codebuild = client(session, "codebuild")
    try:
        ids = codebuild.list_builds(sortOrder="DESCENDING").get("ids", [])[:20]
        builds = codebuild.batch_get_builds(ids=ids).get("builds", []) if ids else []
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return None
    for build in builds:
        start = build.get("startTime")
        if str(build.get("projectName", "")).startswith(params.project_prefix) and (
            start is None or start >= since
        ):
            found: dict[str, Any] = build
            return found
    return None
