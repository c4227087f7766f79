"""Profile ``mlflow-deploy``: the role MLflow deploys models to SageMaker with (seed 004).

Seed 004 (Databricks, "Set up AWS authentication for SageMaker deployment") builds a role with
AmazonSageMakerFullAccess plus an inline policy (``s3:PutObjectAcl``/``PutObjectTagging`` on
``mlflow-sagemaker-*-<account>``, ``iam:GetRole`` on the role, and
``ecr:DescribeGitRepositories`` — not an ECR action; ``ecr:DescribeRepositories`` is meant),
trusts ``sagemaker.amazonaws.com`` and is passed to SageMaker as the model's execution role.

Instead of AmazonSageMakerFullAccess this profile lists what MLflow's SageMaker deployment
(``mlflow.sagemaker``, ``mlflow deployments create -t sagemaker``) calls, scoped to the
deployment's names. MLflow names the SageMaker resources of deployment ``<app>``:
endpoint ``<app>``, model ``<app>-model-<id>``, endpoint config ``<app>-config-<id>``; it
uploads the model to ``mlflow-sagemaker-<region>-<account>`` unless given a bucket, and
finds its serving image through the ECR repository ``mlflow-pyfunc``.

Like the seed, the role is both the deploying role and the model's execution role (it passes
itself to SageMaker), so SageMaker's image pull and model download are requirements too.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Requirement
from .params import Params
from .pipelines import SAGEMAKER, pass_role, role_arn, s3_arn, trust, unique
from .trust import sagemaker_source

SOURCE = "seed 004"


@dataclass(frozen=True)
class MlflowDeployOptions:
    """The deployment's names.

    - ``app_names``: the MLflow deployment (SageMaker endpoint) names; MLflow requires one and
      has no default, so ``mlflow-deployment`` is a placeholder to replace.
    - ``model_bucket``: where MLflow uploads the model; ``None`` (default): MLflow's default
      ``mlflow-sagemaker-{region}-{account}`` (the bucket seed 004 scopes its S3 statement to).
    - ``image_repository``: the ECR repository of the serving image, ``mlflow-pyfunc`` as
      ``mlflow sagemaker build-and-push-container`` names it.
    - ``manage_existing``: also ``replace``/``delete`` existing deployments (update the
      endpoint, delete the old model and config); ``True`` by default as MLflow's
      ``update_deployment`` and ``delete_deployment`` need it.
    """

    app_names: tuple[str, ...] = ("mlflow-deployment",)
    model_bucket: str | None = None
    image_repository: str = "mlflow-pyfunc"
    manage_existing: bool = True

    def bucket(self, params: Params) -> str:
        return self.model_bucket or f"mlflow-sagemaker-{params.region}-{params.account}"


def requirements(params: Params, options: MlflowDeployOptions | None = None) -> list[Requirement]:
    """What deploying, updating and deleting the MLflow deployments needs."""
    options = options or MlflowDeployOptions()
    role = role_arn(params)
    bucket = options.bucket(params)
    repository = params.arn("ecr", f"repository/{options.image_repository}")
    found: list[Requirement] = [
        trust(
            params,
            SAGEMAKER,
            step="create the SageMaker model",
            why="SageMaker assumes the model's execution role to pull the image and the model.",
            source=f"{SOURCE}, step 3",
            source_arn=sagemaker_source(params, "inference"),
        ),
        pass_role(
            role,
            SAGEMAKER,
            step="create the SageMaker model",
            why="CreateModel passes the execution role to SageMaker.",
            source=f"{SOURCE}, step 4",
        ),
        Requirement(
            who="caller",
            action="iam:GetRole",
            resource=role,
            step="resolve the execution role",
            why="MLflow looks the role up to get its canonical ARN.",
            source=f"{SOURCE}, step 2",
        ),
        # The seed's "ecr:DescribeGitRepositories", corrected.
        Requirement(
            who="caller",
            action="ecr:DescribeRepositories",
            resource=repository,
            step="find the serving image",
            why=f"MLflow reads the URI of the {options.image_repository} repository.",
            source=f"{SOURCE}, step 2",
        ),
    ]
    for action, why in (
        ("DescribeImages", "Checking that the image tag for this MLflow version exists."),
        ("ListImages", "Listing the tags pushed to the repository."),
    ):
        found.append(
            Requirement(
                who="caller",
                action=f"ecr:{action}",
                resource=repository,
                step="find the serving image",
                why=why,
                source=SOURCE,
                optional=True,
            )
        )
    for action, resource, why in (
        ("BatchGetImage", repository, "SageMaker reads the image manifest."),
        ("GetDownloadUrlForLayer", repository, "SageMaker downloads the image layers."),
        # GetAuthorizationToken takes no resource: "*" is the only possible Resource.
        ("GetAuthorizationToken", "*", "SageMaker logs in to ECR."),
    ):
        found.append(
            Requirement(
                who="caller",
                action=f"ecr:{action}",
                resource=resource,
                step="start the endpoint (pull the serving image)",
                why=why,
                source=SOURCE,
            )
        )
    for action, resource, why, optional in (
        ("ListAllMyBuckets", "*", "MLflow lists buckets to see if the default one exists.", True),
        ("CreateBucket", bucket, "MLflow creates its default bucket the first time.", True),
        ("PutObject", f"{bucket}/*", "MLflow uploads the model archive.", False),
        ("PutObjectTagging", f"{bucket}/*", "MLflow tags the archive SageMaker=true.", False),
        ("PutObjectAcl", f"{bucket}/*", "Seed 004 grants it for the uploaded archive.", True),
        ("GetObject", f"{bucket}/*", "SageMaker downloads the model archive.", False),
    ):
        if action in ("ListAllMyBuckets", "CreateBucket") and options.model_bucket is not None:
            continue  # MLflow looks for and creates only its default bucket
        found.append(
            Requirement(
                who="caller",
                action=f"s3:{action}",
                resource=resource if resource == "*" else s3_arn(params, resource),
                step=f"upload the model to s3://{bucket}",
                why=why,
                source=SOURCE,
                optional=optional,
            )
        )
    found.append(
        Requirement(
            who="caller",
            action="sagemaker:ListEndpoints",
            resource="*",  # a list action: takes no resource
            step="check whether the deployment exists",
            why="MLflow lists endpoints by name before creating or replacing one.",
            source=SOURCE,
        )
    )
    for app in options.app_names:
        endpoint = params.arn("sagemaker", f"endpoint/{app}")
        model = params.arn("sagemaker", f"model/{app}-model-*")
        config = params.arn("sagemaker", f"endpoint-config/{app}-config-*")
        steps: list[tuple[str, str, str, bool]] = [
            ("CreateModel", model, "MLflow creates a model for the uploaded archive.", False),
            ("DescribeModel", model, "MLflow reads the model it created.", True),
            ("CreateEndpointConfig", config, "MLflow creates the endpoint config.", False),
            ("DescribeEndpointConfig", config, "MLflow reads the endpoint's config.", False),
            ("CreateEndpoint", endpoint, "MLflow creates the endpoint.", False),
            # CreateEndpoint is authorized on the endpoint config it names, too.
            ("CreateEndpoint", config, "CreateEndpoint also checks the config it uses.", False),
            ("DescribeEndpoint", endpoint, "MLflow waits for the endpoint to be InService.", False),
        ]
        if options.manage_existing:
            steps += [
                (
                    "UpdateEndpoint",
                    endpoint,
                    "Replace mode points the endpoint to a new config.",
                    False,
                ),
                ("UpdateEndpoint", config, "UpdateEndpoint also checks the new config.", False),
                ("DeleteEndpoint", endpoint, "delete_deployment removes the endpoint.", False),
                ("DeleteEndpointConfig", config, "Old endpoint configs are deleted.", False),
                ("DeleteModel", model, "Old models are deleted.", False),
            ]
        for action, resource, why, optional in steps:
            found.append(
                Requirement(
                    who="caller",
                    action=f"sagemaker:{action}",
                    resource=resource,
                    step=f"deploy {app}",
                    why=why,
                    source=SOURCE,
                    optional=optional,
                )
            )
    return unique(found)
