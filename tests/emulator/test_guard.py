"""Issue 11, item 8: no web page can drive the emulator, only this machine's SDK clients.

Each request here is shaped like one a browser sends from a page the user has open: with an
Origin header, as a CORS preflight, as a plain form POST or image URL (no signature), or with
the Host name of a DNS-rebinding attacker.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest

from sm_studio_setup.emulator.core.guard import is_loopback_host, refusal
from sm_studio_setup.emulator.core.server import ADMIN_ACCESS_KEY_ID, Emulator

EVIL = "http://attacker.example"
POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(seed="demo") as running:
        yield running


def send(
    emulator: Emulator,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    parts = urlparse(emulator.endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def inline_policies(emulator: Emulator) -> list[str]:
    info = emulator.seed_info
    assert info is not None
    iam = emulator.admin_session().client("iam")
    return list(iam.list_role_policies(RoleName=info.role_name)["PolicyNames"])


def test_a_page_cannot_read_moto_s_state_or_secrets(emulator: Emulator) -> None:
    status, headers, body = send(emulator, "GET", "/moto-api/data.json", headers={"Origin": EVIL})
    assert status == 403
    assert "access-control-allow-origin" not in headers
    assert b"SecretAccessKey" not in body and b"Origin header" in body
    # The same request from this machine's own tools (no Origin) still works.
    assert send(emulator, "GET", "/moto-api/data.json")[0] == 200


@pytest.mark.parametrize(
    "path", ["/moto-api/reset", "/moto-api/recorder/start-recording", "/_sm_emulator/latency"]
)
def test_a_page_cannot_reset_record_or_reconfigure(emulator: Emulator, path: str) -> None:
    status, headers, _ = send(emulator, "POST", path, headers={"Origin": EVIL}, body=b"{}")
    assert status == 403
    assert "access-control-allow-origin" not in headers
    assert emulator.seed_info is not None and inline_policies(emulator)  # the seed is intact


def test_a_preflight_is_refused_and_allows_nothing(emulator: Emulator) -> None:
    status, headers, _ = send(
        emulator,
        "OPTIONS",
        "/",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,x-amz-target",
        },
    )
    assert status == 403
    assert not any(name.startswith("access-control-") for name in headers)


def test_an_unsigned_form_post_cannot_write_a_policy(emulator: Emulator) -> None:
    info = emulator.seed_info
    assert info is not None
    before = inline_policies(emulator)
    form = urlencode(
        {
            "Action": "PutRolePolicy",
            "Version": "2010-05-08",
            "RoleName": info.role_name,
            "PolicyName": "pwned",
            "PolicyDocument": POLICY,
        }
    ).encode()
    # A form's POST carries an Origin; one without (an old browser, a proxy) is unsigned.
    for headers in (
        {"Origin": EVIL, "Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "application/x-www-form-urlencoded"},
    ):
        status, _, body = send(emulator, "POST", "/", headers=headers, body=form)
        assert status == 403, body
    assert inline_policies(emulator) == before


def test_a_url_with_a_forged_query_signature_is_refused(emulator: Emulator) -> None:
    query = urlencode(
        {
            "Action": "ListRoles",
            "Version": "2010-05-08",
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"{ADMIN_ACCESS_KEY_ID}/20261201/us-east-1/iam/aws4_request",
            "X-Amz-Signature": "0" * 64,
        }
    )
    status, _, body = send(emulator, "GET", f"/?{query}")
    assert status == 403 and b"query-string signatures" in body


def test_dns_rebinding_is_refused_even_for_the_health_endpoint(emulator: Emulator) -> None:
    port = urlparse(emulator.endpoint_url).port
    status, _, body = send(
        emulator, "GET", "/_sm_emulator/health", headers={"Host": f"attacker.example:{port}"}
    )
    assert status == 403 and b"Host header" in body
    assert send(emulator, "GET", "/_sm_emulator/health")[0] == 200


def test_sdk_clients_still_work_and_get_no_cors_headers(emulator: Emulator) -> None:
    iam = emulator.admin_session().client("iam")
    seen: dict[str, Any] = {}

    def keep(http_response: Any, **_: Any) -> None:
        seen.update({k.lower(): v for k, v in http_response.headers.items()})

    iam.meta.events.register("after-call.iam.ListRoles", lambda **kw: keep(kw["http_response"]))
    assert iam.list_roles()["Roles"]
    assert seen and "access-control-allow-origin" not in seen


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:5000", True),
        ("localhost:5000", True),
        ("[::1]:5000", True),
        ("127.attacker.example:5000", False),
        ("attacker.example", False),
        ("0.0.0.0:5000", False),
        ("", False),
    ],
)
def test_only_loopback_host_names_pass(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_a_request_from_another_machine_is_refused() -> None:
    environ = {"REMOTE_ADDR": "192.0.2.7", "HTTP_HOST": "127.0.0.1:5000", "PATH_INFO": "/"}
    assert refusal(environ, own_paths=()) == "only this machine may call the emulator"
