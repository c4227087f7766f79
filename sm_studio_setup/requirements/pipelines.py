"""Profile ``pipelines``: what a SageMaker Pipelines execution role needs (seed 001).

Seed 001 ("IAM access management", SageMaker Model Building Pipelines) lists what the pipeline
execution role needs: ``iam:PassRole`` on the roles it passes to the pipeline's jobs,
``Create``/``Describe`` for each job type of the pipeline, and ``s3:GetObject`` on the buckets
that ``JsonGet`` reads. Job names start with the static string ``pipelines-``
(``pipelines-<executionId>-<stepNamePrefix>-<entityToken>-<failureCount>``), or with the
user's ``base_job_name`` when the pipeline turns on ``use_custom_job_prefix``
(``<MyBaseJobName>-<executionId>-<entityToken>-<failureCount>``), so every job ARN here is
scoped to that prefix instead of ``*``.

The execution role is ``Params.role_arn`` (the seed creates the pipeline with
``sagemaker.get_execution_role()``, the Studio role); requirements on its own policies are
``who="caller"``, and SageMaker must be able to assume it (``who="trust"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from .model import Requirement
from .params import Params
from .trust import assumed_by, sagemaker_source

StepType = Literal[
    "processing",
    "training",
    "transform",
    "tuning",
    "automl",
    "model",
    "register",
    "quality-check",
    "clarify-check",
]
STEP_TYPES: tuple[StepType, ...] = get_args(StepType)

SOURCE = "seed 001"
SAGEMAKER = "sagemaker.amazonaws.com"
# Used when Params has no role ARN: the name the SageMaker console gives a new execution role
# ("AmazonSageMaker-ExecutionRole-<timestamp>") without its timestamp. A placeholder to be
# replaced by the real role; it keeps the requirements concrete rather than "role/*".
DEFAULT_ROLE_PATH_AND_NAME = "service-role/AmazonSageMaker-ExecutionRole"


@dataclass(frozen=True)
class PipelinesOptions:
    """What the pipeline uses, beyond Params.

    - ``step_types``: the step types in the pipeline. Default: processing, training, model and
      register — the model-building pipeline of SageMaker's MLOps project template
      (preprocess, train, evaluate, register / create model).
    - ``job_prefix``: the custom job-name prefix (``base_job_name``) when the pipeline sets
      ``PipelineDefinitionConfig(use_custom_job_prefix=True)``; ``None`` (default) means the
      static ``pipelines`` prefix. Must be the prefix as it appears in the job names.
    - ``json_get_buckets``: buckets that ``JsonGet`` reads property files from. ``None``
      (default): the SageMaker session's default bucket (``Params.bucket_name``), where the
      SDK writes property files; ``()``: the pipeline uses no ``JsonGet``.
    - ``model_package_group``: the model package group that ``register`` steps register into.
    - ``step_role_arns``: other roles passed to individual steps (seed 001: "optionally pass a
      different role to every step"); the execution role itself is always passed.
    """

    step_types: tuple[StepType, ...] = ("processing", "training", "model", "register")
    job_prefix: str | None = None
    json_get_buckets: tuple[str, ...] | None = None
    model_package_group: str = "pipelines-models"
    step_role_arns: tuple[str, ...] = ()
    # The pipeline's name: SageMaker names "pipeline/<name>/*" as aws:SourceArn; unknown, only
    # aws:SourceAccount is required of the trust.
    pipeline_name: str | None = None


def s3_arn(params: Params, resource: str) -> str:
    # S3 bucket and object ARNs carry neither region nor account.
    return params.arn("s3", resource, region="", account="")


def role_arn(params: Params) -> str:
    """The role these profiles are about: Params.role_arn, or a placeholder in its account."""
    if params.role_arn:
        return params.role_arn
    return params.arn("iam", f"role/{DEFAULT_ROLE_PATH_AND_NAME}", region="")


def trust(
    params: Params,
    service: str,
    *,
    step: str,
    why: str,
    source: str,
    source_arn: str | None = None,
) -> Requirement:
    """The role's trust policy must let ``service`` assume it for this account (and, when
    the service names its resource, for ``source_arn``)."""
    return assumed_by(
        params, service, role_arn(params), step=step, why=why, source=source, source_arn=source_arn
    )


def pass_role(role: str, service: str, *, step: str, why: str, source: str) -> Requirement:
    """``iam:PassRole`` on ``role``, only to ``service`` (always with iam:PassedToService)."""
    return Requirement(
        who="caller",
        action="iam:PassRole",
        resource=role,
        step=step,
        why=why,
        source=source,
        context={"iam:PassedToService": service},
    )


# Step type -> (resource type in the job ARN, Create action, Describe action, Stop action).
# Quality-check and Clarify-check steps run SageMaker Processing jobs (their CheckJobConfig
# builds a Processor), so they need the processing-job actions.
_JOBS: dict[StepType, tuple[str, str, str, str | None]] = {
    "processing": (
        "processing-job",
        "CreateProcessingJob",
        "DescribeProcessingJob",
        "StopProcessingJob",
    ),
    "quality-check": (
        "processing-job",
        "CreateProcessingJob",
        "DescribeProcessingJob",
        "StopProcessingJob",
    ),
    "clarify-check": (
        "processing-job",
        "CreateProcessingJob",
        "DescribeProcessingJob",
        "StopProcessingJob",
    ),
    "training": ("training-job", "CreateTrainingJob", "DescribeTrainingJob", "StopTrainingJob"),
    "transform": (
        "transform-job",
        "CreateTransformJob",
        "DescribeTransformJob",
        "StopTransformJob",
    ),
    "tuning": (
        "hyper-parameter-tuning-job",
        "CreateHyperParameterTuningJob",
        "DescribeHyperParameterTuningJob",
        "StopHyperParameterTuningJob",
    ),
    "automl": ("automl-job", "CreateAutoMLJob", "DescribeAutoMLJob", "StopAutoMLJob"),
    # ModelStep with model.create(): a model, not a job; nothing to stop.
    "model": ("model", "CreateModel", "DescribeModel", None),
}

_STEP_NAMES: dict[StepType, str] = {
    "processing": "ProcessingStep",
    "quality-check": "QualityCheckStep",
    "clarify-check": "ClarifyCheckStep",
    "training": "TrainingStep",
    "transform": "TransformStep",
    "tuning": "TuningStep",
    "automl": "AutoMLStep",
    "model": "ModelStep (create)",
    "register": "ModelStep (register)",
}


def requirements(params: Params, options: PipelinesOptions | None = None) -> list[Requirement]:
    """The pipeline execution role's requirements, in a stable order without duplicates."""
    options = options or PipelinesOptions()
    unknown = [s for s in options.step_types if s not in STEP_TYPES]
    if unknown:
        raise ValueError(f"unknown pipeline step types {unknown}; known: {list(STEP_TYPES)}")
    # "pipelines-<executionId>-..." or "<MyBaseJobName>-<executionId>-...": a hyphen always
    # follows the prefix, so "pipelines-*" does not also match "pipelinesfoo-...".
    prefix = f"{options.job_prefix or 'pipelines'}-"
    role = role_arn(params)
    found: list[Requirement] = [
        trust(
            params,
            SAGEMAKER,
            step="start a pipeline execution",
            why="SageMaker Pipelines assumes the execution role to run the pipeline's steps.",
            source=SOURCE,
            source_arn=(
                sagemaker_source(params, "pipeline", options.pipeline_name)
                if options.pipeline_name
                else None
            ),
        ),
        *(
            trust(
                params,
                SAGEMAKER,
                step=f"run the pipeline's {feature.replace('-', ' ')}s",
                why=f"Each {feature.replace('-', ' ')} a step starts assumes the execution role "
                "itself, naming the job as aws:SourceArn.",
                source=SOURCE,
                source_arn=sagemaker_source(params, feature),
            )
            for feature in _job_features(options.step_types)
        ),
        pass_role(
            role,
            SAGEMAKER,
            step="create the pipeline and start its jobs",
            why=(
                "Creating the pipeline passes the execution role to SageMaker, and every job "
                "step passes it on to its SageMaker job."
            ),
            source=SOURCE,
        ),
    ]
    for other in options.step_role_arns:
        found.append(
            pass_role(
                other,
                SAGEMAKER,
                step="start a step that runs under its own role",
                why="A step given its own role passes that role to its SageMaker job.",
                source=SOURCE,
            )
        )
    for step_type in options.step_types:
        name = _STEP_NAMES[step_type]
        if step_type == "register":
            group = options.model_package_group
            # Versioned model packages are named <group>/<version> in their ARN.
            resource = params.arn("sagemaker", f"model-package/{group}/*")
            for action, why in (
                ("CreateModelPackage", "Registering the model creates a model package version."),
                ("DescribeModelPackage", "The pipeline reads the new package's status and ARN."),
            ):
                found.append(
                    Requirement(
                        who="caller",
                        action=f"sagemaker:{action}",
                        resource=resource,
                        step=f"run a {name} into model package group {group}",
                        why=why,
                        source=SOURCE,
                    )
                )
            continue
        kind, create, describe, stop = _JOBS[step_type]
        resource = params.arn("sagemaker", f"{kind}/{prefix}*")
        found.append(
            Requirement(
                who="caller",
                action=f"sagemaker:{create}",
                resource=resource,
                step=f"run a {name}",
                why=f"The step creates a SageMaker {kind} named with the prefix {prefix!r}.",
                source=SOURCE,
            )
        )
        found.append(
            Requirement(
                who="caller",
                action=f"sagemaker:{describe}",
                resource=resource,
                step=f"run a {name}",
                why=f"The pipeline polls the {kind} until it finishes and reads its outputs.",
                source=SOURCE,
            )
        )
        if stop is not None:
            found.append(
                Requirement(
                    who="caller",
                    action=f"sagemaker:{stop}",
                    resource=resource,
                    step=f"stop a pipeline execution while a {name} runs",
                    why=f"Stopping the execution stops its running {kind}.",
                    source=SOURCE,
                    optional=True,
                )
            )
    buckets = (
        (params.bucket_name,) if options.json_get_buckets is None else options.json_get_buckets
    )
    for bucket in buckets:
        found.append(
            Requirement(
                who="caller",
                action="s3:GetObject",
                resource=s3_arn(params, f"{bucket}/*"),
                step="evaluate a JsonGet (e.g. a ConditionStep on an evaluation report)",
                why=f"JsonGet reads a property file from s3://{bucket} with the execution role.",
                source=SOURCE,
            )
        )
    return unique(found)


# The SageMaker jobs each step type runs, by the feature AWS documents their aws:SourceArn for:
# tuning runs training jobs; AutoML runs processing and training jobs.
_JOB_FEATURES: dict[str, tuple[str, ...]] = {
    "processing": ("processing-job",),
    "quality-check": ("processing-job",),
    "clarify-check": ("processing-job",),
    "training": ("training-job",),
    "tuning": ("training-job",),
    "transform": ("transform-job",),
    "automl": ("processing-job", "training-job"),
}


def _job_features(step_types: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for step_type in step_types:
        for feature in _JOB_FEATURES.get(step_type, ()):
            if feature not in found:
                found.append(feature)
    return found


def unique(found: list[Requirement]) -> list[Requirement]:
    """First occurrence of each requirement (processing, quality-check and clarify-check
    steps share their actions). The context is part of the identity: one role passed to two
    services is two requirements."""
    seen: set[tuple[tuple[str, str, str, str], tuple[tuple[str, object], ...]]] = set()
    out: list[Requirement] = []
    for requirement in found:
        ident = (requirement.key, tuple(sorted(requirement.context.items())))
        if ident not in seen:
            seen.add(ident)
            out.append(requirement)
    return out
