"""The whole check's round trips, and how long sm-docker takes to meet the same gaps.

Part 1: a full ``check`` (discovery, the role's snapshot, judging) of the demo role given 10
managed and 10 inline policies, with L ms per AWS request. Prints the requests, the rounds
(how many of them ran one after another, as the emulator saw them; the goal is 3: identity and
the role's lists together, then the documents and default version ids, then the versions) and
the wall time (goal: under 0.4 s at 100 ms).

Part 2, in the same run: the managed scenario (the Studio role may not create CodeBuild
projects). Our check tells the gaps before anything is read from the build folder; the real
sm-docker 0.6.0, whose approach is to zip the folder and upload it first, meets its first
AccessDenied only after that. Its folder holds a Dockerfile and a file of MB megabytes listed in
``.dockerignore`` (sm-docker ignores it). Printed: time to the first permission error, S3
upload requests and bytes uploaded, for both.

    .venv/bin/python -m benchmarks.check_rounds [--latency 100] [--policies 10] [--runs 5]
                                                [--context-mb 200] [--no-smdocker] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3

from sm_studio_setup.aws.snapshot import clear_cache
from sm_studio_setup.emulator.core.server import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY
from sm_studio_setup.service.check import CheckOptions, check

_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
UPLOADS = ("s3:PUT", "s3:POST")


class ChildEmulator:
    """`sm-studio-setup emulator` in a process of its own, as users run it: the client under
    test then has this process's interpreter to itself, as with AWS, which does its own work
    elsewhere (in one process the emulator's work and the client's share one interpreter)."""

    def __init__(self, scenario: str, *options: str) -> None:
        """``options``: more of `sm-studio-setup emulator`'s options, e.g. ``--docker enabled``."""
        from tests.emulator_process import EmulatorProcess

        self.process = EmulatorProcess("--scenario", scenario, *options)
        self.env = dict(self.process.env)
        self.url = self.env["AWS_ENDPOINT_URL"]
        self.seed: dict[str, Any] = self.control("seed")

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/_sm_emulator/{path}",
            data=data,
            method="POST" if data is not None else "GET",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def latency(self, ms: float | None) -> None:
        self.control("latency", {"latency": None if ms is None else f"{ms:g}"})

    def admin(self) -> boto3.Session:
        from sm_studio_setup.emulator.core.server import _EndpointSession

        return _EndpointSession(
            self.url,
            aws_access_key_id=ADMIN_ACCESS_KEY_ID,
            aws_secret_access_key=ADMIN_SECRET_ACCESS_KEY,
            region_name=self.env["AWS_REGION"],
        )

    def stop(self) -> None:
        self.process.stop()

    def __enter__(self) -> ChildEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    # The check reads Studio's metadata document from the path the emulator's env names.
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _add_policies(emulator: ChildEmulator, count: int) -> None:
    """Bring the demo role to ``count`` managed and ``count`` inline policies."""
    role, account = emulator.seed["role_name"], emulator.seed["account"]
    iam = emulator.admin().client("iam")
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    inline = iam.list_role_policies(RoleName=role)["PolicyNames"]
    for i in range(count - len(attached)):
        arn = iam.create_policy(PolicyName=f"bench-{i}", PolicyDocument=json.dumps(_DOC))["Policy"][
            "Arn"
        ]
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    # The role may read its own customer managed policies, or the check could not read them
    # and would ask the simulator instead.
    readable = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:GetPolicy", "iam:GetPolicyVersion"],
                "Resource": f"arn:aws:iam::{account}:policy/bench-*",
            }
        ],
    }
    for i in range(count - len(inline)):
        iam.put_role_policy(
            RoleName=role,
            PolicyName=f"bench-inline-{i}",
            PolicyDocument=json.dumps(readable if i == 0 else _DOC),
        )


def _uploads(stats: dict[str, Any]) -> dict[str, int]:
    """S3 upload requests (PUT: parts and objects; POST: multipart start and completion) and
    the bytes their bodies carried."""
    return {
        "upload_requests": sum(stats["by_operation"].get(op, 0) for op in UPLOADS),
        "bytes_uploaded": sum(stats["bytes_in_by_operation"].get(op, 0) for op in UPLOADS),
    }


def _timed_check(emulator: ChildEmulator, session: boto3.Session) -> dict[str, Any]:
    # One session for every run, as a JupyterLab server or a notebook keeps one: the first run
    # pays for loading botocore's models and making the clients (start-up), the others not.
    emulator.control("stats/reset", {})
    start = time.perf_counter()
    report = check(session, CheckOptions(refresh=True))
    elapsed = time.perf_counter() - start
    stats = emulator.control("stats")
    return {
        "verdict": report.verdict,
        "requests": stats["total"],
        "rounds": stats["rounds"],
        "elapsed_s": elapsed,
        **_uploads(stats),
    }


def _studio_session(emulator: ChildEmulator) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=emulator.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=emulator.env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=emulator.env["AWS_SESSION_TOKEN"],
        region_name=emulator.env["AWS_REGION"],
    )


def measure_check(latency_ms: float, policies: int, runs: int) -> dict[str, Any]:
    with ChildEmulator("self-service") as emulator, _environment(emulator.env):
        _add_policies(emulator, policies)
        clear_cache()
        session = _studio_session(emulator)
        _timed_check(emulator, session)  # start-up: models and clients load untimed
        emulator.latency(latency_ms)
        results = [_timed_check(emulator, session) for _ in range(runs)]
    elapsed = [r["elapsed_s"] for r in results]
    return {
        "policies": {"managed": policies, "inline": policies},
        "latency_ms": latency_ms,
        "verdict": results[-1]["verdict"],
        "requests": results[-1]["requests"],
        "rounds": max(r["rounds"] for r in results),
        "elapsed_s_median": round(statistics.median(elapsed), 3),
        "elapsed_s_max": round(max(elapsed), 3),
        "elapsed_over_latency": round(statistics.median(elapsed) / (latency_ms / 1000), 2),
    }


def _context(folder: Path, megabytes: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/python:3.11-slim\n")
    (folder / ".dockerignore").write_text("data.bin\n")
    with (folder / "data.bin").open("wb") as out:
        for _ in range(megabytes):
            out.write(os.urandom(1 << 20))  # incompressible, like model weights
    return folder


def measure_first_error(latency_ms: float, megabytes: int, smdocker: bool) -> dict[str, Any]:
    with (
        ChildEmulator("managed") as emulator,
        _environment(emulator.env),
        tempfile.TemporaryDirectory(prefix="sm-bench-") as tmp,
    ):
        bucket = f"sagemaker-{emulator.seed['region']}-{emulator.seed['account']}"
        emulator.admin().client("s3").create_bucket(Bucket=bucket)
        clear_cache()
        session = _studio_session(emulator)
        _timed_check(emulator, session)
        emulator.latency(latency_ms)
        ours = _timed_check(emulator, session)
        result: dict[str, Any] = {
            "latency_ms": latency_ms,
            "context_mb": megabytes,
            "ours": {k: round(v, 3) if isinstance(v, float) else v for k, v in ours.items()},
        }
        if not smdocker:
            return result
        from tests.smdocker import smdocker_executable

        exe = smdocker_executable()
        context = _context(Path(tmp) / "context", megabytes)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "LANG": "C.UTF-8",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            **emulator.env,
        }
        emulator.control("stats/reset", {})
        start = time.perf_counter()
        done = subprocess.run(
            [exe, "build", ".", "--bucket", bucket, "--role", emulator.seed["role_name"]],
            cwd=context,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        elapsed = time.perf_counter() - start
        stats = emulator.control("stats")
        denied = "AccessDenied" in done.stderr + done.stdout
        result["smdocker"] = {
            "exit_code": done.returncode,
            "met_access_denied": denied,
            "elapsed_s": round(elapsed, 3),
            "requests": stats["total"],
            **_uploads(stats),
        }
        if not denied:
            result["smdocker"]["output"] = (done.stdout + done.stderr)[-2000:]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=100.0, metavar="MS")
    parser.add_argument("--policies", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--context-mb", type=int, default=200)
    parser.add_argument("--no-smdocker", action="store_true", help="skip the real sm-docker run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    full = measure_check(args.latency, args.policies, args.runs)
    first = measure_first_error(args.latency, args.context_mb, not args.no_smdocker)
    if args.json:
        print(json.dumps({"check": full, "first_permission_error": first}, indent=2))
        return 0
    print(
        f"check: {full['policies']['managed']} managed + {full['policies']['inline']} inline "
        f"policies at {args.latency:g} ms: {full['requests']} requests in {full['rounds']} "
        f"rounds, {full['elapsed_s_median']} s median (max {full['elapsed_s_max']}, "
        f"{full['elapsed_over_latency']} x latency; goal: 3 rounds, under 0.4 s at 100 ms)"
    )
    ours = first["ours"]
    print(
        f"first permission error, managed role, {args.context_mb} MB context at "
        f"{args.latency:g} ms:\n"
        f"  ours:      verdict {ours['verdict']} after {ours['elapsed_s']} s, "
        f"{ours['requests']} requests, {ours['upload_requests']} uploads, "
        f"{ours['bytes_uploaded']:,} bytes uploaded"
    )
    smd = first.get("smdocker")
    if smd is not None:
        outcome = "AccessDenied" if smd["met_access_denied"] else f"exit {smd['exit_code']}"
        print(
            f"  sm-docker: {outcome} after {smd['elapsed_s']} s, {smd['requests']} requests, "
            f"{smd['upload_requests']} uploads, {smd['bytes_uploaded']:,} bytes uploaded"
        )
        if not smd["met_access_denied"]:
            print(smd["output"], file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
