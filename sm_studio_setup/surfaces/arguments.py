"""The command line's options and how they become service options, shared by the CLI and the
``%sm_setup`` magic (same parser), so the two can never drift apart."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import BadInput
from ..requirements.params import parse_dockerfile_from
from ..requirements.profiles import PROFILES
from ..service.build import folder
from ..service.check import CheckOptions
from ..service.options import TIMEOUT_RANGE, AttachOptions, BuildOptions

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
        help="studio-kernel and --attach: the whole domain or the user's own profile",
    )


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=sorted(PROFILES), default="image-build")
    parser.add_argument("--role", help="role name, path/name or ARN (default: discovered)")
    parser.add_argument("--region", help="AWS region (default: the SDK's configuration)")
    add_naming_arguments(parser)
    parser.add_argument("--dockerfile", metavar="PATH", help="its FROM images become pulls")
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
        "--engine",
        choices=("codebuild", "sm-docker"),
        default="codebuild",
        help="codebuild (default): this tool's own build. sm-docker: the original sm-docker "
        "CLI, which pastes docker's arguments into a shell command, follows links and ignores "
        ".dockerignore when it zips, and has no secrets, platforms, cache, KMS key, tags or "
        "timeout; a build it cannot do safely is refused before anything is zipped",
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
