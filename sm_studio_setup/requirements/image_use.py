"""``image-use``: run SageMaker with the built image (seed 000, step 9).

The role is passed to SageMaker (a training job, a model, a Studio app) and SageMaker pulls the
image from the repository on the role's behalf. Scoped to the repository in use, where the seed
grants ECR reads on ``*``.
"""

from __future__ import annotations

from .image_build import ECR_PULL, require_role
from .model import Requirement
from .params import Params

SOURCE = "seed 000 step 9"


def image_use(params: Params) -> list[Requirement]:
    """Requirements for using ``{repository_name}`` from SageMaker with the role."""
    role_arn = require_role(params, "image-use")
    repository = params.arn("ecr", f"repository/{params.repository_name}")
    reqs = [
        Requirement(
            "caller",
            "iam:PassRole",
            role_arn,
            "start a SageMaker job or app with the image",
            "SageMaker runs the container with the role, which the caller must pass to it.",
            SOURCE,
            context={"iam:PassedToService": "sagemaker.amazonaws.com"},
        ),
        Requirement(
            "caller",
            "ecr:GetAuthorizationToken",
            "*",
            "pull the image",
            "Pulling from ECR starts with a token; the action only takes Resource '*'.",
            SOURCE,
        ),
    ]
    reqs += [
        Requirement(
            "caller",
            action,
            repository,
            "pull the image",
            f"SageMaker pulls {params.repository_name}:{params.image_tag} with the role.",
            SOURCE,
        )
        for action in (*ECR_PULL, "ecr:BatchCheckLayerAvailability")
    ]
    return reqs
