"""`sm-studio-setup fix` as users run it: a child process against an emulator of its own.

The fix writes to the role, so these tests never use the shared ``demo_emulator``: each
module-scoped fixture starts its own, and every process keeps its backups in a temporary
folder (``SM_STUDIO_SETUP_CONFIG_DIR``), never the user's.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import hcl2
import pytest
import yaml
from hcl2.utils import SerializationOptions

from sm_studio_setup.iam import can_assume

from ...emulator_process import EmulatorProcess
from ...roles import OURS, ROLE_NAME, state_of

REPO = Path(__file__).resolve().parents[3]
PREFIX = "arn:aws:codebuild:us-east-1:123456789012:project/sagemaker-studio-d-studio-demo-"
BUILD_PROJECT = {
    "aws:SourceAccount": "123456789012",
    "aws:SourceArn": f"{PREFIX}data-scientist-ABCDEFGHIJKLMNOP",
}
OTHER_PROJECT = f"{PREFIX}someone-else-ABCDEFGHIJKLMNOP"
HEADERS = {
    "json": "==> Policy JSON (json)",
    "cli": "==> AWS CLI (cli)",
    "cloudformation": "==> CloudFormation (cloudformation)",
    "terraform": "==> Terraform (terraform)",
}
Run = Callable[..., subprocess.CompletedProcess[str]]


def runner(emulator: EmulatorProcess, config_dir: Path) -> Run:
    env = {
        **os.environ,
        **emulator.env,
        "SM_STUDIO_SETUP_CONFIG_DIR": str(config_dir),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sm_studio_setup", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=REPO,
        )

    return run


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sm-studio-setup-config")


@pytest.fixture(scope="module")
def run(own_self_service: EmulatorProcess, config_dir: Path) -> Run:
    return runner(own_self_service, config_dir)


def test_demo_end_to_end_check_fix_apply_undo(
    run: Run, own_self_service: EmulatorProcess, config_dir: Path
) -> None:
    """The issue's acceptance: gaps, a plan that writes nothing, apply, ready, undo, gaps."""
    original = state_of(own_self_service)
    assert OURS not in original["inline"]

    before = run("check", "--json")
    assert before.returncode == 1, before.stderr
    assert json.loads(before.stdout)["verdict"] == "gaps"

    planned = run("fix")
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.startswith("Fix plan ")
    assert f"role {ROLE_NAME}" in planned.stdout.splitlines()[0]
    assert "+++ trust policy (after)" in planned.stdout
    assert f"+++ {OURS} (after)" in planned.stdout
    assert '+        "Service": "codebuild.amazonaws.com"' in planned.stdout
    assert planned.stdout.rstrip().endswith(
        "Nothing was written. Run again with --apply to make this change."
    )
    assert state_of(own_self_service) == original
    assert not (config_dir / "backups").exists() or not list((config_dir / "backups").iterdir())

    applied = run("fix", "--apply")
    assert applied.returncode == 0, applied.stderr
    found = re.search(r"Undo with `sm-studio-setup fix --undo (\S+)`", applied.stdout)
    assert found, applied.stdout
    backup_id = found.group(1)
    assert "Nothing was written" not in applied.stdout

    state = state_of(own_self_service)
    assert OURS in state["inline"]
    trust = json.loads(state["trust"])
    # Studio's own trust is kept, and CodeBuild may now assume the role from this account, for
    # this build's projects only.
    assert can_assume(trust, "sagemaker.amazonaws.com").allowed
    assert can_assume(trust, "codebuild.amazonaws.com", BUILD_PROJECT).allowed
    assert not can_assume(
        trust, "codebuild.amazonaws.com", {**BUILD_PROJECT, "aws:SourceAccount": "999999999999"}
    ).allowed
    assert not can_assume(
        trust, "codebuild.amazonaws.com", {**BUILD_PROJECT, "aws:SourceArn": OTHER_PROJECT}
    ).allowed

    ready = run("check", "--json")
    assert ready.returncode == 0, ready.stdout
    assert json.loads(ready.stdout)["verdict"] == "ready"

    again = run("fix", "--apply", "--json")
    assert again.returncode == 0, again.stderr
    body = json.loads(again.stdout)
    assert body["plan"]["empty"] is True
    assert body["result"]["status"] == "unchanged"
    assert body["result"]["backup_id"] is None
    assert state_of(own_self_service) == state

    listed = run("fix", "--list-backups", "--json")
    assert listed.returncode == 0, listed.stderr
    backups = json.loads(listed.stdout)
    assert [b["id"] for b in backups] == [backup_id]
    assert backups[0]["outcome"] == "applied"
    text = run("fix", "--list-backups")
    assert text.returncode == 0
    assert text.stdout.startswith(f"{backup_id}  fix ")

    # An undo shows what it would write first, and writes only with --apply.
    preview = run("fix", "--undo", backup_id)
    assert preview.returncode == 0, preview.stderr
    assert "--- the trust policy (now)" in preview.stdout
    assert '-        "Service": "codebuild.amazonaws.com"' in preview.stdout
    assert preview.stdout.rstrip().endswith("Run again with --apply to restore these documents.")
    assert state_of(own_self_service) == state
    undone = run("fix", "--undo", backup_id, "--apply")
    assert undone.returncode == 0, undone.stderr
    assert f"from backup {backup_id}" in undone.stdout
    assert state_of(own_self_service) == original

    after = run("check")
    assert after.returncode == 1, after.stdout
    assert after.stdout.startswith("Gaps:")


@pytest.mark.parametrize("fmt", ["json", "cli", "cloudformation", "terraform"])
def test_format_prints_only_the_change_in_that_format_and_writes_nothing(
    run: Run, own_self_service: EmulatorProcess, fmt: str
) -> None:
    original = state_of(own_self_service)
    result = run("fix", "--format", fmt)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Fix plan" not in text and "Nothing was written" not in text
    assert state_of(own_self_service) == original
    if fmt == "json":
        data = json.loads(text)
        actions = {
            a
            for s in data["inline_policies"][OURS]["Statement"]
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        }
        assert {"codebuild:CreateProject", "codebuild:DeleteProject", "iam:PassRole"} <= actions
        services = {s["Principal"]["Service"] for s in data["trust_policy"]["Statement"]}
        assert services == {"sagemaker.amazonaws.com", "codebuild.amazonaws.com"}
    elif fmt == "cli":
        commands = [
            shlex.split(c) for c in text.replace("\\\n", " ").splitlines() if c.startswith("aws ")
        ]
        assert {c[2] for c in commands} == {"put-role-policy", "update-assume-role-policy"}
        for command in commands:
            assert command[command.index("--role-name") + 1] == ROLE_NAME
            json.loads(command[command.index("--policy-document") + 1])
    elif fmt == "cloudformation":
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
        assert len(documents) == 2
        template, fragment = documents
        (resource,) = template["Resources"].values()
        assert resource["Type"] == "AWS::IAM::RolePolicy"
        assert resource["Properties"]["PolicyName"] == OURS
        assert "AssumeRolePolicyDocument" in fragment
    else:
        options = SerializationOptions(explicit_blocks=False, strip_string_quotes=True)
        parsed = hcl2.loads(text, serialization_options=options)
        kinds = {next(iter(block)) for block in parsed["resource"]}
        assert kinds == {"aws_iam_role_policy", "aws_iam_role"}


def _handoff_part(stdout: str) -> tuple[str, str]:
    """The hand-off sentence (the first line after the plan and its diff) and what follows."""
    plan, _, rest = stdout.partition("\n\n==> ")[0].rpartition("\n\n")
    assert plan.startswith("Fix plan "), stdout
    sentence = rest.strip()
    return sentence, stdout[stdout.index(sentence) + len(sentence) :]


def test_managed_apply_hands_the_change_to_an_administrator(
    own_managed: EmulatorProcess, tmp_path: Path
) -> None:
    run = runner(own_managed, tmp_path)
    original = state_of(own_managed)
    result = run("fix", "--apply")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == ""
    sentence, formats = _handoff_part(result.stdout)
    # One sentence: one line, one full stop, and it says who applies the change.
    assert "\n" not in sentence and sentence.endswith(".") and sentence.count(". ") == 0
    assert "administrator" in sentence and "nothing was changed" in sentence
    positions = [formats.find(HEADERS[f]) for f in ("json", "cli", "cloudformation", "terraform")]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), formats
    assert "Nothing was written. Run again" not in result.stdout
    assert state_of(own_managed) == original
    assert not (tmp_path / "backups").exists() or not list((tmp_path / "backups").iterdir())

    only = run("fix", "--apply", "--format", "terraform")
    assert only.returncode == 1, only.stdout + only.stderr
    sentence_again, formats = _handoff_part(only.stdout)
    assert sentence_again == sentence
    assert HEADERS["terraform"] in formats
    assert formats.count("==> ") == 1
    terraform = formats.split(HEADERS["terraform"], 1)[1]
    options = SerializationOptions(explicit_blocks=False, strip_string_quotes=True)
    parsed = hcl2.loads(terraform, serialization_options=options)
    assert {next(iter(block)) for block in parsed["resource"]} == {
        "aws_iam_role_policy",
        "aws_iam_role",
    }
    assert state_of(own_managed) == original


@pytest.mark.parametrize("args", [("--undo", "not-an-id"), ("--undo", "20261122T101500Z-3fa2c1")])
def test_undo_of_an_unknown_backup_is_a_one_line_error(
    run: Run, own_self_service: EmulatorProcess, args: tuple[str, ...]
) -> None:
    original = state_of(own_self_service)
    result = run("fix", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    first, *rest = result.stderr.splitlines()
    assert first.startswith("error: ") and args[1] in first
    # At most the hint follows, indented; never a traceback.
    assert all(line.startswith("  ") for line in rest)
    assert "Traceback" not in result.stderr
    assert state_of(own_self_service) == original
