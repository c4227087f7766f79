"""``image-build``: what ``sm-docker build`` needs, derived from its parameters.

Three parts (docs/sm-docker.md): the caller's permissions while it starts the build, the
CodeBuild service role's permissions while the build runs (sm-docker passes the Studio role
itself, so both land on the same role), and the role's trust policy (CodeBuild must be able to
assume it, SageMaker must stay trusted).

Resources end in ``*`` where sm-docker adds 16 random letters (the project
``{project_prefix}*``, its log group, the source zip ``codebuild-sagemaker-container-*.zip``);
everything else is the exact repository, bucket, role, key, subnet or security group in use.
Optional requirements are calls whose denial sm-docker tolerates (ListAllMyBuckets,
DescribeRepositories) or that it never makes with its defaults (GetObjectVersion).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .model import ContextValue, ParamError, Requirement
from .params import Params, partition_of
from .trust import CODEBUILD, SAGEMAKER, assumed_by, codebuild_projects, sagemaker_source

SOURCE = "sm-docker 0.6.0"

# The AWS accounts whose ECR registries serve the Deep Learning Containers and that sm-docker's
# buildspec logs in to (docs/sm-docker.md).
DLC_ACCOUNTS = frozenset(
    {
        "763104351884",
        "217643126080",
        "727897471807",
        "626614931356",
        "683313688378",
        "520713654638",
        "462105765813",
    }
)

# {account}.dkr.ecr[-fips].{region}.amazonaws.com[.cn]/{repository}[:tag|@digest]
_ECR_IMAGE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"/(?P<repo>[a-z0-9._/-]+?)(?::[\w.-]+)?(?:@sha256:[0-9a-f]+)?"
)

ECR_PUSH = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
)
ECR_PULL = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


def ecr_repository_arn(image: str) -> str | None:
    """The ECR repository ARN an image reference pulls from, or None for any other registry
    (Docker Hub, ``public.ecr.aws``, ...: public pulls need no IAM permission)."""
    m = _ECR_IMAGE.fullmatch(image)
    if not m:
        return None
    region = m.group("region")
    return (
        f"arn:{partition_of(region)}:ecr:{region}:{m.group('account')}:repository/{m.group('repo')}"
    )


def require_role(params: Params, profile: str) -> str:
    """The role ARN, which every image profile scopes PassRole and trust to."""
    if not params.role_arn:
        raise ParamError("role", f"profile {profile!r} needs the Studio execution role")
    return params.role_arn


def caller_requirements(p: Params, role_arn: str) -> list[Requirement]:
    """What the Studio role needs while ``sm-docker build`` runs in the notebook, in call order."""
    bucket = p.arn("s3", p.bucket_name, region="", account="")
    # sm-docker uploads to the bucket root under codebuild-sagemaker-container-{16 letters}.zip.
    zip_key = f"{bucket}/codebuild-sagemaker-container-*.zip"
    project = p.arn("codebuild", f"project/{p.project_prefix}*")
    repository = p.arn("ecr", f"repository/{p.repository_name}")
    log_streams = p.arn("logs", f"log-group:/aws/codebuild/{p.project_prefix}*:log-stream:*")

    def c(
        action: str,
        resource: str,
        step: str,
        why: str,
        src: str,
        *,
        optional: bool = False,
        context: Mapping[str, ContextValue] | None = None,
    ) -> Requirement:
        return Requirement(
            "caller",
            action,
            resource,
            step,
            why,
            f"{SOURCE} {src}",
            context=dict(context or {}),
            optional=optional,
        )

    from_env = any(kind == "env" for kind, _ in p.secrets)
    parameters = p.arn("ssm", f"parameter/{p.secret_parameter_prefix}*")
    reqs = [
        c(
            "s3:ListAllMyBuckets",
            "*",
            "find the default bucket",
            "sm-docker lists buckets first but tolerates a denial.",
            "step 2",
            optional=True,
        ),
        c(
            "s3:ListBucket",
            bucket,
            "find the default bucket",
            "HeadBucket checks that the bucket exists before creating it.",
            "step 2",
        ),
        c(
            "s3:CreateBucket",
            bucket,
            "create the bucket",
            "The bucket is created when it does not exist yet.",
            "step 2",
        ),
        c(
            "s3:PutObject",
            zip_key,
            "upload the build context",
            "The zipped Docker context is uploaded as the CodeBuild source.",
            "step 3",
        ),
        *(
            [
                c(
                    "ssm:PutParameter",
                    parameters,
                    "keep the build's secrets",
                    "A secret taken from the environment is kept, for the build only, in a "
                    "SecureString parameter that CodeBuild resolves: never as plain text.",
                    "--secret env=",
                )
            ]
            if from_env
            else []
        ),
        c(
            "codebuild:CreateProject",
            project,
            "create the CodeBuild project",
            "Each build creates its own project named after the domain and user.",
            "step 5",
        ),
        c(
            "iam:PassRole",
            role_arn,
            "create the CodeBuild project",
            "The project's service role is the Studio role, passed to CodeBuild.",
            "step 5",
            context={"iam:PassedToService": "codebuild.amazonaws.com"},
        ),
        c(
            "ecr:CreateRepository",
            repository,
            "create the ECR repository",
            "sm-docker always calls CreateRepository; only 'already exists' is ignored.",
            "step 6",
        ),
        *(
            c(
                action,
                p.kms_key_arn,
                "create the ECR repository",
                "A repository encrypted with a customer managed key needs the caller to "
                f"{verb} the key (ECR User Guide, encryption at rest).",
                "--kms-key",
            )
            for action, verb in (
                ("kms:CreateGrant", "grant ECR the use of"),
                ("kms:DescribeKey", "describe"),
                ("kms:RetireGrant", "retire ECR's grant on"),
            )
            if p.kms_key_arn
        ),
        c(
            "codebuild:StartBuild",
            project,
            "start the build",
            "The build runs in the project just created.",
            "step 7",
        ),
        c(
            "codebuild:BatchGetBuilds",
            project,
            "wait for the build",
            "sm-docker polls the build's status until it ends.",
            "step 7",
        ),
        c(
            "codebuild:StopBuild",
            project,
            "stop the build",
            "Ctrl-C, SIGTERM or Cancel stop the build on CodeBuild (sm-docker left it running).",
            "step 7",
        ),
    ]
    if not p.no_logs:
        reqs.append(
            c(
                "logs:GetLogEvents",
                log_streams,
                "show the build log",
                "sm-docker tails the build log unless --no-logs is given.",
                "step 8",
            )
        )
    reqs += [
        c(
            "ecr:DescribeRepositories",
            repository,
            "print the image URI",
            "The image URI is read back; a denial is swallowed and no URI is printed.",
            "step 9",
            optional=True,
        ),
        c(
            "ecr:DescribeImages",
            repository,
            "print the image digest",
            "The pushed image's digest is read from ECR; without it none is printed.",
            "step 9",
            optional=True,
        ),
        c(
            "codebuild:DeleteProject",
            project,
            "clean up",
            "The per-build project is deleted when the build ends.",
            "step 10",
        ),
        c(
            "s3:DeleteObject",
            zip_key,
            "clean up",
            "The uploaded context is deleted when the build ends.",
            "step 10",
        ),
        c(
            "s3:AbortMultipartUpload",
            zip_key,
            "clean up",
            "A stopped or failed upload is aborted, so no unfinished parts are left.",
            "step 10",
            optional=True,
        ),
        c(
            "s3:ListBucketMultipartUploads",
            bucket,
            "clean up",
            "An upload a stopped server had begun but not yet recorded is found and aborted.",
            "step 10",
            optional=True,
        ),
    ]
    if from_env:
        reqs.append(
            c(
                "ssm:DeleteParameter",
                parameters,
                "clean up",
                "The build's secret parameters are deleted with its project.",
                "--secret env=",
            )
        )
    return reqs


def push_requirements(make: Callable[..., Requirement], p: Params) -> list[Requirement]:
    """What a docker push to ``p``'s repository asks of ECR, for whoever pushes (``make``
    builds each requirement for the caller or the build): the push set, and the reads of
    the layers and manifests already there."""
    repository = p.arn("ecr", f"repository/{p.repository_name}")
    push_why = f"docker push to {p.repository_name} needs the ECR push set."
    read_why = f"docker reads layers and manifests already in {p.repository_name} when pushing."
    return [make(a, repository, "push the image", push_why) for a in ECR_PUSH] + [
        make(a, repository, "push the image", read_why) for a in ECR_PULL
    ]


def build_requirements(p: Params) -> list[Requirement]:
    """What the CodeBuild service role (the same role) needs while the build runs."""
    log_group = f"log-group:/aws/codebuild/{p.project_prefix}*"
    bucket = p.arn("s3", p.bucket_name, region="", account="")
    zip_key = f"{bucket}/codebuild-sagemaker-container-*.zip"
    src = f"{SOURCE}, CodeBuild service role"

    def b(
        action: str,
        resource: str,
        step: str,
        why: str,
        *,
        optional: bool = False,
        context: Mapping[str, ContextValue] | None = None,
    ) -> Requirement:
        return Requirement(
            "build",
            action,
            resource,
            step,
            why,
            src,
            context=dict(context or {}),
            optional=optional,
        )

    reqs = [
        b(
            "logs:CreateLogGroup",
            p.arn("logs", log_group),
            "write the build log",
            "CodeBuild creates the project's log group on the first build.",
        ),
        b(
            "logs:CreateLogStream",
            p.arn("logs", f"{log_group}:log-stream:*"),
            "write the build log",
            "Each build writes to its own log stream.",
        ),
        b(
            "logs:PutLogEvents",
            p.arn("logs", f"{log_group}:log-stream:*"),
            "write the build log",
            "CodeBuild sends the build output to CloudWatch Logs.",
        ),
        b(
            "s3:GetObject",
            zip_key,
            "download the source",
            "CodeBuild downloads the zipped context from S3.",
        ),
        b(
            "s3:GetObjectVersion",
            zip_key,
            "download the source",
            "Needed only for a versioned source; sm-docker passes no source version.",
            optional=True,
        ),
        b(
            "ecr:GetAuthorizationToken",
            "*",
            "log in to ECR",
            "docker login needs a token; the action only takes Resource '*'.",
        ),
    ]
    reqs += push_requirements(b, p)
    for image in p.base_images:
        arn = ecr_repository_arn(image)
        if arn is None:
            continue  # public registries need no IAM permission
        # Another account's repository must also allow the pull in its repository policy (the
        # DLC repositories do); that is the owner's side and not a requirement on this role.
        account = arn.split(":")[4]
        whose = (
            "AWS's Deep Learning Containers" if account in DLC_ACCOUNTS else f"account {account}"
        )
        if account == p.account:
            whose = "this account"
        reqs += [
            b(
                action,
                arn,
                "pull the base image",
                f"The Dockerfile's base image {image} is pulled from ECR ({whose}).",
            )
            for action in ECR_PULL
        ]
    if p.uses_vpc:
        # The Describe calls take only "*"; creating and deleting the build's network interface
        # is scoped to the interfaces, subnets and security groups in use. CodeBuild validates
        # the network with the service role at CreateProject ("Not authorized to perform
        # DescribeSecurityGroups", docs/aws-behaviours.md): that is where these fail.
        vpc_step = "run the build in the VPC"
        for action in (
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcs",
            "ec2:DescribeDhcpOptions",
        ):
            reqs.append(
                b(
                    action,
                    "*",
                    "create the CodeBuild project",
                    "CodeBuild validates the VPC with the service role when the project is "
                    "created, and refuses the project without it.",
                )
            )
        reqs.append(
            b(
                "ec2:DescribeNetworkInterfaces",
                "*",
                vpc_step,
                "CodeBuild inspects the network interface it attaches to the build.",
            )
        )
        eni_resources = [
            p.arn("ec2", "network-interface/*"),
            *(p.arn("ec2", f"subnet/{s}") for s in p.subnet_ids),
            *(p.arn("ec2", f"security-group/{g}") for g in p.security_group_ids),
        ]
        reqs += [
            b(
                "ec2:CreateNetworkInterface",
                resource,
                vpc_step,
                "CodeBuild attaches a network interface in the given subnets and groups.",
            )
            for resource in eni_resources
        ]
        reqs.append(
            b(
                "ec2:DeleteNetworkInterface",
                p.arn("ec2", "network-interface/*"),
                vpc_step,
                "CodeBuild removes the build's network interface afterwards.",
            )
        )
        reqs.append(
            b(
                "ec2:CreateNetworkInterfacePermission",
                p.arn("ec2", "network-interface/*"),
                "run the build in the VPC",
                "CodeBuild must be allowed to use the interface it creates.",
                context={"ec2:AuthorizedService": "codebuild.amazonaws.com"},
            )
        )
    for kind, where in p.secrets:
        if kind == "secretsmanager":
            reqs.append(
                b(
                    "secretsmanager:GetSecretValue",
                    where,
                    "read the build's secrets",
                    "CodeBuild resolves the SECRETS_MANAGER variable with the build's role "
                    "(and kms:Decrypt on the secret's key when it is a customer managed one).",
                )
            )
        else:
            name = where.lstrip("/") if kind == "ssm" else f"{p.secret_parameter_prefix}*"
            reqs.append(
                b(
                    "ssm:GetParameters",
                    p.arn("ssm", f"parameter/{name}"),
                    "read the build's secrets",
                    "CodeBuild resolves the PARAMETER_STORE variable with the build's role "
                    "before the first command; denied, the build fails in DOWNLOAD_SOURCE.",
                )
            )
    if p.kms_key_arn:
        reqs += [
            b(
                action,
                p.kms_key_arn,
                "read and write encrypted artifacts",
                "The customer managed key encrypts the source and the logs.",
            )
            for action in ("kms:Decrypt", "kms:GenerateDataKey")
        ]
    return reqs


def trust_requirements(p: Params, role_arn: str) -> list[Requirement]:
    """CodeBuild for this build's projects, and SageMaker for the Studio app: each with what
    it sends when it assumes the role (``requirements/trust.py``)."""
    return [
        assumed_by(
            p,
            CODEBUILD,
            role_arn,
            step="create the CodeBuild project",
            why="CreateProject fails at once unless CodeBuild may assume the service role.",
            source=f"{SOURCE} step 5",
            source_arn=codebuild_projects(p),
        ),
        assumed_by(
            p,
            SAGEMAKER,
            role_arn,
            step="run Studio apps",
            why="The role is the Studio execution role; SageMaker must keep assuming it.",
            source=f"{SOURCE} step 5",
            source_arn=sagemaker_source(p, "studio"),
        ),
    ]


def image_build(params: Params) -> list[Requirement]:
    """Requirements of ``sm-docker build`` with these parameters (caller, build role, trust);
    with ``engine`` local, of a build on Studio's own Docker (requirements/local_build.py)."""
    if params.engine == "local":
        from .local_build import local_image_build

        return local_image_build(params)
    role_arn = require_role(params, "image-build")
    return [
        *caller_requirements(params, role_arn),
        *build_requirements(params),
        *trust_requirements(params, role_arn),
    ]
