"""The loopback emulator server, its latency injection, control API and the `emulator` command."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sm_studio_setup.emulator.core.latency import (
    LatencyMiddleware,
    LatencySpec,
    RequestCounter,
    describe_request,
    parse_latency,
    sequential_rounds,
)
from sm_studio_setup.emulator.core.server import ADMIN_ACCESS_KEY_ID, Emulator, check_loopback
from sm_studio_setup.emulator.services import codebuild

from ..emulator_process import read_exports

REPO = Path(__file__).resolve().parents[2]
ASSUMED_ROLE_ARN = (
    "arn:aws:sts::123456789012:assumed-role/AmazonSageMaker-ExecutionRole-20261122T000000/SageMaker"
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(seed="none") as running:
        yield running


@pytest.fixture
def fresh(emulator: Emulator) -> Iterator[Emulator]:
    """The shared emulator with no latency and zeroed counters, restored afterwards."""
    emulator.set_latency(None)
    emulator.counter.reset()
    yield emulator
    emulator.set_latency(None)


def control(
    emulator: Emulator, path: str, method: str = "GET", body: Any = None
) -> tuple[int, Any]:
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    request = urllib.request.Request(
        f"{emulator.endpoint_url}/_sm_emulator/{path}", data=data, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


# -- starting and stopping ---------------------------------------------------------------------


def test_serves_on_a_free_loopback_port(emulator: Emulator) -> None:
    assert emulator.port != 0
    assert emulator.endpoint_url == f"http://127.0.0.1:{emulator.port}"
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5):
        pass
    status, health = control(emulator, "health")
    assert status == 200
    assert health["status"] == "ok"
    assert health["account"] == "123456789012"
    assert health["region"] == "us-east-1"


def test_admin_session_reaches_the_emulator_in_the_demo_account(fresh: Emulator) -> None:
    identity = fresh.admin_session().client("sts").get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert fresh.counter.snapshot()["by_operation"] == {"sts:GetCallerIdentity": 1}


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "127.0.0.1.nip.io", ""]
)
def test_refuses_a_non_loopback_host(host: str) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        Emulator(host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_accepts_loopback_hosts(host: str) -> None:
    check_loopback(host)


def test_ipv6_loopback_endpoint_is_bracketed() -> None:
    emulator = Emulator(host="::1", port=4566)
    assert emulator.endpoint_url == "http://[::1]:4566"


def test_only_one_emulator_per_process(emulator: Emulator) -> None:
    with pytest.raises(RuntimeError, match="already runs"):
        Emulator(seed="none").start()
    # The refused one must not have disturbed the running one.
    assert control(emulator, "health")[0] == 200


def test_without_seed_client_env_has_admin_credentials(emulator: Emulator) -> None:
    env = emulator.client_env()
    assert env["AWS_ENDPOINT_URL"] == emulator.endpoint_url
    assert env["AWS_ACCESS_KEY_ID"] == ADMIN_ACCESS_KEY_ID
    assert env["AWS_SESSION_TOKEN"] == ""
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "us-east-1"
    assert "SM_STUDIO_SETUP_METADATA" not in env
    # Fix backups of the emulator's roles stay in its folder, never in the user's config.
    assert emulator.workdir is not None
    assert env["SM_STUDIO_SETUP_CONFIG_DIR"] == str(emulator.workdir / "config")
    assert emulator.seed_info is None


def test_invalid_arguments_are_refused_before_starting() -> None:
    with pytest.raises(ValueError, match="unknown seed"):
        Emulator(seed="everything")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown scenario"):
        Emulator(scenario="admin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid latency"):
        Emulator(latency="fast")
    with pytest.raises(ValueError, match="build_seconds"):
        Emulator(build_seconds=0)


# -- latency --------------------------------------------------------------------------------


def timed_calls(emulator: Emulator, n: int) -> float:
    sts = emulator.admin_session().client("sts")
    sts.get_caller_identity()  # connection set-up is not what is measured
    emulator.counter.reset()
    start = time.perf_counter()
    for _ in range(n):
        sts.get_caller_identity()
    return time.perf_counter() - start


def test_fixed_latency_delays_every_call_and_is_counted(fresh: Emulator) -> None:
    fresh.set_latency(parse_latency("60"))
    elapsed = timed_calls(fresh, 5)
    # Sequential calls cannot overlap, so N x L is a hard lower bound.
    assert elapsed >= 5 * 0.060
    stats = fresh.counter.snapshot()
    assert stats["total"] == 5
    assert stats["by_service"] == {"sts": 5}
    assert stats["by_operation"] == {"sts:GetCallerIdentity": 5}


def test_rounds_count_requests_made_one_after_another_not_beside_each_other(
    fresh: Emulator,
) -> None:
    fresh.set_latency(parse_latency("50"))
    timed_calls(fresh, 3)
    assert fresh.counter.snapshot()["rounds"] == 3
    fresh.counter.reset()
    sts = fresh.admin_session().client("sts", config=Config(max_pool_connections=8))
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: sts.get_caller_identity(), range(4)))
    stats = fresh.counter.snapshot()
    assert (stats["total"], stats["rounds"]) == (4, 1)


def test_sequential_rounds_is_the_longest_chain_of_disjoint_intervals() -> None:
    assert sequential_rounds([]) == 0
    # Two overlapping first reads, then one that starts after both, then one beside it.
    assert sequential_rounds([(0, 1), (0.1, 1.1), (1.2, 2), (1.5, 2.5)]) == 2
    assert sequential_rounds([(0, 1), (1, 2), (2, 3)]) == 3


def test_ranged_latency_delays_at_least_its_minimum(fresh: Emulator) -> None:
    status, _ = control(fresh, "latency", "POST", {"latency": "40-70"})
    assert status == 200
    assert fresh.latency == LatencySpec(40, 70)
    elapsed = timed_calls(fresh, 5)
    assert elapsed >= 5 * 0.040
    assert fresh.counter.snapshot()["total"] == 5


def test_ranged_latency_samples_within_the_range() -> None:
    slept: list[float] = []
    app = LatencyMiddleware(
        lambda environ, start_response: [b""],
        LatencySpec(50, 150),
        rng=random.Random(7),
        sleep=slept.append,
    )
    for _ in range(200):
        app({"PATH_INFO": "/", "REQUEST_METHOD": "POST"}, lambda *a: None)
    assert len(slept) == 200
    assert all(0.050 <= s <= 0.150 for s in slept)
    assert max(slept) - min(slept) > 0.080  # actually spread over the range
    assert app.counter.snapshot()["total"] == 200


@pytest.mark.parametrize("path", ["/_sm_emulator/health", "/moto-api/reset", "/_sm_emulator"])
def test_control_paths_get_no_delay_and_are_not_counted(path: str) -> None:
    slept: list[float] = []
    app = LatencyMiddleware(
        lambda environ, start_response: [b""], LatencySpec(80, 80), sleep=slept.append
    )
    app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, lambda *a: None)
    assert slept == []
    assert app.counter.snapshot()["total"] == 0


def test_control_requests_are_not_counted_by_the_server(fresh: Emulator) -> None:
    for _ in range(3):
        control(fresh, "health")
    assert control(fresh, "stats")[1]["total"] == 0


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("80", 80, 80),
        ("50-150", 50, 150),
        (" 50 - 150 ", 50, 150),
        ("0", 0, 0),
        ("12.5", 12.5, 12.5),
    ],
)
def test_parse_latency(text: str, low: float, high: float) -> None:
    spec = parse_latency(text)
    assert (spec.min_ms, spec.max_ms) == (low, high)


def test_latency_spec_prints_as_it_is_written() -> None:
    assert str(parse_latency("80")) == "80"
    assert str(parse_latency("50-150")) == "50-150"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected milliseconds"),
        ("fast", "expected milliseconds"),
        ("80ms", "expected milliseconds"),
        ("-5", "expected milliseconds"),
        ("1-2-3", "expected milliseconds"),
        ("50-", "expected milliseconds"),
        ("150-50", "minimum 150 exceeds the maximum"),
        ("20000", "at most 10000 ms"),
    ],
)
def test_parse_latency_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_latency(text)


def test_describe_request_names_operations_like_iam_actions() -> None:
    auth = "AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/{}/aws4_request, SignedHeaders=x"
    query_body = b"Action=ListRoles&Version=2010-05-08"
    query: dict[str, Any] = {
        "HTTP_AUTHORIZATION": auth.format("iam"),
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(query_body)),
        "wsgi.input": io.BytesIO(query_body),
        "REQUEST_METHOD": "POST",
    }
    assert describe_request(query) == "iam:ListRoles"
    # The body stays readable for moto.
    assert query["wsgi.input"].read() == query_body
    json_call = {
        "HTTP_AUTHORIZATION": auth.format("sagemaker"),
        "HTTP_X_AMZ_TARGET": "SageMaker.DescribeDomain",
        "REQUEST_METHOD": "POST",
    }
    assert describe_request(json_call) == "sagemaker:DescribeDomain"
    assert describe_request({"REQUEST_METHOD": "GET"}) == "unknown:GET"


def test_request_counter_is_thread_safe() -> None:
    counter = RequestCounter()

    def hammer() -> None:
        for _ in range(1000):
            counter.record("sts:X")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.snapshot()["total"] == 8000


# -- control API ----------------------------------------------------------------------------


def test_stats_reset(fresh: Emulator) -> None:
    fresh.admin_session().client("iam").list_roles()
    assert control(fresh, "stats")[1]["by_operation"] == {"iam:ListRoles": 1}
    status, after = control(fresh, "stats/reset", "POST")
    assert status == 200
    assert after["total"] == 0
    assert control(fresh, "stats")[1]["total"] == 0


def test_codebuild_control_configures_builds(
    fresh: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    real = codebuild.configure

    def recording(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(codebuild, "configure", recording)
    try:
        status, body = control(
            fresh, "codebuild", "POST", {"duration_seconds": 3, "fail_phase": "BUILD"}
        )
        assert status == 200
        assert calls == [
            {"duration_seconds": 3, "fail_phase": "BUILD", "provisioning_seconds": None}
        ]
        assert body == {"duration_seconds": 3.0, "fail_phase": "BUILD", "provisioning_seconds": 0.0}
    finally:
        real(duration_seconds=codebuild.BuildSettings().duration_seconds, fail_phase="")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        ([1, 2], "JSON object"),
        ({"duration": 3}, "unknown field"),
        ({"duration_seconds": "slow"}, "duration_seconds"),
        ({"duration_seconds": True}, "duration_seconds"),
        ({"fail_phase": 7}, "fail_phase"),
        ({"duration_seconds": -1}, "positive"),
        ({"provisioning_seconds": "slow"}, "provisioning_seconds"),
        ({"provisioning_seconds": -1}, "provisioning_seconds"),
        ({"provisioning_seconds": 4000}, "provisioning_seconds"),
    ],
)
def test_codebuild_control_rejects_bad_input(fresh: Emulator, body: Any, message: str) -> None:
    status, answer = control(fresh, "codebuild", "POST", body)
    assert status == 400
    assert message in answer["error"]


def test_latency_control(fresh: Emulator) -> None:
    assert control(fresh, "latency", "POST", {"latency": "25"}) == (200, {"latency_ms": "25"})
    assert control(fresh, "health")[1]["latency_ms"] == "25"
    assert control(fresh, "latency", "POST", {"latency": None}) == (200, {"latency_ms": None})
    assert fresh.latency is None
    status, answer = control(fresh, "latency", "POST", {"latency": "10-5"})
    assert status == 400
    assert "exceeds" in answer["error"]


def test_unknown_control_endpoint_and_wrong_method(fresh: Emulator) -> None:
    assert control(fresh, "nothing-here")[0] == 404
    assert control(fresh, "health", "POST", {})[0] == 405
    assert control(fresh, "seed") == (200, None)


def test_stop_releases_the_port_and_restores_the_environment(emulator: Emulator) -> None:
    # Stops the module's emulator, proves its port is free, and restarts it on the same port.
    port = emulator.port
    emulator.stop()
    emulator.stop()  # idempotent
    with socket.socket() as probe:
        # Reuse tolerates closed connections in TIME_WAIT, but not a socket still listening.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()
    original = os.environ.get("MOTO_ACCOUNT_ID")
    os.environ["MOTO_ACCOUNT_ID"] = "999999999999"
    try:
        second = Emulator(seed="none", port=port).start()
        try:
            assert os.environ["MOTO_ACCOUNT_ID"] == "123456789012"
            identity = second.admin_session().client("sts").get_caller_identity()
            assert identity["Account"] == "123456789012"
        finally:
            second.stop()
        assert os.environ["MOTO_ACCOUNT_ID"] == "999999999999"
    finally:
        if original is None:
            os.environ.pop("MOTO_ACCOUNT_ID", None)
        else:
            os.environ["MOTO_ACCOUNT_ID"] = original
        emulator.start()
    assert emulator.port == port


# -- the `emulator` command -----------------------------------------------------------------


def test_emulator_command_prints_exports_then_serves_until_sigterm() -> None:
    # Only one emulator per process: the command gets a process of its own.
    proc = subprocess.Popen(
        [sys.executable, "-m", "sm_studio_setup.emulator.command", "--latency", "1"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        env = read_exports(proc.stdout, timeout=120)
        assert set(env) == {
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_DEFAULT_REGION",
            "AWS_REGION",
            "SM_STUDIO_SETUP_METADATA",
            "SM_STUDIO_SETUP_CONFIG_DIR",
        }
        assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        session = boto3.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=env["AWS_SESSION_TOKEN"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        sts = session.client("sts", endpoint_url=env["AWS_ENDPOINT_URL"])
        assert sts.get_caller_identity()["Arn"] == ASSUMED_ROLE_ARN
        metadata = json.loads(Path(env["SM_STUDIO_SETUP_METADATA"]).read_text())
        assert metadata["UserProfileName"] == "data-scientist"

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        stderr = proc.stderr.read() if proc.stderr else ""
        assert "no AWS account is used" in stderr
        assert ASSUMED_ROLE_ARN in stderr
        # A clean stop removes the temporary workdir with the metadata document.
        assert not Path(env["SM_STUDIO_SETUP_METADATA"]).exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_emulator_command_rejects_bad_latency() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sm_studio_setup.emulator.command", "--latency", "soon"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "invalid latency 'soon'" in result.stderr


def test_emulator_command_without_seed_stops_on_sigint() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sm_studio_setup.emulator.command", "--seed", "none"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        env = read_exports(proc.stdout, timeout=120)
        assert env["AWS_ACCESS_KEY_ID"] == ADMIN_ACCESS_KEY_ID
        assert "SM_STUDIO_SETUP_METADATA" not in env
        iam = boto3.client(
            "iam",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_REGION"],
        )
        assert iam.list_roles()["Roles"] == []
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_emulator_command_reports_a_busy_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "sm_studio_setup.emulator.command", "--port", str(port)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "cannot start" in result.stderr
