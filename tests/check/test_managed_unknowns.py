"""Issue 20, item 4: in a managed domain (the role reads neither its policies nor the
simulator) the check probes what it can harmlessly, the build's requirements too when the
build's role is the caller's own, and leaves unknown only what no harmless call can tell,
saying why (benchmarks/managed_unknowns.py prints the figures)."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator

import boto3
import pytest

from sm_studio_setup.aws.identity import is_session_of
from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.service import Service
from sm_studio_setup.service.check import CheckOptions, Report

# Before: 22 of 32 (13 build requirements "cannot be probed", 9 caller ones not probed).
MOST_UNKNOWN = 10
# Why each may stay unknown: no call asks it harmlessly, or the bucket it is about does not
# exist yet (the build creates it), which S3 tells whoever asks.
REASONS = (" is not probed: ", "nothing can be asked of a missing bucket")


@pytest.fixture(scope="module")
def managed() -> Iterator[Emulator]:
    with Emulator(seed="demo", scenario="managed") as running:
        yield running


@pytest.fixture
def demo(managed: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in managed.client_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return managed


def run_check(options: CheckOptions | None = None) -> Report:
    return Service(boto3.Session()).check(options or CheckOptions(refresh=True))


def test_at_most_ten_requirements_stay_unknown_each_saying_why(demo: Emulator) -> None:
    report = run_check()
    statuses = Counter(f.status for f in report.findings)
    assert statuses["unknown"] <= MOST_UNKNOWN, statuses
    unknown = [f for f in report.findings if f.status == "unknown"]
    for finding in unknown:
        assert finding.source == "none"
        assert any(reason in finding.evidence for reason in REASONS), finding
    # The build's requirements are judged, not skipped: only those without a harmless call
    # (or about the missing bucket) are left.
    build = [f for f in report.findings if f.who == "build"]
    assert sum(f.status != "unknown" for f in build) >= 10
    assert not any("cannot be probed" in f.evidence for f in report.findings)


def test_the_build_of_another_role_is_not_probed(demo: Emulator) -> None:
    """``--role`` another role than the caller's: the caller's probes say nothing about the
    role the build would run as, so its requirements stay unknown, with that reason."""
    iam = demo.admin_session().client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="AnotherBuildRole", AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(
        RoleName="AnotherBuildRole",
        PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
    )
    report = run_check(CheckOptions(role="AnotherBuildRole", refresh=True))
    assert report.identity["role_arn"].endswith(":role/AnotherBuildRole")
    build = [f for f in report.findings if f.who == "build"]
    assert build and all(f.status == "unknown" and f.source == "none" for f in build)
    assert all(
        f.evidence == "build requirements cannot be probed: probes run as the caller, and the "
        "build runs as another role"
        for f in build
    )
    assert any(f.source == "probe" for f in report.findings if f.who == "caller")


@pytest.mark.parametrize(
    ("caller", "role", "same"),
    [
        (
            "arn:aws:sts::123456789012:assumed-role/Studio/SageMaker",
            "arn:aws:iam::123456789012:role/service-role/Studio",
            True,
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/studio/SageMaker",
            "arn:aws:iam::123456789012:role/Studio",
            True,  # IAM role names are unique without regard to case
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/Studio/SageMaker",
            "arn:aws:iam::123456789012:role/Other",
            False,
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/Studio/SageMaker",
            "arn:aws:iam::999999999999:role/Studio",
            False,
        ),
        (
            "arn:aws-cn:sts::123456789012:assumed-role/Studio/SageMaker",
            "arn:aws:iam::123456789012:role/Studio",
            False,
        ),
        ("arn:aws:iam::123456789012:user/Studio", "arn:aws:iam::123456789012:role/Studio", False),
        ("arn:aws:sts::123456789012:assumed-role/Studio/SageMaker", "Studio", False),
    ],
)
def test_a_session_is_of_its_role_whatever_the_path(caller: str, role: str, same: bool) -> None:
    assert is_session_of(caller, role) is same
