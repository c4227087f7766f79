"""`sm-studio-setup lifecycle-config` against the emulator, as a Studio user runs it: made and
attached when the role may (keeping every configuration and setting the domain had, reused the
second time), handed off in four formats and nothing written when it may not, and the
administrator's applying the AWS CLI hand-off leaves exactly what the tool would have made."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml  # type: ignore[import-untyped]
from cfnlint.api import ManualArgs, lint  # type: ignore[import-untyped]

from sm_studio_setup import __version__
from sm_studio_setup.aws.metadata import METADATA_ENV
from sm_studio_setup.emulator.core.server import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY
from sm_studio_setup.images.lifecycle import default_name
from sm_studio_setup.service import Service
from sm_studio_setup.service.check import CheckOptions

from ..build.support import admin, cli, cli_env, control
from ..conftest import point_at
from ..emulator_process import EmulatorProcess
from .support import HCL, run_cli

PROFILE = "data-scientist"
OURS = default_name("JupyterLab", __version__)
EDITOR = default_name("CodeEditor", __version__)


def _domain_id(emulator: EmulatorProcess) -> str:
    return str(admin(emulator, "sagemaker").list_domains()["Domains"][0]["DomainId"])


def _arn(name: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:123456789012:studio-lifecycle-config/{name}"


def _settings(emulator: EmulatorProcess) -> dict[str, Any]:
    found: dict[str, Any] = admin(emulator, "sagemaker").describe_domain(
        DomainId=_domain_id(emulator)
    )["DefaultUserSettings"]
    return found


def _seed_team_configuration(emulator: EmulatorProcess) -> str:
    """A lifecycle configuration of the team's, already the domain's default."""
    sagemaker = admin(emulator, "sagemaker")
    arn = str(
        sagemaker.create_studio_lifecycle_config(
            StudioLifecycleConfigName="team-tools",
            StudioLifecycleConfigContent=base64.b64encode(b"#!/bin/bash\necho team\n").decode(),
            StudioLifecycleConfigAppType="JupyterLab",
        )["StudioLifecycleConfigArn"]
    )
    sagemaker.update_domain(
        DomainId=_domain_id(emulator),
        DefaultUserSettings={
            "JupyterLabAppSettings": {
                "LifecycleConfigArns": [arn],
                "DefaultResourceSpec": {"InstanceType": "ml.t3.medium", "LifecycleConfigArn": arn},
            }
        },
    )
    return arn


def _script(env: dict[str, str], *args: str) -> str:
    done = cli(env, "lifecycle-config", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def studio(own_self_service: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The self-service role fixed for the lifecycle-config profile (it may change itself), and
    the team's configuration the domain already runs."""
    config = tmp_path_factory.mktemp("config")
    with pytest.MonkeyPatch.context() as patch:
        point_at(own_self_service, patch, config)
        service = Service()
        for options in (
            CheckOptions(profile="lifecycle-config"),
            CheckOptions(profile="lifecycle-config", scope="user-profile", lifecycle_config=EDITOR),
            CheckOptions(profile="lifecycle-config", lifecycle_config="partial-tools"),
            CheckOptions(profile="lifecycle-config", lifecycle_config="outside-tools"),
        ):
            plan = service.fix_plan(options)
            if not plan.empty:
                service.fix_apply(plan)
    team = _seed_team_configuration(own_self_service)
    return own_self_service, cli_env(own_self_service, config), team


def test_create_and_attach_keep_what_the_domain_had_and_twice_changes_nothing(studio: Any) -> None:
    emulator, env, team = studio
    before = _settings(emulator)
    done = cli(env, "lifecycle-config", "--create", "--attach", "domain", "--default")
    assert done.returncode == 0, done.stderr
    assert "made it the default of domain" in done.stdout
    after = _settings(emulator)
    lab = after["JupyterLabAppSettings"]
    assert lab["LifecycleConfigArns"] == [team, _arn(OURS)]
    assert lab["DefaultResourceSpec"] == {
        "InstanceType": "ml.t3.medium",
        "LifecycleConfigArn": _arn(OURS),
    }
    assert {k: v for k, v in after.items() if k != "JupyterLabAppSettings"} == {
        k: v for k, v in before.items() if k != "JupyterLabAppSettings"
    }
    sagemaker = admin(emulator, "sagemaker")
    made = sagemaker.describe_studio_lifecycle_config(StudioLifecycleConfigName=OURS)
    assert made["StudioLifecycleConfigAppType"] == "JupyterLab"
    assert base64.b64decode(made["StudioLifecycleConfigContent"]).decode() == _script(env)

    again = cli(env, "lifecycle-config", "--create", "--attach", "domain", "--default")
    assert again.returncode == 0, again.stderr
    assert "reusing it" in again.stderr and "nothing to change" in again.stdout
    assert _settings(emulator) == after
    listed = sagemaker.list_studio_lifecycle_configs()["StudioLifecycleConfigs"]
    assert sorted(c["StudioLifecycleConfigName"] for c in listed) == sorted([OURS, "team-tools"])


def test_another_script_under_the_same_name_is_refused(studio: Any) -> None:
    emulator, env, _ = studio
    cli(env, "lifecycle-config", "--create")
    done = cli(
        env, "lifecycle-config", "--source", "s3", "--s3-uri", "s3://b-1/wheels/", "--create"
    )
    assert done.returncode == 2
    assert "exists with another script" in done.stderr
    assert "--create NAME" in done.stderr
    found = admin(emulator, "sagemaker").describe_studio_lifecycle_config(
        StudioLifecycleConfigName=OURS
    )
    assert base64.b64decode(found["StudioLifecycleConfigContent"]).decode() == _script(env)


def test_code_editor_for_the_user_profile(studio: Any) -> None:
    emulator, env, _ = studio
    done = cli(
        env, "lifecycle-config", "--app-type", "CodeEditor", "--create", "--attach", "user-profile"
    )
    assert done.returncode == 0, done.stderr
    assert "users can choose it" in done.stdout
    sagemaker = admin(emulator, "sagemaker")
    profile = sagemaker.describe_user_profile(
        DomainId=_domain_id(emulator), UserProfileName=PROFILE
    )["UserSettings"]
    assert profile["CodeEditorAppSettings"]["LifecycleConfigArns"] == [_arn(EDITOR)]
    assert profile["ExecutionRole"].endswith("AmazonSageMaker-ExecutionRole-20261122T000000")
    made = sagemaker.describe_studio_lifecycle_config(StudioLifecycleConfigName=EDITOR)
    assert made["StudioLifecycleConfigAppType"] == "CodeEditor"


def test_format_prints_one_format_and_writes_nothing(studio: Any) -> None:
    emulator, env, _ = studio
    before = _settings(emulator)
    done = cli(
        env, "lifecycle-config", "--create", "not-yet", "--attach", "domain", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    requests = json.loads(done.stdout)["requests"]
    assert [r["operation"] for r in requests] == ["CreateStudioLifecycleConfig", "UpdateDomain"]
    assert _settings(emulator) == before
    listed = admin(emulator, "sagemaker").list_studio_lifecycle_configs(NameContains="not-yet")
    assert listed["StudioLifecycleConfigs"] == []


def test_outside_studio_the_domain_is_named(studio: Any) -> None:
    """On an administrator's machine no space's metadata names the domain: --domain-id does
    (checked against SageMaker's grammar where it enters)."""
    emulator, env, team = studio
    away = {k: v for k, v in env.items() if k != METADATA_ENV}
    missing = cli(away, "lifecycle-config", "--create", "outside", "--attach", "domain")
    assert missing.returncode == 2
    assert "--domain-id" in missing.stderr
    wrong = cli(away, "lifecycle-config", "--create", "--attach", "domain", "--domain-id", "d_1")
    assert wrong.returncode == 2 and "--domain-id" in wrong.stderr
    done = cli(
        away,
        "lifecycle-config",
        "--create",
        "outside-tools",
        "--attach",
        "domain",
        "--domain-id",
        _domain_id(emulator),
    )
    assert done.returncode == 0, done.stderr
    assert (
        _arn("outside-tools") in _settings(emulator)["JupyterLabAppSettings"]["LifecycleConfigArns"]
    )
    assert team in _settings(emulator)["JupyterLabAppSettings"]["LifecycleConfigArns"]


def test_an_iam_user_prints_the_change_but_is_not_checked(studio: Any) -> None:
    """An IAM user's credentials have no role for the check to judge: --format still prints
    the change (it writes nothing), and --create says what to do instead of writing blind."""
    emulator, env, _ = studio
    user = {k: v for k, v in env.items() if k != METADATA_ENV}
    user.update(
        AWS_ACCESS_KEY_ID=ADMIN_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=ADMIN_SECRET_ACCESS_KEY,
        AWS_SESSION_TOKEN="",
    )
    domain = _domain_id(emulator)
    shown = cli(
        user,
        "lifecycle-config",
        "--create",
        "by-admin",
        "--attach",
        "domain",
        "--domain-id",
        domain,
        "--format",
        "cli",
    )
    assert shown.returncode == 0, shown.stderr
    assert "aws sagemaker create-studio-lifecycle-config" in shown.stdout
    assert f"--domain-id {domain}" in shown.stdout
    refused = cli(
        user,
        "lifecycle-config",
        "--create",
        "by-admin",
        "--attach",
        "domain",
        "--domain-id",
        domain,
    )
    assert refused.returncode == 2
    assert "role session" in refused.stderr and "--format" in refused.stderr
    listed = admin(emulator, "sagemaker").list_studio_lifecycle_configs(NameContains="by-admin")
    assert listed["StudioLifecycleConfigs"] == []


def test_an_update_aws_refuses_after_the_check_hands_off_the_rest(studio: Any) -> None:
    # The role's own documents allow it, so the check does; an SCP the role cannot see denies
    # the update: the configuration is made, the rest is handed off.
    emulator, env, _ = studio
    deny = {"Effect": "Deny", "Action": "sagemaker:UpdateDomain", "Resource": "*"}
    allow = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    before = _settings(emulator)
    control(
        emulator, "/scps", {"policies": [{"Version": "2012-10-17", "Statement": [allow, deny]}]}
    )
    try:
        # The role was fixed a moment ago: without this, the denial is retried as IAM
        # propagation for two minutes first.
        quick = {**env, "SM_STUDIO_SETUP_PROPAGATION_SECONDS": "0"}
        done = cli(quick, "lifecycle-config", "--create", "partial-tools", "--attach", "domain")
    finally:
        control(emulator, "/scps", {"policies": []})
    assert done.returncode == 1, done.stderr
    assert "was created, but domain" in done.stdout and "service control policy" in done.stdout
    assert "==> AWS CLI (cli)" in done.stdout
    # The hand-off is only what is left: the update, not the creation.
    cli_part = done.stdout.split("==> AWS CLI (cli)")[1].split("==> ")[0]
    assert "create-studio-lifecycle-config" not in cli_part and "update-domain" in cli_part
    assert _settings(emulator) == before
    admin(emulator, "sagemaker").describe_studio_lifecycle_config(
        StudioLifecycleConfigName="partial-tools"
    )


def test_the_script_alone_is_printed_without_aws(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_CONFIG_FILE": "/dev/null"}
    done = subprocess.run(
        [sys.executable, "-m", "sm_studio_setup", "lifecycle-config", "--app-type", "CodeEditor"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("#!/bin/bash\n") and "Code Editor" in done.stdout


# --- the managed scenario: the role may not update the domain --------------------------------


@pytest.fixture(scope="module")
def managed(own_managed: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory) -> Any:
    team = _seed_team_configuration(own_managed)
    return own_managed, cli_env(own_managed, tmp_path_factory.mktemp("config")), team


@pytest.fixture(scope="module")
def handed_off(managed: Any) -> Iterator[tuple[Any, dict[str, Any], dict[str, Any]]]:
    emulator, env, _ = managed
    before = _settings(emulator)
    done = cli(env, "lifecycle-config", "--create", "--attach", "domain", "--default", "--json")
    assert done.returncode == 1, done.stderr
    yield managed, json.loads(done.stdout), before


def test_nothing_is_written_and_the_change_is_handed_off(handed_off: Any) -> None:
    (emulator, _, _team), result, before = handed_off
    assert result["status"] == "handoff"
    assert any("sagemaker:UpdateDomain" in gap for gap in result["gaps"])
    assert "Nothing was written" in result["message"]
    assert _settings(emulator) == before
    listed = admin(emulator, "sagemaker").list_studio_lifecycle_configs()["StudioLifecycleConfigs"]
    assert [c["StudioLifecycleConfigName"] for c in listed] == ["team-tools"]
    assert set(result["handoff"]) == {"json", "cli", "cloudformation", "terraform"}


def test_the_handoff_parses_in_each_format(handed_off: Any, tmp_path: Path) -> None:
    (_, _, team), result, _ = handed_off
    formats = result["handoff"]
    data = json.loads(formats["json"])
    update = data["requests"][1]["parameters"]["DefaultUserSettings"]["JupyterLabAppSettings"]
    assert update["LifecycleConfigArns"] == [team, _arn(OURS)]
    assert update["DefaultResourceSpec"]["InstanceType"] == "ml.t3.medium"
    commands = run_cli(formats["cli"], tmp_path)
    assert [c[1] for c in commands] == [
        "create-studio-lifecycle-config",
        "update-domain",
        "describe-domain",
    ]
    template, fragment = list(yaml.safe_load_all(formats["cloudformation"]))
    text = yaml.safe_dump(template)
    assert list(lint(text, config=ManualArgs(regions=["us-east-1"]))) == []
    assert fragment["DefaultUserSettings"]["JupyterLabAppSettings"] == update
    parsed = hcl2.loads(formats["terraform"], serialization_options=HCL)
    kinds = [kind.strip('"') for entry in parsed["resource"] for kind in entry]
    assert kinds == ["aws_sagemaker_studio_lifecycle_config", "aws_sagemaker_domain"]


# An AWS CLI standing in for the administrator's: it makes each call with the emulator's admin
# credentials (kebab-case options to the API's members, JSON values parsed).
_ADMIN_AWS = """#!{python}
import json, sys
import boto3
args = sys.argv[1:]
service, operation, words = args[0], args[1].replace("-", "_"), args[2:]
members, region = {{}}, None
for flag, value in zip(words[0::2], words[1::2]):
    name = flag[2:]
    if name == "region":
        region = value
    elif name not in ("query", "output"):
        key = "".join(part.capitalize() for part in name.split("-"))
        members[key] = json.loads(value) if value.startswith("{{") else value
client = boto3.client(
    service,
    region_name=region,
    endpoint_url={endpoint!r},
    aws_access_key_id={key!r},
    aws_secret_access_key={secret!r},
)
answer = getattr(client, operation)(**members)
answer.pop("ResponseMetadata", None)
print(json.dumps(answer, default=str))
"""


def test_applying_the_cli_handoff_leaves_what_the_tool_would_make(
    handed_off: Any, tmp_path: Path
) -> None:
    (emulator, env, team), result, _before = handed_off
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    aws = bin_dir / "aws"
    aws.write_text(
        _ADMIN_AWS.format(
            python=sys.executable,
            endpoint=emulator.env["AWS_ENDPOINT_URL"],
            key=ADMIN_ACCESS_KEY_ID,
            secret=ADMIN_SECRET_ACCESS_KEY,
        )
    )
    aws.chmod(0o755)
    applied = subprocess.run(
        ["bash", "-c", result["handoff"]["cli"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=120,
    )
    assert applied.returncode == 0, applied.stderr
    lab = _settings(emulator)["JupyterLabAppSettings"]
    assert lab["LifecycleConfigArns"] == [team, _arn(OURS)]
    assert lab["DefaultResourceSpec"] == {
        "InstanceType": "ml.t3.medium",
        "LifecycleConfigArn": _arn(OURS),
    }
    # The tool recognises the administrator's configuration as its own script.
    again = cli(env, "lifecycle-config", "--create", "--attach", "domain", "--default")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to change" in again.stdout
