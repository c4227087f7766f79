"""The hand-off of the installation for a domain, each format read back by the tool that would
consume it: JSON parsed, the AWS CLI run in bash (against a stand-in `aws` that records what it
is given, with the real openssl), CloudFormation through cfn-lint, Terraform through
python-hcl2. Each must carry the very script and the very settings the tool would write."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import botocore.session
import hcl2
import pytest
import yaml  # type: ignore[import-untyped]
from cfnlint.api import ManualArgs, lint  # type: ignore[import-untyped]

from sm_studio_setup import __version__
from sm_studio_setup.images.lifecycle import S3Wheelhouse, lifecycle_script
from sm_studio_setup.repair.lifecycle_handoff import FORMATS, LifecycleChange, render

from .support import HCL, run_cli

ACCOUNT = "123456789012"
PREFIX = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
ARN = f"{PREFIX}:studio-lifecycle-config/sm-studio-setup-jupyterlab-0-1-0"
TEAM = f"{PREFIX}:studio-lifecycle-config/team-tools"
# What a domain's member may already hold, including text only AWS checked: each format must
# carry it through its own quoting unchanged.
AWKWARD = 'https://git.example.com/${team}/%{x}/it\'s "quoted" $(id) `id`'
_PLAIN_URL = "https://git.example.com/team/repo"
SETTINGS = {
    "JupyterLabAppSettings": {
        "LifecycleConfigArns": [TEAM, ARN],
        "DefaultResourceSpec": {"InstanceType": "ml.t3.medium", "LifecycleConfigArn": ARN},
        "CustomImages": [
            {
                "ImageName": "team-image",
                "AppImageConfigName": "team-config",
                "ImageVersionNumber": 3,
            }
        ],
        "CodeRepositories": [{"RepositoryUrl": AWKWARD}],
    }
}
SCRIPT = lifecycle_script(__version__, "JupyterLab", S3Wheelhouse("my-bucket", "it's-(1)/"))
DOMAIN = LifecycleChange(
    name="sm-studio-setup-jupyterlab-0-1-0",
    app_type="JupyterLab",
    script=SCRIPT,
    config_arn=ARN,
    region="us-east-1",
    scope="domain",
    domain_id="d-abc123",
    settings=SETTINGS,
)
PROFILE = replace(DOMAIN, scope="user-profile", user_profile="alice", create=False)
CREATE_ONLY = replace(DOMAIN, settings=None, attach=False)
CHANGES = {"domain": DOMAIN, "user-profile": PROFILE, "create-only": CREATE_ONLY}


# --- JSON ---------------------------------------------------------------------------------


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_json_is_the_api_requests(change: LifecycleChange) -> None:
    data = json.loads(render(change, "json"))
    assert data["script"] == change.script
    operations = [r["operation"] for r in data["requests"]]
    expected = (["CreateStudioLifecycleConfig"] if change.create else []) + (
        []
        if change.settings is None
        else ["UpdateUserProfile" if change.scope == "user-profile" else "UpdateDomain"]
    )
    assert operations == expected
    model = botocore.session.get_session().get_service_model("sagemaker")
    for request in data["requests"]:
        shape = model.operation_model(request["operation"]).input_shape
        assert set(request["parameters"]) <= set(shape.members)
        assert set(shape.required_members) <= set(request["parameters"])
        if request["operation"] == "CreateStudioLifecycleConfig":
            content = request["parameters"]["StudioLifecycleConfigContent"]
            assert base64.b64decode(content).decode() == change.script
    if change.settings is not None:
        member = "UserSettings" if change.scope == "user-profile" else "DefaultUserSettings"
        assert data["requests"][-1]["parameters"][member] == change.settings


# --- the AWS CLI, run -----------------------------------------------------------------------


def _kebab(member: str) -> str:
    return "--" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", member).lower()


def _options(argv: list[str], operation: str) -> dict[str, str]:
    model = botocore.session.get_session().get_service_model("sagemaker")
    flags = {_kebab(m) for m in model.operation_model(operation).input_shape.members}
    words = argv[2:]
    options = dict(zip(words[0::2], words[1::2], strict=True))
    assert set(options) - {"--region", "--query", "--output"} <= flags, options
    assert options["--region"] == "us-east-1"
    return options


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_cli_applies_the_same_change(change: LifecycleChange, tmp_path: Path) -> None:
    commands = run_cli(render(change, "cli"), tmp_path)
    if change.create:
        create = commands.pop(0)
        assert create[:2] == ["sagemaker", "create-studio-lifecycle-config"]
        options = _options(create, "CreateStudioLifecycleConfig")
        assert options["--studio-lifecycle-config-name"] == change.name
        assert options["--studio-lifecycle-config-app-type"] == change.app_type
        content = options["--studio-lifecycle-config-content"]
        assert content == change.content  # openssl's base64 of the file is the tool's
        assert base64.b64decode(content).decode() == change.script
    if change.settings is not None:
        update, wait = commands
        if change.scope == "user-profile":
            assert update[:2] == ["sagemaker", "update-user-profile"]
            options = _options(update, "UpdateUserProfile")
            assert options["--user-profile-name"] == "alice"
            assert json.loads(options["--user-settings"]) == change.settings
        else:
            assert update[:2] == ["sagemaker", "update-domain"]
            options = _options(update, "UpdateDomain")
            assert json.loads(options["--default-user-settings"]) == change.settings
        assert options["--domain-id"] == change.domain_id
        assert wait[1].startswith("describe-")
    else:
        assert commands == []


def test_cli_heredoc_cannot_be_ended_by_the_script() -> None:
    script = "#!/bin/bash\necho one\nSM_STUDIO_SETUP_SCRIPT\necho two\n"
    text = render(replace(CREATE_ONLY, script=script), "cli")
    assert "<<'SM_STUDIO_SETUP_SCRIPT_2'" in text


# --- CloudFormation -------------------------------------------------------------------------


def _lint(template: dict[str, Any]) -> list[str]:
    text = yaml.safe_dump(template)
    return [
        f"{m.rule.id} {m.message}" for m in lint(text, config=ManualArgs(regions=["us-east-1"]))
    ]


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_cloudformation_is_a_template_and_the_settings(change: LifecycleChange) -> None:
    text = render(change, "cloudformation")
    documents = list(yaml.safe_load_all(text))
    template = documents.pop(0) if change.create else None
    fragment = documents.pop(0) if change.settings is not None else None
    assert documents == []
    if template is not None:
        [resource] = template["Resources"].values()
        assert resource["Type"] == "AWS::SageMaker::StudioLifecycleConfig"
        properties = resource["Properties"]
        assert base64.b64decode(properties["StudioLifecycleConfigContent"]).decode() == (
            change.script
        )
        assert properties["StudioLifecycleConfigName"] == change.name
        assert _lint(template) == []
    if fragment is not None:
        # The fragment pasted into the resource that defines the domain (or profile) is what
        # CloudFormation's schema takes.
        if change.scope == "user-profile":
            assert fragment == {"UserSettings": change.settings}
            resource = {
                "Type": "AWS::SageMaker::UserProfile",
                "Properties": {
                    "DomainId": change.domain_id,
                    "UserProfileName": "alice",
                    **fragment,
                },
            }
        else:
            assert fragment == {"DefaultUserSettings": change.settings}
            settings = {
                "ExecutionRole": f"arn:aws:iam::{ACCOUNT}:role/R",
                **fragment["DefaultUserSettings"],
            }
            resource = {
                "Type": "AWS::SageMaker::Domain",
                "Properties": {
                    "DomainName": "studio",
                    "AuthMode": "IAM",
                    "VpcId": "vpc-0a1b2c3d4e5f60718",
                    "SubnetIds": ["subnet-0a1b2c3d4e5f60719"],
                    "DefaultUserSettings": settings,
                },
            }
        # The awkward text is there for the quoting; the schema (like SageMaker) wants a URL.
        linted = json.loads(json.dumps(resource).replace(json.dumps(AWKWARD)[1:-1], _PLAIN_URL))
        assert _lint({"Resources": {"Studio": linted}}) == []


def test_cfn_lint_has_teeth_here() -> None:
    bad = {
        "Resources": {
            "Lcc": {
                "Type": "AWS::SageMaker::StudioLifecycleConfig",
                "Properties": {**DOMAIN.create_request(), "StudioLifecycleConfigAppType": "Lab"},
            }
        }
    }
    assert _lint(bad)


# --- Terraform ------------------------------------------------------------------------------


def _text(raw: str) -> str:
    # An HCL string literal reads like a JSON one, and $${ and %%{ are a literal ${ and %{.
    return re.sub(r"([$%])\1\{", r"\1{", json.loads(raw))


def _value(raw: Any) -> Any:
    if isinstance(raw, str):
        return _text(raw) if raw.startswith('"') else json.loads(raw)
    if isinstance(raw, list):
        return [_value(item) for item in raw]
    return raw


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_terraform_carries_the_same_change(change: LifecycleChange) -> None:
    parsed = hcl2.loads(render(change, "terraform"), serialization_options=HCL)
    resources = {
        kind.strip('"'): body for entry in parsed["resource"] for kind, body in entry.items()
    }
    [config] = resources.pop("aws_sagemaker_studio_lifecycle_config").values()
    assert _value(config["studio_lifecycle_config_name"]) == change.name
    content = _value(config["studio_lifecycle_config_content"])
    assert base64.b64decode(content).decode() == change.script
    if change.settings is None:
        assert resources == {}
        return
    kind = (
        "aws_sagemaker_user_profile" if change.scope == "user-profile" else "aws_sagemaker_domain"
    )
    [target] = resources.pop(kind).values()
    assert resources == {}
    argument = "user_settings" if change.scope == "user-profile" else "default_user_settings"
    [settings] = target[argument]
    [app] = settings["jupyter_lab_app_settings"]
    member = change.settings["JupyterLabAppSettings"]
    assert _value(app["lifecycle_config_arns"]) == member["LifecycleConfigArns"]
    [spec] = app["default_resource_spec"]
    assert _value(spec["lifecycle_config_arn"]) == ARN
    assert _value(spec["instance_type"]) == "ml.t3.medium"
    [image] = app["custom_image"]
    assert _value(image["image_version_number"]) == 3
    [repository] = app["code_repository"]
    assert _value(repository["repository_url"]) == AWKWARD


def test_terraform_says_how_to_import() -> None:
    assert "terraform import aws_sagemaker_domain.d_abc123 d-abc123" in render(DOMAIN, "terraform")
    assert f"{PREFIX}:user-profile/d-abc123/alice" in render(PROFILE, "terraform")
    reused = render(PROFILE, "terraform")
    assert "terraform import aws_sagemaker_studio_lifecycle_config." in reused


def test_nothing_to_change_is_said_in_every_format() -> None:
    empty = replace(DOMAIN, create=False, settings=None)
    for fmt in ("cli", "cloudformation", "terraform"):
        text = render(empty, fmt)
        assert "nothing to change" in text
        assert all(line.startswith("#") for line in text.splitlines())
    assert json.loads(render(empty, "json"))["requests"] == []


def test_every_format_is_rendered() -> None:
    assert set(FORMATS) == {"json", "cli", "cloudformation", "terraform"}
    with pytest.raises(ValueError, match="yaml"):
        render(DOMAIN, "yaml")
