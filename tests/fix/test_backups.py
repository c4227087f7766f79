"""Issue 11, item 10: a backup is restored into IAM as it is found, so it is trusted only when
no one else could have written it, it holds what a backup of ours holds, and an undo shows
what it will write before it writes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.service import Service, backups
from sm_studio_setup.service.backups import InvalidBackupError, UnsafeBackupsError
from sm_studio_setup.service.fix import Settle

from ..roles import raw_iam, role_state

FAST = Settle(attempts=8, first_delay=0.01, max_delay=0.05)
ROLE_NAME = "AmazonSageMaker-ExecutionRole-20261122T000000"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(seed="demo", scenario="self-service") as running:
        yield running


@pytest.fixture
def config(emu: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name, value in emu.client_env().items():
        monkeypatch.setenv(name, value)
    folder = tmp_path / "config"
    monkeypatch.setenv("SM_STUDIO_SETUP_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def applied(emu: Emulator, config: Path) -> Iterator[tuple[Service, str]]:
    service = Service(emu.studio_session())
    original = role_state(raw_iam(emu.admin_session()))
    result = service.fix_apply(service.fix_plan(), settle=FAST)
    assert result.backup_id is not None
    yield service, result.backup_id
    # Put the shared role back whatever the test did.
    iam = raw_iam(emu.admin_session())
    iam.update_assume_role_policy(RoleName=ROLE_NAME, PolicyDocument=original["trust"])
    for name in iam.list_role_policies(RoleName=ROLE_NAME)["PolicyNames"]:
        if name not in original["inline"]:
            iam.delete_role_policy(RoleName=ROLE_NAME, PolicyName=name)


def test_a_folder_others_may_write_to_is_refused_before_any_write(
    emu: Emulator, config: Path
) -> None:
    (config / "backups").mkdir(parents=True)
    os.chmod(config / "backups", 0o777)
    service = Service(emu.studio_session())
    before = role_state(raw_iam(emu.admin_session()))
    with pytest.raises(Exception) as refused:
        service.fix_apply(service.fix_plan(), settle=FAST)
    assert "may be written by other users" in str(refused.value)
    assert "Nothing was changed" in str(refused.value)
    assert role_state(raw_iam(emu.admin_session())) == before
    with pytest.raises(UnsafeBackupsError):
        backups.list_backups()


def test_a_symlinked_folder_is_not_followed(config: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    config.mkdir(mode=0o700)
    (config / "backups").symlink_to(elsewhere)
    with pytest.raises(UnsafeBackupsError, match="symbolic link"):
        backups.list_backups()
    with pytest.raises(UnsafeBackupsError):
        backups.load("20261122T101500Z-3fa2c1")


def _edit(backup_id: str, change: dict[str, object]) -> None:
    path = backups.path_of(backup_id)
    body = json.loads(path.read_text())
    body.update(change)
    path.write_text(json.dumps(body))


def test_an_edited_backup_is_shown_before_it_is_written(applied: tuple[Service, str]) -> None:
    service, backup_id = applied
    path = backups.path_of(backup_id)
    body = json.loads(path.read_text())
    trust = next(d for d in body["documents"] if d["kind"] == "trust")
    hostile = json.loads(trust["before"])
    hostile["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
            "Action": "sts:AssumeRole",
        }
    )
    trust["before"] = json.dumps(hostile)
    path.write_text(json.dumps(body))
    # The undo says what it would write, stranger included, and writes nothing.
    before = role_state(raw_iam(service.session))
    preview = service.fix_undo_plan(backup_id)
    added = [line for line in preview.diff().splitlines() if line.startswith("+")]
    assert any("arn:aws:iam::999999999999:root" in line for line in added)
    (restored,) = [d for d in preview.to_json()["documents"] if d["kind"] == "trust"]
    assert "999999999999" in restored["after"]
    assert role_state(raw_iam(service.session)) == before


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"id": "20261122T101500Z-000000"}, "names itself"),
        ({"role_arn": "arn:aws:iam::123456789012:role/x\nrm -rf /"}, "not one this tool wrote"),
        ({"operation": "rm"}, "cannot be used"),
    ],
)
def test_a_backup_that_is_not_ours_is_refused(
    applied: tuple[Service, str], change: dict[str, object], why: str
) -> None:
    service, backup_id = applied
    _edit(backup_id, change)
    with pytest.raises(InvalidBackupError, match=why):
        service.fix_undo_plan(backup_id)
    with pytest.raises(InvalidBackupError):
        service.fix_undo(backup_id, force=True, settle=FAST)


def test_a_backup_naming_someone_elses_policy_is_refused(applied: tuple[Service, str]) -> None:
    service, backup_id = applied
    path = backups.path_of(backup_id)
    body = json.loads(path.read_text())
    inline = next(d for d in body["documents"] if d["kind"] == "inline")
    inline["name"] = "AdministratorAccess-inline"
    path.write_text(json.dumps(body))
    with pytest.raises(InvalidBackupError, match="never writes"):
        service.fix_undo(backup_id, force=True, settle=FAST)


def test_a_backup_file_that_is_a_link_or_open_to_others_is_refused(
    applied: tuple[Service, str], tmp_path: Path
) -> None:
    service, backup_id = applied
    path = backups.path_of(backup_id)
    os.chmod(path, 0o666)
    with pytest.raises(UnsafeBackupsError, match="may be written by other users"):
        service.fix_undo_plan(backup_id)
    os.chmod(path, 0o600)
    moved = tmp_path / "moved.json"
    path.rename(moved)
    path.symlink_to(moved)
    with pytest.raises(UnsafeBackupsError, match="symbolic link"):
        service.fix_undo_plan(backup_id)


def test_a_backup_of_another_accounts_role_is_not_restored_here(
    applied: tuple[Service, str],
) -> None:
    service, backup_id = applied
    _edit(backup_id, {"role_arn": f"arn:aws:iam::999999999999:role/service-role/{ROLE_NAME}"})
    with pytest.raises(Exception, match="account 999999999999"):
        service.fix_undo(backup_id, force=True, settle=FAST)
