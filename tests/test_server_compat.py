"""The server extension on the oldest jupyter_server a SageMaker Distribution line ships (2.8,
SMD 1.x): it has no start hook, so builds left running are recovered when the extension loads."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sm_studio_setup import app as module


@pytest.mark.parametrize(("starts", "at_load"), [(False, 1), (True, 0)])
def test_builds_are_recovered_once_whatever_the_server_calls(
    monkeypatch: pytest.MonkeyPatch, starts: bool, at_load: int
) -> None:
    monkeypatch.setattr(module, "server_starts_extensions", lambda: starts)
    recovered: list[int] = []
    extension = module.SmStudioSetupApp()
    extension.builds = SimpleNamespace(recover=lambda: recovered.append(1) or [])  # type: ignore[assignment]
    extension.initialize_handlers()
    assert len(recovered) == at_load


def test_this_server_calls_the_start_hook() -> None:
    # The development environment's jupyter_server is new: the hook is how it recovers.
    assert module.server_starts_extensions()


@pytest.mark.parametrize("app_type", ["JupyterLab", "CodeEditor"])
def test_an_sdk_that_predates_the_app_type_is_refused_before_any_call(
    monkeypatch: pytest.MonkeyPatch, app_type: str
) -> None:
    """botocore 1.31 (SageMaker Distribution 1.0 to 1.5) has no JupyterLabAppSettings: it
    would drop them from DescribeDomain's answer and refuse them in UpdateDomain. Attaching
    says so in a sentence, before anything is read or written."""
    import boto3

    from sm_studio_setup.aws import studio_images
    from sm_studio_setup.errors import BadInput

    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    studio_images.require_settings_member(session, app_type)  # this botocore knows it
    # The model of an older botocore: UserSettings without the member.
    model = session.client("sagemaker").meta.service_model
    members = dict(model.shape_for("UserSettings").members)
    del members[studio_images.SETTINGS_MEMBERS[app_type]]
    old = SimpleNamespace(
        meta=SimpleNamespace(
            service_model=SimpleNamespace(shape_for=lambda _: SimpleNamespace(members=members))
        )
    )
    monkeypatch.setattr(studio_images, "client", lambda _session, _name: old)
    with pytest.raises(BadInput) as refused:
        studio_images.require_settings_member(session, app_type)
    assert refused.value.field == "app_type"
    assert "predates" in refused.value.message and app_type in refused.value.message
    studio_images.require_settings_member(session, "KernelGateway")
