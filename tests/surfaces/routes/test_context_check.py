"""The REST surface: authenticated, JSON errors, and the identity from the demo emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from sm_studio_setup.surfaces.routes import NAMESPACE, route_paths

from ...openapi import spec, validate

DEMO_ROLE = (
    "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20261122T000000"
)


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"sm_studio_setup": True}}}


async def test_context_returns_the_demo_identity(jp_fetch: Any, demo_env: dict[str, str]) -> None:
    response = await jp_fetch("sm-studio-setup", "context")
    assert response.code == 200
    body = json.loads(response.body)
    assert body["account"] == "123456789012"
    assert body["region"] == "us-east-1"
    assert body["role_arn"] == DEMO_ROLE
    assert body["role_source"] == "metadata"
    assert body["caller_arn"].endswith(
        ":assumed-role/AmazonSageMaker-ExecutionRole-20261122T000000/SageMaker"
    )
    assert body["domain_id"].startswith("d-")
    assert body["user_profile"] == "data-scientist"
    assert body["space"] == "data-scientist-space"
    assert body["demo"] is True
    validate(body, "Identity")


def test_every_route_is_in_the_openapi_file() -> None:
    documented = set(spec()["paths"])
    served = {f"/{NAMESPACE}/{path}" for path in route_paths()}
    assert served == documented


async def test_context_refuses_unauthenticated_requests(
    jp_fetch: Any, jp_serverapp: Any, demo_env: dict[str, str]
) -> None:
    # jp_fetch sends the server's token; a browser without it must get 403, not the identity.
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("sm-studio-setup", "context", headers={"Authorization": ""})
    assert err.value.code == 403
    assert b"assumed-role" not in (err.value.response.body if err.value.response else b"")


async def test_context_explains_missing_credentials(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # Nothing the credential chain could find: no files, no instance metadata.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("SM_STUDIO_SETUP_DEMO", raising=False)
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("sm-studio-setup", "context")
    assert err.value.code == 401
    assert err.value.response is not None
    body = json.loads(err.value.response.body)
    validate(body, "ErrorBody")
    assert body["error"]["code"] == "no_credentials"
    assert "credentials" in body["error"]["message"]
    assert body["error"]["hint"]


async def test_demo_mode_refuses_a_non_loopback_endpoint(
    jp_fetch: Any, demo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://sts.amazonaws.com")
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("sm-studio-setup", "context")
    assert err.value.code == 400
    assert err.value.response is not None
    assert json.loads(err.value.response.body)["error"]["code"] == "unsafe_endpoint"


async def test_check_returns_a_report_matching_openapi(
    jp_fetch: Any, demo_env: dict[str, str]
) -> None:
    response = await jp_fetch(
        "sm-studio-setup", "check", method="POST", body=json.dumps({"refresh": True})
    )
    assert response.code == 200
    body = json.loads(response.body)
    validate(body, "Report")
    assert body["verdict"] == "gaps"
    assert {f["action"] for f in body["findings"] if f["status"] == "missing"} >= {
        "codebuild:CreateProject",
        "codebuild:DeleteProject",
        "iam:PassRole",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[]", "JSON object"),
        ('{"profile": "image-build", "colour": "red"}', "Unknown check options: colour"),
        ('{"subnet_ids": "subnet-1"}', "subnet_ids must be a list of strings"),
        ("not json", "not JSON"),
    ],
)
async def test_check_rejects_bad_bodies(
    jp_fetch: Any, demo_env: dict[str, str], body: str, message: str
) -> None:
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("sm-studio-setup", "check", method="POST", body=body)
    assert err.value.code == 400
    assert err.value.response is not None
    error = json.loads(err.value.response.body)
    validate(error, "ErrorBody")
    assert message in error["error"]["message"]


async def test_check_refuses_unauthenticated_requests(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch(
            "sm-studio-setup", "check", method="POST", body="{}", headers={"Authorization": ""}
        )
    assert err.value.code == 403
