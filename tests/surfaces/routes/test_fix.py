"""The fix's REST routes: plan, apply, undo and backups, against openapi.yaml.

The fix writes to the role, so this module starts an emulator of its own instead of the
shared ``demo_emulator``; backups go to a temporary folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from ...conftest import point_at
from ...emulator_process import EmulatorProcess
from ...openapi import validate
from ...roles import OURS, ROLE_NAME, admin_iam, state_of

DEMO_ROLE = f"arn:aws:iam::123456789012:role/service-role/{ROLE_NAME}"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"sm_studio_setup": True}}}


@pytest.fixture
def fix_env(
    own_self_service: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> EmulatorProcess:
    point_at(own_self_service, monkeypatch, tmp_path / "config")
    return own_self_service


async def post(jp_fetch: Any, route: str, body: Any) -> Any:
    text = body if isinstance(body, str) else json.dumps(body)
    response = await jp_fetch("sm-studio-setup", *route.split("/"), method="POST", body=text)
    assert response.code == 200
    return json.loads(response.body)


async def error(jp_fetch: Any, route: str, body: str, status: int) -> dict[str, Any]:
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("sm-studio-setup", *route.split("/"), method="POST", body=body)
    assert err.value.code == status
    assert err.value.response is not None
    found = json.loads(err.value.response.body)
    validate(found, "ErrorBody")
    return found["error"]


async def test_plan_apply_backups_undo(jp_fetch: Any, fix_env: EmulatorProcess) -> None:
    original = state_of(fix_env)

    plan = await post(jp_fetch, "fix/plan", {"profile": "image-build"})
    validate(plan, "Plan")
    assert plan["role_arn"] == DEMO_ROLE
    assert plan["applicable"] is True and plan["empty"] is False
    assert plan["policy_name"] == OURS
    assert f"+++ {OURS} (after)" in plan["diff"]
    assert state_of(fix_env) == original  # planning writes nothing

    result = await post(jp_fetch, "fix/apply", {"plan_id": plan["id"]})
    validate(result, "FixResult")
    assert result["status"] == "applied"
    assert result["plan_id"] == plan["id"]
    backup_id = result["backup_id"]
    assert backup_id and backup_id in result["message"]
    assert OURS in state_of(fix_env)["inline"]

    report = await post(jp_fetch, "check", {"refresh": True})
    assert report["verdict"] == "ready", [f for f in report["findings"] if f["status"] != "allowed"]

    # The same plan again: already applied, nothing written, no new backup.
    again = await post(jp_fetch, "fix/apply", {"plan_id": plan["id"]})
    validate(again, "FixResult")
    assert again["status"] == "unchanged" and again["backup_id"] is None

    response = await jp_fetch("sm-studio-setup", "fix", "backups")
    assert response.code == 200
    listed = json.loads(response.body)
    assert isinstance(listed, list)  # the response is an array of Backup
    for backup in listed:
        validate(backup, "Backup")
    assert [b["id"] for b in listed] == [backup_id]
    assert listed[0]["outcome"] == "applied" and listed[0]["role_arn"] == DEMO_ROLE

    undone = await post(jp_fetch, "fix/undo", {"backup_id": backup_id})
    validate(undone, "FixResult")
    assert undone["status"] == "applied"
    assert undone["backup_id"] not in (None, backup_id)
    assert state_of(fix_env) == original

    report = await post(jp_fetch, "check", {"refresh": True})
    assert report["verdict"] == "gaps"
    assert "codebuild:CreateProject" in {
        f["action"] for f in report["findings"] if f["status"] == "missing"
    }

    response = await jp_fetch("sm-studio-setup", "fix", "backups")
    outcomes = {b["id"]: b["outcome"] for b in json.loads(response.body)}
    assert outcomes[backup_id] == "undone" and len(outcomes) == 2


async def test_a_concurrent_edit_between_plan_and_apply_is_409(
    jp_fetch: Any, fix_env: EmulatorProcess
) -> None:
    plan = await post(jp_fetch, "fix/plan", {})
    iam = admin_iam(fix_env)
    iam.put_role_policy(
        RoleName=ROLE_NAME,
        PolicyName="someone-else",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}
                ],
            }
        ),
    )
    try:
        edited = state_of(fix_env)
        body = json.dumps({"plan_id": plan["id"]})
        found = await error(jp_fetch, "fix/apply", body, 409)
        assert found["code"] == "role_changed"
        assert "nothing was written" in found["message"]
        assert state_of(fix_env) == edited
        response = await jp_fetch("sm-studio-setup", "fix", "backups")
        assert json.loads(response.body) == []
    finally:
        iam.delete_role_policy(RoleName=ROLE_NAME, PolicyName="someone-else")


async def test_apply_of_an_unknown_plan_is_404(jp_fetch: Any, fix_env: EmulatorProcess) -> None:
    found = await error(jp_fetch, "fix/apply", json.dumps({"plan_id": "0123456789ab"}), 404)
    assert found["code"] == "plan_not_found"
    assert "0123456789ab" in found["message"]
    assert found["hint"]


async def test_undo_of_an_unknown_backup_is_404(jp_fetch: Any, fix_env: EmulatorProcess) -> None:
    found = await error(
        jp_fetch, "fix/undo", json.dumps({"backup_id": "20261122T101500Z-3fa2c1"}), 404
    )
    assert found["code"] == "backup_not_found"


@pytest.mark.parametrize(
    ("route", "body", "message"),
    [
        ("fix/apply", "{}", "plan_id is required"),
        ("fix/apply", '{"plan_id": "x", "documents": {}}', "Unknown fields: documents"),
        ("fix/apply", '{"plan_id": 7}', "plan_id must be a string"),
        ("fix/apply", "not json", "not JSON"),
        ("fix/apply", "[]", "JSON object"),
        ("fix/undo", "{}", "backup_id is required"),
        ("fix/undo", '{"backup_id": "x", "force": "yes"}', "force must be a bool"),
        ("fix/undo", "not json", "not JSON"),
        ("fix/plan", '{"colour": "red"}', "Unknown check options: colour"),
        ("fix/plan", "not json", "not JSON"),
    ],
)
async def test_bad_bodies_are_400(
    jp_fetch: Any, fix_env: EmulatorProcess, route: str, body: str, message: str
) -> None:
    original = state_of(fix_env)
    found = await error(jp_fetch, route, body, 400)
    assert found["code"] == "bad_request"
    assert message in found["message"]
    assert state_of(fix_env) == original


@pytest.mark.parametrize(
    ("route", "method"),
    [("fix/plan", "POST"), ("fix/apply", "POST"), ("fix/undo", "POST"), ("fix/backups", "GET")],
)
async def test_fix_routes_refuse_unauthenticated_requests(
    jp_fetch: Any, fix_env: EmulatorProcess, route: str, method: str
) -> None:
    original = state_of(fix_env)
    body = {"plan": "{}", "apply": '{"plan_id": "x"}', "undo": '{"backup_id": "x"}'}
    kwargs: dict[str, Any] = {"headers": {"Authorization": ""}, "method": method}
    if method == "POST":
        kwargs["body"] = body[route.split("/")[1]]
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("sm-studio-setup", *route.split("/"), **kwargs)
    assert err.value.code == 403
    assert state_of(fix_env) == original
