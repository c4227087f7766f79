"""What a build sends, how soon it starts, how soon it fails, and the memory it takes.

On a generated build folder of 300 MB of data listed in ``.dockerignore`` (incompressible, like
model weights), a ``.git`` and a virtualenv (also ignored), and a small kept source tree, with
L ms per AWS request, from one run:

1. bytes uploaded and time to a started build (StartBuild answered): ours (the folder as
   Docker would send it, deflated and streamed in parts) against sm-docker's approach,
   reproduced here step for step (zip the whole folder, stored, to a file; upload it; create
   the project; start the build);
2. time to the first permission error when the role has gaps (the managed scenario: the Studio
   role may not create CodeBuild projects): ours from the preflight, sm-docker's approach from
   CreateProject after its upload;
3. peak memory (RSS) of zipping and uploading a kept 1 GB context, measured in a process of its
   own so nothing else counts (goal: bounded, under 150 MB).

    .venv/bin/python -m benchmarks.build_upload [--latency 100] [--ignored-mb 300]
                                                [--kept-gb 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3

from benchmarks.check_rounds import ChildEmulator, _environment, _studio_session, _uploads
from sm_studio_setup.aws.snapshot import clear_cache

MB = 1 << 20


def generated_context(root: Path, ignored_mb: int) -> Path:
    """A build folder as data scientists have them: data, history and an environment beside
    a little code, the first three listed in .dockerignore."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(
        "FROM public.ecr.aws/docker/library/python:3.11-slim\nCOPY src /src\n"
    )
    (root / ".dockerignore").write_text("data/\n.git\n.venv\n")
    for i in range(40):
        source = root / "src" / f"module_{i}.py"
        source.parent.mkdir(exist_ok=True)
        source.write_text(f"def f{i}(x):\n    return x * {i}\n" * 50)
    data = root / "data"
    data.mkdir()
    for i in range(max(1, ignored_mb // 50)):
        with open(data / f"weights-{i}.bin", "wb") as out:
            for _ in range(min(50, ignored_mb)):
                out.write(os.urandom(MB))
    pack = root / ".git" / "objects" / "pack"
    pack.mkdir(parents=True)
    (pack / "pack-1.pack").write_bytes(os.urandom(20 * MB))
    site = root / ".venv" / "lib" / "python3.11" / "site-packages"
    for i in range(2000):
        module = site / f"pkg_{i // 20}" / f"mod_{i}.py"
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text("import os\n" * 400)
    return root


def _folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _fix(emulator: ChildEmulator) -> None:
    from sm_studio_setup.service import Service
    from sm_studio_setup.service.check import CheckOptions

    service = Service(_studio_session(emulator))
    plan = service.fix_plan(CheckOptions())
    if not plan.empty:
        service.fix_apply(plan)


def ours_started(emulator: ChildEmulator, folder: Path, records: Path) -> dict[str, Any]:
    """Our build until StartBuild answers: then it is stopped (what follows is CodeBuild's)."""
    from sm_studio_setup.service import Service
    from sm_studio_setup.service.build.engine import BuildEvent
    from sm_studio_setup.service.build.records import Records
    from sm_studio_setup.service.options import BuildOptions

    service = Service(_studio_session(emulator))
    stop = threading.Event()
    started: list[float] = []

    def on_event(event: BuildEvent) -> None:
        if event.kind == "step" and event.name == "START" and event.state == "SUCCEEDED":
            started.append(time.perf_counter())
            stop.set()

    emulator.control("stats/reset", {})
    begin = time.perf_counter()
    record = service.build(
        BuildOptions(context=str(folder)), on_event, stop=stop, records=Records(records)
    )
    stats = emulator.control("stats")
    return {
        "started": bool(started),
        "time_to_started_build_s": round(started[0] - begin, 3) if started else None,
        "status": record.status,
        "files_sent": record.files,
        "requests": stats["total"],
        **_uploads(stats),
    }


def smdocker_approach(
    session: boto3.Session, emulator: ChildEmulator, folder: Path, *, start: bool
) -> dict[str, Any]:
    """sm-docker 0.6.0's order of work: the whole folder zipped (stored) to a file, uploaded,
    then the project created and the build started. Returns what it sent and when it met
    StartBuild, or the first error."""
    account, region = emulator.seed["account"], emulator.seed["region"]
    bucket = f"sagemaker-{region}-{account}"
    key = "codebuild-sagemaker-container-benchmarkABCDEFG.zip"
    emulator.control("stats/reset", {})
    begin = time.perf_counter()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="sm-bench-zip-") as tmp:
        archive = Path(tmp) / "context.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as out:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    out.write(path, path.relative_to(folder).as_posix())
        s3 = session.client("s3")
        try:
            s3.upload_file(str(archive), bucket, key)
            codebuild = session.client("codebuild")
            seed = emulator.seed
            project = f"sagemaker-studio-{seed['domain_id']}-{seed['user_profile']}-benchmark1234"
            codebuild.create_project(
                name=project,
                source={"type": "S3", "location": f"{bucket}/{key}"},
                artifacts={"type": "NO_ARTIFACTS"},
                environment={
                    "type": "LINUX_CONTAINER",
                    "image": "aws/codebuild/standard:4.0",
                    "computeType": "BUILD_GENERAL1_SMALL",
                    "privilegedMode": True,
                },
                serviceRole=emulator.seed["role_arn"],
            )
            if start:
                build = codebuild.start_build(projectName=project)["build"]["id"]
                result["time_to_started_build_s"] = round(time.perf_counter() - begin, 3)
                codebuild.stop_build(id=build)
                codebuild.delete_project(name=project)
        except Exception as exc:
            response = getattr(exc, "response", None) or {}
            result["error"] = response.get("Error", {}).get("Code") or type(exc).__name__
            result["error_message"] = str(exc)[:160]
            result["time_to_first_error_s"] = round(time.perf_counter() - begin, 3)
        finally:
            admin_s3 = emulator.admin().client("s3")
            admin_s3.delete_object(Bucket=bucket, Key=key)
    stats = emulator.control("stats")
    return {**result, "requests": stats["total"], **_uploads(stats)}


def ours_first_error(emulator: ChildEmulator, folder: Path, records: Path) -> dict[str, Any]:
    from sm_studio_setup.service import Service
    from sm_studio_setup.service.build.records import Records
    from sm_studio_setup.service.options import BuildOptions

    service = Service(_studio_session(emulator))
    emulator.control("stats/reset", {})
    begin = time.perf_counter()
    record = service.build(BuildOptions(context=str(folder)), records=Records(records))
    elapsed = time.perf_counter() - begin
    stats = emulator.control("stats")
    return {
        "status": record.status,
        "reason": record.reason,
        "time_to_first_error_s": round(elapsed, 3),
        "requests": stats["total"],
        **_uploads(stats),
    }


def measure_upload(latency_ms: float, ignored_mb: int) -> dict[str, Any]:
    with (
        ChildEmulator("self-service") as emulator,
        _environment(emulator.env),
        tempfile.TemporaryDirectory(prefix="sm-bench-") as tmp,
    ):
        folder = generated_context(Path(tmp) / "project", ignored_mb)
        clear_cache()
        _fix(emulator)
        session = _studio_session(emulator)
        # Warm up models and clients, untimed, as a long-running server or notebook has them.
        ours_started(emulator, generated_context(Path(tmp) / "warm", 1), Path(tmp) / "r0")
        emulator.latency(latency_ms)
        ours = ours_started(emulator, folder, Path(tmp) / "r1")
        theirs = smdocker_approach(session, emulator, folder, start=True)
        return {
            "latency_ms": latency_ms,
            "folder_bytes": _folder_bytes(folder),
            "ours": ours,
            "smdocker_approach": theirs,
        }


def measure_first_error(latency_ms: float, ignored_mb: int) -> dict[str, Any]:
    with (
        ChildEmulator("managed") as emulator,
        _environment(emulator.env),
        tempfile.TemporaryDirectory(prefix="sm-bench-") as tmp,
    ):
        bucket = f"sagemaker-{emulator.seed['region']}-{emulator.seed['account']}"
        emulator.admin().client("s3").create_bucket(Bucket=bucket)
        folder = generated_context(Path(tmp) / "project", ignored_mb)
        clear_cache()
        session = _studio_session(emulator)
        ours_first_error(emulator, generated_context(Path(tmp) / "warm", 1), Path(tmp) / "r0")
        emulator.latency(latency_ms)
        return {
            "latency_ms": latency_ms,
            "ours": ours_first_error(emulator, folder, Path(tmp) / "r1"),
            "smdocker_approach": smdocker_approach(session, emulator, folder, start=False),
        }


# --- peak memory, in a process of its own ---------------------------------------------------


def measure_memory(kept_gb: float) -> dict[str, Any]:
    with (
        ChildEmulator("self-service") as emulator,
        tempfile.TemporaryDirectory(prefix="sm-bench-") as tmp,
    ):
        bucket = f"sagemaker-{emulator.seed['region']}-{emulator.seed['account']}"
        emulator.admin().client("s3").create_bucket(Bucket=bucket)
        folder = Path(tmp) / "kept"
        folder.mkdir()
        (folder / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
        chunk = os.urandom(MB)
        total = int(kept_gb * 1024)
        for i in range((total + 127) // 128):
            with open(folder / f"weights-{i}.bin", "wb") as out:
                for j in range(min(128, total - i * 128)):
                    # Distinct blocks (so deflate cannot shortcut), cheaply made.
                    out.write(chunk[j:] + chunk[:j])
        env = {**os.environ, **emulator.env}
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.zip_upload_child", str(folder), bucket],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        if child.returncode != 0:
            raise RuntimeError(child.stderr[-2000:])
        found: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
        return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=100.0, metavar="MS")
    parser.add_argument("--ignored-mb", type=int, default=300)
    parser.add_argument("--kept-gb", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    upload = measure_upload(args.latency, args.ignored_mb)
    first = measure_first_error(args.latency, args.ignored_mb)
    memory = measure_memory(args.kept_gb)
    if args.json:
        print(json.dumps({"upload": upload, "first_error": first, "memory": memory}, indent=2))
        return 0
    ours, theirs = upload["ours"], upload["smdocker_approach"]
    print(
        f"build folder: {upload['folder_bytes'] / MB:,.0f} MB ({args.ignored_mb} MB data, a .git "
        f"and a virtualenv in .dockerignore), {args.latency:g} ms per AWS request"
    )
    print(
        f"  ours:               {ours['bytes_uploaded']:>13,} bytes in "
        f"{ours['upload_requests']} upload requests, build started after "
        f"{ours['time_to_started_build_s']} s"
    )
    print(
        f"  sm-docker approach: {theirs['bytes_uploaded']:>13,} bytes in "
        f"{theirs['upload_requests']} upload requests, build started after "
        f"{theirs.get('time_to_started_build_s')} s"
    )
    mine, other = first["ours"], first["smdocker_approach"]
    print("first permission error (managed role: no CodeBuild):")
    print(
        f"  ours:               {mine['time_to_first_error_s']} s (the preflight, "
        f"{mine['bytes_uploaded']:,} bytes uploaded)"
    )
    print(
        f"  sm-docker approach: {other.get('time_to_first_error_s')} s ({other.get('error')} "
        f"after uploading {other['bytes_uploaded']:,} bytes)"
    )
    print(
        f"peak RSS zipping and uploading a kept {memory['context_bytes'] / MB:,.0f} MB context: "
        f"{memory['peak_rss_mb']} MB (after start-up {memory['peak_rss_mb_before']} MB; "
        f"{memory['zip_bytes'] / MB:,.0f} MB in {memory['parts']} parts, {memory['seconds']} s; "
        "goal: under 150 MB)"
    )
    ok = memory["peak_rss_mb"] < 150 and mine["bytes_uploaded"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
