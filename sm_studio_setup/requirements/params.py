"""The parameters a profile is derived from, with ``sm-docker``'s defaults, and Dockerfile parsing.

Defaults follow ``sagemaker-studio-image-build`` 0.6.0 exactly (docs/sm-docker.md): the
repository ``sagemaker-studio-{domain}`` tagged ``{user}`` inside Studio (``sagemaker-studio``
tagged ``latest`` outside), the bucket ``sagemaker-{region}-{account}`` and the CodeBuild project
``sagemaker-studio-{domain}-{user}-`` + 16 random letters (``sagemaker-studio-image-build-``
outside Studio). Pure: no boto3, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .model import ParamError

# ECR's repository-name rule (CreateRepository API reference): lower case only, path segments
# joined by "/", separators "." "_" "-" between alphanumerics, 2 to 256 characters.
_REPOSITORY_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
# Docker's tag rule: up to 128 word characters, dots and dashes, not starting with . or -.
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")

# sm-docker cuts the project-name prefix at 239 characters so that the 16 random letters keep
# the name within CodeBuild's 255-character limit.
_PROJECT_PREFIX_LIMIT = 239
_VPC_FIELDS = ("vpc_id", "subnet_ids", "security_group_ids")
# The engines whose requirements differ (sm-docker's are CodeBuild's).
ENGINES = ("codebuild", "local")


def partition_of(region: str) -> str:
    """The partition a region belongs to (``cn-*`` → ``aws-cn``, ``us-gov-*`` → ``aws-us-gov``)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def parse_repository(repository: str) -> tuple[str, str]:
    """Split sm-docker's ``--repository`` value into ``(name, tag)``.

    sm-docker splits on the first colon and crashes (after uploading the context) when there is
    no colon; we default a missing tag to ``latest`` as ``docker`` does. Raises ``ValueError``
    for input sm-docker or ECR would reject: an empty name, more than one colon, an empty tag,
    or a name ECR refuses (upper case, leading/trailing separators, bad characters).
    """
    if repository.count(":") > 1:
        raise ParamError(
            "repository",
            f"repository {repository!r}: expected name[:tag] with at most one colon "
            "(a registry host or port is not accepted; give the repository name only)",
        )
    name, _, tag = repository.partition(":")
    if not name:
        raise ParamError("repository", f"repository {repository!r}: the repository name is empty")
    if ":" in repository and not tag:
        raise ParamError("repository", f"repository {repository!r}: the tag after ':' is empty")
    if name != name.lower():
        raise ParamError(
            "repository",
            f"repository {repository!r}: ECR repository names must be lower case "
            f"(try {name.lower()!r})",
        )
    if not (2 <= len(name) <= 256) or not _REPOSITORY_NAME.fullmatch(name):
        raise ParamError(
            "repository",
            f"repository {repository!r}: {name!r} is not a valid ECR repository name "
            "(lower-case letters, digits, and . _ - / between them, 2 to 256 characters)",
        )
    tag = tag or "latest"
    if not _TAG.fullmatch(tag):
        raise ParamError(
            "repository", f"repository {repository!r}: {tag!r} is not a valid image tag"
        )
    return name, tag


@dataclass(frozen=True)
class Params:
    """Everything a profile's requirements depend on. Derived names follow sm-docker."""

    region: str
    account: str
    partition: str = "aws"
    role_arn: str | None = None  # with its path, e.g. arn:aws:iam::A:role/service-role/R
    domain_id: str | None = None
    user_profile: str | None = None
    space: str | None = None
    repository: str | None = None  # "name[:tag]" as given to sm-docker --repository
    bucket: str | None = None  # as given to --bucket
    compute_type: str = "BUILD_GENERAL1_SMALL"
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    kms_key_arn: str | None = None
    base_images: tuple[str, ...] = ()  # FROM images of the Dockerfile
    no_logs: bool = False  # sm-docker --no-logs: the caller does not tail the build log
    # Attaching to Studio: the SageMaker image's name (default: after the repository), and
    # whether the domain's default user settings or one user profile get it.
    studio_image_name: str | None = None
    studio_scope: str = "domain"
    # Secrets the build mounts: (kind, source) with kind "env" (the value is put in a
    # SecureString parameter for the build), "ssm" (a parameter name) or "secretsmanager" (an
    # ARN). CodeBuild resolves them with the build's role.
    secrets: tuple[tuple[str, str], ...] = ()
    # lifecycle-config: the lifecycle configuration that installs this tool (default: the
    # JupyterLab one of this version, requirements/lifecycle_config.py).
    lifecycle_config_name: str | None = None
    # image-build: where the image is built. "codebuild" (sm-docker's way: the caller starts
    # a CodeBuild build that runs as the role) or "local" (Studio's own Docker in the space:
    # the caller only logs in to ECR and pushes).
    engine: str = "codebuild"

    def __post_init__(self) -> None:
        # Fail at construction, not halfway through deriving requirements.
        if not re.fullmatch(r"\d{12}", self.account):
            raise ParamError("account", f"account {self.account!r}: expected 12 digits")
        if not self.region:
            raise ParamError("region", "region is empty")
        if self.repository is not None:
            parse_repository(self.repository)
        if self.engine not in ENGINES:
            raise ParamError(
                "engine", f"engine {self.engine!r}: expected one of {', '.join(ENGINES)}"
            )
        vpc = (bool(self.vpc_id), bool(self.subnet_ids), bool(self.security_group_ids))
        if any(vpc) and not all(vpc):
            # sm-docker takes --vpc-id, --subnet-ids and --security-group-ids all or none.
            missing = [n for n, given in zip(_VPC_FIELDS, vpc, strict=True) if not given]
            raise ParamError(
                missing[0],
                "vpc_id, subnet_ids and security_group_ids go together: all or none "
                f"(missing: {', '.join(missing)})",
            )

    @property
    def in_studio(self) -> bool:
        """sm-docker's test: both the domain id and the user profile are known."""
        return bool(self.domain_id and self.user_profile)

    @property
    def uses_vpc(self) -> bool:
        return bool(self.vpc_id)

    @property
    def repository_name(self) -> str:
        """``--repository``'s name, else ``sagemaker-studio-{domain_id}`` (``sagemaker-studio``
        outside Studio)."""
        if self.repository is not None:
            return parse_repository(self.repository)[0]
        return f"sagemaker-studio-{self.domain_id}" if self.in_studio else "sagemaker-studio"

    @property
    def image_tag(self) -> str:
        """``--repository``'s tag (``latest`` when missing), else the user profile name
        (``latest`` outside Studio)."""
        if self.repository is not None:
            return parse_repository(self.repository)[1]
        return self.user_profile if self.in_studio and self.user_profile else "latest"

    @property
    def bucket_name(self) -> str:
        """``--bucket``, else the SageMaker default bucket ``sagemaker-{region}-{account}``."""
        return self.bucket or f"sagemaker-{self.region}-{self.account}"

    @property
    def project_prefix(self) -> str:
        """The CodeBuild project name without its 16 random letters, trailing dash included
        (``sagemaker-studio-{domain}-{user}-``, cut at 239 characters as sm-docker does, or
        ``sagemaker-studio-image-build-``); policies scope ``project/{prefix}*``."""
        if self.in_studio:
            return f"sagemaker-studio-{self.domain_id}-{self.user_profile}-"[:_PROJECT_PREFIX_LIMIT]
        return "sagemaker-studio-image-build-"

    @property
    def secret_parameter_prefix(self) -> str:
        """Where the parameters of this user's ``env=`` secrets live (no leading slash, as in
        a parameter ARN): ``sm-studio-setup/{project_prefix}``."""
        return f"sm-studio-setup/{self.project_prefix}"

    @property
    def role_name(self) -> str | None:
        """The role's name, without its path."""
        return self.role_arn.rsplit("/", 1)[-1] if self.role_arn else None

    def arn(
        self, service: str, resource: str, *, region: str | None = None, account: str | None = None
    ) -> str:
        """``arn:{partition}:{service}:{region}:{account}:{resource}``; pass ``region=""`` /
        ``account=""`` for global services (IAM has no region, S3 buckets neither)."""
        r = self.region if region is None else region
        a = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{r}:{a}:{resource}"


_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+])?(?P<word>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def _substitute(text: str, variables: Mapping[str, str]) -> str:
    """Docker's variable expansion in FROM: ``$V``, ``${V}``, ``${V:-default}``,
    ``${V:+alt}``; an unset variable expands to the empty string, as in ``docker build``."""

    def one(m: re.Match[str]) -> str:
        name = m.group("braced") or m.group("bare")
        value = variables.get(name)
        op = m.group("op")
        if op in (":-", "-"):
            unset = value is None or (op == ":-" and value == "")
            return m.group("word") if unset else value or ""
        if op in (":+", "+"):
            set_ = value is not None and (op == "+" or value != "")
            return m.group("word") if set_ else ""
        return value or ""

    return _VAR.sub(one, text)


def _logical_lines(text: str) -> list[str]:
    """Join backslash continuations and drop comment lines, as the Dockerfile parser does."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#"):
            continue  # comments (and parser directives) inside or between instructions
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return lines


def parse_dockerfile_from(
    text: str, build_args: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The images a Dockerfile pulls, in order and without duplicates.

    Handles multi-stage builds (``FROM x AS y`` then ``FROM y`` or ``COPY --from=y`` is not a
    pull; ``COPY --from=image`` is), ``ARG`` before the first ``FROM`` with its default
    (overridden by ``build_args``, as ``--build-arg`` would), and ``--platform=``. ``scratch``
    pulls nothing.
    """
    args: dict[str, str] = {}
    overrides = dict(build_args or {})
    stages: set[str] = set()
    images: list[str] = []
    seen_from = False

    def add(image: str) -> None:
        pulls = image and image.lower() != "scratch" and image.lower() not in stages
        if pulls and image not in images:
            images.append(image)

    for line in _logical_lines(text):
        words = line.split()
        instruction = words[0].upper()
        if instruction == "ARG" and not seen_from:
            for spec in words[1:]:
                name, eq, default = spec.partition("=")
                value = overrides.get(name, default.strip("\"'") if eq else None)
                if value is not None:
                    args[name] = value
        elif instruction == "FROM":
            seen_from = True
            rest = [w for w in words[1:] if not w.startswith("--")]  # --platform=...
            if not rest:
                raise ValueError(f"Dockerfile: FROM without an image: {line!r}")
            image = _substitute(rest[0], args)
            add(image)
            if len(rest) >= 3 and rest[1].upper() == "AS":
                stages.add(rest[2].lower())
        elif instruction in ("COPY", "ADD"):
            for w in words[1:]:
                if w.startswith("--from="):
                    ref = w[len("--from=") :]
                    # A stage name or index refers to an earlier stage; anything else is an image.
                    if not ref.isdigit():
                        add(_substitute(ref, args))
    return tuple(images)
