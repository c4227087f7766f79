"""The command line's options and how they become service options, shared by the CLI and the
``%sm_setup`` magic (same parser), so the two can never drift apart."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BadInput
from ..requirements.params import parse_dockerfile_from
from ..requirements.profiles import PROFILES
from ..service.build import folder
from ..service.check import CheckOptions
from ..service.options import (
    ENGINES,
    TIMEOUT_RANGE,
    AttachOptions,
    BuildOptions,
    LifecycleOptions,
)

if TYPE_CHECKING:
    from ..service.wheelhouse import WheelhouseOptions

# The hand-off formats (repair.handoff.FORMATS), spelled here so --help never imports it.
FIX_FORMATS = ("json", "cli", "cloudformation", "terraform")
PLATFORMS = ("linux/amd64", "linux/arm64")
APP_TYPES = ("JupyterLab", "CodeEditor", "KernelGateway")


def csv(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def add_naming_arguments(parser: argparse.ArgumentParser, *, studio: bool = True) -> None:
    """sm-docker's build options, which decide the names a build touches (and with
    ``studio``, the studio-kernel profile's image name and scope)."""
    parser.add_argument("--repository", metavar="NAME[:TAG]", help="as sm-docker --repository")
    parser.add_argument("--bucket", help="as sm-docker --bucket")
    parser.add_argument("--compute-type", default="BUILD_GENERAL1_SMALL")
    parser.add_argument("--vpc-id")
    parser.add_argument("--subnet-ids", metavar="ID,ID")
    parser.add_argument("--security-group-ids", metavar="ID,ID")
    parser.add_argument("--kms-key", metavar="ARN")
    parser.add_argument("--no-logs", action="store_true", help="as sm-docker --no-logs")
    parser.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="id=ID,env=VAR|src=ARN|src=NAME",
        help="a secret for the Dockerfile's RUN --mount=type=secret,id=ID: from the environment "
        "variable VAR (kept for the build only in a SecureString parameter), a Secrets Manager "
        "ARN or a Parameter Store name; never plain text, never in the record or the log",
    )
    if not studio:
        return
    parser.add_argument(
        "--image-name", help="studio-kernel: the SageMaker image (default: after the repository)"
    )
    parser.add_argument(
        "--scope",
        choices=("domain", "user-profile"),
        default="domain",
        help="studio-kernel, lifecycle-config and --attach: the whole domain or the user's own "
        "profile",
    )
    parser.add_argument(
        "--lifecycle-config",
        metavar="NAME",
        help="lifecycle-config: the lifecycle configuration (default: this version's)",
    )


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=sorted(PROFILES), default="image-build")
    parser.add_argument("--role", help="role name, path/name or ARN (default: discovered)")
    parser.add_argument("--region", help="AWS region (default: the SDK's configuration)")
    add_naming_arguments(parser)
    parser.add_argument("--dockerfile", metavar="PATH", help="its FROM images become pulls")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="auto",
        help="image-build: the engine the build would use (default auto: Studio's Docker when "
        "the space has it and the domain allows it, else CodeBuild); the role is judged "
        "against that engine's needs",
    )
    parser.add_argument("--refresh", action="store_true", help="re-read the role, no cache")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def add_fix_arguments(parser: argparse.ArgumentParser) -> None:
    add_check_arguments(parser)
    parser.add_argument("--apply", action="store_true", help="write the change (after a backup)")
    parser.add_argument(
        "--format",
        choices=FIX_FORMATS,
        help="print the change as an administrator applies it (with --apply: the hand-off "
        "format when the role may not change itself)",
    )
    parser.add_argument(
        "--undo",
        metavar="BACKUP_ID",
        help="show what restoring the documents a fix replaced would write (with --apply: "
        "restore them)",
    )
    parser.add_argument(
        "--force", action="store_true", help="with --undo: restore even if the role changed since"
    )
    parser.add_argument("--list-backups", action="store_true", help="list the saved backups")


def check_options(args: argparse.Namespace) -> CheckOptions:
    base_images: tuple[str, ...] = ()
    if args.dockerfile:
        base_images = _dockerfile_images(args.dockerfile)
    return CheckOptions(
        profile=args.profile,
        role=args.role,
        repository=args.repository,
        bucket=args.bucket,
        compute_type=args.compute_type,
        vpc_id=args.vpc_id,
        subnet_ids=csv(args.subnet_ids),
        security_group_ids=csv(args.security_group_ids),
        kms_key_arn=args.kms_key,
        base_images=base_images,
        no_logs=args.no_logs,
        refresh=getattr(args, "refresh", False),
        image_name=getattr(args, "image_name", None),
        scope=getattr(args, "scope", "domain"),
        secrets=tuple(args.secret),
        lifecycle_config=getattr(args, "lifecycle_config", None),
        engine=getattr(args, "engine", "auto"),
    )


def _dockerfile_images(path: str) -> tuple[str, ...]:
    where = Path(path).expanduser().resolve()
    data = folder.read_regular(
        where, folder.MAX_DOCKERFILE, shown=path, field="base_images", what="Dockerfile"
    )
    if data is None:
        raise BadInput(
            f"There is no Dockerfile {path}.", "Give a Dockerfile that exists.", field="base_images"
        )
    text = folder.read_text(data, shown=path, field="base_images", what="Dockerfile")
    try:
        return parse_dockerfile_from(text)
    except ValueError as exc:
        raise BadInput(f"The Dockerfile cannot be read: {exc}.", field="base_images") from exc


# --- build and attach ------------------------------------------------------------------------


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", default=".", metavar="PATH", help="the build folder (default: .)"
    )
    parser.add_argument("--role", help="role name, path/name or ARN (default: discovered)")
    parser.add_argument("--region", help="AWS region (default: the SDK's configuration)")
    add_naming_arguments(parser, studio=False)
    parser.add_argument(
        "-f",
        "--file",
        metavar="F",
        help="the Dockerfile, as docker build -f takes it (default: PATH/Dockerfile); it must "
        "be inside PATH",
    )
    parser.add_argument(
        "--build-arg",
        action="append",
        default=[],
        metavar="K=V",
        help="a build argument; K alone takes its value from the environment, as docker does. "
        "A build argument is plain text (in CodeBuild's project, the image's history): give "
        "tokens and passwords with --secret",
    )
    parser.add_argument("--platform", choices=PLATFORMS, default="linux/amd64")
    parser.add_argument(
        "--cache",
        action="store_true",
        help="reuse layers of earlier builds (a BuildKit cache in the same ECR repository)",
    )
    low, high = TIMEOUT_RANGE
    parser.add_argument(
        "--timeout", type=int, default=60, metavar="MINUTES", help=f"{low} to {high} (default 60)"
    )
    parser.add_argument(
        "--tag", action="append", default=[], metavar="K=V", help="a tag of the CodeBuild project"
    )
    parser.add_argument(
        "--attach", metavar="NAME", help="attach the image to Studio as SageMaker image NAME"
    )
    parser.add_argument(
        "--scope",
        choices=("domain", "user-profile"),
        default="domain",
        help="with --attach: for the whole domain or the user's own profile",
    )
    parser.add_argument(
        "--skip-check", action="store_true", help="don't check the role first (not advised)"
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build even when the repository has an image of exactly these inputs (the files "
        "after .dockerignore, the Dockerfile, build arguments, platform, docker arguments; "
        "not secrets). Without it such a build ends at once with that image, so a base image "
        "named by a moving tag (FROM ...:latest) is not pulled again: --rebuild pulls it. "
        "--engine sm-docker always builds, and its image carries no inputs tag",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="auto",
        help="auto (default): local when this space has Studio's Docker (DOCKER_HOST answers, "
        "the domain's DockerSettings enable it) and no option needs CodeBuild, else codebuild; "
        "the check says which and why. local: build and push in the space with Studio's "
        "Docker (classic builder, network 'sagemaker'): no CodeBuild, S3 or PassRole; "
        "--secret, --cache, --platform linux/arm64, VPC options, --compute-type and buildx-only "
        "docker options are refused. codebuild: this tool's own build on CodeBuild. "
        "sm-docker: the original sm-docker CLI, which pastes docker's arguments into a shell "
        "command, follows links and ignores .dockerignore when it zips, and has no secrets, "
        "platforms, cache, KMS key, tags or timeout; a build it cannot do safely is refused "
        "before anything is zipped",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object at the end (log to stderr)"
    )


def _pairs(values: list[str], field: str, from_env: bool) -> tuple[tuple[str, str], ...]:
    found = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep:
            if not from_env:
                raise BadInput(f"{value!r} is not KEY=VALUE.", field=field)
            if key not in os.environ:
                raise BadInput(
                    f"The build argument {key} has no value here and is not set in the "
                    "environment.",
                    field=field,
                )
            rest = os.environ[key]
        found.append((key, rest))
    return tuple(found)


def dockerfile_in(context: str, given: str | None) -> str:
    """``--file`` as docker reads it (from the current folder), relative to the build folder;
    a name that is only found inside the build folder is taken from there."""
    if not given:
        return "Dockerfile"
    path = Path(given).expanduser()
    root = Path(context).expanduser().resolve()
    if not path.is_absolute() and not path.exists() and (root / path).exists():
        path = root / path
    return os.path.relpath(path.resolve(), root)


def build_options(args: argparse.Namespace, docker_args: list[str]) -> BuildOptions:
    return BuildOptions(
        role=args.role,
        repository=args.repository,
        bucket=args.bucket,
        compute_type=args.compute_type,
        vpc_id=args.vpc_id,
        subnet_ids=csv(args.subnet_ids),
        security_group_ids=csv(args.security_group_ids),
        kms_key_arn=args.kms_key,
        no_logs=args.no_logs,
        image_name=args.attach,
        scope=args.scope,
        context=args.path,
        dockerfile=dockerfile_in(args.path, args.file),
        build_args=_pairs(args.build_arg, "build_args", from_env=True),
        secrets=tuple(args.secret),
        platform=args.platform,
        cache=args.cache,
        timeout_minutes=args.timeout,
        tags=_pairs(args.tag, "tags", from_env=False),
        attach=args.attach,
        skip_check=args.skip_check,
        engine=args.engine,
        docker_args=tuple(docker_args),
        rebuild=args.rebuild,
    )


def poll_seconds() -> float:
    """How often a build's status and log are read from the CLI and a notebook: every two
    seconds (CodeBuild counts in seconds), or as SM_STUDIO_SETUP_POLL_SECONDS says."""
    raw = os.environ.get("SM_STUDIO_SETUP_POLL_SECONDS", "")
    try:
        value = float(raw) if raw else 2.0
    except ValueError:
        return 2.0
    return min(max(value, 0.05), 60.0)


def split_docker_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """``build ... -- ARGS``: what comes after ``--`` goes to docker build untouched."""
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1 :]
    return argv, []


def add_attach_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image_uri", metavar="IMAGE_URI", help="an ECR image of this account")
    parser.add_argument("--image-name", required=True, help="the SageMaker image to create or use")
    parser.add_argument("--display-name", help="the name Studio shows (default: the image name)")
    parser.add_argument("--app-type", choices=APP_TYPES, default="JupyterLab")
    parser.add_argument("--scope", choices=("domain", "user-profile"), default="domain")
    parser.add_argument("--role", help="the role SageMaker reads the image with (default: yours)")
    parser.add_argument("--region", help="AWS region (default: the SDK's configuration)")
    parser.add_argument(
        "--context",
        metavar="PATH",
        help="the build folder: its Dockerfile is read against Studio's image specifications",
    )
    parser.add_argument("-f", "--file", metavar="F", help="the Dockerfile in --context")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def attach_options(args: argparse.Namespace) -> AttachOptions:
    return AttachOptions(
        image_uri=args.image_uri,
        image_name=args.image_name,
        display_name=args.display_name,
        app_type=args.app_type,
        scope=args.scope,
        role=args.role,
        context=args.context,
        dockerfile=dockerfile_in(args.context, args.file) if args.context else "Dockerfile",
    )


# --- lifecycle-config ------------------------------------------------------------------------

# Spelled here so --help never imports the modules that hold them.
LIFECYCLE_APP_TYPES = ("JupyterLab", "CodeEditor")
LIFECYCLE_SOURCES = ("pypi", "codeartifact", "s3")
WHEELHOUSE_PYTHONS = ("3.10", "3.11", "3.12")


def add_lifecycle_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--app-type", choices=LIFECYCLE_APP_TYPES, default="JupyterLab")
    parser.add_argument("--region", help="AWS region (default: the SDK's configuration)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    source = parser.add_argument_group("where the script installs from")
    source.add_argument("--source", choices=LIFECYCLE_SOURCES, default="pypi")
    source.add_argument(
        "--index-url", metavar="URL", help="pypi: a mirror of PyPI (no user or password in it)"
    )
    source.add_argument("--codeartifact-domain", metavar="DOMAIN", help="codeartifact")
    source.add_argument(
        "--codeartifact-owner", metavar="ACCOUNT", help="codeartifact: the domain's owner"
    )
    source.add_argument("--codeartifact-repository", metavar="REPOSITORY", help="codeartifact")
    source.add_argument("--codeartifact-region", metavar="REGION", help="codeartifact")
    source.add_argument(
        "--s3-uri",
        metavar="s3://BUCKET/FOLDER/",
        help="s3: the folder a wheelhouse was uploaded to (see --wheelhouse)",
    )
    make = parser.add_argument_group(
        "make it (checks the lifecycle-config permissions first; when the caller lacks them, "
        "nothing is written and the change is printed for an administrator)"
    )
    make.add_argument(
        "--create",
        nargs="?",
        const="",
        metavar="NAME",
        help="create the lifecycle configuration, or reuse one of this name with this script "
        "(default name: sm-studio-setup-<app type>-<version>)",
    )
    make.add_argument(
        "--attach",
        dest="attach_to",
        choices=("domain", "user-profile"),
        help="add it to the domain's default user settings or the user profile's, keeping "
        "every lifecycle configuration and setting already there",
    )
    make.add_argument(
        "--default",
        action="store_true",
        help="with --attach: make it the default, which every space runs at its start",
    )
    make.add_argument(
        "--format",
        choices=FIX_FORMATS,
        help="print the change in this format for an administrator, and write nothing",
    )
    make.add_argument("--role", help="role name, path/name or ARN (default: discovered)")
    make.add_argument(
        "--domain-id",
        metavar="d-…",
        help="the Studio domain (default: the space's; needed outside Studio)",
    )
    make.add_argument(
        "--user-profile",
        metavar="NAME",
        help="with --attach user-profile: the user profile (default: the space's)",
    )
    wheels = parser.add_argument_group(
        "a wheelhouse for --source s3 (run where pip reaches a package index)"
    )
    wheels.add_argument(
        "--wheelhouse",
        metavar="DIR",
        help="download this version and the dependencies SageMaker Distribution lacks into "
        "DIR, as wheels for its Pythons on manylinux x86_64",
    )
    wheels.add_argument(
        "--python",
        metavar="VERSIONS",
        default=",".join(WHEELHOUSE_PYTHONS),
        help="the Python versions of the images (default: 3.10,3.11,3.12)",
    )
    wheels.add_argument(
        "--installed",
        metavar="FILE",
        help="`pip list --format=freeze` of a space of the image: leave out exactly what it has",
    )


def lifecycle_options(args: argparse.Namespace) -> LifecycleOptions:
    if args.installed or args.python != ",".join(WHEELHOUSE_PYTHONS):
        raise BadInput(
            "--installed and --python are for --wheelhouse.",
            "Add {option} DIR, or leave them out.",
            field="wheelhouse",
        )
    return LifecycleOptions(
        app_type=args.app_type,
        source=args.source,
        index_url=args.index_url,
        codeartifact_domain=args.codeartifact_domain,
        codeartifact_owner=args.codeartifact_owner,
        codeartifact_repository=args.codeartifact_repository,
        codeartifact_region=args.codeartifact_region,
        s3_uri=args.s3_uri,
        create=args.create,
        attach_to=args.attach_to,
        default=args.default,
        role=args.role,
        show=args.format,
        domain_id=args.domain_id,
        user_profile=args.user_profile,
    )


def wheelhouse_options(args: argparse.Namespace) -> WheelhouseOptions:
    from ..service.wheelhouse import WheelhouseOptions

    if args.create is not None:
        raise BadInput(
            "--wheelhouse and --create are separate steps: the wheelhouse is made where pip "
            "reaches an index, uploaded, then the configuration is created.",
            "Run {option} first, then --create with --source s3.",
            field="wheelhouse",
        )
    return WheelhouseOptions(
        folder=args.wheelhouse,
        python_versions=csv(args.python),
        installed=args.installed,
        s3_uri=args.s3_uri,
    )


def wheelhouse_then(args: argparse.Namespace) -> str:
    """The command that makes the lifecycle configuration installing from the wheelhouse."""
    import shlex

    words = ["sm-studio-setup", "lifecycle-config"]
    if args.app_type != "JupyterLab":
        words += ["--app-type", args.app_type]
    words += ["--source", "s3", "--s3-uri", args.s3_uri or "s3://BUCKET/FOLDER/"]
    words += ["--create", "--attach", "domain", "--default"]
    return shlex.join(words)
