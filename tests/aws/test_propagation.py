"""aws/propagation.py: what is waited out as IAM propagation, for how long, and what is said
when the time runs out (with a fake clock: no test sleeps)."""

from __future__ import annotations

import pytest

from sm_studio_setup.aws.propagation import PropagationTimeout, retrying, waiting_for
from sm_studio_setup.errors import AwsAccessDenied, AwsError, SetupError

TRUST = AwsError(
    "AWS returned InvalidInputException while creating CodeBuild project p: CodeBuild is not "
    "authorized to perform: sts:AssumeRole on service role arn:aws:iam::123456789012:role/R",
    details={"code": "InvalidInputException"},
)
VPC = AwsError(
    "AWS returned InvalidInputException while creating CodeBuild project p: Not authorized "
    "to perform DescribeSecurityGroups",
    details={"code": "InvalidInputException"},
)
DENIED = AwsAccessDenied("Access denied while creating CodeBuild project p: ...", details={})
OTHER = AwsError(
    "AWS returned InvalidInputException: bad image", details={"code": "InvalidInputException"}
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def failing(times: int, error: SetupError) -> tuple[list[int], object]:
    calls = [0]

    def call() -> str:
        calls[0] += 1
        if calls[0] <= times:
            raise error
        return "done"

    return calls, call


@pytest.mark.parametrize("error", [TRUST, VPC])
def test_codebuild_not_authorized_is_waited_out_and_said(error: SetupError) -> None:
    clock, said = Clock(), []
    calls, call = failing(4, error)
    found = retrying(
        call, recent_change=False, say=said.append, clock=clock, sleep=clock.sleep, window=120
    )  # type: ignore[arg-type]
    assert found == "done" and calls[0] == 5
    assert clock.slept == [1.0, 2.0, 4.0, 8.0]
    assert len(said) == 1 and said[0].startswith("Waiting for CodeBuild to be allowed")


def test_access_denied_is_waited_out_only_right_after_a_change() -> None:
    clock = Clock()
    calls, call = failing(2, DENIED)
    with pytest.raises(AwsAccessDenied):
        retrying(call, recent_change=False, say=print, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert calls[0] == 1 and clock.slept == []
    calls, call = failing(2, DENIED)
    assert retrying(call, recent_change=True, say=print, clock=clock, sleep=clock.sleep) == "done"  # type: ignore[arg-type]


def test_other_errors_are_not_retried() -> None:
    clock = Clock()
    calls, call = failing(1, OTHER)
    with pytest.raises(AwsError):
        retrying(call, recent_change=True, say=print, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert calls[0] == 1
    assert waiting_for(OTHER, recent_change=True) is None


def test_when_the_window_runs_out_the_first_error_is_said_with_what_to_do() -> None:
    clock = Clock()
    _, call = failing(100, TRUST)
    with pytest.raises(PropagationTimeout) as err:
        retrying(call, recent_change=False, say=print, clock=clock, sleep=clock.sleep, window=30)  # type: ignore[arg-type]
    assert "CodeBuild is not authorized to perform: sts:AssumeRole" in err.value.message
    assert "run the check" in err.value.hint
    assert clock.now <= 30
    assert err.value.details["code"] == "InvalidInputException"
