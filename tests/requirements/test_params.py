"""Params: sm-docker's defaults, repository parsing, and Dockerfile FROM parsing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sm_studio_setup.requirements.params import (
    Params,
    parse_dockerfile_from,
    parse_repository,
    partition_of,
)

ACCOUNT = "123456789012"


def studio(**kw: Any) -> Params:
    base: dict[str, Any] = {"domain_id": "d-abc", "user_profile": "alice"}
    return Params(region="us-east-1", account=ACCOUNT, **{**base, **kw})


# ------------------------------------------------------------------ sm-docker defaults


def test_studio_defaults_follow_sm_docker() -> None:
    p = studio()
    assert p.repository_name == "sagemaker-studio-d-abc"
    assert p.image_tag == "alice"
    assert p.bucket_name == "sagemaker-us-east-1-123456789012"
    assert p.project_prefix == "sagemaker-studio-d-abc-alice-"
    assert p.compute_type == "BUILD_GENERAL1_SMALL"
    assert not p.no_logs and not p.uses_vpc


def test_outside_studio_defaults() -> None:
    # Without both domain id and user profile sm-docker is "outside Studio".
    for p in (
        Params(region="eu-west-1", account=ACCOUNT),
        Params(region="eu-west-1", account=ACCOUNT, domain_id="d-abc"),
    ):
        assert p.repository_name == "sagemaker-studio"
        assert p.image_tag == "latest"
        assert p.project_prefix == "sagemaker-studio-image-build-"
        assert p.bucket_name == "sagemaker-eu-west-1-123456789012"


def test_overrides() -> None:
    p = studio(repository="my-model:v2", bucket="my-bucket")
    assert (p.repository_name, p.image_tag, p.bucket_name) == ("my-model", "v2", "my-bucket")
    # The project name still comes from the domain and user, not from the repository.
    assert p.project_prefix == "sagemaker-studio-d-abc-alice-"


def test_project_prefix_cut_at_239() -> None:
    p = studio(user_profile="u" * 300)
    assert len(p.project_prefix) == 239
    assert p.project_prefix.startswith("sagemaker-studio-d-abc-uuu")


def test_arn_and_role_name() -> None:
    p = studio(role_arn=f"arn:aws:iam::{ACCOUNT}:role/service-role/R")
    assert p.arn("ecr", "repository/x") == f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/x"
    assert p.arn("s3", "b", region="", account="") == "arn:aws:s3:::b"
    assert p.arn("ecr", "repository/x", region="us-west-2", account="763104351884") == (
        "arn:aws:ecr:us-west-2:763104351884:repository/x"
    )
    assert p.role_name == "R"
    cn = Params(region="cn-north-1", account=ACCOUNT, partition="aws-cn")
    assert cn.arn("ecr", "repository/x").startswith("arn:aws-cn:ecr:cn-north-1:")


def test_partition_of() -> None:
    assert partition_of("us-east-1") == "aws"
    assert partition_of("cn-northwest-1") == "aws-cn"
    assert partition_of("us-gov-west-1") == "aws-us-gov"


def test_params_validation() -> None:
    with pytest.raises(ValueError, match="12 digits"):
        Params(region="us-east-1", account="1234")
    with pytest.raises(ValueError, match="all or none"):
        studio(vpc_id="vpc-1")
    with pytest.raises(ValueError, match="lower case"):
        studio(repository="My-Model:latest")
    assert studio(vpc_id="vpc-1", subnet_ids=("subnet-1",), security_group_ids=("sg-1",)).uses_vpc


# ------------------------------------------------------------------ repository parsing


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("my-model:latest", ("my-model", "latest")),
        ("my-model", ("my-model", "latest")),  # sm-docker crashes here; we default the tag
        ("team/my_model.v1:V1.0-rc", ("team/my_model.v1", "V1.0-rc")),
    ],
)
def test_parse_repository(given: str, expected: tuple[str, str]) -> None:
    assert parse_repository(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "name is empty"),
        (":latest", "name is empty"),
        ("a:b:c", "at most one colon"),
        ("host:5000/name:tag", "at most one colon"),
        ("MyModel:latest", "lower case"),
        ("my-model:", "tag after ':' is empty"),
        ("-model:latest", "not a valid ECR repository name"),
        ("m:latest", "not a valid ECR repository name"),  # ECR needs 2 characters at least
        ("my model:latest", "not a valid ECR repository name"),
        ("my-model:.bad", "not a valid image tag"),
    ],
)
def test_parse_repository_rejects(given: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_repository(given)


@given(
    st.from_regex(r"[a-z0-9]{2,10}(?:[-_.][a-z0-9]{1,5})?(?:/[a-z0-9]{1,8})?", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True),
)
def test_parse_repository_round_trip(name: str, tag: str) -> None:
    assert parse_repository(f"{name}:{tag}") == (name, tag)
    assert parse_repository(name) == (name, "latest")


# ------------------------------------------------------------------ Dockerfile FROM


def test_from_simple_and_platform() -> None:
    text = "FROM --platform=linux/amd64 python:3.11-slim\nRUN pip install x\n"
    assert parse_dockerfile_from(text) == ("python:3.11-slim",)


def test_multi_stage_stage_reference_is_not_a_pull() -> None:
    text = """
# syntax=docker/dockerfile:1
FROM 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.0-gpu-py310 AS Builder
RUN make
from builder as final-stage
FROM final-stage
COPY --from=builder /a /b
COPY --from=0 /c /d
COPY --from=nginx:1.25 /etc/nginx /etc/nginx
FROM scratch
"""
    assert parse_dockerfile_from(text) == (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.0-gpu-py310",
        "nginx:1.25",
    )


def test_arg_defaults_and_build_args() -> None:
    text = (
        "ARG REGION=us-west-2\n"
        'ARG V="2.1"\n'
        "ARG UNSET\n"
        "ARG BASE=${REGISTRY:-python}\n"
        "FROM 763104351884.dkr.ecr.${REGION}.amazonaws.com/tf:$V\n"
        "FROM img:${V}${UNSET}\n"
        "FROM ${BASE}:3\n"
        "ARG LATE=ignored\n"
        "FROM other:${LATE:-x}\n"
    )
    assert parse_dockerfile_from(text) == (
        "763104351884.dkr.ecr.us-west-2.amazonaws.com/tf:2.1",
        "img:2.1",
        "${REGISTRY:-python}:3",  # ARG defaults are not expanded by docker either
        "other:x",  # an ARG after the first FROM does not apply to later FROM lines
    )
    assert parse_dockerfile_from(text, {"V": "9"})[:2] == (
        "763104351884.dkr.ecr.us-west-2.amazonaws.com/tf:9",
        "img:9",
    )


def test_continuations_duplicates_and_errors() -> None:
    text = "FROM \\\n  ubuntu:22.04 \\\n  AS base\nFROM ubuntu:22.04\n"
    assert parse_dockerfile_from(text) == ("ubuntu:22.04",)
    with pytest.raises(ValueError, match="FROM without an image"):
        parse_dockerfile_from("FROM --platform=linux/arm64\n")
