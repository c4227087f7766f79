"""The CodeBuild project of a build: its inline buildspec, its environment variables, its image.

No value a user gives ever appears in the buildspec's text. sm-docker pasted extra docker
arguments into the commands unquoted, so an argument could break the build or run a command of
its own; here every value (the image URI, the Dockerfile path, build arguments, extra docker
arguments, the registries to log in to) travels as a PLAINTEXT environment variable of the
project, and the commands only ever read them quoted. Secrets never do: each is a variable of
type PARAMETER_STORE or SECRETS_MANAGER (the project holds only its name or ARN; CodeBuild
resolves it with the build's role) that ``docker build --secret id=ID,env=VARIABLE`` hands to
the Dockerfile's ``RUN --mount=type=secret``. The docker argument list is one variable
holding its arguments NUL-separated and base64-encoded, which bash turns back into exactly those
words (``mapfile -d ''``), whatever they hold: spaces, quotes, ``$()``, backticks, line breaks.

The commands use ``aws ecr get-login-password | docker login --password-stdin`` (AWS CLI v2;
sm-docker's ``aws ecr get-login`` exists only in v1), log in to exactly the registries the
Dockerfile pulls from, and with ``--cache`` build with BuildKit (``docker buildx``) importing and
exporting the layer cache as a tag of the same ECR repository. The image is also tagged and
pushed as its inputs' tag (``smss-inputs-…``, service/build/inputs.py), so a later build of the
same inputs finds it: a second ``--tag`` (also for buildx, whose ``--push`` pushes every tag),
and a second ``docker push`` read from its own variable.

Pure: no boto3, no I/O.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml  # type: ignore[import-untyped]

# Current CodeBuild images ("Docker images provided by CodeBuild"): Ubuntu 22.04 with Docker
# and the AWS CLI v2, and its aarch64 counterpart on Amazon Linux 2.
IMAGES = {
    "linux/amd64": ("aws/codebuild/standard:7.0", "LINUX_CONTAINER"),
    "linux/arm64": ("aws/codebuild/amazonlinux2-aarch64-standard:3.0", "ARM_CONTAINER"),
}
PLATFORMS = tuple(IMAGES)
# The aarch64 images run on these compute types only (CodeBuild's "Build environment compute
# types"; AWS CDK's LinuxArmBuildImage checks the same).
ARM_COMPUTE_TYPES = ("BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_LARGE")
# CodeBuild's own limit on a project's environment variables is about 5,500 characters in
# all; the argument list is kept well inside it.
MAX_ARGV_CHARS = 4096


@dataclass(frozen=True)
class BuildSpecInput:
    image_uri: str  # where the image is pushed, with its tag
    dockerfile: str  # relative to the context
    platform: str = "linux/amd64"
    build_args: tuple[tuple[str, str], ...] = ()
    docker_args: tuple[str, ...] = ()  # further arguments to `docker build`, as given
    registries: tuple[tuple[str, str], ...] = ()  # (region, registry host) to log in to
    cache_ref: str | None = None  # with --cache: BuildKit's registry cache
    # (id, CodeBuild variable type, parameter name or secret ARN): CodeBuild resolves each into
    # a variable that BuildKit's --secret reads; only the name or ARN is in the project.
    secrets: tuple[tuple[str, str, str], ...] = ()
    # The same repository with the inputs' tag, pushed next to it; None: no second tag.
    inputs_uri: str | None = None


@dataclass(frozen=True)
class BuildSpec:
    text: str  # the inline buildspec (YAML)
    variables: dict[str, str] = field(default_factory=dict)
    image: str = ""
    environment_type: str = ""
    # name -> (PARAMETER_STORE | SECRETS_MANAGER, where CodeBuild reads the value)
    secret_variables: dict[str, tuple[str, str]] = field(default_factory=dict)

    def environment_variables(self) -> list[dict[str, str]]:
        plain = [
            {"name": name, "value": value, "type": "PLAINTEXT"}
            for name, value in sorted(self.variables.items())
        ]
        return plain + [
            {"name": name, "value": where, "type": kind}
            for name, (kind, where) in sorted(self.secret_variables.items())
        ]


def secret_variable(index: int) -> str:
    return f"SM_SECRET_{index}"


def docker_argv(spec: BuildSpecInput) -> list[str]:
    """The words after ``docker`` that build (and with the cache, push) the image."""
    argv = ["buildx", "build"] if spec.cache_ref else ["build"]
    argv += ["--tag", spec.image_uri]
    if spec.inputs_uri and spec.inputs_uri != spec.image_uri:
        argv += ["--tag", spec.inputs_uri]
    argv += ["--file", spec.dockerfile, "--platform", spec.platform]
    for key, value in spec.build_args:
        argv += ["--build-arg", f"{key}={value}"]
    for index, (ident, _, _) in enumerate(spec.secrets, start=1):
        # The variable's name, never its value: BuildKit reads the value from the environment.
        argv += ["--secret", f"id={ident},env={secret_variable(index)}"]
    if spec.cache_ref:
        argv += [
            # buildx 0.10+ adds a provenance attestation and then pushes an OCI image index,
            # which SageMaker refuses ("Unsupported manifest media type"): push one manifest.
            "--provenance=false",
            "--cache-from",
            f"type=registry,ref={spec.cache_ref}",
            "--cache-to",
            f"type=registry,ref={spec.cache_ref},mode=max,image-manifest=true,oci-mediatypes=true",
            "--push",
        ]
    argv += [*spec.docker_args, "."]
    return argv


def encode_argv(argv: Sequence[str]) -> str:
    """NUL-separated words, base64: nothing in them can end a word or a line early."""
    return base64.b64encode(b"".join(word.encode() + b"\0" for word in argv)).decode()


def decode_argv(encoded: str) -> list[str]:
    """The inverse of ``encode_argv``, as bash's ``mapfile -d ''`` reads it."""
    return base64.b64decode(encoded).decode().split("\0")[:-1]


def _login(index: int) -> str:
    # pipefail: a failed get-login-password must fail the login, not feed it an empty password.
    return (
        f'set -o pipefail; aws ecr get-login-password --region "$SM_REGION_{index}" '
        f'| docker login --username AWS --password-stdin "$SM_REGISTRY_{index}"'
    )


_BUILD = (
    "mapfile -d '' -t SM_ARGV < <(printf '%s' \"$SM_DOCKER_ARGV\" | base64 -d) "
    '&& docker "${SM_ARGV[@]}"'
)
_BUILDER = 'if [ "$SM_BUILDX" = 1 ]; then docker buildx create --use --name sm-studio-setup; fi'
# The requested tag first, then the inputs' tag when there is one: a failed push fails the
# command (and the build), so a tag never names an image that is not pushed.
_PUSH = (
    'if [ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ] && [ "$SM_PUSH" = 1 ]; '
    'then docker push "$SM_IMAGE_URI" && '
    'if [ -n "$SM_INPUTS_URI" ]; then docker push "$SM_INPUTS_URI"; fi; fi'
)


def buildspec(spec: BuildSpecInput) -> BuildSpec:
    """The project's buildspec and environment for ``spec``; ``ValueError`` when the argument
    list is longer than CodeBuild's environment can carry."""
    if spec.platform not in IMAGES:
        raise ValueError(f"platform {spec.platform!r}: expected one of {', '.join(PLATFORMS)}")
    encoded = encode_argv(docker_argv(spec))
    if len(encoded) > MAX_ARGV_CHARS:
        raise ValueError(
            f"the build arguments take {len(encoded):,} characters once encoded, more than the "
            f"{MAX_ARGV_CHARS:,} a CodeBuild environment can carry"
        )
    variables = {
        "SM_IMAGE_URI": spec.image_uri,
        "SM_DOCKER_ARGV": encoded,
        "SM_PUSH": "0" if spec.cache_ref else "1",
        "SM_BUILDX": "1" if spec.cache_ref else "0",
    }
    if spec.inputs_uri and spec.inputs_uri != spec.image_uri:
        variables["SM_INPUTS_URI"] = spec.inputs_uri
    for index, (region, host) in enumerate(spec.registries, start=1):
        variables[f"SM_REGION_{index}"] = region
        variables[f"SM_REGISTRY_{index}"] = host
    secret_variables = {
        secret_variable(index): (kind, where)
        for index, (_, kind, where) in enumerate(spec.secrets, start=1)
    }
    if secret_variables:
        variables["DOCKER_BUILDKIT"] = "1"  # RUN --mount=type=secret needs BuildKit
    document: dict[str, Any] = {
        "version": 0.2,
        "env": {"shell": "bash"},
        "phases": {
            "pre_build": {
                "commands": [_login(i) for i in range(1, len(spec.registries) + 1)] + [_BUILDER]
            },
            "build": {"commands": [_BUILD]},
            "post_build": {"commands": [_PUSH]},
        },
    }
    image, environment_type = IMAGES[spec.platform]
    text: str = yaml.safe_dump(document, sort_keys=False, width=1000)
    return BuildSpec(text, variables, image, environment_type, secret_variables)
