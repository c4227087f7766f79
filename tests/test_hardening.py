"""Issue 11 against the emulator: a role ARN is the role IAM has (item 4), every added service
is narrowed (item 6), a document the engine cannot read is said to be so (item 7), and REST
answers every user-caused error with a 4xx of its own (item 7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.errors import BadInput
from sm_studio_setup.iam import can_assume
from sm_studio_setup.service import Service
from sm_studio_setup.service.check import CheckOptions

from .conftest import point_at
from .emulator_process import REPO, EmulatorProcess
from .openapi import validate
from .roles import state_of

ACCOUNT = "123456789012"
ROLE_NAME = "AmazonSageMaker-ExecutionRole-20261122T000000"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/{ROLE_NAME}"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(seed="demo", scenario="self-service") as running:
        yield running


@pytest.fixture
def service(emu: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Service:
    for name, value in emu.client_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SM_STUDIO_SETUP_CONFIG_DIR", str(tmp_path / "config"))
    return Service(emu.studio_session())


# ----------------------------------------------------------------------------- item 4


@pytest.mark.parametrize(
    "given",
    [
        f"arn:aws:iam::{ACCOUNT}:role/wrong/path/{ROLE_NAME}",
        f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}",
        f"wrong/path/{ROLE_NAME}",
    ],
)
def test_a_wrong_path_is_refused_not_granted(service: Service, given: str) -> None:
    with pytest.raises(BadInput) as refused:
        service.check(CheckOptions(role=given, refresh=True))
    assert refused.value.field == "role"
    assert ROLE_ARN in refused.value.message  # the role as IAM has it
    with pytest.raises(BadInput):
        service.fix_plan(CheckOptions(role=given))


def test_another_accounts_role_is_refused(service: Service) -> None:
    with pytest.raises(BadInput) as refused:
        service.fix_plan(CheckOptions(role=f"arn:aws:iam::999999999999:role/{ROLE_NAME}"))
    assert "account 999999999999" in refused.value.message
    assert refused.value.field == "role"


def test_the_arn_iam_gives_is_the_one_used(service: Service) -> None:
    for given in (ROLE_NAME, ROLE_ARN, f"service-role/{ROLE_NAME}"):
        plan = service.fix_plan(CheckOptions(role=given))
        assert plan.role_arn == ROLE_ARN
        passrole = [r for r in plan.granted if r.action == "iam:PassRole"]
        assert passrole and all(r.resource == ROLE_ARN for r in passrole)


# ----------------------------------------------------------------------------- item 6


def test_every_service_the_fix_adds_is_narrowed_to_the_account(service: Service) -> None:
    plan = service.fix_plan(CheckOptions(profile="mlops-cicd"))
    assert plan.trust_after is not None
    added = plan.trust_after["Statement"][len(plan.trust_before["Statement"]) :]  # type: ignore[index]
    services = {s["Principal"]["Service"] for s in added}
    assert services == {
        "codepipeline.amazonaws.com",
        "codebuild.amazonaws.com",
        "cloudformation.amazonaws.com",
        "events.amazonaws.com",
    }
    for statement in added:
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
        service_name = statement["Principal"]["Service"]
        assert not can_assume(
            plan.trust_after, service_name, {"aws:SourceAccount": "999999999999"}
        ).allowed


# ----------------------------------------------------------------------------- item 7


@pytest.fixture
def unparseable_trust(emu: Emulator) -> Iterator[str]:
    iam = emu.admin_session().client("iam")
    original = iam.get_role(RoleName=ROLE_NAME)["Role"]["AssumeRolePolicyDocument"]
    # moto stores what IAM itself would refuse: a Sid with a space.
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Studio trust",
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.update_assume_role_policy(RoleName=ROLE_NAME, PolicyDocument=json.dumps(document))
    yield json.dumps(document)
    iam.update_assume_role_policy(RoleName=ROLE_NAME, PolicyDocument=json.dumps(original))


def test_an_unreadable_trust_is_reported_as_such_never_as_a_gap(
    service: Service, unparseable_trust: str
) -> None:
    report = service.check(CheckOptions(refresh=True))
    trust = [f for f in report.findings if f.who == "trust"]
    assert trust and all(f.status == "unknown" for f in trust)
    assert all("could not be parsed" in f.evidence and "Sid" in f.evidence for f in trust)
    assert any("the trust policy could not be parsed" in n for n in report.notes)
    plan = service.fix_plan(CheckOptions())
    assert plan.trust_after is None
    assert any("left as it is" in b for b in plan.blocked)


def test_the_cli_says_so_in_a_sentence(
    emu: Emulator, unparseable_trust: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        **emu.client_env(),
        "SM_STUDIO_SETUP_CONFIG_DIR": str(tmp_path),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    for args in (["check"], ["fix", "--apply"]):
        done = subprocess.run(
            [sys.executable, "-m", "sm_studio_setup", *args],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Traceback" not in done.stderr + done.stdout, done.stderr
        assert "could not be parsed" in done.stdout, done.stdout
        assert done.returncode in (0, 1), (args, done.returncode, done.stderr)


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"sm_studio_setup": True}}}


@pytest.fixture
def rest_env(
    own_self_service: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> EmulatorProcess:
    point_at(own_self_service, monkeypatch, tmp_path / "config")
    return own_self_service


@pytest.mark.parametrize(
    ("route", "body", "status", "code"),
    [
        ("check", "[" * 100_000 + "]" * 100_000, 400, "bad_request"),
        ("fix/plan", '{"a": ' * 50_000 + "1" + "}" * 50_000, 400, "bad_request"),
        ("check", json.dumps({"repository": "x" * 70_000}), 400, "bad_request"),
        ("check", json.dumps({"repository": "Bad:Name:x"}), 400, "bad_input"),
        ("check", json.dumps({"profile": "no-such"}), 400, "bad_input"),
        (
            "fix/plan",
            json.dumps({"role": "arn:aws:iam::123456789012:role/x\ntouch P #/r"}),
            400,
            "bad_input",
        ),
        ("fix/plan", json.dumps({"kms_key_arn": "arn:aws:kms:*:*:key/*"}), 400, "bad_input"),
        ("fix/undo/plan", json.dumps({"backup_id": "../../etc/passwd"}), 404, "backup_not_found"),
    ],
)
async def test_user_caused_errors_are_4xx_with_their_own_code(
    jp_fetch: Any, rest_env: EmulatorProcess, route: str, body: str, status: int, code: str
) -> None:
    before = state_of(rest_env)
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("sm-studio-setup", *route.split("/"), method="POST", body=body)
    assert err.value.code == status
    assert err.value.response is not None
    found = json.loads(err.value.response.body)
    validate(found, "ErrorBody")
    assert found["error"]["code"] == code
    assert "\n" not in found["error"]["message"] and "Traceback" not in found["error"]["message"]
    assert state_of(rest_env) == before


async def test_an_error_of_ours_is_a_sentence_not_a_traceback(
    jp_fetch: Any, jp_serverapp: Any, rest_env: EmulatorProcess
) -> None:
    class Broken:
        def check(self, options: Any) -> Any:
            raise RuntimeError("a bug of ours\nwith a second line")

    jp_serverapp.web_app.settings["sm_studio_setup_service_factory"] = Broken
    try:
        with pytest.raises(HTTPClientError) as err:
            await jp_fetch("sm-studio-setup", "check", method="POST", body="{}")
    finally:
        del jp_serverapp.web_app.settings["sm_studio_setup_service_factory"]
    assert err.value.code == 500
    assert err.value.response is not None
    found = json.loads(err.value.response.body)
    validate(found, "ErrorBody")
    assert found["error"]["code"] == "internal"
    assert "bug of ours" not in err.value.response.body.decode()
