"""The digest of a build's inputs (service/build/inputs.py), its tag, the lookup's decisions
and the buildspec that pushes the tag: without AWS (the ECR calls through botocore's Stubber)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import threading
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from sm_studio_setup.aws.session import client
from sm_studio_setup.images import buildspec as spec_module
from sm_studio_setup.images.buildspec import BuildSpecInput, buildspec, decode_argv
from sm_studio_setup.service.build import inputs
from sm_studio_setup.service.build.context import ContextStopped, read_context
from sm_studio_setup.service.build.records import BuildRecord, Records
from sm_studio_setup.service.options import BuildOptions
from sm_studio_setup.surfaces.routes.base import options_from_json

REPOSITORY = "sagemaker-studio-d-x"
IMAGE = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{REPOSITORY}:latest"


def _folder(root: Path, *, order: tuple[str, ...] = ("Dockerfile", "app.py", "run.sh")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    contents = {
        "Dockerfile": "FROM scratch\nCOPY . /app\n",
        "app.py": "print('hello')\n",
        "run.sh": "#!/bin/sh\nexec python /app/app.py\n",
    }
    for name in order:
        (root / name).write_text(contents[name])
    (root / "run.sh").chmod(0o755)
    (root / ".dockerignore").write_text("data/\n")
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "weights.bin").write_bytes(b"w" * 1000)
    (root / "lib").mkdir(exist_ok=True)
    (root / "lib" / "util.py").write_text("X = 1\n")
    os.symlink("util.py", root / "lib" / "alias.py")
    # Modes are inputs: set, so the digest does not depend on the umask the tests run with.
    for path in (".dockerignore", "Dockerfile", "app.py", "lib/util.py"):
        (root / path).chmod(0o644)
    return root


def _digest(root: Path, **options: Any) -> str:
    context = read_context(str(root), "Dockerfile")
    return inputs.inputs_digest(context, BuildOptions(context=str(root), **options))


def test_the_encoding_is_pinned(tmp_path: Path) -> None:
    # A change to the encoding must change VERSION: images tagged by the old one are then
    # simply not found (a rebuild), never mistaken for another folder's.
    assert inputs.VERSION == "2"
    root = _folder(tmp_path / "a")

    def sha(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def file(path: str, executable: bool = False) -> list[str]:
        return ["file", path, "0755" if executable else "0644", sha((root / path).read_bytes())]

    # The module docstring's encoding, written out again by hand.
    fields = [
        *("sm-studio-setup build inputs", "2", "builder", "buildkit"),
        *("dockerfile", "Dockerfile", sha(b"FROM scratch\nCOPY . /app\n")),
        *("platform", "linux/amd64", "build-args", "0", "docker-args", "0", "environment", "0"),
        *("files", "6"),
        *file(".dockerignore"),
        *file("Dockerfile"),
        *file("app.py"),
        *("link", "lib/alias.py", "util.py"),
        *file("lib/util.py"),
        *file("run.sh", executable=True),
    ]
    expected = hashlib.sha256(
        b"".join(len(f.encode()).to_bytes(8, "big") + f.encode() for f in fields)
    ).hexdigest()
    assert (
        _digest(root)
        == expected
        == "9d21520216aa01cfdfe36eb50985caddf0309b8cbaf884a983234bc31a983bb9"
    )


def test_the_digest_is_stable_and_ignores_file_order_and_times(tmp_path: Path) -> None:
    first = _folder(tmp_path / "a")
    second = _folder(tmp_path / "b", order=("run.sh", "app.py", "Dockerfile"))
    for path in second.rglob("*"):
        if not path.is_symlink():
            os.utime(path, (1_000_000, 1_000_000))
    assert _digest(first) == _digest(first) == _digest(second)
    assert re.fullmatch(r"[0-9a-f]{64}", _digest(first))


def test_what_is_sent_is_an_input_and_what_is_ignored_is_not(tmp_path: Path) -> None:
    base = _digest(_folder(tmp_path / "base"))

    def changed(name: str, change: Any) -> str:
        root = _folder(tmp_path / name)
        change(root)
        return _digest(root)

    # .dockerignore keeps data/ out: what is in it is no input.
    assert changed("ignored", lambda r: (r / "data" / "weights.bin").write_bytes(b"v")) == base
    assert changed("ignored-new", lambda r: (r / "data" / "more.bin").write_bytes(b"v")) == base
    # Every kept file's content, name, executable bit; a new file; the Dockerfile.
    assert changed("content", lambda r: (r / "app.py").write_text("print('bye')\n")) != base
    assert changed("new", lambda r: (r / "extra.txt").write_text("")) != base
    assert changed("renamed", lambda r: (r / "app.py").rename(r / "main.py")) != base
    assert changed("exec", lambda r: (r / "app.py").chmod(0o755)) != base
    assert changed("noexec", lambda r: (r / "run.sh").chmod(0o644)) != base
    assert changed("df", lambda r: (r / "Dockerfile").write_text("FROM scratch\n")) != base
    # Every permission bit is: Docker sends the mode and COPY keeps it (a checkout under
    # another umask therefore builds again, which is safe; reusing a wrong image is not).
    assert changed("perm", lambda r: (r / "app.py").chmod(0o600)) != base


def test_a_link_is_its_target_text_never_what_it_points_to(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret one\n")
    root = _folder(tmp_path / "a")
    os.symlink(str(outside), root / "out.txt")
    before = _digest(root)
    outside.write_text("secret two, longer\n")
    assert _digest(root) == before  # not followed
    (root / "out.txt").unlink()
    os.symlink(str(tmp_path / "elsewhere.txt"), root / "out.txt")
    assert _digest(root) != before  # the target's text is the input
    # A link and a file holding the target's text are not the same input.
    linked = _folder(tmp_path / "b")
    copied = _folder(tmp_path / "c")
    (copied / "lib" / "alias.py").unlink()
    (copied / "lib" / "alias.py").write_text("util.py")
    assert _digest(linked) != _digest(copied)


def test_build_options_that_shape_the_image_are_inputs_and_the_rest_are_not(
    tmp_path: Path,
) -> None:
    root = _folder(tmp_path / "a")
    base = _digest(root, build_args=(("A", "1"), ("B", "2")))
    # Docker's own reading: order of names is nothing, the last value of a name wins.
    assert _digest(root, build_args=(("B", "2"), ("A", "1"))) == base
    assert _digest(root, build_args=(("A", "0"), ("B", "2"), ("A", "1"))) == base
    assert _digest(root, build_args=(("A", "1"), ("B", "3"))) != base
    assert _digest(root, build_args=(("A", "1"),)) != base
    assert _digest(root, build_args=(("A", "1"), ("B", "2")), platform="linux/arm64") != base
    target = _digest(root, build_args=(("A", "1"), ("B", "2")), docker_args=("--target", "x"))
    assert target != base
    assert (
        _digest(root, build_args=(("A", "1"), ("B", "2")), docker_args=("--target", "y")) != target
    )
    # Neither secrets, nor the engine, the cache, the compute type, the timeout or tags.
    same = _digest(
        root,
        build_args=(("A", "1"), ("B", "2")),
        secrets=("id=TOKEN,env=TOKEN", "id=KEY,src=/team/key"),
        engine="sm-docker",
        cache=True,
        compute_type="BUILD_GENERAL1_LARGE",
        timeout_minutes=30,
        tags=(("team", "ml"),),
        rebuild=True,
    )
    assert same == base


def test_reading_for_the_digest_is_bounded_and_can_be_stopped(tmp_path: Path) -> None:
    root = _folder(tmp_path / "a")
    (root / "big.bin").write_bytes(os.urandom(3 << 20))
    context = read_context(str(root), "Dockerfile")
    options = BuildOptions(context=str(root))
    with pytest.raises(inputs.HashingTooSlow):
        inputs.inputs_digest(context, options, max_seconds=-1.0)
    stop = threading.Event()
    stop.set()
    with pytest.raises(ContextStopped):
        inputs.inputs_digest(context, options, stop=stop)
    # A file that grew since the walk is read up to the size the walk saw: the digest is of
    # what the walk listed (the zip is cut the same way).
    before = inputs.inputs_digest(context, options)
    with open(root / "big.bin", "ab") as grown:
        grown.write(b"more")
    assert inputs.inputs_digest(context, options) == before


def test_the_tag_fits_ecr_and_docker() -> None:
    tag = inputs.inputs_tag("a" * 64)
    assert tag == "smss-inputs-" + "a" * 64
    assert re.fullmatch(r"[a-zA-Z0-9_.-]{1,300}", tag)  # ECR's ImageTag: 1 to 300
    assert re.fullmatch(r"[\w][\w.-]{0,127}", tag)  # docker's reference grammar


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({}, None),
        ({"rebuild": True}, "--rebuild"),
        ({"docker_args": ("--pull",)}, "docker's --pull"),
        ({"docker_args": ("--no-cache",)}, "docker's --no-cache"),
        ({"docker_args": ("--no-cache=false",)}, None),
        ({"docker_args": ("--label", "--pull")}, None),  # a label's value, not an option
    ],
)
def test_what_asks_for_a_fresh_build(options: dict[str, Any], reason: str | None) -> None:
    assert inputs.fresh_reason(BuildOptions(**options)) == reason


def test_rebuild_is_a_field_of_the_rest_request() -> None:
    assert options_from_json(BuildOptions, {"rebuild": True}).rebuild is True
    assert inputs.fresh_reason(BuildOptions(rebuild=True), "rest") == '"rebuild": true'


# --- the lookup's decisions, ECR stubbed ------------------------------------------------------


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in list(os.environ):
        if name.startswith(("AWS_", "SM_STUDIO_SETUP_DEMO")):
            monkeypatch.delenv(name)
    session = boto3.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x", region_name="us-east-1"
    )
    ecr = client(session, "ecr")
    with Stubber(ecr) as stubber:
        yield session, stubber
        stubber.assert_no_pending_responses()


def _context(tmp_path: Path) -> Any:
    return read_context(str(_folder(tmp_path / "a")), "Dockerfile")


def _describe(tag: str) -> dict[str, Any]:
    return {"repositoryName": REPOSITORY, "imageIds": [{"imageTag": tag}]}


def _repository(mutability: str) -> dict[str, Any]:
    return {
        "repositories": [
            {"repositoryName": REPOSITORY, "imageTagMutability": mutability},
        ]
    }


def test_found_not_found_and_denied(stubbed: Any, tmp_path: Path) -> None:
    session, stubber = stubbed
    context = _context(tmp_path)
    options = BuildOptions(context=str(context.root))
    tag = inputs.inputs_tag(inputs.inputs_digest(context, options))
    pushed = datetime(2026, 5, 1, 10, 15, tzinfo=timezone.utc)
    stubber.add_response(
        "describe_images",
        {
            "imageDetails": [
                {"imageDigest": "sha256:" + "1" * 64, "imageTags": [tag], "imagePushedAt": pushed}
            ]
        },
        _describe(tag),
    )
    found = inputs.decide(session, options, context, REPOSITORY)
    assert found.found is not None and found.found.digest == "sha256:" + "1" * 64
    assert found.found.tags == (tag,) and found.found.pushed_at == pushed
    assert found.tag == tag and found.state == "SUCCEEDED" and not found.warnings

    stubber.add_client_error(
        "describe_images", "ImageNotFoundException", expected_params=_describe(tag)
    )
    missing = inputs.decide(session, options, context, REPOSITORY)
    assert missing.found is None and missing.tag == tag and "not built yet" in missing.detail

    stubber.add_client_error(
        "describe_images", "RepositoryNotFoundException", expected_params=_describe(tag)
    )
    assert inputs.decide(session, options, context, REPOSITORY).found is None

    # Denied: build, say so, and still push the tag to a mutable repository.
    stubber.add_client_error(
        "describe_images",
        service_error_code="AccessDeniedException",
        service_message="not authorized",
        expected_params=_describe(tag),
    )
    stubber.add_response(
        "describe_repositories", _repository("MUTABLE"), {"repositoryNames": [REPOSITORY]}
    )
    denied = inputs.decide(session, options, context, REPOSITORY)
    assert denied.found is None and denied.tag == tag
    assert "ecr:DescribeImages" in denied.warnings[0] and "not allowed" in denied.warnings[0]


def test_rebuild_looks_nothing_up_and_skips_the_tag_an_immutable_repository_has(
    stubbed: Any, tmp_path: Path
) -> None:
    session, stubber = stubbed
    context = _context(tmp_path)
    options = BuildOptions(context=str(context.root), rebuild=True)
    tag = inputs.inputs_tag(inputs.inputs_digest(context, options))
    # Mutable: no DescribeImages at all (the Stubber refuses an unexpected call).
    stubber.add_response(
        "describe_repositories", _repository("MUTABLE"), {"repositoryNames": [REPOSITORY]}
    )
    mutable = inputs.decide(session, options, context, REPOSITORY)
    assert (mutable.found, mutable.tag, mutable.state) == (None, tag, "SKIPPED")
    assert mutable.detail.startswith("--rebuild")

    # Immutable, and the tag is there: pushing it again would fail the build.
    stubber.add_response(
        "describe_repositories", _repository("IMMUTABLE"), {"repositoryNames": [REPOSITORY]}
    )
    stubber.add_response(
        "describe_images",
        {"imageDetails": [{"imageDigest": "sha256:" + "2" * 64, "imageTags": [tag]}]},
        _describe(tag),
    )
    immutable = inputs.decide(session, options, context, REPOSITORY)
    assert immutable.found is None and immutable.tag is None
    assert "immutable" in immutable.warnings[0] and tag in immutable.warnings[0]

    # Immutable, and the tag is not there yet: it is pushed.
    stubber.add_response(
        "describe_repositories", _repository("IMMUTABLE"), {"repositoryNames": [REPOSITORY]}
    )
    stubber.add_client_error(
        "describe_images", "ImageNotFoundException", expected_params=_describe(tag)
    )
    assert inputs.decide(session, options, context, REPOSITORY).tag == tag


def test_the_earlier_build_and_the_message(tmp_path: Path) -> None:
    records = Records(tmp_path / "records")
    made = BuildRecord(id="b-20260501T101500Z-aaaaaa", created="2026-05-01T10:15:00+00:00")
    made.status, made.inputs_digest, made.digest = "SUCCEEDED", "d" * 64, "sha256:" + "1" * 64
    made.ended = "2026-05-01T10:19:00+00:00"
    reused = BuildRecord(id="b-20260502T101500Z-bbbbbb", created="2026-05-02T10:15:00+00:00")
    reused.status, reused.reason = "SUCCEEDED", "unchanged"
    reused.inputs_digest, reused.digest = "d" * 64, "sha256:" + "1" * 64
    for record in (made, reused):
        records.save(record)
    image = inputs.ecr.TaggedImage("sha256:" + "1" * 64, ("latest",), None)
    earlier = inputs.earlier_build(records, "d" * 64, image.digest, exclude="b-x")
    assert earlier is not None and earlier.id == made.id  # the build that made it
    assert inputs.earlier_build(records, "e" * 64, image.digest, exclude="b-x") is None
    since = inputs.since(earlier, image)
    assert since == {"build_id": made.id, "date": "2026-05-01T10:19:00+00:00"}
    message = inputs.unchanged_message(since, IMAGE, None, "cli")
    assert message.startswith(f"Unchanged since build {made.id} (2026-05-01 10:19 UTC): {IMAGE}.")
    assert "FROM …:latest" in message and "--rebuild builds afresh" in message
    pushed = inputs.ecr.TaggedImage("sha256:" + "1" * 64, (), datetime(2026, 4, 1, 8, 0))
    from_ecr = inputs.since(None, pushed)
    assert from_ecr == {"build_id": None, "date": "2026-04-01T08:00:00+00:00"}
    text = inputs.unchanged_message(from_ecr, IMAGE, "latest", "rest")
    assert "the image pushed 2026-04-01 08:00 UTC" in text
    assert "latest was moved to it (a retag)" in text and '"rebuild": true' in text


# --- the buildspec pushes the tag ---------------------------------------------------------------


def test_the_buildspec_tags_and_pushes_the_inputs_tag(tmp_path: Path) -> None:
    inputs_uri = IMAGE.replace(":latest", ":" + inputs.inputs_tag("c" * 64))
    for cache_ref in (None, IMAGE.replace(":latest", ":buildcache")):
        spec = buildspec(
            BuildSpecInput(
                image_uri=IMAGE, dockerfile="Dockerfile", cache_ref=cache_ref, inputs_uri=inputs_uri
            )
        )
        argv = decode_argv(spec.variables["SM_DOCKER_ARGV"])
        tags = [argv[i + 1] for i, word in enumerate(argv) if word == "--tag"]
        assert tags == [IMAGE, inputs_uri]  # buildx's --push pushes both
        assert spec.variables["SM_INPUTS_URI"] == inputs_uri
    plain = buildspec(BuildSpecInput(image_uri=IMAGE, dockerfile="Dockerfile"))
    assert "SM_INPUTS_URI" not in plain.variables
    assert decode_argv(plain.variables["SM_DOCKER_ARGV"]).count("--tag") == 1

    # The post_build command, run by bash as CodeBuild runs it, with a docker that records.
    calls = tmp_path / "calls"
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "docker").write_text(
        f'#!/bin/bash\necho "$*" >> {calls}\n[ "$2" != "$FAIL" ]\n', encoding="utf-8"
    )
    (fake / "docker").chmod(0o755)

    def post_build(**variables: str) -> int:
        calls.write_text("")
        env = {"PATH": f"{fake}:/usr/bin:/bin", "CODEBUILD_BUILD_SUCCEEDING": "1", "SM_PUSH": "1"}
        env.update(variables)
        done = subprocess.run(
            ["bash", "-c", spec_module._PUSH], env=env, capture_output=True, timeout=10
        )
        return done.returncode

    assert post_build(SM_IMAGE_URI=IMAGE, SM_INPUTS_URI=inputs_uri, FAIL="") == 0
    assert calls.read_text().split("\n")[:2] == [f"push {IMAGE}", f"push {inputs_uri}"]
    assert post_build(SM_IMAGE_URI=IMAGE, FAIL="") == 0
    assert calls.read_text() == f"push {IMAGE}\n"
    # A failed push of the requested tag fails the command and pushes no inputs tag.
    assert post_build(SM_IMAGE_URI=IMAGE, SM_INPUTS_URI=inputs_uri, FAIL=IMAGE) != 0
    assert calls.read_text() == f"push {IMAGE}\n"
    assert post_build(SM_IMAGE_URI=IMAGE, SM_INPUTS_URI=inputs_uri, FAIL=inputs_uri) != 0


def test_hashing_holds_a_block_not_a_file(tmp_path: Path) -> None:
    root = _folder(tmp_path / "a")
    (root / "big.bin").write_bytes(b"b" * (24 << 20))
    context = read_context(str(root), "Dockerfile")
    tracemalloc.start()
    try:
        inputs.inputs_digest(context, BuildOptions(context=str(root)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, peak  # a 1 MB block or two, never the 24 MB file


# --- the retag ------------------------------------------------------------------------------------

MANIFEST = '{"schemaVersion": 2}'
DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
DIGEST = "sha256:" + "3" * 64


def _batch_get(stubber: Stubber) -> None:
    stubber.add_response(
        "batch_get_image",
        {
            "images": [
                {
                    "imageId": {"imageDigest": DIGEST},
                    "imageManifest": MANIFEST,
                    "imageManifestMediaType": DOCKER_V2,
                }
            ],
            "failures": [],
        },
        {
            "repositoryName": REPOSITORY,
            "imageIds": [{"imageDigest": DIGEST}],
            "acceptedMediaTypes": list(inputs.ecr._MANIFEST_MEDIA_TYPES),
        },
    )


def _put(stubber: Stubber, error: str | None = None) -> None:
    expected = {
        "repositoryName": REPOSITORY,
        "imageManifest": MANIFEST,
        "imageTag": "latest",
        "imageDigest": DIGEST,
        "imageManifestMediaType": DOCKER_V2,
    }
    if error:
        stubber.add_client_error("put_image", service_error_code=error, expected_params=expected)
    else:
        stubber.add_response("put_image", {"image": {"imageId": {"imageDigest": DIGEST}}}, expected)


def test_a_retag_puts_the_same_manifest_under_the_tag(stubbed: Any) -> None:
    session, stubber = stubbed
    _batch_get(stubber)
    _put(stubber)
    inputs.ecr.retag(session, REPOSITORY, DIGEST, "latest")

    # Immutable tags: refused with a sentence, whichever of ECR's two codes says it.
    _batch_get(stubber)
    _put(stubber, "ImageTagAlreadyExistsException")
    with pytest.raises(inputs.ecr.TagImmutable, match="immutable"):
        inputs.ecr.retag(session, REPOSITORY, DIGEST, "latest")
    for names_now, refused in ((DIGEST, False), ("sha256:" + "4" * 64, True)):
        _batch_get(stubber)
        _put(stubber, "ImageAlreadyExistsException")
        stubber.add_response(
            "describe_images",
            {"imageDetails": [{"imageDigest": names_now, "imageTags": ["latest"]}]},
            _describe("latest"),
        )
        if refused:
            with pytest.raises(inputs.ecr.TagImmutable):
                inputs.ecr.retag(session, REPOSITORY, DIGEST, "latest")
        else:
            inputs.ecr.retag(session, REPOSITORY, DIGEST, "latest")


def test_the_builder_and_an_argument_from_the_environment_are_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _folder(tmp_path / "a")
    context = read_context(str(root), "Dockerfile")
    options = BuildOptions(context=str(root), docker_args=("--build-arg", "VARIANT"))
    monkeypatch.delenv("VARIANT", raising=False)
    # Studio's Docker (classic) and CodeBuild (BuildKit) may make different images.
    classic = inputs.inputs_digest(context, options, builder="classic")
    assert classic != inputs.inputs_digest(context, options, builder="buildkit")
    # --build-arg NAME without a value: docker takes the value from its environment.
    monkeypatch.setenv("VARIANT", "one")
    one = inputs.inputs_digest(context, options, builder="classic")
    monkeypatch.setenv("VARIANT", "two")
    assert inputs.inputs_digest(context, options, builder="classic") != one
    monkeypatch.delenv("VARIANT")
    assert inputs.inputs_digest(context, options, builder="classic") == classic != one
