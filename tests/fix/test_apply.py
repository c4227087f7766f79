"""Issue 6's acceptance for apply and undo, against the emulator: the fix closes the gaps and
keeps Studio's trust; every failure leaves the role byte-identical and says so; a concurrent
edit stops it; a denied write hands the change off; undo restores exactly."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import hcl2
import pytest
import yaml
from botocore.exceptions import ReadTimeoutError
from hcl2.utils import SerializationOptions

from sm_studio_setup.emulator.core.server import Emulator
from sm_studio_setup.errors import SetupError
from sm_studio_setup.iam import can_assume
from sm_studio_setup.repair.plan import Plan
from sm_studio_setup.requirements.model import Requirement
from sm_studio_setup.service import Service, backups
from sm_studio_setup.service.check import CheckOptions
from sm_studio_setup.service.fix import (
    FixFailedError,
    QuotaExceededError,
    RoleChangedError,
    Settle,
)

from .. import roles
from ..openapi import validate
from ..roles import OURS, raw_iam

FAST = Settle(attempts=4, first_delay=0.001, max_delay=0.01)
WRITES = ("iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(seed="demo", scenario="self-service") as running:
        yield running


def role_state(emu: Emulator) -> dict[str, Any]:
    return roles.role_state(raw_iam(emu.admin_session()), role_name(emu))


def role_name(emu: Emulator) -> str:
    assert emu.seed_info is not None
    return emu.seed_info.role_arn.rsplit("/", 1)[-1]


@pytest.fixture
def service(emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """The Studio role's view, with the role reset to the seed afterwards."""
    monkeypatch.setenv(backups.CONFIG_ENV, str(tmp_path / "config"))
    before = role_state(emu)
    emu.counter.reset()
    yield Service(emu.studio_session())
    emu.faults.stale_reads(0)
    for op in (*WRITES, "iam:GetRole", "iam:GetRolePolicy"):
        emu.faults.throttle(op, 0)
    iam = emu.admin_session().client("iam")
    name = role_name(emu)
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        if policy not in before["inline"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
    for policy, text in before["inline"].items():
        iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=text)
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=before["trust"])


def writes(emu: Emulator) -> dict[str, int]:
    counts = emu.counter.snapshot()["by_operation"]
    return {op: counts[op] for op in WRITES if counts.get(op)}


def fresh_check(service: Service, **options: Any) -> Any:
    return service.check(CheckOptions(refresh=True, **options))


# ----------------------------------------------------------------------------- end to end


def test_check_gaps_then_fix_then_ready_with_studio_trust_kept(
    emu: Emulator, service: Service
) -> None:
    assert fresh_check(service).verdict == "gaps"
    plan = service.fix_plan()
    assert plan.applicable and plan.trust_after is not None and plan.policy_after is not None

    result = service.fix_apply(plan, settle=FAST)

    assert result.status == "applied", result.message
    assert result.backup_id is not None
    assert fresh_check(service).verdict == "ready"
    document = emu.admin_session().client("iam").get_role(RoleName=role_name(emu))["Role"]
    studio = document["AssumeRolePolicyDocument"]
    assert can_assume(studio, "sagemaker.amazonaws.com").allowed
    project = "arn:aws:codebuild:us-east-1:123456789012:project/sagemaker-studio-image-build-X"
    assert can_assume(
        studio,
        "codebuild.amazonaws.com",
        {"aws:SourceAccount": "123456789012", "aws:SourceArn": project},
    ).allowed
    # The backup holds the exact text the role had, and only what was overwritten.
    saved = backups.load(result.backup_id)
    assert saved.outcome == "applied"
    assert {(d.kind, d.name) for d in saved.documents} == {("trust", ""), ("inline", OURS)}
    assert Path(backups.path_of(result.backup_id)).stat().st_mode & 0o077 == 0


def test_a_second_apply_of_the_same_plan_writes_nothing(emu: Emulator, service: Service) -> None:
    plan = service.fix_plan()
    assert service.fix_apply(plan, settle=FAST).status == "applied"
    emu.counter.reset()

    again = service.fix_apply(plan, settle=FAST)

    assert again.status == "unchanged"
    assert writes(emu) == {}
    assert service.fix_plan().empty


def test_eventual_consistency_is_waited_out(emu: Emulator, service: Service) -> None:
    emu.faults.stale_reads(2)
    plan = service.fix_plan()

    result = service.fix_apply(plan, settle=FAST)

    assert result.status == "applied"
    assert result.reads_to_settle == 3  # two stale reads, then what was written
    assert fresh_check(service).verdict == "ready"


# ----------------------------------------------------------------------------- faults


@pytest.mark.parametrize("operation", ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"])
def test_a_failed_write_leaves_the_role_byte_identical(
    emu: Emulator, service: Service, operation: str
) -> None:
    before = role_state(emu)
    plan = service.fix_plan()
    emu.faults.stale_reads(2)  # the restore must wait out consistency too
    emu.faults.throttle(operation, 1, code="LimitExceeded")

    with pytest.raises(FixFailedError) as failed:
        service.fix_apply(plan, settle=FAST)

    assert role_state(emu) == before
    message = str(failed.value)
    assert operation in message and "LimitExceeded" in message
    if operation == "iam:PutRolePolicy":
        # The first write: nothing was written, so there is nothing to undo.
        assert "nothing was changed" in message
        assert backups.list_backups() == []
    else:
        assert "restored and verified" in message
        saved = backups.list_backups()[0]
        assert failed.value.details == {
            "backup_id": saved.id,
            "restored": True,
            "path": str(backups.path_of(saved.id)),
        }
        assert backups.list_backups()[0].outcome == "rolled-back"


@pytest.mark.parametrize(
    ("operation", "after"),
    # The apply's own reading of the role before writing makes one GetRole call and one
    # GetRolePolicy (the seed's studio-self-service policy): fail the read-back after it.
    [("iam:GetRole", 1), ("iam:GetRolePolicy", 1), ("iam:ListRolePolicies", 1)],
)
def test_a_failed_verification_restores_the_role(
    emu: Emulator, service: Service, operation: str, after: int
) -> None:
    before = role_state(emu)
    plan = service.fix_plan()
    emu.faults.throttle(operation, 1, code="ServiceFailure", after=after)

    with pytest.raises(FixFailedError) as failed:
        service.fix_apply(plan, settle=FAST)

    assert role_state(emu) == before
    assert "verify" in str(failed.value) and "restored and verified" in str(failed.value)
    assert failed.value.details["restored"] is True


def test_a_read_back_that_never_settles_is_bounded_and_restored(
    emu: Emulator, service: Service
) -> None:
    before = role_state(emu)
    plan = service.fix_plan()
    emu.faults.stale_reads(FAST.attempts + 1)

    with pytest.raises(FixFailedError) as failed:
        service.fix_apply(plan, settle=FAST)

    assert role_state(emu) == before
    assert f"after {FAST.attempts} reads" in str(failed.value)


def test_a_failed_restore_says_how_to_undo(emu: Emulator, service: Service) -> None:
    before = role_state(emu)
    plan = service.fix_plan()
    # The trust write fails, and so does the restore's DeleteRolePolicy of the new policy.
    emu.faults.throttle("iam:UpdateAssumeRolePolicy", 1, code="ServiceFailure")
    emu.faults.throttle("iam:DeleteRolePolicy", 1, code="ServiceFailure")

    with pytest.raises(FixFailedError) as failed:
        service.fix_apply(plan, settle=FAST)

    backup_id = failed.value.details["backup_id"]
    assert failed.value.details["restored"] is False
    assert f"`sm-studio-setup fix --undo {backup_id}`" in failed.value.hint_for("cli")
    assert f"`%sm_setup fix --undo {backup_id}`" in failed.value.hint_for("magic")
    assert f'POST fix/undo {{"backup_id": "{backup_id}"}}' in failed.value.hint_for("rest")
    assert backups.load(backup_id).outcome == "restore-failed"
    # The backup is enough to put the role back exactly.
    # No --force needed: what the failed restore did put back is left alone.
    assert service.fix_undo(backup_id, settle=FAST).status == "applied"
    assert role_state(emu) == before


def test_an_unwritable_backup_folder_stops_before_any_write(
    emu: Emulator, service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder should be")
    monkeypatch.setenv(backups.CONFIG_ENV, str(blocker))
    before = role_state(emu)
    plan = service.fix_plan()
    emu.counter.reset()

    with pytest.raises(Exception, match="Cannot save the backup") as failed:
        service.fix_apply(plan, settle=FAST)

    assert "Nothing was changed" in str(failed.value)
    assert writes(emu) == {}
    assert role_state(emu) == before


# ----------------------------------------------------------------------------- concurrency


def test_a_concurrent_edit_is_detected_and_nothing_is_written(
    emu: Emulator, service: Service
) -> None:
    plan = service.fix_plan()
    admin = emu.admin_session().client("iam")
    admin.put_role_policy(
        RoleName=role_name(emu),
        PolicyName="added-by-a-colleague",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            }
        ),
    )
    edited = role_state(emu)
    emu.counter.reset()

    with pytest.raises(RoleChangedError, match="changed since the plan"):
        service.fix_apply(plan, settle=FAST)

    assert writes(emu) == {}
    assert role_state(emu) == edited
    assert backups.list_backups() == []


def test_a_whitespace_only_edit_of_the_trust_policy_counts_as_a_change(
    emu: Emulator, service: Service
) -> None:
    plan = service.fix_plan()
    admin = raw_iam(emu.admin_session())
    text = admin.get_role(RoleName=role_name(emu))["Role"]["AssumeRolePolicyDocument"]
    admin.update_assume_role_policy(
        RoleName=role_name(emu), PolicyDocument=json.dumps(json.loads(unquote(text)), indent=4)
    )
    with pytest.raises(RoleChangedError):
        service.fix_apply(plan, settle=FAST)


# ----------------------------------------------------------------------------- hand-off


def deny_own_writes(emu: Emulator, *actions: str) -> None:
    admin = emu.admin_session().client("iam")
    assert emu.seed_info is not None
    admin.put_role_policy(
        RoleName=role_name(emu),
        PolicyName="no-self-edit",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": list(actions),
                        "Resource": emu.seed_info.role_arn,
                    }
                ],
            }
        ),
    )


def assert_handoff_parses(plan: Plan, handoff: dict[str, str]) -> None:
    assert plan.policy_after is not None and plan.trust_after is not None
    data = json.loads(handoff["json"])
    assert data["inline_policies"] == {OURS: plan.policy_after}
    assert data["trust_policy"] == plan.trust_after

    commands = [
        shlex.split(c)
        for c in handoff["cli"].replace("\\\n", " ").splitlines()
        if c.startswith("aws ")
    ]
    documents = {c[2]: json.loads(c[c.index("--policy-document") + 1]) for c in commands}
    assert documents == {
        "put-role-policy": plan.policy_after,
        "update-assume-role-policy": plan.trust_after,
    }

    template, fragment = list(yaml.safe_load_all(handoff["cloudformation"]))
    (resource,) = template["Resources"].values()
    assert resource["Type"] == "AWS::IAM::RolePolicy"
    assert resource["Properties"]["PolicyDocument"] == plan.policy_after
    assert fragment["AssumeRolePolicyDocument"] == plan.trust_after

    options = SerializationOptions(explicit_blocks=False, strip_string_quotes=True)
    parsed = hcl2.loads(handoff["terraform"], serialization_options=options)
    kinds = {next(iter(block)) for block in parsed["resource"]}
    assert kinds == {"aws_iam_role_policy", "aws_iam_role"}


def test_a_role_that_may_not_write_its_policies_hands_off_the_change(
    emu: Emulator, service: Service
) -> None:
    deny_own_writes(emu, "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy")
    before = role_state(emu)
    plan = service.fix_plan()

    result = service.fix_apply(plan, settle=FAST)

    assert result.status == "handoff"
    assert result.denied_action == "iam:PutRolePolicy"
    assert "may not change itself" in result.message and result.message.count(".") <= 1
    assert role_state(emu) == before
    assert backups.list_backups() == []  # nothing was written: nothing to undo
    assert result.handoff is not None
    assert_handoff_parses(plan, result.handoff)


def test_a_role_that_may_write_its_policy_but_not_its_trust_restores_and_hands_off(
    emu: Emulator, service: Service
) -> None:
    deny_own_writes(emu, "iam:UpdateAssumeRolePolicy")
    before = role_state(emu)
    plan = service.fix_plan()

    result = service.fix_apply(plan, settle=FAST)

    assert result.status == "handoff"
    assert result.denied_action == "iam:UpdateAssumeRolePolicy"
    assert "restored" in result.message
    assert role_state(emu) == before
    assert result.handoff is not None
    assert_handoff_parses(plan, result.handoff)


def test_a_plan_over_a_blocking_quota_writes_nothing(emu: Emulator, service: Service) -> None:
    admin = emu.admin_session().client("iam")
    statements = [
        {
            "Sid": f"Padding{i}",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::padding-bucket-{i:04d}/some/long/prefix/*",
        }
        for i in range(110)
    ]
    admin.put_role_policy(
        RoleName=role_name(emu),
        PolicyName="large",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    plan = service.fix_plan()
    assert not plan.applicable
    emu.counter.reset()

    with pytest.raises(QuotaExceededError, match="customer managed policy"):
        service.fix_apply(plan, settle=FAST)
    assert writes(emu) == {}


# ----------------------------------------------------------------------------- merge


def test_a_later_fix_merges_with_our_earlier_policy(emu: Emulator, service: Service) -> None:
    first = service.fix_plan(CheckOptions(repository="model-a"))
    assert service.fix_apply(first, settle=FAST).status == "applied"
    assert fresh_check(service, repository="model-b").verdict == "gaps"

    second = service.fix_plan(CheckOptions(repository="model-b"))

    assert second.policy_before == first.policy_after
    assert second.trust_after is None  # CodeBuild is trusted already
    assert service.fix_apply(second, settle=FAST).status == "applied"
    assert fresh_check(service, repository="model-a").verdict == "ready"
    assert fresh_check(service, repository="model-b").verdict == "ready"


def test_policies_we_did_not_write_are_never_touched(emu: Emulator, service: Service) -> None:
    theirs = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Theirs",
                    "Effect": "Allow",
                    "Action": "ecr:DescribeImages",
                    "Resource": "*",
                }
            ],
        },
        indent=3,
    )
    emu.admin_session().client("iam").put_role_policy(
        RoleName=role_name(emu), PolicyName="team-policy", PolicyDocument=theirs
    )
    before = role_state(emu)["inline"]["team-policy"]
    plan = service.fix_plan()
    assert set(plan.change.policies) == {OURS}
    assert service.fix_apply(plan, settle=FAST).status == "applied"
    assert role_state(emu)["inline"]["team-policy"] == before


# ----------------------------------------------------------------------------- undo


def test_undo_restores_the_documents_byte_for_byte(emu: Emulator, service: Service) -> None:
    before = role_state(emu)
    result = service.fix_apply(service.fix_plan(), settle=FAST)
    assert result.backup_id is not None and role_state(emu) != before

    undone = service.fix_undo(result.backup_id, settle=FAST)

    assert undone.status == "applied"
    assert role_state(emu) == before
    assert fresh_check(service).verdict == "gaps"
    assert backups.load(result.backup_id).outcome == "undone"
    # Undoing twice changes nothing; the undo itself was backed up and can be undone.
    assert service.fix_undo(result.backup_id, settle=FAST).status == "unchanged"
    assert undone.backup_id is not None
    assert service.fix_undo(undone.backup_id, settle=FAST).status == "applied"
    assert fresh_check(service).verdict == "ready"


def test_undo_refuses_to_lose_a_later_edit_unless_forced(emu: Emulator, service: Service) -> None:
    before = role_state(emu)
    result = service.fix_apply(service.fix_plan(), settle=FAST)
    assert result.backup_id is not None
    admin = emu.admin_session().client("iam")
    admin.put_role_policy(
        RoleName=role_name(emu),
        PolicyName=OURS,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "ecr:DescribeImages", "Resource": "*"}],
            }
        ),
    )
    emu.counter.reset()

    with pytest.raises(RoleChangedError, match="changed since the fix"):
        service.fix_undo(result.backup_id, settle=FAST)
    assert writes(emu) == {}

    assert service.fix_undo(result.backup_id, force=True, settle=FAST).status == "applied"
    assert role_state(emu) == before


def test_undo_of_an_unknown_backup_says_where_to_look(service: Service) -> None:
    with pytest.raises(backups.BackupNotFoundError, match="no backup"):
        service.fix_undo("20260101T000000Z-abcdef")
    with pytest.raises(backups.BackupNotFoundError, match="not a backup id"):
        service.fix_undo("../../etc/passwd")
    with pytest.raises(backups.BackupNotFoundError, match="not a backup id"):
        service.fix_undo("20260101T000000Z-abcdef\n")


def test_backups_are_kept_in_the_config_folder(service: Service, tmp_path: Path) -> None:
    result = service.fix_apply(service.fix_plan(), settle=FAST)
    assert result.backup_id is not None
    path = backups.path_of(result.backup_id)
    assert path.parent == tmp_path / "config" / "backups"
    assert os.path.exists(path)
    assert [b.id for b in service.list_backups()] == [result.backup_id]


def test_a_role_that_may_not_list_its_policies_still_merges_and_backs_up_ours(
    emu: Emulator, service: Service
) -> None:
    earlier = service.fix_apply(service.fix_plan(CheckOptions(repository="model-a")), settle=FAST)
    assert earlier.status == "applied"
    deny_own_writes(emu, "iam:ListRolePolicies")

    plan = service.fix_plan(CheckOptions(repository="model-b"))

    # Our policy was read by name: merged with, not replaced.
    assert plan.policy_before is not None
    assert any("quota" in note for note in plan.notes)
    result = service.fix_apply(plan, settle=FAST)
    assert result.status == "applied", result.message
    assert result.backup_id is not None
    (saved,) = backups.load(result.backup_id).documents
    assert saved.name == OURS and saved.before is not None
    assert json.loads(saved.before) == plan.policy_before


@pytest.mark.parametrize("operation", ["iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy"])
def test_a_failed_undo_leaves_the_role_as_the_fix_left_it(
    emu: Emulator, service: Service, operation: str
) -> None:
    result = service.fix_apply(service.fix_plan(), settle=FAST)
    assert result.backup_id is not None
    fixed = role_state(emu)
    # The undo deletes our policy, then writes the trust policy back; a fault at either write
    # leaves the role as the fix left it (after the first, the delete is restored).
    emu.faults.throttle(operation, 1, code="ServiceFailure")

    with pytest.raises(FixFailedError) as failed:
        service.fix_undo(result.backup_id, settle=FAST)

    assert role_state(emu) == fixed
    assert operation in str(failed.value)
    assert backups.load(result.backup_id).outcome == "applied"  # still undoable
    assert service.fix_undo(result.backup_id, settle=FAST).status == "applied"


def test_what_was_written_is_rejudged_and_a_document_that_does_not_grant_is_undone(
    emu: Emulator, service: Service
) -> None:
    before = role_state(emu)
    plan = service.fix_plan()
    assert plan.policy_after is not None
    # The same plan, but its policy lost the PassRole statement on the way to IAM.
    crippled = {
        **plan.policy_after,
        "Statement": [s for s in plan.policy_after["Statement"] if s["Action"] != "iam:PassRole"],
    }

    with pytest.raises(FixFailedError, match="re-check") as failed:
        service.fix_apply(dataclasses.replace(plan, policy_after=crippled), settle=FAST)

    assert "iam:PassRole" in str(failed.value)
    assert role_state(emu) == before


def test_an_interrupted_apply_restores_what_it_wrote(
    emu: Emulator, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = role_state(emu)
    plan = service.fix_plan()

    pressed: list[float] = []

    def interrupt(seconds: float) -> None:
        if not pressed:  # Ctrl-C once; the restore's own waits go on
            pressed.append(seconds)
            raise KeyboardInterrupt

    emu.faults.stale_reads(1)  # the read-back waits once: that is where Ctrl-C lands
    with pytest.raises(KeyboardInterrupt):
        service.fix_apply(plan, settle=dataclasses.replace(FAST, sleep=interrupt))

    assert pressed
    assert role_state(emu) == before
    assert backups.list_backups()[0].outcome == "rolled-back"


def test_the_response_carries_the_backup_too(service: Service) -> None:
    result = service.fix_apply(service.fix_plan(), settle=FAST)
    assert result.backup is not None and result.backup_id is not None
    assert result.backup == backups.load(result.backup_id).to_json()
    validate(result.to_json(), "FixResult")
    trust = next(d for d in result.backup["documents"] if d["kind"] == "trust")
    assert "sagemaker.amazonaws.com" in trust["before"]
    assert "codebuild.amazonaws.com" not in trust["before"]


def test_a_write_whose_answer_was_lost_is_restored_too(emu: Emulator, service: Service) -> None:
    """IAM stored the trust policy, but the answer never arrived (a read timeout): the fix
    cannot know, so it restores that document as well as the ones it knows it wrote."""
    before = role_state(emu)
    session = service.session
    lost: list[str] = []

    def lose_the_answer(**kwargs: Any) -> None:
        if not lost:
            lost.append("UpdateAssumeRolePolicy")
            raise ReadTimeoutError(endpoint_url=emu.endpoint_url)

    session._session.register("after-call.iam.UpdateAssumeRolePolicy", lose_the_answer)  # type: ignore[attr-defined]
    try:
        with pytest.raises(FixFailedError, match="restored and verified"):
            service.fix_apply(service.fix_plan(), settle=FAST)
    finally:
        session._session.unregister("after-call.iam.UpdateAssumeRolePolicy", lose_the_answer)  # type: ignore[attr-defined]
    assert lost
    assert role_state(emu) == before


def test_a_first_write_that_failed_on_the_server_side_is_restored(
    emu: Emulator, service: Service
) -> None:
    before = role_state(emu)
    emu.faults.throttle("iam:PutRolePolicy", 1, code="ServiceFailure")

    with pytest.raises(FixFailedError, match="restored and verified"):
        service.fix_apply(service.fix_plan(), settle=FAST)

    assert role_state(emu) == before
    assert backups.list_backups()[0].outcome == "rolled-back"


def test_a_trust_policy_the_role_may_not_read_back_is_handed_off(
    emu: Emulator, service: Service
) -> None:
    deny_own_writes(emu, "iam:GetRole")  # ListRoles still shows the trust policy
    before = role_state(emu)
    plan = service.fix_plan()
    assert plan.trust_after is not None
    emu.counter.reset()

    result = service.fix_apply(plan, settle=FAST)

    assert result.status == "handoff"
    assert result.denied_action == "iam:GetRole"
    assert writes(emu) == {}
    assert role_state(emu) == before


def test_a_second_apply_is_a_no_op_when_the_list_is_hidden(emu: Emulator, service: Service) -> None:
    deny_own_writes(emu, "iam:ListRolePolicies")
    plan = service.fix_plan()
    assert service.fix_apply(plan, settle=FAST).status == "applied"
    emu.counter.reset()

    assert service.fix_apply(plan, settle=FAST).status == "unchanged"
    assert writes(emu) == {}


def test_concurrent_applies_of_two_plans_write_one_of_them(emu: Emulator, service: Service) -> None:
    first = service.fix_plan(CheckOptions(repository="model-a"))
    second = service.fix_plan(CheckOptions(repository="model-b"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(service.fix_apply, p, settle=FAST) for p in (first, second)]
    outcomes = []
    for future in futures:
        try:
            outcomes.append(future.result().status)
        except RoleChangedError:
            outcomes.append("role_changed")
    assert sorted(outcomes) == ["applied", "role_changed"]
    winner = first if outcomes[0] == "applied" else second
    iam = emu.admin_session().client("iam")
    written = iam.get_role_policy(RoleName=role_name(emu), PolicyName=OURS)["PolicyDocument"]
    assert written == winner.policy_after


def test_an_error_of_ours_mid_apply_restores_and_says_so(emu: Emulator, service: Service) -> None:
    before = role_state(emu)
    plan = service.fix_plan()
    broken = Requirement(
        who="trust", action="sts:AssumeRole", resource="*", step="x", why="x", source="test"
    )  # no principal: judging it raises, as a bug in the re-check would

    with pytest.raises(FixFailedError, match="unexpected error"):
        service.fix_apply(dataclasses.replace(plan, trusted=(broken,)), settle=FAST)

    assert role_state(emu) == before


def test_roles_of_another_account_are_refused_before_anything(
    emu: Emulator, service: Service
) -> None:
    plan = service.fix_plan()
    elsewhere = plan.role_arn.replace("123456789012", "210987654321")
    emu.counter.reset()

    with pytest.raises(SetupError, match="account 210987654321"):
        service.fix_apply(dataclasses.replace(plan, role_arn=elsewhere), settle=FAST)

    assert writes(emu) == {}


@pytest.mark.usefixtures("service")  # the role is reset afterwards
def test_a_new_default_version_of_an_attached_policy_counts_as_a_change(emu: Emulator) -> None:
    admin = emu.admin_session().client("iam")
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
    }
    arn = admin.create_policy(PolicyName="team-managed", PolicyDocument=json.dumps(document))[
        "Policy"
    ]["Arn"]
    admin.attach_role_policy(RoleName=role_name(emu), PolicyArn=arn)
    # An administrator's view: the Studio role may not read this policy at all.
    assert emu.seed_info is not None
    as_admin = Service(emu.admin_session())
    options = CheckOptions(role=emu.seed_info.role_arn)
    try:
        plan = as_admin.fix_plan(options)
        document["Statement"][0]["Action"] = "s3:GetObject"
        admin.create_policy_version(
            PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True
        )
        with pytest.raises(RoleChangedError):
            as_admin.fix_apply(plan, settle=FAST)
    finally:
        admin.detach_role_policy(RoleName=role_name(emu), PolicyArn=arn)


def test_an_unmerged_policy_warns_whoever_applies_the_hand_off(
    emu: Emulator, service: Service
) -> None:
    deny_own_writes(emu, "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:PutRolePolicy")
    plan = service.fix_plan()
    assert plan.policy_unread

    result = service.fix_apply(plan, settle=FAST)

    assert result.status == "handoff" and result.handoff is not None
    for fmt, text in result.handoff.items():
        assert "could not be read" in text, fmt
    assert json.loads(result.handoff["json"])["warnings"]
    assert_handoff_parses(plan, result.handoff)
