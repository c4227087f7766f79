"""The build and attach routes: a build starts at once and runs in the server's background,
is read with its phases and log from a cursor, stopped, listed again after a reload; every
answer matches openapi.yaml."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from sm_studio_setup.service import Service
from sm_studio_setup.service.check import CheckOptions

from ...build.support import NOTHING_LEFT, build_folder, control, leftovers
from ...conftest import point_at
from ...emulator_process import EmulatorProcess
from ...openapi import validate


@pytest.fixture(scope="module")
def emulator(build_emulator: EmulatorProcess) -> EmulatorProcess:
    return build_emulator


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"sm_studio_setup": True}},
        "SmStudioSetupApp": {
            "poll_interval": 0.2,
            "records_dir": str(tmp_path / "records"),
            "log_page_size": 7,
        },
    }


@pytest.fixture
def fixed(
    emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[EmulatorProcess]:
    point_at(emulator, monkeypatch, tmp_path / "config")
    service = Service()
    for options in (CheckOptions(), CheckOptions(profile="studio-kernel")):
        plan = service.fix_plan(options)
        if not plan.empty:
            service.fix_apply(plan)
    yield emulator
    control(emulator, "/codebuild", {"duration_seconds": 1, "fail_phase": ""})


async def call(
    jp_fetch: Any, method: str, route: str, body: Any = None, status: int = 200, **params: Any
) -> Any:
    kwargs: dict[str, Any] = {"method": method}
    if body is not None or method == "POST":
        kwargs["body"] = body if isinstance(body, str) else json.dumps(body or {})
    if params:
        kwargs["params"] = params
    if status >= 400:
        with pytest.raises(HTTPClientError) as err:
            await jp_fetch("sm-studio-setup", *route.split("/"), **kwargs)
        assert err.value.code == status, err.value.response.body if err.value.response else ""
        assert err.value.response is not None
        found = json.loads(err.value.response.body)
        validate(found, "ErrorBody")
        return found["error"]
    response = await jp_fetch("sm-studio-setup", *route.split("/"), **kwargs)
    assert response.code == status
    return json.loads(response.body)


async def until_final(jp_fetch: Any, build_id: str, timeout: float = 60) -> dict[str, Any]:
    for _ in range(int(timeout / 0.2)):
        record = await call(jp_fetch, "GET", f"builds/{build_id}")
        validate(record, "Build")
        if record["final"]:
            return record  # type: ignore[no-any-return]
        await asyncio.sleep(0.2)
    raise AssertionError(f"build {build_id} did not end")


async def test_a_build_runs_in_the_background_and_its_log_reads_from_a_cursor(
    jp_fetch: Any, jp_root_dir: Path, fixed: EmulatorProcess
) -> None:
    build_folder(jp_root_dir / "project")
    started = await call(
        jp_fetch,
        "POST",
        "builds",
        {"context": "project", "build_args": {"GREETING": "a b"}},
        status=202,
    )
    validate(started, "Build")
    assert started["status"] == "IN_PROGRESS" and not started["final"]
    done = await until_final(jp_fetch, started["id"])
    assert done["status"] == "SUCCEEDED", done["message"]
    assert done["image_uri"] and done["digest"]
    # The name Attach offers, named by the service (not by each surface).
    assert done["image_name"] == done["image_uri"].split("/")[1].split(":")[0]
    assert started["image_name"] is None
    assert [s["name"] for s in done["steps"]] == [
        "CHECK",
        "INPUTS",
        "PACKAGE",
        "UPLOAD",
        "PROJECT",
        "START",
        "IMAGE",
        "CLEANUP",
    ]
    assert {p["phaseType"] for p in done["phases"]} >= {"PROVISIONING", "BUILD", "POST_BUILD"}

    lines: list[str] = []
    cursor = 0
    while True:
        page = await call(jp_fetch, "GET", f"builds/{done['id']}/logs", cursor=cursor)
        validate(page, "BuildLog")
        assert len(page["lines"]) <= 7  # the server's log_page_size
        lines += page["lines"]
        cursor = page["cursor"]
        if page["final"]:
            break
    assert len(lines) == done["log_lines"]
    assert any('"GREETING=a b"' in line for line in lines)

    listed = await call(jp_fetch, "GET", "builds")
    validate(listed, "BuildList")
    assert listed["builds"][0]["id"] == done["id"]
    assert leftovers(fixed) == NOTHING_LEFT


async def test_one_idempotency_key_starts_one_build(
    jp_fetch: Any, jp_root_dir: Path, fixed: EmulatorProcess
) -> None:
    build_folder(jp_root_dir / "project")
    body = {"context": "project", "idempotency_key": "click-42"}
    first, second = await asyncio.gather(
        call(jp_fetch, "POST", "builds", body, status=202),
        call(jp_fetch, "POST", "builds", body, status=202),
    )
    assert first["id"] == second["id"]
    await until_final(jp_fetch, first["id"])
    listed = await call(jp_fetch, "GET", "builds")
    assert [b["id"] for b in listed["builds"]] == [first["id"]]


async def test_the_rest_stop_ends_stopped_and_cleans_up(
    jp_fetch: Any, jp_root_dir: Path, fixed: EmulatorProcess
) -> None:
    control(fixed, "/codebuild", {"duration_seconds": 60})
    build_folder(jp_root_dir / "project")
    started = await call(jp_fetch, "POST", "builds", {"context": "project"}, status=202)
    for _ in range(300):
        record = await call(jp_fetch, "GET", f"builds/{started['id']}")
        if record["codebuild_id"]:
            break
        await asyncio.sleep(0.1)
    stopping = await call(jp_fetch, "POST", f"builds/{started['id']}/stop", status=202)
    validate(stopping, "Build")
    done = await until_final(jp_fetch, started["id"])
    assert done["status"] == "STOPPED"
    assert done["image_uri"] is None
    assert done["cleaned"]
    assert leftovers(fixed) == NOTHING_LEFT
    again = await call(jp_fetch, "POST", f"builds/{started['id']}/stop", status=202)
    assert again["status"] == "STOPPED"  # stopping an ended build changes nothing


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"context": "../../etc"}, 400, "context"),
        ({"context": "/etc"}, 400, "context"),
        ({"context": "nowhere"}, 400, "context"),
        ({"context": "project", "build_args": ["A=1"]}, 400, None),
        ({"context": "project", "timeout_minutes": "60"}, 400, None),
        ({"context": "project", "unknown": 1}, 400, None),
        ({"context": "project", "platform": "linux/s390x"}, 400, "platform"),
        ({"context": "project", "vpc_id": "vpc-0a1b2c3d4e5f60718"}, 400, "subnet_ids"),
        ({"context": "project", "idempotency_key": "no spaces"}, 400, "idempotency_key"),
    ],
    ids=[
        "outside the root",
        "absolute means under the root",
        "missing folder",
        "build_args a list",
        "timeout a string",
        "unknown field",
        "unknown platform",
        "vpc without subnets",
        "bad idempotency key",
    ],
)
async def test_bad_build_requests_are_400_and_start_nothing(
    jp_fetch: Any,
    jp_root_dir: Path,
    fixed: EmulatorProcess,
    body: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    build_folder(jp_root_dir / "project")
    error = await call(jp_fetch, "POST", "builds", body, status=status)
    if field is not None:
        assert error.get("field") == field, error
    listed = await call(jp_fetch, "GET", "builds")
    assert listed["builds"] == []


async def test_unknown_builds_are_404(jp_fetch: Any, fixed: EmulatorProcess) -> None:
    await call(jp_fetch, "GET", "builds/b-20260101T000000Z-abcdef", status=404)
    await call(jp_fetch, "GET", "builds/not-a-build/logs", status=404)
    await call(jp_fetch, "POST", "builds/b-20260101T000000Z-abcdef/stop", status=404)


async def test_build_routes_refuse_unauthenticated_requests(jp_fetch: Any) -> None:
    for method, route, body in (
        ("GET", "builds", None),
        ("POST", "builds", "{}"),
        ("POST", "attach", "{}"),
    ):
        with pytest.raises(HTTPClientError) as err:
            await jp_fetch(
                "sm-studio-setup",
                *route.split("/"),
                method=method,
                body=body,
                headers={"Authorization": ""},
            )
        assert err.value.code == 403


async def test_attach_route(jp_fetch: Any, jp_root_dir: Path, fixed: EmulatorProcess) -> None:
    build_folder(jp_root_dir / "project")
    started = await call(jp_fetch, "POST", "builds", {"context": "project"}, status=202)
    done = await until_final(jp_fetch, started["id"])
    attached = await call(
        jp_fetch,
        "POST",
        "attach",
        {"image_uri": done["image_uri"], "image_name": "from-rest", "context": "project"},
    )
    validate(attached, "AttachResult")
    assert attached["image_name"] == "from-rest"
    # The sidebar sends back the folder as the build's record names it: absolute, in the root.
    again = await call(
        jp_fetch,
        "POST",
        "attach",
        {
            "image_uri": done["image_uri"],
            "image_name": "from-rest",
            "context": done["options"]["context"],
        },
    )
    assert again["version"] == attached["version"] + 1
    missing = await call(jp_fetch, "POST", "attach", {"image_name": "x"}, status=400)
    assert "image_uri" in missing["message"]


# --- hostile input over REST (docs/SECURITY.md) ----------------------------------------------


@pytest.mark.parametrize("exists", [True, False], ids=["outside file exists", "it does not"])
async def test_a_dockerfile_outside_the_served_folder_is_refused_before_any_read(
    jp_fetch: Any, jp_root_dir: Path, fixed: EmulatorProcess, tmp_path: Path, exists: bool
) -> None:
    build_folder(jp_root_dir / "basic")
    outside = jp_root_dir.parent / "outside" / "Dockerfile"
    if exists:
        outside.parent.mkdir(exist_ok=True)
        outside.write_text("FROM 999999999999.dkr.ecr.us-east-1.amazonaws.com/x\nUSER root\n")
    answers = []
    for name in ("../../outside/Dockerfile", str(outside), "/dev/zero"):
        build = {"context": "basic", "dockerfile": name}
        attach = {
            "image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:t",
            "image_name": "r",
            "context": "basic",
            "dockerfile": name,
        }
        for route, body in (("builds", build), ("attach", attach)):
            error = await call(jp_fetch, "POST", route, body, status=400)
            assert error["field"] == "dockerfile", error
            assert "999999999999" not in error["message"] and "USER" not in error["message"]
            answers.append(error["message"].replace(name, "NAME"))
    assert len(set(answers)) == 1, answers  # no answer tells whether the outside file exists
    assert (await call(jp_fetch, "GET", "builds"))["builds"] == []


async def test_a_fifo_dockerfile_or_dockerignore_does_not_hold_the_server(
    jp_fetch: Any, jp_root_dir: Path, fixed: EmulatorProcess
) -> None:
    folder = build_folder(jp_root_dir / "piped")
    os.mkfifo(folder / "Dockerfile.pipe")
    for route, body in (
        ("builds", {"context": "piped", "dockerfile": "Dockerfile.pipe"}),
        (
            "attach",
            {
                "image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:t",
                "image_name": "r",
                "context": "piped",
                "dockerfile": "Dockerfile.pipe",
            },
        ),
    ):
        error = await asyncio.wait_for(call(jp_fetch, "POST", route, body, status=400), 10)
        assert "named pipe" in error["message"]
    os.mkfifo(folder / ".dockerignore")
    started = await asyncio.wait_for(
        call(jp_fetch, "POST", "builds", {"context": "piped"}, status=400), 10
    )
    assert ".dockerignore" in started["message"]


async def test_a_cursor_of_other_digits_is_400_not_500(
    jp_fetch: Any, fixed: EmulatorProcess
) -> None:
    for cursor in ("²", "٣", "1e3", "-1", "0x10"):
        error = await call(
            jp_fetch, "GET", "builds/b-20260101T000000Z-abcdef/logs", status=400, cursor=cursor
        )
        assert "cursor" in error["message"]


async def test_the_smdocker_engine_refuses_shell_in_a_build_argument(
    jp_fetch: Any, jp_root_dir: Path, fixed: EmulatorProcess
) -> None:
    build_folder(jp_root_dir / "project")
    error = await call(
        jp_fetch,
        "POST",
        "builds",
        {"context": "project", "engine": "sm-docker", "build_args": {"X": "1; touch PWNED"}},
        status=400,
    )
    assert error["field"] == "build_args"
    assert "sm-docker engine" in error["message"]
    assert not (jp_root_dir / "project" / "PWNED").exists()
    assert (await call(jp_fetch, "GET", "builds"))["builds"] == []


PATHOLOGICAL = "*a" * 24 + "b\n!keep\n[z-a]\n"


async def test_a_pathological_dockerignore_never_freezes_the_server(
    jp_fetch: Any, jp_root_dir: Path, fixed: EmulatorProcess
) -> None:
    """docker-py's matcher took a minute on the first line (Python's regex holding the GIL,
    the server frozen); the last line is one Docker refuses: a sentence, not a 500."""
    folder = build_folder(jp_root_dir / "slow")
    (folder / ("a" * 60)).write_text("x")
    (folder / ".dockerignore").write_text(PATHOLOGICAL)
    loop = asyncio.get_running_loop()
    began = loop.time()
    error = await call(jp_fetch, "POST", "builds", {"context": "slow"}, status=400)
    assert loop.time() - began < 5
    assert "[z-a]" in error["message"] and "Line 3" in error["message"]

    (folder / ".dockerignore").write_text(PATHOLOGICAL.replace("[z-a]\n", ""))
    started = await call(jp_fetch, "POST", "builds", {"context": "slow"}, status=202)
    while True:
        asked = loop.time()
        status = await jp_fetch("api", "status")
        assert status.code == 200 and loop.time() - asked < 1.0
        record = await call(jp_fetch, "GET", f"builds/{started['id']}")
        if record["codebuild_id"] or record["final"]:
            break
        await asyncio.sleep(0.05)
    await call(jp_fetch, "POST", f"builds/{started['id']}/stop", status=202)
    done = await until_final(jp_fetch, started["id"])
    assert done["status"] in ("STOPPED", "SUCCEEDED"), done["message"]
    assert done["files"] == 4  # Dockerfile, app.py, .dockerignore and the 60 a's (no b)
    assert leftovers(fixed) == NOTHING_LEFT
