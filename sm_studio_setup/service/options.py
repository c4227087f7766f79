"""What a user asks the service for, checked against AWS's grammar as it enters.

Every surface (CLI, magic, REST, widgets) builds its request as one of these, so no value
reaches a policy, a script or a template without passing ``aws/grammar.py`` first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..aws import grammar
from ..errors import BadInput, spell_input
from ..images.engine_choice import ENGINES
from ..images.local_build import codebuild_needs
from ..requirements.model import ParamError
from ..requirements.profiles import PROFILES
from ..requirements.studio_kernel import sagemaker_name
from .secrets import parse_secrets

# A Dockerfile names a handful of base images; this many is already a mistake.
_MAX_BASE_IMAGES = 64


def check_studio_names(domain_id: str | None, user_profile: str | None) -> None:
    """A domain id and a user profile name as SageMaker's API takes them (botocore's model)."""
    if domain_id is not None:
        grammar.check_sagemaker_name(
            "domain_id", domain_id, "DomainId", "a Studio domain id, such as d-abcdef012345"
        )
    if user_profile is not None:
        grammar.check_sagemaker_name(
            "user_profile",
            user_profile,
            "UserProfileName",
            "a user profile name: letters, digits and hyphens, at most 63",
        )


@dataclass(frozen=True)
class CheckOptions:
    """What the user asked for; everything else comes from discovery and sm-docker's defaults.

    Refused at construction (``BadInput`` naming the field) when a value is not what AWS
    would take: a role, repository, bucket, key, VPC, subnet or security group that is not
    exactly one real resource, or a profile or compute type that does not exist.
    """

    profile: str = "image-build"
    role: str | None = None
    repository: str | None = None
    bucket: str | None = None
    compute_type: str = "BUILD_GENERAL1_SMALL"
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    kms_key_arn: str | None = None
    base_images: tuple[str, ...] = ()
    no_logs: bool = False
    refresh: bool = False
    # studio-kernel: the SageMaker image to attach (default: named after the repository) and
    # whether the domain or the user's own profile gets it.
    image_name: str | None = None
    scope: str = "domain"
    # Secrets the build mounts, in Docker's --secret form (service/secrets.py): their
    # parameters or ARNs decide what the build's role must read.
    secrets: tuple[str, ...] = ()
    # lifecycle-config: the lifecycle configuration's name (default: this version's).
    lifecycle_config: str | None = None
    # The Studio domain and user profile to act on, where no space's metadata names them (an
    # administrator's own machine); in a space they default to the space's.
    domain_id: str | None = None
    user_profile: str | None = None
    # image-build: where the build runs (images/engine_choice.py): auto (Studio's own Docker
    # when the space has it and the domain allows it, else CodeBuild), local, codebuild or
    # sm-docker. The check judges the role against that engine's requirements.
    engine: str = "auto"

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise BadInput(
                f"{grammar.shown(self.profile)} is not a workflow profile; known: "
                f"{', '.join(sorted(PROFILES))}.",
                field="profile",
            )
        if self.role is not None:
            grammar.check_role(self.role)
        if self.repository is not None:
            grammar.check_repository(self.repository)
        if self.bucket is not None:
            grammar.check_bucket(self.bucket)
        grammar.check_compute_type(self.compute_type)
        if self.vpc_id is not None:
            grammar.check_ec2_id("vpc_id", self.vpc_id)
        for subnet in self.subnet_ids:
            grammar.check_ec2_id("subnet_ids", subnet)
        for group in self.security_group_ids:
            grammar.check_ec2_id("security_group_ids", group)
        vpc = (bool(self.vpc_id), bool(self.subnet_ids), bool(self.security_group_ids))
        if any(vpc) and not all(vpc):
            # sm-docker takes --vpc-id, --subnet-ids and --security-group-ids all or none.
            names = ("vpc_id", "subnet_ids", "security_group_ids")
            missing = [n for n, given in zip(names, vpc, strict=True) if not given]
            raise BadInput(
                "A build in a VPC needs its id, subnets and security groups together "
                f"(missing: {', '.join(missing)}).",
                field=missing[0],
            )
        if self.kms_key_arn is not None:
            grammar.check_kms_key(self.kms_key_arn)
        for image in self.base_images:
            grammar.check_image(image)
        if self.image_name is not None:
            grammar.check_sagemaker_name(
                "image_name",
                self.image_name,
                "ImageName",
                "a SageMaker image name: letters, digits, - and ., up to 63",
            )
        if self.scope not in ("domain", "user-profile"):
            raise BadInput(
                f"{grammar.shown(self.scope)} is not a scope; expected domain or user-profile.",
                field="scope",
            )
        parse_secrets(self.secrets)
        if self.lifecycle_config is not None:
            grammar.check_lifecycle_config_name(self.lifecycle_config)
        check_studio_names(self.domain_id, self.user_profile)
        if self.engine not in ENGINES:
            raise BadInput(
                f"{grammar.shown(self.engine)} is not a build engine; expected one of "
                f"{', '.join(ENGINES)}.",
                field="engine",
            )
        if self.engine == "local":
            # What only CodeBuild can do is refused before anything is read or made.
            for need in codebuild_needs(self):
                raise BadInput(
                    f"The local engine cannot do this build: {need.why}.",
                    "Leave {option} out, or build on CodeBuild (engine auto or codebuild).",
                    field=need.field,
                )
        if len(self.base_images) > _MAX_BASE_IMAGES:
            raise BadInput(
                f"The Dockerfile names {len(self.base_images)} base images; at most "
                f"{_MAX_BASE_IMAGES} are taken.",
                field="base_images",
            )


_BUILD_ARG = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_VALUE = 4096
# CodeBuild's project timeout, in minutes ("TimeoutInMinutes": 5 to 2160).
TIMEOUT_RANGE = (5, 2160)


def _tag_text(text: str) -> bool:
    # CodeBuild tag keys and values: letters, separators and numbers of any script, plus
    # _ . : / = + - @ ("^([\p{L}\p{Z}\p{N}_.:/=@+\-]*)$").
    return all(unicodedata.category(c)[0] in "LZN" or c in "_.:/=+-@" for c in text)


@dataclass(frozen=True)
class BuildOptions(CheckOptions):
    """A build: sm-docker's options, and what sm-docker lacked.

    ``context`` is PATH (the build folder) and ``dockerfile`` the Dockerfile within it;
    ``docker_args`` go to ``docker build`` as given (after ``--`` on the command line). Refused at
    construction like CheckOptions' fields; the folder itself is read when the build starts.
    """

    context: str = "."
    dockerfile: str = "Dockerfile"
    build_args: tuple[tuple[str, str], ...] = ()
    platform: str = "linux/amd64"
    cache: bool = False
    timeout_minutes: int = 60
    tags: tuple[tuple[str, str], ...] = ()
    attach: str | None = None  # a SageMaker image name: attach the image to Studio after it
    skip_check: bool = False
    docker_args: tuple[str, ...] = ()
    # Build even when an image of exactly these inputs is in the repository already
    # (service/build/inputs.py): a moving base tag (FROM ...:latest) is then pulled again.
    rebuild: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        from ..images.buildspec import ARM_COMPUTE_TYPES, PLATFORMS

        if self.profile != "image-build":
            raise BadInput(
                f"A build checks the image-build profile, not {grammar.shown(self.profile)}.",
                field="profile",
            )
        for name, value in (("context", self.context), ("dockerfile", self.dockerfile)):
            if not value or "\0" in value or len(value) > _MAX_VALUE:
                raise BadInput(f"{grammar.shown(value)} is not a path.", field=name)
        for key, value in self.build_args:
            if not _BUILD_ARG.fullmatch(key):
                raise BadInput(
                    f"{grammar.shown(key)} is not a build argument name: letters, digits and _, "
                    "not starting with a digit (as ARG names them).",
                    field="build_args",
                )
            if "\0" in value or len(value) > _MAX_VALUE:
                raise BadInput(
                    f"The value of build argument {key} holds a NUL or is over "
                    f"{_MAX_VALUE:,} characters.",
                    field="build_args",
                )
        if self.platform not in PLATFORMS:
            raise BadInput(
                f"{grammar.shown(self.platform)} is not a platform; expected one of "
                f"{', '.join(PLATFORMS)}.",
                field="platform",
            )
        if self.platform == "linux/arm64" and self.compute_type not in ARM_COMPUTE_TYPES:
            raise BadInput(
                f"CodeBuild runs linux/arm64 builds on {' or '.join(ARM_COMPUTE_TYPES)} only, "
                f"not {self.compute_type}.",
                field="compute_type",
            )
        low, high = TIMEOUT_RANGE
        if isinstance(self.timeout_minutes, bool) or not low <= self.timeout_minutes <= high:
            raise BadInput(
                f"A build's timeout is {low} to {high} minutes, not {self.timeout_minutes}.",
                field="timeout_minutes",
            )
        if len(self.tags) > 50:
            raise BadInput("A CodeBuild project takes at most 50 tags.", field="tags")
        for key, value in self.tags:
            if not (1 <= len(key) <= 127 and len(value) <= 255 and _tag_text(key + value)):
                raise BadInput(
                    f"{grammar.shown(f'{key}={value}')} is not a CodeBuild tag: a key of 1 to "
                    "127 and a value of up to 255 letters, digits, spaces and _ . : / = + - @.",
                    field="tags",
                )
        if self.attach is not None:
            grammar.check_sagemaker_name(
                "attach",
                self.attach,
                "ImageName",
                "a SageMaker image name: letters, digits, - and ., up to 63",
            )
        if self.attach is not None and self.platform != "linux/amd64":
            raise BadInput(
                f"An image built for {self.platform} cannot be attached to Studio: its app "
                "instance types are all x86_64.",
                "Leave the attach out, or build for linux/amd64.",
                field="attach",
            )
        for arg in self.docker_args:
            if "\0" in arg or len(arg) > _MAX_VALUE:
                raise BadInput("A docker argument holds a NUL or is too long.", field="docker_args")
        _check_docker_args(self.docker_args)


def _check_docker_args(words: tuple[str, ...]) -> None:
    """Docker's own reading of the extra words (pflag's rules, ``images/docker_options.py``):
    what the build sets itself or that widens what it reaches is refused, and so is a second
    build context (the build names its folder itself)."""
    from ..images.docker_options import DockerArgsError, explain, parse_build_args, refused

    try:
        parsed, positionals = parse_build_args(words)
    except DockerArgsError as exc:
        raise BadInput(f"{exc}", field="docker_args") from exc
    for option in refused(parsed):
        raise BadInput(explain(option), field="docker_args")
    if positionals:
        raise BadInput(
            f"{grammar.shown(positionals[0])} would be a second build folder for docker build: "
            "the build sends its own folder, given as PATH.",
            field="docker_args",
        )


_ECR_IMAGE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com"
    r"(?:\.cn)?/(?P<repository>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(?P<digest>sha256:[0-9a-f]{64}))?",
    re.ASCII,
)


def parse_image_uri(value: str) -> re.Match[str]:
    """An ECR image URI's parts (account, region, repository, tag or digest)."""
    found = _ECR_IMAGE.fullmatch(value)
    if found is None:
        raise BadInput(
            f"{grammar.shown(value)} is not an ECR image URI such as "
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:latest.",
            field="image_uri",
        )
    return found


def default_image_name(image_uri: str) -> str | None:
    """The SageMaker image name attaching ``image_uri`` takes when none is given: its
    repository's, as the studio-kernel check names it; None when no name can be made."""
    try:
        return sagemaker_name(parse_image_uri(image_uri)["repository"])
    except (BadInput, ParamError):
        return None


@dataclass(frozen=True)
class AttachOptions:
    """Attach an ECR image to Studio as a custom image (seed 002, last section)."""

    image_uri: str
    image_name: str
    display_name: str | None = None
    app_type: str = "JupyterLab"
    scope: str = "domain"
    role: str | None = None  # the role SageMaker reads the image with (default: discovered)
    context: str | None = None  # a build folder whose Dockerfile is read against Studio's specs
    dockerfile: str = "Dockerfile"
    platform: str | None = None  # what the image was built for (default: its build's record)

    def __post_init__(self) -> None:
        from ..images.attach import APP_TYPES, SCOPES

        parse_image_uri(self.image_uri)
        grammar.check_sagemaker_name(
            "image_name",
            self.image_name,
            "ImageName",
            "a SageMaker image name: letters, digits, - and ., up to 63",
        )
        if self.display_name is not None:
            grammar.check_sagemaker_name(
                "display_name",
                self.display_name,
                "ImageDisplayName",
                "a display name: up to 128 characters on one line",
            )
        if self.app_type not in APP_TYPES:
            raise BadInput(
                f"{grammar.shown(self.app_type)} is not a Studio app type; expected one of "
                f"{', '.join(APP_TYPES)}.",
                field="app_type",
            )
        if self.scope not in SCOPES:
            raise BadInput(
                f"{grammar.shown(self.scope)} is not a scope; expected {' or '.join(SCOPES)}.",
                field="scope",
            )
        if self.role is not None:
            grammar.check_role(self.role)
        from ..images.buildspec import PLATFORMS

        if self.platform is not None and self.platform not in PLATFORMS:
            raise BadInput(
                f"{grammar.shown(self.platform)} is not a platform; expected one of "
                f"{', '.join(PLATFORMS)}.",
                field="platform",
            )
        for name, value in (("context", self.context), ("dockerfile", self.dockerfile)):
            if value is not None and (not value or "\0" in value or len(value) > _MAX_VALUE):
                raise BadInput(f"{grammar.shown(value)} is not a path.", field=name)


SOURCES = ("pypi", "codeartifact", "s3")
_SOURCE_OPTIONS = {
    "pypi": ("index_url",),
    "codeartifact": (
        "codeartifact_domain",
        "codeartifact_owner",
        "codeartifact_repository",
        "codeartifact_region",
    ),
    "s3": ("s3_uri",),
}


@dataclass(frozen=True)
class LifecycleOptions:
    """Install this tool for a domain with a lifecycle configuration (docs/ADMINISTRATORS.md).

    Without ``create`` only the script is made. ``create`` names the configuration ("" for
    this version's default name); ``attach_to`` adds it to the domain's or the user profile's
    settings, ``default`` makes it the one Studio runs unless told otherwise; ``show`` prints
    the change in one hand-off format and writes nothing.
    """

    app_type: str = "JupyterLab"
    source: str = "pypi"
    index_url: str | None = None
    codeartifact_domain: str | None = None
    codeartifact_owner: str | None = None
    codeartifact_repository: str | None = None
    codeartifact_region: str | None = None
    s3_uri: str | None = None
    create: str | None = None
    attach_to: str | None = None
    default: bool = False
    role: str | None = None
    show: str | None = None
    domain_id: str | None = None
    user_profile: str | None = None

    def __post_init__(self) -> None:
        from ..images.lifecycle import LIFECYCLE_APP_TYPES
        from ..repair.handoff import FORMATS

        if self.app_type not in LIFECYCLE_APP_TYPES:
            raise BadInput(
                f"{grammar.shown(self.app_type)} is not an app type a lifecycle configuration of "
                f"this tool's is for; expected {' or '.join(LIFECYCLE_APP_TYPES)}.",
                field="app_type",
            )
        if self.source not in SOURCES:
            raise BadInput(
                f"{grammar.shown(self.source)} is not a source; expected one of "
                f"{', '.join(SOURCES)}.",
                field="source",
            )
        for source, names in _SOURCE_OPTIONS.items():
            for name in names:
                if source != self.source and getattr(self, name) is not None:
                    raise BadInput(
                        f"{spell_input(name, 'cli')} is for --source {source}, not {self.source}.",
                        "Leave {option} out, or choose that source.",
                        field=name,
                    )
        if self.index_url is not None:
            grammar.check_index_url(self.index_url)
        if self.source == "codeartifact":
            for name in _SOURCE_OPTIONS["codeartifact"]:
                if not getattr(self, name):
                    raise BadInput(
                        "A CodeArtifact source needs its domain, the domain's owner, the "
                        "repository and the region.",
                        field=name,
                    )
            grammar.check_codeartifact_domain(str(self.codeartifact_domain))
            grammar.check_account(str(self.codeartifact_owner), "codeartifact_owner")
            grammar.check_codeartifact_repository(str(self.codeartifact_repository))
            grammar.check_region(str(self.codeartifact_region), "codeartifact_region")
        if self.source == "s3":
            if not self.s3_uri:
                raise BadInput(
                    "An S3 source needs the folder of the wheelhouse.",
                    "Make one with --wheelhouse DIR and upload it first.",
                    field="s3_uri",
                )
            grammar.check_s3_folder(self.s3_uri)
        if self.create:
            grammar.check_lifecycle_config_name(self.create, "create")
        if self.attach_to is not None and self.attach_to not in ("domain", "user-profile"):
            raise BadInput(
                f"{grammar.shown(self.attach_to)} is not what to attach to; expected domain or "
                "user-profile.",
                field="attach_to",
            )
        if self.attach_to is not None and self.create is None:
            raise BadInput(
                "Attaching needs the lifecycle configuration to make or reuse.",
                "Add {option} (or {option} NAME).",
                field="create",
            )
        if self.default and self.attach_to is None:
            raise BadInput(
                "--default makes the attached configuration the default: it needs --attach.",
                "Add {option} domain (or user-profile), or leave --default out.",
                field="attach_to",
            )
        if self.show is not None and self.show not in FORMATS:
            raise BadInput(
                f"{grammar.shown(self.show)} is not a hand-off format; expected one of "
                f"{', '.join(FORMATS)}.",
                field="format",
            )
        if self.show is not None and self.create is None:
            raise BadInput(
                "--format shows the change of --create: it needs --create.",
                "Add {option}, or leave --format out.",
                field="create",
            )
        if self.role is not None:
            grammar.check_role(self.role)
        check_studio_names(self.domain_id, self.user_profile)

    @property
    def name(self) -> str:
        """The configuration's name: as given, else this version's for the app type."""
        from .. import __version__
        from ..images.lifecycle import default_name

        return self.create or default_name(self.app_type, __version__)
