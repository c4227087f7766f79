"""Errors fit the surface that shows them: each names the input that fixes it, as that surface
spells it (a command-line option, the same option on the %sm_setup line, a request field)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from tornado.httpclient import HTTPClientError

from sm_studio_setup.errors import INPUTS, BadInput, Command, SetupError, spell_input, undo_command
from sm_studio_setup.requirements.model import ParamError
from sm_studio_setup.requirements.params import Params
from sm_studio_setup.requirements.profiles import PROFILES, requirements_for
from sm_studio_setup.service.options import AttachOptions, BuildOptions

from .emulator_process import REPO
from .openapi import validate

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/R"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_studio_setup", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def test_a_hint_names_the_input_in_each_surfaces_words() -> None:
    error = BadInput("No execution role was found.", field="role")
    assert error.hint_for("cli").startswith("Pass --role (the execution role")
    assert error.hint_for("magic").startswith("Add --role (")
    assert error.hint_for("magic").endswith("to the %sm_setup line.")
    assert error.hint_for("rest").startswith('Set "role" (')
    assert "--" not in error.hint_for("rest")
    body = error.to_json("rest")
    assert (body["code"], body["field"]) == ("bad_input", "role")


def test_an_input_the_server_decides_is_not_asked_of_a_request() -> None:
    error = SetupError("No AWS region is configured.", field="region")
    assert "--region" in error.hint_for("cli") and "AWS_DEFAULT_REGION" in error.hint_for("cli")
    rest = error.hint_for("rest")
    assert "AWS_DEFAULT_REGION" in rest and "--" not in rest and "request body" not in rest


def test_a_follow_up_command_is_spelled_per_surface() -> None:
    error = SetupError(
        "Restoring failed.", "Restore them with {command}.", command=undo_command("B1")
    )
    assert error.hint_for("cli") == "Restore them with `sm-studio-setup fix --undo B1`."
    assert error.hint_for("magic") == "Restore them with `%sm_setup fix --undo B1`."
    assert error.hint_for("rest") == 'Restore them with `POST fix/undo {"backup_id": "B1"}`.'
    assert Command("check").spell("cli") == "sm-studio-setup check"
    # REST clients also get the follow-up as a request to make as it is; the CLI does not.
    assert error.to_json("rest")["then"] == {
        "method": "POST",
        "path": "fix/undo",
        "body": {"backup_id": "B1"},
    }
    assert "then" not in error.to_json("cli")
    assert "then" not in SetupError("No route.", command=Command("check")).to_json("rest")


def test_every_input_a_hint_can_name_is_spelled_for_every_surface() -> None:
    for name in INPUTS:
        for surface in ("cli", "magic", "rest"):
            assert spell_input(name, surface), (name, surface)
    # The REST fields are the options' own names, so a form can point at its input.
    options = {
        *BuildOptions.__dataclass_fields__,
        *AttachOptions.__dataclass_fields__,
        "force",
        "backup_id",
        "plan_id",
        "build_id",
    }
    assert {spec.rest for spec in INPUTS.values() if spec.rest} <= options


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"repository": "Bad:Name:x"}, "repository"),
        ({"repository": "UPPER"}, "repository"),
        ({"account": "12"}, "account"),
        ({"region": ""}, "region"),
        ({"vpc_id": "vpc-1"}, "subnet_ids"),
        ({"vpc_id": "vpc-1", "subnet_ids": ("subnet-1",)}, "security_group_ids"),
    ],
)
def test_refused_parameters_say_which_input(changes: dict[str, Any], field: str) -> None:
    base: dict[str, Any] = {"region": "us-east-1", "account": ACCOUNT, "role_arn": ROLE}
    with pytest.raises(ParamError) as refused:
        Params(**{**base, **changes})
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("profile", "params", "field"),
    [
        ("image-build", Params(region="us-east-1", account=ACCOUNT), "role"),
        ("studio-kernel", Params(region="us-east-1", account=ACCOUNT, role_arn=ROLE), "domain_id"),
        ("no-such-profile", Params(region="us-east-1", account=ACCOUNT), "profile"),
    ],
)
def test_profiles_say_which_input_they_lack(profile: str, params: Params, field: str) -> None:
    assert profile in PROFILES or profile == "no-such-profile"
    with pytest.raises(ParamError) as refused:
        requirements_for(profile, params)
    assert refused.value.field == field


def test_the_cli_names_the_option_that_fixes_it() -> None:
    done = cli(
        "requirements", "--profile", "image-build", "--region", "us-east-1", "--account", ACCOUNT
    )
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0].startswith("error: ") and "execution role" in lines[0]
    assert lines[1].strip().startswith("Pass --role (")
    done = cli("requirements", "--region", "us-east-1")
    assert "Pass --account (12 digits)" in done.stderr
    done = cli(
        "requirements",
        "--region",
        "us-east-1",
        "--account",
        ACCOUNT,
        "--role",
        ROLE,
        "--vpc-id",
        "vpc-0a1b2c3d4e5f60718",
        "--json",
    )
    error = json.loads(done.stdout)["error"]
    assert (error["code"], error["field"]) == ("bad_input", "subnet_ids")
    assert error["hint"].startswith("Pass --subnet-ids")


def test_the_magic_names_the_option_on_its_own_line(
    demo_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "sm_studio_setup")
        shell.run_line_magic("sm_setup", "check --repository Bad:Name:x")
    finally:
        InteractiveShell.clear_instance()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("error: 'Bad:Name:x' is not an ECR repository name")
    assert out[1].strip().startswith("Add --repository (") and out[1].endswith("%sm_setup line.")


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"sm_studio_setup": True}}}


@pytest.mark.parametrize(
    ("body", "field"),
    [({"repository": "Bad:Name:x"}, "repository"), ({"profile": "no-such-profile"}, "profile")],
)
async def test_rest_names_the_request_field(
    jp_fetch: Any, demo_env: dict[str, str], body: dict[str, Any], field: str
) -> None:
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("sm-studio-setup", "check", method="POST", body=json.dumps(body))
    assert err.value.code == 400
    assert err.value.response is not None
    body = json.loads(err.value.response.body)
    validate(body, "ErrorBody")
    error = body["error"]
    assert (error["code"], error["field"]) == ("bad_input", field)
    assert f'"{field}"' in error["hint"] and "request body" in error["hint"]
    assert "--" not in error["hint"] and "--help" not in error["message"]
