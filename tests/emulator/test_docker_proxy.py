"""The Studio Docker stand-in: the Docker Engine API v1.41 on a unix socket, as a space of a
domain with ``DockerSettings.EnableDockerAccess = ENABLED`` sees it (docs/aws-behaviours.md,
"Studio's Docker"), driven by a stdlib client as the product's local build engine drives it."""

from __future__ import annotations

import base64
import json
import os
import socket
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.emulator.services import ecr as ecr_service
from sm_studio_setup.emulator.standins.docker_engine import api, build, push

from .docker_support import (
    UnixConnection,
    call,
    ecr_password,
    registry_auth,
    registry_config,
    socket_path,
    tar_member,
    tar_of,
)

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
REGISTRY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
REPOSITORY = f"{REGISTRY}/studio-images"
DOCKERFILE = (
    b"FROM public.ecr.aws/docker/library/python:3.12-slim\n"
    b"COPY app.py /app/\nRUN pip install -q x\nLABEL team=ml\n"
)
BUILD = "/v1.41/build?networkmode=sagemaker&version=1"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(docker=True) as running:
        running.admin_session().client("ecr").create_repository(repositoryName="studio-images")
        yield running


@pytest.fixture
def docker(emulator: Emulator) -> Iterator[str]:
    """The socket's path, the stand-in back at its defaults around each test."""
    defaults = {
        "enabled": True,
        "vpc_only": False,
        "trusted_accounts": [],
        "build_seconds": 0.2,
        "fail": "",
    }
    control(emulator, "docker", defaults)
    emulator.counter.reset()
    host = emulator.client_env()["DOCKER_HOST"]
    yield socket_path(host)
    control(emulator, "docker", defaults)


def control(emulator: Emulator, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{emulator.endpoint_url}/_sm_emulator/{path}",
        data=data,
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def build_image(
    path: str, files: dict[str, bytes], query: str = "", headers: dict[str, str] | None = None
) -> tuple[int, list[dict[str, Any]]]:
    answer = call(path, "POST", BUILD + query, tar_of(files), headers)
    return answer.status, answer.messages() if answer.status == 200 else [answer.json()]


def image_id_of(messages: list[dict[str, Any]]) -> str:
    [found] = [m["aux"]["ID"] for m in messages if "aux" in m]
    return str(found)


def errors_of(messages: list[dict[str, Any]]) -> list[str]:
    return [m["error"] for m in messages if "error" in m]


APP = {"Dockerfile": DOCKERFILE, "app.py": b"print('hello')\n"}


# --- the daemon ---------------------------------------------------------------------------------


def test_ping_answers_ok_with_the_api_version(docker: str) -> None:
    answer = call(docker, "GET", "/_ping")
    assert (answer.status, answer.body) == (200, b"OK")
    assert answer.headers["api-version"] == "1.41"
    assert answer.headers["server"] == "Docker/20.10.25 (linux)"
    assert call(docker, "HEAD", "/_ping").status == 200


def test_version_is_docker_20_10_with_api_1_41(docker: str) -> None:
    answer = call(docker, "GET", "/v1.41/version")
    assert answer.status == 200
    version = answer.json()
    assert (version["ApiVersion"], version["MinAPIVersion"]) == ("1.41", "1.12")
    assert version["Version"] == "20.10.25"
    assert (version["Os"], version["Arch"]) == ("linux", "amd64")


def test_unversioned_version_answers_301_as_studio_does(docker: str) -> None:
    assert call(docker, "GET", "/version").status == 301


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.43", "client version 1.43 is too new. Maximum supported API version is 1.41"),
        ("1.11", "client version 1.11 is too old. Minimum supported API version is 1.12"),
    ],
)
def test_api_versions_beyond_20_10_are_refused(docker: str, version: str, message: str) -> None:
    answer = call(docker, "GET", f"/v{version}/version")
    assert answer.status == 400
    assert answer.json()["message"].startswith(message)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/v1.41/containers/json"),
        ("POST", "/v1.41/images/create?fromImage=python"),
        ("GET", "/v1.41/images/json"),
        ("PUT", "/v1.41/build"),
        ("POST", "/session"),
    ],
)
def test_what_is_not_emulated_is_page_not_found(docker: str, method: str, url: str) -> None:
    answer = call(docker, method, url)
    assert (answer.status, answer.json()) == (404, {"message": "page not found"})


# --- builds ---------------------------------------------------------------------------------


def test_a_build_streams_its_steps_and_yields_an_image(docker: str) -> None:
    labels = json.dumps({"built-by": "sm-studio-setup"})
    status, messages = build_image(docker, APP, f"&t={REPOSITORY}:v1&labels={quote(labels)}")
    assert status == 200
    text = "".join(m.get("stream", "") for m in messages)
    steps = [line for line in text.splitlines() if line.startswith("Step ")]
    assert steps == [
        "Step 1/4 : FROM public.ecr.aws/docker/library/python:3.12-slim",
        "Step 2/4 : COPY app.py /app/",
        "Step 3/4 : RUN pip install -q x",
        "Step 4/4 : LABEL team=ml",
    ]
    image = image_id_of(messages)
    assert len(image) == len("sha256:") + 64 and image.startswith("sha256:")
    assert f"Successfully built {image[7:19]}\n" in text
    assert text.endswith(f"Successfully tagged {REPOSITORY}:v1\n")
    assert errors_of(messages) == []
    inspect = call(docker, "GET", f"/v1.41/images/{REPOSITORY}:v1/json").json()
    assert inspect["Id"] == image
    assert inspect["RepoTags"] == [f"{REPOSITORY}:v1"]
    assert inspect["Config"]["Labels"] == {"team": "ml", "built-by": "sm-studio-setup"}
    assert (inspect["Architecture"], inspect["Os"]) == ("amd64", "linux")


def test_the_image_id_follows_from_the_context_and_nothing_else(docker: str) -> None:
    first = image_id_of(build_image(docker, APP)[1])
    gzipped = call(docker, "POST", BUILD, tar_of(APP, compress=True)).messages()
    changed = image_id_of(build_image(docker, {**APP, "app.py": b"print('bye')\n"})[1])
    with_arg = image_id_of(build_image(docker, APP, "&buildargs=" + quote('{"V": "1"}'))[1])
    assert image_id_of(gzipped) == first
    assert len({first, changed, with_arg}) == 3


def test_an_unchanged_rebuild_uses_the_cache(docker: str) -> None:
    build_image(docker, APP)
    status, messages = build_image(docker, APP)
    text = "".join(m.get("stream", "") for m in messages)
    assert status == 200
    assert text.count(" ---> Using cache") == 3  # every step after FROM


def test_a_build_takes_build_seconds(emulator: Emulator, docker: str) -> None:
    control(emulator, "docker", {"build_seconds": 1.0})
    started = time.monotonic()
    status, messages = build_image(docker, {**APP, "app.py": b"slow\n"})
    assert status == 200 and errors_of(messages) == []
    assert time.monotonic() - started >= 0.9


def test_a_chunked_context_is_read_like_a_sized_one(docker: str) -> None:
    context = tar_of(APP)
    chunks = [context[i : i + 700] for i in range(0, len(context), 700)]
    answer = call(docker, "POST", BUILD, iter(chunks), chunked=True)
    assert image_id_of(answer.messages()) == image_id_of(build_image(docker, APP)[1])


def test_the_daemon_removes_only_dockerfile_and_dockerignore_that_dockerignore_names(
    docker: str,
) -> None:
    # The client applies .dockerignore before sending; the daemon only drops these two
    # (moby builder/remotecontext/detect.go, removeDockerfile).
    def built(ignore: bytes, secret: bytes) -> str:
        files = {**APP, ".dockerignore": ignore, "secret.txt": secret}
        return image_id_of(build_image(docker, files)[1])

    assert built(b"secret.txt\n", b"a") != built(b"secret.txt\n", b"b")
    assert built(b".dockerignore\n", b"a") == built(b".dockerignore\n# other\n", b"a")
    assert built(b"x\n", b"a") != built(b"y\n", b"a")


def test_a_copy_of_what_the_context_lacks_fails_in_the_stream(docker: str) -> None:
    files = {"Dockerfile": b"FROM scratch\nCOPY missing.txt /\n"}
    status, messages = build_image(docker, files, f"&t={REPOSITORY}:missing")
    assert status == 200
    assert errors_of(messages) == [
        "COPY failed: file not found in build context or excluded by .dockerignore: "
        "stat missing.txt: file does not exist"
    ]
    assert messages[-1]["errorDetail"]["message"] == messages[-1]["error"]
    assert call(docker, "GET", f"/v1.41/images/{REPOSITORY}:missing/json").status == 404


def test_a_missing_dockerfile_is_answered_before_streaming(docker: str) -> None:
    status, [answer] = build_image(docker, {"app.py": b"x"})
    assert (status, answer) == (500, {"message": "Cannot locate specified Dockerfile: Dockerfile"})
    status, messages = build_image(docker, {"dockerfile": b"FROM scratch\n"})
    assert status == 200 and errors_of(messages) == []
    status, [answer] = build_image(docker, APP, "&dockerfile=sub/Dockerfile")
    assert answer == {"message": "Cannot locate specified Dockerfile: sub/Dockerfile"}


def test_a_target_ends_the_build_at_its_stage(docker: str) -> None:
    files = {"Dockerfile": b"FROM scratch AS base\nLABEL a=b\nFROM base AS final\nLABEL c=d\n"}
    status, messages = build_image(docker, files, "&target=base")
    text = "".join(m.get("stream", "") for m in messages)
    assert "Step 2/2 : LABEL a=b" in text and "LABEL c=d" not in text
    assert errors_of(messages) == []
    status, [answer] = build_image(docker, files, "&target=nope")
    assert (status, answer) == (500, {"message": "failed to reach build target nope in Dockerfile"})


# --- Studio's refusals ------------------------------------------------------------------------


@pytest.mark.parametrize("network", [None, "default", "host", "bridge", "none"])
def test_a_network_other_than_sagemaker_is_refused(docker: str, network: str | None) -> None:
    query = "?version=1" + (f"&networkmode={network}" if network is not None else "")
    answer = call(docker, "POST", f"/v1.41/build{query}", tar_of(APP))
    assert answer.status == 403
    assert answer.json() == {"message": build.REFUSED_NETWORK}
    assert (
        build.REFUSED_NETWORK == "[ImageBuild] 'sagemaker' is the only user allowed network input"
    )


def test_buildkit_is_refused_with_a_sentence_that_says_why(docker: str) -> None:
    answer = call(docker, "POST", "/v1.41/build?networkmode=sagemaker&version=2", tar_of(APP))
    assert answer.status == 403
    message = answer.json()["message"]
    assert message == build.REFUSED_BUILDKIT
    assert "privileged" in message and "version=1" in message


@pytest.mark.parametrize(
    ("host_config", "message"),
    [
        ({"Privileged": True, "NetworkMode": "sagemaker"}, api.REFUSED_PRIVILEGED),
        ({"NetworkMode": "host"}, api.REFUSED_CONTAINER_NETWORK),
        ({}, api.REFUSED_CONTAINER_NETWORK),
    ],
)
def test_privileged_containers_and_other_networks_are_refused(
    docker: str, host_config: dict[str, Any], message: str
) -> None:
    body = json.dumps({"Image": "python:3.12", "HostConfig": host_config}).encode()
    answer = call(docker, "POST", "/v1.41/containers/create", body)
    assert (answer.status, answer.json()) == (403, {"message": message})


def test_an_allowed_container_is_still_not_emulated(docker: str) -> None:
    body = json.dumps({"Image": "python:3.12", "HostConfig": {"NetworkMode": "sagemaker"}})
    answer = call(docker, "POST", "/v1.41/containers/create", body.encode())
    assert answer.status == 404


# --- bounds -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (tar_member("/etc/passwd", tarfile.REGTYPE, data=b"x"), "absolute name"),
        (tar_member("a/../../escape", tarfile.REGTYPE, data=b"x"), "parent folder"),
        (tar_member("dev/tty", tarfile.CHRTYPE), "not a regular file"),
        (tar_member("pipe", tarfile.FIFOTYPE), "not a regular file"),
        (tar_member("hard", tarfile.LNKTYPE, linkname="nothing"), "names no earlier file"),
    ],
)
def test_unsafe_tar_members_are_refused(docker: str, member: bytes, reason: str) -> None:
    answer = call(docker, "POST", BUILD, member)
    assert answer.status == 400
    assert reason in answer.json()["message"]


def test_links_are_kept_as_links_never_followed(docker: str) -> None:
    linked = call(
        docker, "POST", BUILD, tar_of(APP, links={"data": "/etc/passwd", "up": "../x"})
    ).messages()
    assert errors_of(linked) == []
    moved = call(docker, "POST", BUILD, tar_of(APP, links={"data": "/etc/group", "up": "../x"}))
    assert image_id_of(moved.messages()) != image_id_of(linked)


def test_a_body_above_the_cap_is_413(docker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "MAX_BODY_BYTES", 4096)
    sized = call(docker, "POST", BUILD, b"\0" * 5000)
    chunked = call(docker, "POST", BUILD, iter([b"\0" * 3000, b"\0" * 3000]), chunked=True)
    assert (sized.status, chunked.status) == (413, 413)
    assert "limit" in sized.json()["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("&buildargs=not-json", "buildargs must be a JSON object of strings"),
        ("&labels=" + quote('{"a": 1}'), "labels must be a JSON object of strings"),
        ("&buildargs=" + quote(json.dumps({"A": "x" * (40 * 1024)})), "longer than 32 KiB"),
        ("&t=Not%20Valid", "invalid reference format"),
    ],
)
def test_malformed_parameters_are_400(docker: str, query: str, message: str) -> None:
    answer = call(docker, "POST", BUILD + query, tar_of(APP))
    assert answer.status == 400
    assert message in answer.json()["message"]


def test_a_client_that_goes_away_cancels_the_build(emulator: Emulator, docker: str) -> None:
    # A step's message every 3 s: the server sees the client gone at its second write after
    # the close (the first may still fill the socket's buffer), well before the build's end.
    control(emulator, "docker", {"build_seconds": 12})
    before = control(emulator, "docker")[1]["builds"]["cancelled"]
    connection = UnixConnection(docker)
    # A context of its own: an image the store has already is a cached build, which ends
    # before the client can go.
    files = {**APP, "cancelled.txt": uuid.uuid4().hex.encode()}
    connection.request("POST", BUILD + f"&t={REPOSITORY}:cancelled", body=tar_of(files))
    response = connection.getresponse()
    assert response.status == 200
    assert b"Step 1/4" in response.fp.readline() + response.fp.readline()
    connection.sock.shutdown(socket.SHUT_RDWR)
    connection.close()
    deadline = time.monotonic() + 10
    while control(emulator, "docker")[1]["builds"]["cancelled"] == before:
        assert time.monotonic() < deadline, "the build went on without its client"
        time.sleep(0.05)
    assert call(docker, "GET", f"/v1.41/images/{REPOSITORY}:cancelled/json").status == 404


# --- images -------------------------------------------------------------------------------------


def test_tag_inspect_and_delete(docker: str) -> None:
    # A context of its own: an image id another test's build shares would keep other tags.
    files = {**APP, "own.txt": b"tag_inspect_and_delete\n"}
    image = image_id_of(build_image(docker, files, f"&t={REPOSITORY}:a")[1])
    tagged = call(docker, "POST", f"/v1.41/images/{REPOSITORY}:a/tag?repo={REPOSITORY}&tag=b")
    assert tagged.status == 201
    assert call(docker, "GET", f"/v1.41/images/{REPOSITORY}:b/json").json()["Id"] == image
    by_id = call(docker, "DELETE", f"/v1.41/images/{image}")
    assert by_id.status == 409 and "must be forced" in by_id.json()["message"]
    untag = call(docker, "DELETE", f"/v1.41/images/{REPOSITORY}:b")
    assert untag.json() == [{"Untagged": f"{REPOSITORY}:b"}]
    last = call(docker, "DELETE", f"/v1.41/images/{REPOSITORY}:a")
    assert last.json() == [{"Untagged": f"{REPOSITORY}:a"}, {"Deleted": image}]
    missing = call(docker, "GET", f"/v1.41/images/{REPOSITORY}:a/json")
    assert (missing.status, missing.json()) == (404, {"message": f"No such image: {REPOSITORY}:a"})
    bad = call(docker, "POST", f"/v1.41/images/{image}/tag?repo=Upper&tag=x")
    assert bad.status in (400, 404)


# --- pushes -------------------------------------------------------------------------------------


def push_image(docker: str, tag: str, auth: str | None) -> list[dict[str, Any]]:
    headers = {"X-Registry-Auth": auth} if auth is not None else {}
    answer = call(docker, "POST", f"/v1.41/images/{REPOSITORY}/push?tag={tag}", None, headers)
    assert answer.status == 200
    return answer.messages()


def ecr_images(emulator: Emulator, tag: str) -> list[dict[str, Any]]:
    ecr = emulator.admin_session().client("ecr")
    found = ecr.describe_images(repositoryName="studio-images")["imageDetails"]
    return [image for image in found if tag in image.get("imageTags", [])]


def test_a_push_with_an_ecr_token_lands_in_ecr(emulator: Emulator, docker: str) -> None:
    image = image_id_of(build_image(docker, APP, f"&t={REPOSITORY}:pushed")[1])
    password = ecr_password(emulator.admin_session())
    messages = push_image(docker, "pushed", registry_auth(password, REGISTRY))
    assert messages[0] == {"status": f"The push refers to repository [{REPOSITORY}]"}
    assert errors_of(messages) == []
    [aux] = [m["aux"] for m in messages if "aux" in m]
    assert aux["Tag"] == "pushed"
    assert {"status": f"pushed: digest: {aux['Digest']} size: {aux['Size']}"} in messages
    [pushed] = ecr_images(emulator, "pushed")
    assert pushed["imageDigest"] == aux["Digest"]
    inspect = call(docker, "GET", f"/v1.41/images/{image}/json").json()
    assert inspect["RepoDigests"] == [f"{REPOSITORY}@{aux['Digest']}"]
    again = push_image(docker, "pushed", registry_auth(password, REGISTRY))
    assert any(m.get("status") == "Layer already exists" for m in again)


def test_a_push_is_judged_by_iam_as_the_tokens_principal(emulator: Emulator, docker: str) -> None:
    # AmazonSageMakerFullAccess does not allow pushing to a repository of this name.
    build_image(docker, APP, f"&t={REPOSITORY}:studio")
    messages = push_image(docker, "studio", registry_auth(ecr_password(emulator.studio_session())))
    [error] = errors_of(messages)
    assert error.startswith("denied: User: arn:aws:sts::123456789012:assumed-role/")
    assert "is not authorized to perform: ecr:" in error
    assert ecr_images(emulator, "studio") == []


def test_a_push_without_a_valid_token_is_refused_and_never_echoes_it(
    emulator: Emulator,
    docker: str,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_image(docker, APP, f"&t={REPOSITORY}:refused")
    real = ecr_password(emulator.admin_session())
    monkeypatch.setattr(ecr_service, "TOKEN_SECONDS", -1)
    expired = ecr_password(emulator.admin_session())
    forged = base64.urlsafe_b64encode(b"forged-" + os.urandom(24)).decode()
    # Go's base64.URLEncoding needs padding: an unpadded header is no header at all.
    unpadded = registry_auth(real).rstrip("=")
    while unpadded == registry_auth(real):
        real += " "
        unpadded = registry_auth(real).rstrip("=")
    outcomes = {
        "none": push_image(docker, "refused", None),
        "forged": push_image(docker, "refused", registry_auth(forged)),
        "expired": push_image(docker, "refused", registry_auth(expired)),
        "not AWS": push_image(docker, "refused", registry_auth(real.strip(), username="admin")),
        "unpadded": push_image(docker, "refused", unpadded),
    }
    assert {case: errors_of(messages) for case, messages in outcomes.items()} == {
        "none": ["no basic auth credentials"],
        "forged": ["denied: Your Authorization Token is invalid."],
        "expired": ["denied: Your authorization token has expired. Reauthenticate and try again."],
        "not AWS": ["denied: Your Authorization Token is invalid."],
        "unpadded": ["no basic auth credentials"],
    }
    assert ecr_images(emulator, "refused") == []
    seen = json.dumps(outcomes) + json.dumps(control(emulator, "stats")[1])
    seen += json.dumps(control(emulator, "docker")[1]) + caplog.text
    captured = capfd.readouterr()
    seen += captured.out + captured.err
    for secret in (real.strip(), expired, forged):
        assert secret not in seen


def test_a_push_of_what_was_never_built_says_so(emulator: Emulator, docker: str) -> None:
    password = ecr_password(emulator.admin_session())
    messages = push_image(docker, "never-built", registry_auth(password))
    assert errors_of(messages) == [f"An image does not exist locally with the tag: {REPOSITORY}"]


def test_injected_failures(emulator: Emulator, docker: str) -> None:
    control(emulator, "docker", {"fail": "build"})
    _, messages = build_image(docker, {**APP, "app.py": b"fails\n"})
    [failure] = [m for m in messages if "error" in m]
    assert (
        failure["error"] == "The command '/bin/sh -c pip install -q x' returned a non-zero code: 1"
    )
    assert failure["errorDetail"]["code"] == 1
    control(emulator, "docker", {"fail": "push"})
    build_image(docker, APP, f"&t={REPOSITORY}:injected")
    password = ecr_password(emulator.admin_session())
    [error] = errors_of(push_image(docker, "injected", registry_auth(password)))
    assert error == push.INJECTED
    assert "500 Internal Server Error" in error and "injected by the emulator" in error


# --- pulls and the domain's network ------------------------------------------------------------


def from_image(docker: str, image: str, headers: dict[str, str] | None = None) -> list[str]:
    files = {"Dockerfile": f"FROM {image}\n".encode()}
    status, messages = build_image(docker, files, "&pull=1", headers)
    assert status == 200
    return errors_of(messages)


def test_vpc_only_pulls_only_from_the_accounts_it_trusts(emulator: Emulator, docker: str) -> None:
    other = f"{OTHER_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/base:1"
    own = f"{REGISTRY}/base:1"
    password = ecr_password(emulator.admin_session())
    auths = {
        "X-Registry-Config": registry_config(
            {REGISTRY: password, f"{OTHER_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com": password}
        )
    }
    assert from_image(docker, "python:3.12-slim") == []
    control(emulator, "docker", {"vpc_only": True})
    [hub] = from_image(docker, "python:3.12-slim")
    [public] = from_image(docker, "public.ecr.aws/docker/library/python:3.12-slim")
    assert "registry-1.docker.io" in hub and "public.ecr.aws" in public
    [untrusted] = from_image(docker, other, auths)
    assert OTHER_ACCOUNT in untrusted and "VpcOnlyTrustedAccounts" in untrusted
    assert from_image(docker, own, auths) == []
    control(emulator, "docker", {"trusted_accounts": [OTHER_ACCOUNT]})
    assert from_image(docker, other, auths) == []
    domain = (
        emulator.admin_session()
        .client("sagemaker")
        .describe_domain(DomainId=emulator.seed_info.domain_id if emulator.seed_info else "")
    )
    assert domain["AppNetworkAccessType"] == "VpcOnly"
    assert domain["DomainSettings"]["DockerSettings"]["VpcOnlyTrustedAccounts"] == [OTHER_ACCOUNT]


def test_an_update_domain_changes_what_the_stand_in_pulls(emulator: Emulator, docker: str) -> None:
    info = emulator.seed_info
    assert info is not None
    sagemaker = emulator.admin_session().client("sagemaker")
    sagemaker.update_domain(DomainId=info.domain_id, AppNetworkAccessType="VpcOnly")
    assert len(from_image(docker, "python:3.12-slim")) == 1


def test_an_ecr_base_image_needs_credentials(emulator: Emulator, docker: str) -> None:
    [error] = from_image(docker, f"{REGISTRY}/base:1")
    assert error == f'Head "https://{REGISTRY}/v2/base/manifests/1": no basic auth credentials'


# --- the emulator around it ---------------------------------------------------------------------


def test_requests_are_counted_as_the_docker_service(emulator: Emulator, docker: str) -> None:
    context = tar_of({**APP, "app.py": b"counted\n"})
    call(docker, "GET", "/_ping")
    call(docker, "POST", BUILD + f"&t={REPOSITORY}:counted", context)
    call(docker, "GET", "/v1.41/nothing")
    stats = control(emulator, "stats")[1]
    assert stats["by_service"]["docker"] == 3
    assert stats["by_operation"]["docker:SystemPing"] == 1
    assert stats["by_operation"]["docker:ImageBuild"] == 1
    assert stats["by_operation"]["docker:NotFound"] == 1
    assert "docker:ImagePush" not in stats["by_operation"]
    assert stats["bytes_in_by_operation"]["docker:ImageBuild"] == len(context)


def test_disabling_removes_the_socket_and_keeps_the_images(emulator: Emulator, docker: str) -> None:
    image = image_id_of(build_image(docker, APP, f"&t={REPOSITORY}:kept")[1])
    state = control(emulator, "docker", {"enabled": False})[1]
    assert (state["enabled"], state["docker_host"]) == (False, None)
    assert "DOCKER_HOST" not in emulator.client_env()
    assert not os.path.exists(docker)
    info = emulator.seed_info
    assert info is not None
    domain = emulator.admin_session().client("sagemaker").describe_domain(DomainId=info.domain_id)
    assert domain["DomainSettings"]["DockerSettings"]["EnableDockerAccess"] == "DISABLED"
    control(emulator, "docker", {"enabled": True})
    assert call(docker, "GET", f"/v1.41/images/{REPOSITORY}:kept/json").json()["Id"] == image


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"enabled": "yes"}, "enabled must be true or false"),
        ({"trusted_accounts": ["1234"]}, "12-digit"),
        ({"trusted_accounts": [ACCOUNT] * 21}, "at most 20"),
        ({"build_seconds": -1}, "build_seconds"),
        ({"fail": "pull"}, "fail must be one of build, push"),
        ({"stop": True}, "unknown field"),
    ],
)
def test_the_docker_control_rejects_bad_input(emulator: Emulator, body: Any, message: str) -> None:
    status, answer = control(emulator, "docker", body)
    assert status == 400
    assert message in answer["error"]
