"""A build on Studio's own Docker (``--engine local``): the space builds and pushes itself.

After the check (``engine.py``) and the walk of the folder: PACKAGE (the same files the CodeBuild
engine uploads, ``tarball.py``), BUILD (the repository made when missing, ECR logins for the
pushes and the base images' registries, then the Engine API's classic builder on the
``sagemaker`` network, its output line by line into the build's log as CodeBuild's log lines
go), PUSH (the image's tag, and the inputs tag when the build has one), IMAGE (the digest ECR
has for the tag, which must be the one Docker pushed), ATTACH when asked.

Nothing is created in AWS but the image, so nothing is left to clean up. The built image stays
in the space's Docker: it is the layer cache of the next build.

A stop (Ctrl-C, the REST stop) ends the connection, and Docker cancels a build whose client
went away; the build ends STOPPED. A server going away stops it too: a build in the space
cannot be followed by the next server (its output goes to the connection that started it).
The timeout is a deadline here: past it the connection is ended and the build is TIMED_OUT.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ...aws import ecr
from ...aws.docker_api import (
    Aborted,
    DockerClient,
    DockerUnavailable,
    RegistryLogin,
    registry_auth,
    registry_config,
)
from ...aws.ecr_login import registry_login
from ...errors import AwsAccessDenied, BadInput, SetupError
from ...images import names
from ...images.local_build import build_query
from ...requirements.params import Params
from .tarball import tar_chunks

if TYPE_CHECKING:
    from .context import BuildContext
    from .engine import Build

# How often the log file and the record are written while Docker streams (lines are shown
# as they come; the file is what a reloaded page reads).
_FLUSH_SECONDS = 0.25
_FLUSH_LINES = 200
_STEP = re.compile(r"Step \d+/\d+ : ")
# A build's output is anyone's Dockerfile's: a line is cut at this length (a RUN that never
# writes a newline must not grow the server's memory), and the log kept stops at this many
# lines, with a notice; the build goes on.
_MAX_LINE = 16 * 1024
_MAX_LINES = 200_000
# A carriage return not ending a line: a progress meter redrawing itself, as a terminal shows.
_REDRAWN = re.compile(r"^.*\r(?=[^\r])", re.DOTALL)
_IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class _Failed(Exception):
    """Docker said the build or the push failed: the sentence it gave."""


class _TimedOut(Exception):
    pass


def run(build: Build, params: Params) -> None:
    """The local build, from the walked folder to the image in ECR (and attached)."""
    from .engine import _Stopped

    options = build.options
    host = os.environ.get("DOCKER_HOST") or ""
    if not host:
        raise DockerUnavailable(
            "DOCKER_HOST is no longer set, so Studio's Docker cannot be reached.",
            "Build again (the engine is chosen anew), or choose codebuild for {option}.",
            field="engine",
        )
    docker = DockerClient.from_host(host)
    deadline = time.monotonic() + options.timeout_minutes * 60
    if options.tags:
        build._warn("--tag tags a CodeBuild project; a build on Studio's Docker makes none.")
    context = build._package()
    build._check_stop()
    try:
        _run(build, docker, params, context, deadline)
    except Aborted:
        if build.stop.is_set():
            raise _Stopped() from None
        if build.detach.is_set():
            build.record.reason = "server-gone"
            raise _Stopped(
                "The server stopped, and a build on Studio's Docker cannot be followed after a "
                "restart (its output goes to the connection that started it), so it was "
                "stopped. Start it again."
            ) from None
        _end_step(build, "FAILED", "timed out")
        build._status(
            "TIMED_OUT",
            f"The build took longer than its timeout of {options.timeout_minutes} minutes on "
            "Studio's Docker, and was stopped.",
        )
    except _Failed as failed:
        _end_step(build, "FAILED", str(failed))
        build._status("FAILED", str(failed))


def _end_step(build: Build, state: str, detail: str) -> None:
    for step in build.record.steps:
        if step.status == "IN_PROGRESS":
            build._step_end(step.name, state, detail)


def _run(
    build: Build, docker: DockerClient, params: Params, context: BuildContext, deadline: float
) -> None:
    record, options = build.record, build.options
    repository = params.repository_name
    registry = names.registry(params.account, params.region)
    image = f"{registry}/{repository}"
    tagged = f"{image}:{params.image_tag}"
    build._step_start("BUILD", f"building {tagged} on Studio's Docker")
    build._propagating(
        lambda: ecr.ensure_repository(build.session, repository, kms_key_arn=options.kms_key_arn)
    )
    logins = _logins(build, params)
    own = logins[0]

    def halt() -> bool:
        return build.stop.is_set() or build.detach.is_set() or time.monotonic() >= deadline

    image_id = _build(build, docker, context, tagged, logins, halt, deadline)
    build._step_end("BUILD", "SUCCEEDED", image_id)
    build._check_stop()
    tags = [params.image_tag]
    inputs_tag = getattr(record, "inputs_tag", None)
    if inputs_tag and inputs_tag != params.image_tag:
        docker.tag(image_id, image, inputs_tag)
        tags.append(inputs_tag)
    build._step_start("PUSH", f"pushing {image}:{params.image_tag}")
    pushed: dict[str, str] = {}
    for tag in tags:
        pushed[tag] = build._propagating(
            partial(_push, build, docker, image, tag, own, halt, deadline)
        )
    build._step_end("PUSH", "SUCCEEDED", pushed[params.image_tag])
    _confirm(build, repository, params.image_tag, pushed[params.image_tag])
    if build._outcome == "SUCCEEDED" and options.attach and build.attach:
        build._attach()


def _logins(build: Build, params: Params) -> list[RegistryLogin]:
    """Logins to the build's own registry (first) and every ECR registry its base images
    come from: one token per region, each registry of that region with it."""
    from .engine import _registries

    tokens: dict[str, RegistryLogin] = {}
    found = []
    for region, host in _registries(params):
        if region not in tokens:
            tokens[region] = build._propagating(
                partial(registry_login, build.session, region, host)
            )
        token = tokens[region]
        found.append(RegistryLogin(host, token.username, token.password))
    return found


class _Log:
    """Docker's output as the build's log: whole lines, written in batches, shown at once."""

    def __init__(self, build: Build) -> None:
        self.build = build
        self.partial = ""
        self.pending: list[str] = []
        self.written = time.monotonic()
        self.last = ""
        self.kept = 0

    def text(self, chunk: str) -> None:
        self.partial += chunk
        *lines, self.partial = self.partial.split("\n")
        for line in lines:
            self.line(_REDRAWN.sub("", line.rstrip("\r")))
        self.partial = _REDRAWN.sub("", self.partial)
        while len(self.partial) > _MAX_LINE:
            self.line(self.partial[:_MAX_LINE] + " [line cut]")
            self.partial = self.partial[_MAX_LINE:]

    def line(self, line: str) -> None:
        if len(line) > _MAX_LINE:
            line = line[:_MAX_LINE] + " [line cut]"
        self.last = line or self.last
        if _STEP.match(line):
            step = self.build.record.step("BUILD")
            step.detail = line[:200]
            self.build._emit("progress", line, name="BUILD")
        if self.build.options.no_logs or self.kept > _MAX_LINES:
            return
        self.kept += 1
        if self.kept > _MAX_LINES:
            line = f"[the log stops here: more than {_MAX_LINES:,} lines; the build goes on]"
        self.pending.append(line)
        self.build._emit("log", line)
        if len(self.pending) >= _FLUSH_LINES or time.monotonic() - self.written > _FLUSH_SECONDS:
            self.flush()

    def status(self, message: dict[str, Any]) -> None:
        """A pull's or push's status line; the progress bars in between are left out."""
        detail = message.get("progressDetail")
        if message.get("progress") or (isinstance(detail, dict) and detail.get("current")):
            return
        status = str(message.get("status") or "").strip()
        if status:
            which = str(message.get("id") or "")
            self.line(f"{which}: {status}" if which else status)

    def flush(self, *, final: bool = False) -> None:
        if final and self.partial:
            line, self.partial = self.partial.rstrip("\r"), ""
            self.line(line)
        build, record = self.build, self.build.record
        if self.pending:
            build.records.append_log(record.id, self.pending)
            record.log_lines += len(self.pending)
            self.pending = []
        build._save()
        self.written = time.monotonic()


def _error_of(message: dict[str, Any]) -> str:
    detail = message.get("errorDetail")
    # A daemon's answer is data: a detail that is not an object has no message.
    said = detail.get("message") if isinstance(detail, dict) else None
    text = str(message.get("error") or said or "").strip()
    return text.rstrip(".")[:1000]


def _messages(
    docker: DockerClient,
    target: str,
    what: str,
    halt: Callable[[], bool],
    deadline: float,
    **kwargs: Any,
) -> Iterator[dict[str, Any]]:
    # A read may wait as long as the build may still run: a RUN step can be silent for long.
    idle = max(deadline - time.monotonic(), 1.0) + 5.0
    with docker.stream("POST", target, what, idle_seconds=idle, halt=halt, **kwargs) as found:
        yield from found


def _build(
    build: Build,
    docker: DockerClient,
    context: BuildContext,
    tagged: str,
    logins: list[RegistryLogin],
    halt: Callable[[], bool],
    deadline: float,
) -> str:
    record, options = build.record, build.options
    try:
        query = build_query(
            image=tagged,
            dockerfile=context.dockerfile,
            build_args=options.build_args,
            docker_args=options.docker_args,
            environ=os.environ,
        )
    except ValueError as exc:
        raise BadInput(f"{exc}.", field="docker_args") from None
    sent = [0]

    def on_sent(size: int) -> None:
        # From the sending loop: a number and an event; the record is saved with the log.
        sent[0] += size
        record.bytes_uploaded = sent[0]

    headers = {"Content-Type": "application/x-tar", "X-Registry-Config": registry_config(logins)}
    log = _Log(build)
    image_id: str | None = None
    try:
        for message in _messages(
            docker,
            docker.target("/build", query),
            "the build",
            halt,
            deadline,
            body=tar_chunks(context, on_sent),
            headers=headers,
        ):
            if "error" in message or "errorDetail" in message:
                log.flush(final=True)
                raise _Failed(f"The build failed on Studio's Docker: {_error_of(message)}.")
            if "stream" in message:
                log.text(str(message["stream"]))
            elif "status" in message:
                log.status(message)
            aux = message.get("aux")
            if isinstance(aux, dict) and _IMAGE_ID.fullmatch(str(aux.get("ID") or "")):
                image_id = str(aux["ID"])
    finally:
        log.flush(final=True)
    if image_id is None and _IMAGE_ID.fullmatch(log.last.strip()):
        image_id = log.last.strip()  # docker build -q: the ID is the only output
    if image_id is None:
        raise _Failed(
            "Studio's Docker ended the build without an image and without saying why; its "
            "log is above."
        )
    return image_id


def _push(
    build: Build,
    docker: DockerClient,
    image: str,
    tag: str,
    login: RegistryLogin,
    halt: Callable[[], bool],
    deadline: float,
) -> str:
    """Push ``image:tag`` with the ECR login; the digest Docker's final ``aux`` gives."""
    target = docker.target(f"/images/{quote(image, safe='/:')}/push", [("tag", tag)])
    log = _Log(build)
    digest: str | None = None
    try:
        for message in _messages(
            docker,
            target,
            f"the push of {image}:{tag}",
            halt,
            deadline,
            headers={"X-Registry-Auth": registry_auth(login)},
        ):
            if "error" in message or "errorDetail" in message:
                error = _error_of(message)
                log.flush(final=True)
                if "denied" in error or "not authorized" in error:
                    # ECR's denial: what IAM propagation looks like right after a fix.
                    raise AwsAccessDenied(
                        f"ECR refused the push of {image}:{tag}: {error}.",
                        "Run the check: it says what the role lacks.",
                    )
                raise _Failed(f"The push of {image}:{tag} failed: {error}.")
            if "status" in message:
                log.status(message)
            aux = message.get("aux")
            if (
                isinstance(aux, dict)
                and _DIGEST.fullmatch(str(aux.get("Digest") or ""))
                and str(aux.get("Tag") or tag) == tag
            ):
                digest = str(aux["Digest"])
    finally:
        log.flush(final=True)
    if digest is None:
        raise _Failed(f"Docker ended the push of {image}:{tag} without saying its digest.")
    return digest


def _confirm(build: Build, repository: str, tag: str, pushed: str) -> None:
    """IMAGE: the digest ECR has for the tag; the image URI is said only then."""
    record = build.record
    build._step_start("IMAGE", "reading the pushed image from ECR")
    try:
        digest = ecr.image_digest(build.session, repository, tag)
    except AwsAccessDenied:
        build._warn(
            "ECR may not be asked for the image (ecr:DescribeImages), so its digest is the one "
            "Docker reported for the push."
        )
        digest = pushed
    except SetupError as exc:
        build._warn(f"ECR could not be asked for the image: {exc.message}")
        digest = pushed
    if digest is None:
        record.image_uri = None
        build._step_end("IMAGE", "FAILED", "ECR has no image with this tag")
        build._status(
            "FAILED",
            f"Docker said it pushed {repository}:{tag} ({pushed}), but ECR has no such image.",
        )
        return
    if digest != pushed:
        build._warn(
            f"ECR's {repository}:{tag} is {digest}, not {pushed} as pushed: another push moved "
            "the tag since."
        )
    record.digest = digest
    build._step_end("IMAGE", "SUCCEEDED", digest)
    build._status(
        "SUCCEEDED", f"Built on Studio's Docker and pushed {record.image_uri} ({digest})."
    )
