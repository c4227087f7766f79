"""``--engine sm-docker``: the original ``sm-docker build``, for those who want it, after our
check.

sm-docker zips its working directory, so it runs in the build folder. It exits 0 for a failed
build, so its exit status says nothing: the build it ran is found on CodeBuild afterwards (the
newest build of a project with this build's prefix, started after it) and that build's status
is what is reported.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import botocore.exceptions

from ...aws.session import client
from ...errors import BadInput
from ...requirements.params import Params
from ..options import BuildOptions


def executable() -> str:
    found = shutil.which("sm-docker")
    if found is None:
        raise BadInput(
            "sm-docker is not installed here.",
            "Install it (pip install sagemaker-studio-image-build) or use the codebuild engine.",
            field="engine",
        )
    return found


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
