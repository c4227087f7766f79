"""images/engine_choice.py and images/local_build.py, pure: which engine auto picks and why,
what local refuses, the Engine API's build request, and which base images a VpcOnly domain's
Docker may not pull."""

from __future__ import annotations

import json

import pytest

from sm_studio_setup.errors import BadInput
from sm_studio_setup.images.engine_choice import DockerFacts, EngineRefused, choose_engine
from sm_studio_setup.images.local_build import (
    Need,
    build_query,
    codebuild_needs,
    dockerfile_needs,
    registry_of,
    untrusted_pulls,
)
from sm_studio_setup.service.options import BuildOptions, CheckOptions

HOST = "unix:///docker/proxy.sock"
ENABLED = DockerFacts(docker_host=HOST, api_version="1.41", domain_id="d-abc", access="ENABLED")
ACCOUNT = "123456789012"
SECRET = Need("secrets", "a build secret needs BuildKit")


def test_auto_picks_local_when_the_space_has_docker_and_the_domain_enables_it() -> None:
    found = choose_engine("auto", ENABLED)
    assert (found.engine, found.asked) == ("local", "auto")
    assert found.reason == (
        "local: this space has Studio's Docker (DOCKER_HOST) and domain d-abc enables it"
    )


def test_auto_picks_codebuild_without_docker_host_and_says_how_to_get_docker() -> None:
    found = choose_engine("auto", DockerFacts(domain_id="d-abc"))
    assert found.engine == "codebuild"
    assert found.reason.startswith("codebuild: this space has no Docker (DOCKER_HOST is not set")
    assert "DomainSettings.DockerSettings.EnableDockerAccess" in found.reason


def test_auto_picks_codebuild_when_the_domain_disables_docker() -> None:
    facts = DockerFacts(docker_host=HOST, api_version="1.41", domain_id="d-abc", access="DISABLED")
    found = choose_engine("auto", facts)
    assert found.engine == "codebuild"
    assert found.reason == (
        "codebuild: domain d-abc does not enable Docker "
        "(DomainSettings.DockerSettings.EnableDockerAccess is DISABLED)"
    )


def test_auto_picks_codebuild_when_docker_does_not_answer() -> None:
    facts = DockerFacts(docker_host=HOST, problem="its socket does not exist", domain_id="d-abc")
    found = choose_engine("auto", facts)
    assert found.engine == "codebuild"
    assert "its socket does not exist" in found.reason


def test_a_denied_describe_domain_leaves_the_socket_as_the_evidence() -> None:
    facts = DockerFacts(
        docker_host=HOST,
        api_version="1.41",
        domain_id="d-abc",
        domain_unread="sagemaker:DescribeDomain is denied",
    )
    found = choose_engine("auto", facts)
    assert found.engine == "local"
    assert "sagemaker:DescribeDomain is denied" in found.reason
    assert "Studio mounts it only when the domain enables Docker" in found.reason


def test_auto_picks_codebuild_for_what_only_codebuild_can_do() -> None:
    for options in (
        BuildOptions(secrets=("id=token,env=HOME",)),
        BuildOptions(platform="linux/arm64", compute_type="BUILD_GENERAL1_LARGE"),
        BuildOptions(cache=True),
        BuildOptions(
            vpc_id="vpc-0a1b2c3d",
            subnet_ids=("subnet-0a1b2c3d",),
            security_group_ids=("sg-0a1b2c3d",),
        ),
        BuildOptions(compute_type="BUILD_GENERAL1_LARGE"),
        BuildOptions(docker_args=("--attest", "type=sbom")),
    ):
        needs = codebuild_needs(options)
        assert needs, options
        found = choose_engine("auto", ENABLED, needs)
        assert found.engine == "codebuild"
        assert found.reason == "codebuild: " + "; ".join(n.why for n in needs)
    assert codebuild_needs(BuildOptions(tags=(("team", "ml"),), bucket="my-bucket")) == ()
    arm = codebuild_needs(BuildOptions(platform="linux/arm64", compute_type="BUILD_GENERAL1_LARGE"))
    assert [n.field for n in arm] == ["platform", "compute_type"]
    assert "the space is x86_64" in arm[0].why


def test_auto_outside_a_studio_domain_does_not_build_on_any_docker() -> None:
    facts = DockerFacts(docker_host="unix:///var/run/docker.sock", api_version="1.43")
    found = choose_engine("auto", facts)
    assert found.engine == "codebuild"
    assert "no Studio domain" in found.reason


def test_local_that_cannot_be_is_refused_naming_the_input() -> None:
    with pytest.raises(EngineRefused) as no_docker:
        choose_engine("local", DockerFacts())
    assert no_docker.value.field == "engine"
    assert "DOCKER_HOST is not set" in str(no_docker.value)
    with pytest.raises(EngineRefused) as secret:
        choose_engine("local", ENABLED, (SECRET,))
    assert secret.value.field == "secrets"
    disabled = DockerFacts(docker_host=HOST, api_version="1.41", domain_id="d-a", access="DISABLED")
    with pytest.raises(EngineRefused) as off:
        choose_engine("local", disabled)
    assert "does not enable Docker" in str(off.value)
    assert choose_engine("local", ENABLED).reason.startswith("local: asked for; ")


def test_codebuild_and_sm_docker_are_taken_as_asked() -> None:
    for asked in ("codebuild", "sm-docker"):
        found = choose_engine(asked, ENABLED)
        assert (found.engine, found.reason) == (asked, f"{asked}: asked for")


def test_options_refuse_local_with_what_it_cannot_honour() -> None:
    with pytest.raises(BadInput) as secret:
        BuildOptions(engine="local", secrets=("id=token,env=HOME",))
    assert secret.value.field == "secrets"
    assert secret.value.hint_for("cli").startswith("Leave --secret out")
    assert '"secrets"' in secret.value.hint_for("rest")
    with pytest.raises(BadInput) as arm:
        BuildOptions(engine="local", platform="linux/arm64", compute_type="BUILD_GENERAL1_LARGE")
    assert arm.value.field == "platform"
    with pytest.raises(BadInput) as cache:
        BuildOptions(engine="local", cache=True)
    assert cache.value.field == "cache"
    with pytest.raises(BadInput) as vpc:
        CheckOptions(
            engine="local",
            vpc_id="vpc-0a1b2c3d",
            subnet_ids=("subnet-0a1b2c3d",),
            security_group_ids=("sg-0a1b2c3d",),
        )
    assert vpc.value.field == "vpc_id"
    with pytest.raises(BadInput) as unknown:
        BuildOptions(engine="docker")
    assert unknown.value.field == "engine"
    assert "auto, local, codebuild, sm-docker" in unknown.value.message
    assert BuildOptions().engine == "auto"


def test_the_build_request_is_the_classic_builder_on_studios_network() -> None:
    query = build_query(
        image="123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag",
        dockerfile="docker/Dockerfile",
        build_args=(("GREETING", "a b 'c' $(id)"),),
        docker_args=(
            "--target",
            "runtime",
            "--label",
            "team=ml",
            "--no-cache",
            "-m",
            "2g",
            "--ulimit",
            "nofile=1024:2048",
            "--build-arg",
            "FROM_ENV",
            "--progress",
            "plain",
        ),
        environ={"FROM_ENV": "value"},
    )
    found = dict(query)
    assert found["networkmode"] == "sagemaker"
    assert found["version"] == "1"
    assert found["platform"] == "linux/amd64"
    assert (found["rm"], found["forcerm"]) == ("1", "1")
    assert found["t"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag"
    assert found["dockerfile"] == "docker/Dockerfile"
    assert found["target"] == "runtime" and found["nocache"] == "1"
    assert found["memory"] == str(2 * 1024**3)
    assert json.loads(found["buildargs"]) == {"GREETING": "a b 'c' $(id)", "FROM_ENV": "value"}
    assert json.loads(found["labels"]) == {"team": "ml"}
    assert json.loads(found["ulimits"]) == [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]
    assert "progress" not in found  # the CLI's own option: nothing to send
    with pytest.raises(ValueError, match="not a size"):
        build_query(
            image="x",
            dockerfile="Dockerfile",
            build_args=(),
            docker_args=("-m", "lots"),
            environ={},
        )


def test_which_base_images_a_vpc_only_domain_may_not_pull() -> None:
    own = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/base:1"
    trusted = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3"
    other = "999999999999.dkr.ecr.eu-west-1.amazonaws.com/x"
    pulls = untrusted_pulls(
        [own, trusted, other, "python:3.12", "public.ecr.aws/docker/library/python:3.12"],
        ACCOUNT,
        ["763104351884"],
    )
    assert [(p.image, p.registry, p.account) for p in pulls] == [
        (other, "999999999999.dkr.ecr.eu-west-1.amazonaws.com", "999999999999"),
        ("python:3.12", "docker.io", None),
        ("public.ecr.aws/docker/library/python:3.12", "public.ecr.aws", None),
    ]
    assert registry_of("localhost:5000/x") == "localhost:5000"
    assert registry_of("library/python") == "docker.io"
    facts = DockerFacts(
        docker_host=HOST, api_version="1.41", domain_id="d-v", access="ENABLED", vpc_only=True
    )
    found = choose_engine("auto", facts, (), pulls)
    assert found.engine == "codebuild"
    assert "d-v is VpcOnly" in found.reason and "python:3.12" in found.reason
    # Asked for, the build stays local: the check then names each pull an administrator fixes.
    assert choose_engine("local", facts, (), pulls).engine == "local"


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("# syntax=docker/dockerfile:1", "syntax directive"),
        ("RUN --mount=type=cache,target=/root/.cache pip install x", "RUN --mount"),
        ("run --network=none make", "RUN --mount"),
        ("RUN <<EOF", "here-document"),
        ("COPY --link app.py /app/", "--link"),
        ("COPY --chown=1000 --chmod=755 run.sh /", "--chmod"),
    ],
)
def test_dockerfile_features_only_buildkit_builds_need_codebuild(line: str, what: str) -> None:
    text = f'FROM public.ecr.aws/docker/library/python:3.12-slim\n{line}\nCMD ["x"]\n'
    if line.startswith("#"):
        text = f"{line}\n{text}"
    [need] = dockerfile_needs(text)
    assert need.field == "engine" and what in need.why and "classic builder" in need.why


def test_a_classic_dockerfile_needs_nothing_of_codebuild() -> None:
    text = (
        "# a comment, not a directive\nFROM python:3.12-slim AS base\n"
        "COPY --chown=1000 app.py /app/\nRUN echo '<<not a heredoc' && pip install x\n"
    )
    assert dockerfile_needs(text) == ()
