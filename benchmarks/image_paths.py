"""Time to a pushed image on each path a build can take, and what a managed role leaves unknown.

From one run against `sm-studio-setup emulator --docker enabled` in a process of its own, with
L ms per AWS request and CodeBuild's PROVISIONING held for P seconds (AWS: 90 s to 5 minutes),
on a small build folder (a Dockerfile and one file), `sm-studio-setup build` is run as a user
runs it (the CLI in a subprocess with the emulator's client environment):

1. ``--engine codebuild``: the folder zipped to S3, a project, StartBuild, the build's phases;
2. ``--engine local``: Studio's own Docker (the Engine API stand-in at DOCKER_HOST) builds and
   pushes in the space. Its inputs differ from the first build's by a build argument, since an
   image of the same inputs would be found in ECR whatever engine made it;
3. the same local build again: its inputs' image is in ECR, so it must end at once as
   unchanged, and the emulator's counter must show no docker build or push and no StartBuild.

Printed for each: the time from running the command to the line that reports the image in
ECR (the CLI's ``IMAGE ok``), the time to the command's exit, and the requests the emulator
counted (AWS requests by service, and the Engine API's as ``docker``). The docker build itself
takes the same time on both engines: the CodeBuild BUILD phase's share of ``--build-seconds``.

Then the managed scenario's check for image-build (``benchmarks/managed_unknowns.py``): how
many requirements stay unknown now, and before issue 20's item 4 (the managed probes): the
figure recorded then, or measured on an earlier commit with ``--before-rev``.

    .venv/bin/python -m benchmarks.image_paths [--latency 100] [--provisioning-seconds 90]
                                               [--build-seconds 20] [--before-rev REV] [--json]
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
from pathlib import Path
from typing import Any

from benchmarks.check_rounds import ChildEmulator
from benchmarks.managed_unknowns import measure as measure_unknowns

REPO = Path(__file__).resolve().parents[1]
# What a build that ends as unchanged must never have asked for.
BUILDS_AND_PUSHES = (
    "docker:ImageBuild",
    "docker:ImagePush",
    "docker:ImageTag",
    "codebuild:CreateProject",
    "codebuild:StartBuild",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
)
# Recorded when item 4 began (benchmarks/managed_unknowns.py, tests/check/test_managed_unknowns.py).
RECORDED_BEFORE = {"unknown": 22, "findings": 32}
IMAGE_OK = "IMAGE     ok"


def _folder(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "Dockerfile").write_text(
        "FROM public.ecr.aws/docker/library/python:3.12-slim\n"
        'ARG VARIANT\nCOPY app.py /app.py\nCMD ["python", "/app.py"]\n'
    )
    (root / "app.py").write_text("print('hello')\n")
    return root


def _cli_env(emulator: ChildEmulator) -> dict[str, str]:
    """This shell's environment without its AWS settings, plus the emulator's client env
    (credentials, endpoint, Studio's metadata, DOCKER_HOST). The CLI polls a build every 2 s,
    its default: SM_STUDIO_SETUP_POLL_SECONDS is not passed on."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in ("DOCKER_HOST", "SM_STUDIO_SETUP_POLL_SECONDS")
    }
    env.update(emulator.env)
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_studio_setup", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=REPO,
    )


def _timed_build(
    emulator: ChildEmulator, env: dict[str, str], folder: Path, *args: str
) -> dict[str, Any]:
    """`sm-studio-setup build FOLDER --json ARGS`, timed to the IMAGE ok line on stderr (read
    as it comes) and to the exit; the emulator's counts for it alone."""
    emulator.control("stats/reset", {})
    command = [sys.executable, "-m", "sm_studio_setup", "build", str(folder), "--json", *args]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    stdout, out = process.stdout, []

    def read_stdout() -> None:  # the JSON summary, at the end; read so the pipe never fills
        out.append(stdout.read())

    reader = threading.Thread(target=read_stdout, daemon=True)
    reader.start()
    image_at: float | None = None
    log: list[str] = []
    for line in process.stderr:
        if image_at is None and line.startswith(IMAGE_OK):
            image_at = time.perf_counter() - start
        log.append(line)
    code = process.wait(timeout=900)
    exited = time.perf_counter() - start
    reader.join(timeout=30)
    stats = emulator.control("stats")
    summary: dict[str, Any] = json.loads(out[0]) if out and out[0].strip() else {}
    provisioning = [p["seconds"] for p in summary.get("phases", []) if p["name"] == "PROVISIONING"]
    by_service: dict[str, int] = stats["by_service"]
    return {
        "command": "sm-studio-setup build FOLDER --json " + " ".join(args),
        "exit_code": code,
        "status": summary.get("status"),
        "engine": summary.get("engine"),
        "reason": summary.get("reason"),
        "message": summary.get("message"),
        "image_uri": summary.get("image_uri"),
        "digest": summary.get("digest"),
        "seconds_to_image": round(image_at, 2) if image_at is not None else None,
        "seconds_to_exit": round(exited, 2),
        "provisioning_seconds": provisioning[0] if provisioning else None,
        "aws_requests": sum(n for s, n in by_service.items() if s != "docker"),
        "docker_requests": by_service.get("docker", 0),
        "by_service": by_service,
        "by_operation": stats["by_operation"],
        "log_tail": "".join(log[-30:]) if code != 0 or image_at is None else "",
    }


def _docker_build_seconds(build_seconds: float) -> float:
    """The CodeBuild BUILD phase's share of a build of ``build_seconds`` (the emulator spreads
    a build over its phases by these weights): the local docker build is given as long."""
    from sm_studio_setup.emulator.services.codebuild.phases import WEIGHTS

    return build_seconds * WEIGHTS["BUILD"] / sum(WEIGHTS.values())


def measure_builds(latency_ms: float, provisioning_s: float, build_s: float) -> dict[str, Any]:
    docker_s = _docker_build_seconds(build_s)
    with (
        ChildEmulator(
            "self-service",
            "--docker",
            "enabled",
            "--provisioning-seconds",
            f"{provisioning_s:g}",
            "--build-seconds",
            f"{build_s:g}",
        ) as emulator,
        tempfile.TemporaryDirectory(prefix="sm-bench-") as tmp,
    ):
        env = _cli_env(emulator)
        folder = _folder(Path(tmp) / "build")
        # Untimed set-up: the role given what a CodeBuild build needs (a local one needs less).
        fixed = _cli(env, "fix", "--apply", "--profile", "image-build", "--engine", "codebuild")
        if fixed.returncode != 0:
            raise RuntimeError(f"fix --apply failed:\n{fixed.stdout}\n{fixed.stderr}")
        emulator.control("docker", {"build_seconds": round(docker_s, 3)})
        emulator.latency(latency_ms)
        codebuild = _timed_build(emulator, env, folder, "--engine", "codebuild")
        local = _timed_build(
            emulator, env, folder, "--engine", "local", "--build-arg", "VARIANT=local"
        )
        unchanged = _timed_build(
            emulator, env, folder, "--engine", "local", "--build-arg", "VARIANT=local"
        )
    sent = {op: n for op, n in unchanged["by_operation"].items() if op in BUILDS_AND_PUSHES}
    unchanged["built_or_pushed"] = sent
    return {
        "latency_ms": latency_ms,
        "provisioning_seconds": provisioning_s,
        "codebuild_build_seconds": build_s,
        "docker_build_seconds": round(docker_s, 2),
        "codebuild": codebuild,
        "local": local,
        "unchanged": unchanged,
    }


def measure_unknowns_at(rev: str) -> dict[str, Any]:
    """benchmarks/managed_unknowns.py of this tree, run on the code of commit ``rev`` (taken
    with git archive into a temporary folder; the repository is not changed)."""
    with tempfile.TemporaryDirectory(prefix="sm-bench-rev-") as tree:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["PYTHONPATH"] = tree
        done = subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "managed_unknowns.py"), "--json"],
            env=env,
            cwd=tree,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"managed_unknowns at {rev} failed:\n{done.stderr[-2000:]}")
        found: dict[str, Any] = json.loads(done.stdout)
    return found


def _unknowns(before_rev: str | None) -> dict[str, Any]:
    after = measure_unknowns()
    result: dict[str, Any] = {
        "after": {"findings": after["findings"], "unknown": after["by_status"].get("unknown", 0)},
        "after_by_status": after["by_status"],
    }
    if before_rev is None:
        result["before"] = {**RECORDED_BEFORE, "how": "recorded"}
    else:
        before = measure_unknowns_at(before_rev)
        result["before"] = {
            "findings": before["findings"],
            "unknown": before["by_status"].get("unknown", 0),
            "how": f"measured at {before_rev}",
        }
    return result


def _line(name: str, run: dict[str, Any]) -> str:
    services = ", ".join(f"{s} {n}" for s, n in run["by_service"].items() if s != "docker")
    text = (
        f"  {name:<22} image after {run['seconds_to_image']} s, exit after "
        f"{run['seconds_to_exit']} s; {run['aws_requests']} AWS requests ({services}), "
        f"{run['docker_requests']} docker requests"
    )
    if run["provisioning_seconds"] is not None:
        text += f"; PROVISIONING {run['provisioning_seconds']:g} s"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=100.0, metavar="MS")
    parser.add_argument(
        "--provisioning-seconds",
        type=float,
        default=90.0,
        metavar="S",
        help="the least CodeBuild's PROVISIONING lasts (AWS: 90 s to 5 minutes; default 90)",
    )
    parser.add_argument(
        "--build-seconds",
        type=float,
        default=20.0,
        metavar="S",
        help="the rest of the CodeBuild build, spread over its phases (the emulator's default "
        "20); the local docker build takes the BUILD phase's share of it",
    )
    parser.add_argument(
        "--before-rev",
        metavar="REV",
        help="measure the managed unknowns before item 4 on this commit (default: the figure "
        "recorded then)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    builds = measure_builds(args.latency, args.provisioning_seconds, args.build_seconds)
    unknowns = _unknowns(args.before_rev)
    runs = [builds[k] for k in ("codebuild", "local", "unchanged")]
    unchanged = builds["unchanged"]
    ok = (
        all(r["exit_code"] == 0 and r["status"] == "SUCCEEDED" for r in runs)
        and all(r["seconds_to_image"] is not None for r in runs)
        and builds["codebuild"]["engine"] == "codebuild"
        and builds["local"]["engine"] == "local"
        and unchanged["reason"] == "unchanged"
        and not unchanged["built_or_pushed"]
    )
    if args.json:
        print(json.dumps({"builds": builds, "managed_unknowns": unknowns}, indent=2))
        return 0 if ok else 1
    print(
        f"time to a pushed image at {args.latency:g} ms per AWS request, CodeBuild PROVISIONING "
        f"{args.provisioning_seconds:g} s, docker build {builds['docker_build_seconds']:g} s on "
        "either engine:"
    )
    print(_line("--engine codebuild", builds["codebuild"]))
    print(_line("--engine local", builds["local"]))
    print(_line("unchanged (local)", unchanged))
    said = "unchanged" if unchanged["reason"] == "unchanged" else f"NOT unchanged ({unchanged})"
    pushed = ", ".join(f"{k} {n}" for k, n in unchanged["built_or_pushed"].items()) or "nothing"
    print(f"  the unchanged build: {said}; built or pushed: {pushed}")
    before, after = unknowns["before"], unknowns["after"]
    print(
        f"managed scenario, image-build: unknown {after['unknown']} of {after['findings']} "
        f"(measured), before item 4: {before['unknown']} of {before['findings']} "
        f"({before['how']})"
    )
    for run in runs:
        if run["log_tail"]:
            failed = f"{run['command']} (exit {run['exit_code']}):\n{run['log_tail']}"
            print(failed, file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
