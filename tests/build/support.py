"""What the build tests share: an emulator's admin clients, what a build may leave behind,
build folders, and the CLI run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3

from sm_studio_setup.emulator.core.server import (
    ADMIN_ACCESS_KEY_ID,
    ADMIN_SECRET_ACCESS_KEY,
    CONTROL_PREFIX,
)

from ..emulator_process import REPO, EmulatorProcess

BUCKET = "sagemaker-us-east-1-123456789012"
REPOSITORY = "sagemaker-studio-d-studio-demo"
TAG = "data-scientist"
IMAGE_URI = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{REPOSITORY}:{TAG}"
ZIP_PREFIX = "codebuild-sagemaker-container-"
# The build arguments the buildspec must carry to docker untouched: spaces, both quotes,
# command substitution both ways, a semicolon and a newline.
HOSTILE = "a b 'single' \"double\" $(touch /tmp/pwned) `id`; rm -rf / \nsecond line"


def admin(emulator: EmulatorProcess, service: str) -> Any:
    session = boto3.Session(
        aws_access_key_id=ADMIN_ACCESS_KEY_ID,
        aws_secret_access_key=ADMIN_SECRET_ACCESS_KEY,
        region_name="us-east-1",
    )
    return session.client(service, endpoint_url=emulator.env["AWS_ENDPOINT_URL"])


def control(emulator: EmulatorProcess, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        emulator.env["AWS_ENDPOINT_URL"] + CONTROL_PREFIX + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def leftovers(emulator: EmulatorProcess) -> dict[str, list[str]]:
    """Every project, zip and unfinished upload a build could leave in the account."""
    codebuild, s3 = admin(emulator, "codebuild"), admin(emulator, "s3")
    try:
        objects = s3.list_objects_v2(Bucket=BUCKET, Prefix=ZIP_PREFIX).get("Contents", [])
        uploads = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    except s3.exceptions.NoSuchBucket:
        objects, uploads = [], []
    return {
        "projects": codebuild.list_projects()["projects"],
        "zips": [o["Key"] for o in objects],
        "uploads": [u["Key"] for u in uploads],
    }


NOTHING_LEFT = {"projects": [], "zips": [], "uploads": []}


def images(emulator: EmulatorProcess) -> list[dict[str, Any]]:
    ecr = admin(emulator, "ecr")
    try:
        found: list[dict[str, Any]] = ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"]
    except ecr.exceptions.RepositoryNotFoundException:
        return []
    return found


def build_folder(root: Path, dockerfile: str | None = None, *, unique: bool = True) -> Path:
    """A folder to build. ``unique`` (the default) ends its Dockerfile with a comment of its
    own, so no two folders have the same inputs: a build finding an earlier image of the same
    inputs ends without building (service/build/inputs.py), which a test of a build must not
    meet by chance."""
    root.mkdir(parents=True, exist_ok=True)
    text = (
        dockerfile
        or "FROM public.ecr.aws/docker/library/python:3.12-slim\n"
        'ARG GREETING\nCOPY app.py /app.py\nCMD ["python", "/app.py"]\n'
    )
    if unique:
        text += f"# {uuid.uuid4().hex}\n"
    (root / "Dockerfile").write_text(text)
    (root / "app.py").write_text("print('hello')\n")
    return root


def cli_env(emulator: EmulatorProcess, config_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(emulator.env)
    env.update(
        {
            "SM_STUDIO_SETUP_CONFIG_DIR": str(config_dir),
            "SM_STUDIO_SETUP_POLL_SECONDS": "0.2",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    return env


def cli(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_studio_setup", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=cwd or REPO,
    )


def docker_calls(log: str) -> list[list[str]]:
    """The argv of every docker call the stand-in logged."""
    calls = []
    for line in log.splitlines():
        if line.startswith("[docker] ["):
            calls.append(json.loads(line[len("[docker] ") :]))
    return calls


def context_files(log: str) -> list[str]:
    prefix = "[docker] context-file "
    return [json.loads(line[len(prefix) :]) for line in log.splitlines() if line.startswith(prefix)]
