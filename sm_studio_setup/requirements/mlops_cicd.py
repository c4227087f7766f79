"""Profile ``mlops-cicd``: the CI/CD service role of an MLOps project (seed 003).

Seed 003 (a Terraform MLOps project) gives one role to CodePipeline, CodeBuild, CloudFormation,
EventBridge and more, with ``s3:*`` on every bucket, ``iam:PassRole`` on ``*`` and CodeCommit,
CodePipeline, CodeBuild and CloudFormation on every resource of the account. This profile keeps
the seed's actions for the CI/CD path (source → build → deploy) but scopes each one to the
project's named repositories, pipelines, build projects, buckets and stacks, and passes the
role only to the services that need it.

Who does what with the role (all ``who="caller"``: requirements on the role's own policies):

- EventBridge starts the CodePipeline when a repository changes
  (``codepipeline:StartPipelineExecution``);
- CodePipeline pulls the source from CodeCommit, stores artifacts in S3, runs the CodeBuild
  projects and deploys CloudFormation stacks, passing the role to CloudFormation;
- CodeBuild writes its logs and artifacts and upserts and starts the SageMaker pipeline,
  passing the role to SageMaker.

Not covered (out of this profile's scope): what the deploy stacks themselves create
(SageMaker models and endpoints: see profile ``mlflow-deploy`` for that set of actions) and
the seed's Studio, Step Functions, Secrets Manager and SNS statements.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Requirement
from .params import Params
from .pipelines import pass_role, role_arn, s3_arn, trust, unique

SOURCE = "seed 003"


@dataclass(frozen=True)
class MlopsCicdOptions:
    """The project's named resources.

    Defaults: ``project_name``, ``project_id``, ``repositories`` (build and deploy) and
    ``artifact_buckets`` are seed 003's Terraform variable defaults. The names the seed does not
    give follow SageMaker's MLOps project templates, ``sagemaker-{project_name}-{project_id}-``
    + ``modelbuild`` / ``modeldeploy`` for the CodePipelines and CodeBuild projects (``None``:
    derive them), ``...-deploy-staging`` / ``...-deploy-prod`` for the CloudFormation stacks,
    and ``{project_name}-{project_id}`` for the SageMaker pipeline the build upserts.
    """

    project_name: str = "aws-sagemaker-terraform-cicd"
    project_id: str = "10072022"
    repositories: tuple[str, ...] = ("model-build-pipeline", "model-deploy-pipeline")
    artifact_buckets: tuple[str, ...] = ("sagemaker-artifacts-pipeline-18345",)
    code_pipelines: tuple[str, ...] | None = None
    build_projects: tuple[str, ...] | None = None
    stacks: tuple[str, ...] | None = None
    sagemaker_pipelines: tuple[str, ...] | None = None

    @property
    def _base(self) -> str:
        return f"sagemaker-{self.project_name}-{self.project_id}"

    @property
    def pipeline_names(self) -> tuple[str, ...]:
        if self.code_pipelines is not None:
            return self.code_pipelines
        return (f"{self._base}-modelbuild", f"{self._base}-modeldeploy")

    @property
    def project_names(self) -> tuple[str, ...]:
        if self.build_projects is not None:
            return self.build_projects
        return (f"{self._base}-modelbuild", f"{self._base}-modeldeploy")

    @property
    def stack_names(self) -> tuple[str, ...]:
        if self.stacks is not None:
            return self.stacks
        return (f"{self._base}-deploy-staging", f"{self._base}-deploy-prod")

    @property
    def sagemaker_pipeline_names(self) -> tuple[str, ...]:
        if self.sagemaker_pipelines is not None:
            return self.sagemaker_pipelines
        return (f"{self.project_name}-{self.project_id}",)


# (action, why) per resource kind; the seed's actions for each service.
_CODECOMMIT = (
    ("GitPull", "The source stage clones the repository."),
    ("GetBranch", "The source stage resolves the branch to its latest commit."),
    ("GetCommit", "The source stage reads the commit it builds."),
    ("UploadArchive", "The source stage archives the repository into the artifact store."),
    ("GetUploadArchiveStatus", "The source stage waits for the archive."),
    ("CancelUploadArchive", "A stopped pipeline cancels a pending archive."),
)
_CLOUDFORMATION = (
    ("CreateStack", "The deploy stage creates the stack the first time."),
    ("UpdateStack", "The deploy stage updates the stack on later runs."),
    ("DescribeStacks", "The deploy stage waits for the stack's status."),
    ("DeleteStack", "REPLACE_ON_FAILURE deploy actions delete a failed stack first."),
    ("CreateChangeSet", "Change-set deploy actions create a change set."),
    ("DescribeChangeSet", "The deploy stage waits for the change set."),
    ("ExecuteChangeSet", "The deploy stage applies the change set."),
    ("DeleteChangeSet", "The deploy stage removes a change set it replaces."),
    ("SetStackPolicy", "The deploy stage sets the stack policy given in the pipeline."),
)
_CLOUDFORMATION_REQUIRED = frozenset({"CreateStack", "UpdateStack", "DescribeStacks"})
_SAGEMAKER_PIPELINE = (
    ("CreatePipeline", "pipeline.upsert() creates the SageMaker pipeline on the first build."),
    ("UpdatePipeline", "pipeline.upsert() updates the SageMaker pipeline on later builds."),
    ("DescribePipeline", "The build reads the pipeline's definition and status."),
    ("StartPipelineExecution", "The build starts the model-building pipeline."),
)


def requirements(params: Params, options: MlopsCicdOptions | None = None) -> list[Requirement]:
    """The MLOps project's CI/CD role requirements, scoped to the project's names."""
    options = options or MlopsCicdOptions()
    role = role_arn(params)
    found: list[Requirement] = []
    for service, why in (
        ("codepipeline.amazonaws.com", "CodePipeline runs the project's pipelines with the role."),
        ("codebuild.amazonaws.com", "CodeBuild runs the project's builds with the role."),
        ("cloudformation.amazonaws.com", "CloudFormation deploys the stacks with the role."),
        ("events.amazonaws.com", "The EventBridge rule starts the pipeline with the role."),
    ):
        found.append(trust(params, service, step="run the CI/CD pipeline", why=why, source=SOURCE))
    for repository in options.repositories:
        resource = params.arn("codecommit", repository)
        for action, why in _CODECOMMIT:
            found.append(
                Requirement(
                    who="caller",
                    action=f"codecommit:{action}",
                    resource=resource,
                    step=f"source stage on repository {repository}",
                    why=why,
                    source=SOURCE,
                    optional=action == "CancelUploadArchive",
                )
            )
    for pipeline in options.pipeline_names:
        found.append(
            Requirement(
                who="caller",
                action="codepipeline:StartPipelineExecution",
                resource=params.arn("codepipeline", pipeline),
                step=f"start CodePipeline {pipeline} on a repository change",
                why="The EventBridge rule of the repository starts the pipeline with the role.",
                source=SOURCE,
            )
        )
    for bucket in options.artifact_buckets:
        for action, resource, why in (
            ("GetObject", f"{bucket}/*", "Stages read the artifacts of earlier stages."),
            ("GetObjectVersion", f"{bucket}/*", "CodePipeline reads artifacts by version."),
            ("PutObject", f"{bucket}/*", "Stages write their output artifacts."),
            ("GetBucketVersioning", bucket, "CodePipeline checks the artifact store."),
            ("GetBucketLocation", bucket, "CodeBuild locates the artifact bucket."),
            ("ListBucket", bucket, "Reading a missing artifact reports 404, not 403."),
        ):
            found.append(
                Requirement(
                    who="caller",
                    action=f"s3:{action}",
                    resource=s3_arn(params, resource),
                    step=f"pass artifacts between stages through s3://{bucket}",
                    why=why,
                    source=SOURCE,
                )
            )
    for project in options.project_names:
        for action, why in (
            ("StartBuild", "The build stage starts the CodeBuild project."),
            ("BatchGetBuilds", "The build stage polls the build until it finishes."),
        ):
            found.append(
                Requirement(
                    who="caller",
                    action=f"codebuild:{action}",
                    resource=params.arn("codebuild", f"project/{project}"),
                    step=f"build stage running CodeBuild project {project}",
                    why=why,
                    source=SOURCE,
                )
            )
        # CodeBuild's default log group is /aws/codebuild/<project>.
        group = params.arn("logs", f"log-group:/aws/codebuild/{project}")
        for action, resource, why in (
            ("CreateLogGroup", group, "CodeBuild creates the project's log group."),
            ("CreateLogStream", f"{group}:log-stream:*", "Each build writes its own stream."),
            ("PutLogEvents", f"{group}:log-stream:*", "The build writes its log."),
        ):
            found.append(
                Requirement(
                    who="caller",
                    action=f"logs:{action}",
                    resource=resource,
                    step=f"build stage running CodeBuild project {project}",
                    why=why,
                    source=SOURCE,
                )
            )
    for stack in options.stack_names:
        # Stack ARNs end in a generated id: stack/<name>/<uuid>.
        resource = params.arn("cloudformation", f"stack/{stack}/*")
        for action, why in _CLOUDFORMATION:
            found.append(
                Requirement(
                    who="caller",
                    action=f"cloudformation:{action}",
                    resource=resource,
                    step=f"deploy stage on stack {stack}",
                    why=why,
                    source=SOURCE,
                    # CREATE_UPDATE actions need only the stack calls; change-set and
                    # REPLACE_ON_FAILURE actions and stack policies are per pipeline.
                    optional=action not in _CLOUDFORMATION_REQUIRED,
                )
            )
    for name in options.sagemaker_pipeline_names:
        resource = params.arn("sagemaker", f"pipeline/{name}")
        for action, why in _SAGEMAKER_PIPELINE:
            found.append(
                Requirement(
                    who="caller",
                    action=f"sagemaker:{action}",
                    resource=resource,
                    step=f"build stage upserting SageMaker pipeline {name}",
                    why=why,
                    source=SOURCE,
                )
            )
    found.append(
        pass_role(
            role,
            "cloudformation.amazonaws.com",
            step="deploy stage",
            why="CodePipeline's CloudFormation action hands the role to CloudFormation.",
            source=SOURCE,
        )
    )
    found.append(
        pass_role(
            role,
            "sagemaker.amazonaws.com",
            step="build stage upserting the SageMaker pipeline",
            why="pipeline.upsert(role_arn=...) passes the role to SageMaker as its execution role.",
            source=SOURCE,
        )
    )
    return unique(found)
