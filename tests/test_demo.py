"""Issue 11, item 9: the demo never sends a call anywhere but its loopback emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from sm_studio_setup.aws.session import demo_endpoint, is_loopback_url, new_session
from sm_studio_setup.demo import lab_environment
from sm_studio_setup.errors import UnsafeEndpointError
from sm_studio_setup.service import Service


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://127.5.6.7:5000", True),
        ("http://localhost:5000", True),
        ("http://[::1]:5000", True),
        ("http://127.attacker.example", False),
        ("http://127.0.0.1.attacker.example:5000", False),
        ("https://sts.amazonaws.com", False),
        ("http://0.0.0.0:5000", False),
        ("file:///etc/passwd", False),
        ("http://[::1", False),
        ("", False),
    ],
)
def test_only_loopback_addresses_pass(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SM_STUDIO_SETUP_DEMO", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return monkeypatch


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AWS_ENDPOINT_URL", "http://127.attacker.example"),
        ("AWS_ENDPOINT_URL_STS", "https://sts.amazonaws.com"),
        ("AWS_ENDPOINT_URL_IAM", "http://iam.amazonaws.com"),
        ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
    ],
)
def test_anything_that_could_reach_real_aws_is_refused_before_a_call(
    demo: pytest.MonkeyPatch, name: str, value: str
) -> None:
    demo.setenv(name, value)
    with pytest.raises(UnsafeEndpointError) as refused:
        new_session()
    assert name in refused.value.message or "AWS_ENDPOINT_URL" in refused.value.message
    with pytest.raises(UnsafeEndpointError):
        Service().whoami()


def test_demo_clients_name_the_emulator_themselves(demo: pytest.MonkeyPatch) -> None:
    assert demo_endpoint() == "http://127.0.0.1:9"
    from sm_studio_setup.aws.session import client

    sts = client(new_session(), "sts")
    assert sts.meta.endpoint_url == "http://127.0.0.1:9"


def test_the_lab_environment_keeps_no_aws_setting_of_the_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "AWS_PROFILE": "prod",
        "AWS_ENDPOINT_URL_STS": "https://sts.amazonaws.com",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
        "AWS_ACCESS_KEY_ID": "AKIAREALREALREAL0000",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.2/creds",
        "AWS_USE_FIPS_ENDPOINT": "true",
        "BOTO_CONFIG": "/etc/boto.cfg",
    }.items():
        monkeypatch.setenv(name, value)
    env = lab_environment(
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ACCESS_KEY_ID": "EMULATOR"}
    )
    assert env["AWS_ACCESS_KEY_ID"] == "EMULATOR"
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    leftover = {k for k in env if k.startswith(("AWS_", "BOTO_"))} - {
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_EC2_METADATA_DISABLED",
    }
    assert leftover == set()
    with pytest.raises(UnsafeEndpointError):
        lab_environment({"AWS_ENDPOINT_URL": "http://127.attacker.example:5000"})


def test_the_demo_opens_on_an_example_image_studio_accepts(tmp_path: Path) -> None:
    """A newcomer's first build needs no writing: the workspace holds a Studio-compatible
    image folder, the file browser opens on it, and JupyterLab asks no news question."""
    import argparse
    import json

    from sm_studio_setup.demo import lab_command, lab_settings
    from sm_studio_setup.demo_workspace import EXAMPLE, make_workspace
    from sm_studio_setup.images.studio_spec import dockerfile_findings
    from sm_studio_setup.service.build.context import read_context

    folder = make_workspace(tmp_path / "workspace")
    assert dockerfile_findings((folder / "Dockerfile").read_text(), "JupyterLab") == []
    sent = {f.path for f in read_context(str(folder), "Dockerfile").files}
    assert sent == {"Dockerfile", ".dockerignore", "requirements.txt", "README.md"}  # no data/
    args = argparse.Namespace(port=8888, no_browser=True, root_dir=None, lab_args=[])
    command = lab_command(args, tmp_path / "workspace")
    assert f"--ServerApp.root_dir={tmp_path / 'workspace'}" in command
    assert f"--LabApp.default_url=/lab/tree/{EXAMPLE}" in command
    (folder / "Dockerfile").write_text("FROM mine\n")
    make_workspace(tmp_path / "workspace")  # a second start keeps what the user changed
    assert (folder / "Dockerfile").read_text() == "FROM mine\n"
    settings = lab_settings(tmp_path / "settings")
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    assert json.loads(news.read_text()) == {"fetchNews": "false"}
    given = argparse.Namespace(port=8888, no_browser=True, root_dir="/srv/mine", lab_args=[])
    assert not any("default_url" in word for word in lab_command(given, None))
