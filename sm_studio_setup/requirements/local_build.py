"""``image-build`` on Studio's own Docker: what the role needs when the space builds itself.

The space's Docker builds with the Studio role's own credentials, passed as an ECR login: the
role creates the repository when it is missing, gets an authorization token, pulls the base
images that come from ECR and pushes the image. No CodeBuild project, no S3 upload, no
``iam:PassRole`` and no change to the trust policy: nothing runs as the role elsewhere.
"""

from __future__ import annotations

from .image_build import DLC_ACCOUNTS, ECR_PULL, ecr_repository_arn, push_requirements
from .model import Requirement
from .params import Params

SOURCE = "Studio's Docker (Engine API 1.41)"


def local_image_build(p: Params) -> list[Requirement]:
    """Requirements of a build on Studio's Docker with these parameters (all the caller's)."""
    repository = p.arn("ecr", f"repository/{p.repository_name}")

    def c(
        action: str, resource: str, step: str, why: str, *, optional: bool = False
    ) -> Requirement:
        return Requirement("caller", action, resource, step, why, SOURCE, optional=optional)

    reqs = [
        c(
            "ecr:DescribeRepositories",
            repository,
            "create the ECR repository",
            "The repository is looked up first; denied, it is created anyway.",
            optional=True,
        ),
        c(
            "ecr:CreateRepository",
            repository,
            "create the ECR repository",
            "The repository is created when it does not exist yet.",
        ),
        *(
            c(
                action,
                p.kms_key_arn,
                "create the ECR repository",
                "A repository encrypted with a customer managed key needs the caller to "
                f"{verb} the key (ECR User Guide, encryption at rest).",
            )
            for action, verb in (
                ("kms:CreateGrant", "grant ECR the use of"),
                ("kms:DescribeKey", "describe"),
                ("kms:RetireGrant", "retire ECR's grant on"),
            )
            if p.kms_key_arn
        ),
        c(
            "ecr:GetAuthorizationToken",
            "*",
            "log in to ECR",
            "Studio's Docker pulls and pushes with the role's ECR token; the action only takes "
            "Resource '*'.",
        ),
    ]
    for image in p.base_images:
        arn = ecr_repository_arn(image)
        if arn is None:
            continue  # public registries need no IAM permission
        account = arn.split(":")[4]
        whose = "this account" if account == p.account else f"account {account}"
        if account in DLC_ACCOUNTS:
            whose = "AWS's Deep Learning Containers"
        reqs += [
            c(
                action,
                arn,
                "pull the base image",
                f"The Dockerfile's base image {image} is pulled from ECR ({whose}).",
            )
            for action in ECR_PULL
        ]
    reqs += push_requirements(c, p)
    reqs.append(
        c(
            "ecr:DescribeImages",
            repository,
            "print the image digest",
            "The pushed image's digest is confirmed with ECR; without it Docker's word is "
            "taken, with a warning.",
            optional=True,
        )
    )
    return reqs
