"""The build engine in-process, against an emulator of its own: stops from another thread
(the REST stop), stops mid-upload, a log that never appears, and builds taken up again by a
restarted server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sm_studio_setup.aws import codebuild as codebuild_io
from sm_studio_setup.errors import BadInput
from sm_studio_setup.service import Service
from sm_studio_setup.service.build.engine import BuildEvent
from sm_studio_setup.service.build.manager import BuildConflict, BuildManager
from sm_studio_setup.service.build.records import BuildRecord, Records, new_id, now
from sm_studio_setup.service.check import CheckOptions
from sm_studio_setup.service.options import BuildOptions

from ..conftest import point_at
from ..emulator_process import EmulatorProcess
from .support import (
    BUCKET,
    NOTHING_LEFT,
    admin,
    build_folder,
    control,
    images,
    leftovers,
)


@pytest.fixture(scope="module")
def emulator(build_emulator: EmulatorProcess) -> EmulatorProcess:
    return build_emulator


@pytest.fixture
def service(
    emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Service]:
    point_at(emulator, monkeypatch, tmp_path / "config")
    found = Service()
    plan = found.fix_plan(CheckOptions())
    if not plan.empty:
        found.fix_apply(plan)
    yield found
    control(emulator, "/codebuild", {"duration_seconds": 1, "fail_phase": ""})


def _events() -> tuple[list[BuildEvent], Callable[[BuildEvent], None]]:
    seen: list[BuildEvent] = []
    return seen, seen.append


def test_a_stop_from_another_thread_ends_stopped_on_codebuild(
    service: Service, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    control(emulator, "/codebuild", {"duration_seconds": 60})
    stop = threading.Event()
    seen, sink = _events()

    def on_event(event: BuildEvent) -> None:
        sink(event)
        if event.kind == "phase" and event.name == "PROVISIONING":
            stop.set()  # as the REST stop does, from the server's request thread

    options = BuildOptions(context=str(build_folder(tmp_path / "p")))
    record = service.build(
        options, on_event, stop=stop, records=Records(tmp_path / "r"), poll_seconds=0.2
    )
    assert record.status == "STOPPED"
    assert any(e.kind == "status" and e.status == "STOPPING" for e in seen)
    [build] = admin(emulator, "codebuild").batch_get_builds(ids=[record.codebuild_id])["builds"]
    assert build["buildStatus"] == "STOPPED"
    assert record.image_uri is None and record.digest is None
    assert record.cleaned
    assert leftovers(emulator) == NOTHING_LEFT


def test_a_stop_during_the_upload_aborts_it(
    service: Service, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    folder = build_folder(tmp_path / "p")
    import os

    (folder / "weights.bin").write_bytes(os.urandom(40 * 1024 * 1024))  # kept: five parts
    stop = threading.Event()
    parts: list[str] = []

    def on_event(event: BuildEvent) -> None:
        if event.kind == "progress":  # the first part is in S3: the upload must be aborted
            parts.append(event.message)
            stop.set()

    record = service.build(
        BuildOptions(context=str(folder)), on_event, stop=stop, records=Records(tmp_path / "r")
    )
    assert record.status == "STOPPED", record.message
    assert record.codebuild_id is None and record.project is None
    assert 0 < record.bytes_uploaded < 40 * 1024 * 1024
    assert parts
    assert leftovers(emulator) == NOTHING_LEFT  # no zip, no unfinished multipart upload


def test_a_log_that_never_appears_ends_with_the_build(
    service: Service, emulator: EmulatorProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = codebuild_io.get_build

    def without_log(session: Any, build_id: str) -> dict[str, Any] | None:
        build = real(session, build_id)
        if build is not None:
            build["logs"] = {"groupName": "/aws/codebuild/never-created", "streamName": "x"}
        return build

    monkeypatch.setattr(codebuild_io, "get_build", without_log)
    started = time.monotonic()
    record = service.build(
        BuildOptions(context=str(build_folder(tmp_path / "p"))),
        records=Records(tmp_path / "r"),
        poll_seconds=0.2,
    )
    assert record.status == "SUCCEEDED"
    assert time.monotonic() - started < 60
    assert record.log_lines == 0
    assert any("wrote no log" in w for w in record.warnings)


def _manager(service: Service, folder: Path) -> BuildManager:
    return BuildManager(lambda: service, Records(folder), poll_seconds=0.2)


def _wait(
    manager: BuildManager, build_id: str, until: Callable[[BuildRecord], bool]
) -> BuildRecord:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record = manager.get(build_id)
        if until(record):
            return record
        time.sleep(0.1)
    raise AssertionError(f"build {build_id} never got there: {manager.get(build_id)}")


def test_a_restarted_server_follows_the_build_its_predecessor_left(
    service: Service, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    control(emulator, "/codebuild", {"duration_seconds": 4})
    first = _manager(service, tmp_path / "records")
    started = first.start(BuildOptions(context=str(build_folder(tmp_path / "p"))))
    _wait(first, started.id, lambda r: r.codebuild_id is not None)
    first.shutdown()  # the server goes away while CodeBuild runs the build
    left = first.get(started.id)
    assert left.status == "IN_PROGRESS" and not left.cleaned
    assert leftovers(emulator)["projects"]  # still there: the build is running

    second = _manager(service, tmp_path / "records")
    assert second.recover() == [started.id]
    done = second.wait(started.id, timeout=60)
    assert done.status == "SUCCEEDED", done.message
    assert done.digest and done.image_uri
    assert done.cleaned
    assert leftovers(emulator) == NOTHING_LEFT
    assert second.recover() == []  # nothing left to take up


def test_a_build_whose_server_died_before_codebuild_is_cleaned_up(
    service: Service, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    s3 = admin(emulator, "s3")
    s3.head_bucket(Bucket=BUCKET)
    key = "codebuild-sagemaker-container-dead.zip"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"zip")
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key=key + ".part")["UploadId"]
    records = Records(tmp_path / "records")
    record = BuildRecord(id=new_id(), created=now(), bucket=BUCKET, key=key, uploaded=True)
    records.save(record)
    half = BuildRecord(
        id=new_id(),
        created=now(),
        bucket=BUCKET,
        key=key + ".part",
        uploaded=True,
        upload_id=upload,
    )
    records.save(half)
    manager = BuildManager(lambda: service, records, poll_seconds=0.2)
    assert sorted(manager.recover()) == sorted([record.id, half.id])
    for found in (record, half):
        done = manager.wait(found.id, timeout=30)
        assert done.status == "FAILED" and done.reason == "server-gone"
        assert done.cleaned
    assert leftovers(emulator) == NOTHING_LEFT


def test_one_key_starts_one_build(service: Service, tmp_path: Path) -> None:
    manager = _manager(service, tmp_path / "records")
    options = BuildOptions(context=str(build_folder(tmp_path / "p")))
    first = manager.start(options, "click-1")
    again = manager.start(options, "click-1")
    assert again.id == first.id
    with pytest.raises(BuildConflict):
        manager.start(BuildOptions(context=str(tmp_path / "p"), cache=True), "click-1")
    with pytest.raises(BadInput):
        manager.start(options, "not a key!")
    manager.wait(first.id, timeout=60)
    assert [r.id for r in manager.recent()] == [first.id]


def test_a_missing_folder_is_refused_before_a_record_exists(
    service: Service, tmp_path: Path
) -> None:
    manager = _manager(service, tmp_path / "records")
    with pytest.raises(BadInput) as err:
        manager.start(BuildOptions(context=str(tmp_path / "nowhere")))
    assert err.value.field == "context"
    assert manager.recent() == []


def test_images_pushed_are_in_ecr(
    service: Service, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    record = service.build(
        BuildOptions(context=str(build_folder(tmp_path / "p")), cache=True),
        records=Records(tmp_path / "r"),
        poll_seconds=0.2,
    )
    assert record.status == "SUCCEEDED", record.message
    assert record.digest in {i["imageDigest"] for i in images(emulator)}
    log = "\n".join(Records(tmp_path / "r").read_log(record.id, 0, 10_000)[0])
    assert "[docker] cache-export" in log  # --cache: a registry cache in the same repository


class _Watched(Records):
    """Records that remember every state a reader could have seen."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.seen: list[dict[str, Any]] = []

    def save(self, record: BuildRecord) -> None:
        super().save(record)
        self.seen.append(record.to_json())


@pytest.mark.parametrize("fail_phase", ["", "BUILD"])
def test_a_record_is_final_only_once_everything_is_known(
    service: Service, emulator: EmulatorProcess, tmp_path: Path, fail_phase: str
) -> None:
    # A reader (the sidebar, REST clients) stops following at `final`: by then the digest,
    # the cleanup and the outcome must all be in the record, never in a later save.
    control(emulator, "/codebuild", {"fail_phase": fail_phase})
    records = _Watched(tmp_path / "r")
    record = service.build(
        BuildOptions(context=str(build_folder(tmp_path / "p"))), records=records, poll_seconds=0.2
    )
    assert record.status == ("FAILED" if fail_phase else "SUCCEEDED"), record.message
    finals = [seen for seen in records.seen if seen["final"]]
    assert finals, "the record never became final"
    first = finals[0]
    assert all(f["status"] == first["status"] for f in finals)
    assert first["cleaned"]
    assert all(step["status"] != "IN_PROGRESS" for step in first["steps"])
    if fail_phase:
        assert first["image_uri"] is None and first["digest"] is None
    else:
        assert first["image_uri"] and first["digest"]


def test_a_server_going_away_mid_upload_aborts_it_at_once(
    service: Service, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    """The uploader watched ``stop`` but not the server's detach: a server shut down mid-upload
    left the multipart upload until the next start."""
    import os

    folder = build_folder(tmp_path / "p")
    (folder / "weights.bin").write_bytes(os.urandom(40 * 1024 * 1024))
    manager = BuildManager(lambda: service, Records(tmp_path / "r"), poll_seconds=0.2)
    uploading = threading.Event()
    manager._on_event = lambda e: uploading.set() if e.kind == "progress" else None
    started = manager.start(BuildOptions(context=str(folder)))
    assert uploading.wait(60)
    manager.shutdown(timeout=30)
    record = manager.get(started.id)
    assert record.status == "STOPPED", record.message
    assert record.codebuild_id is None
    assert leftovers(emulator) == NOTHING_LEFT


def test_an_upload_begun_but_never_recorded_is_aborted_by_the_cleanup(
    service: Service, emulator: EmulatorProcess, tmp_path: Path
) -> None:
    """A server that died between CreateMultipartUpload and saving its id left an upload no
    record named; the cleanup lists the build's own key and aborts what it finds."""
    s3 = admin(emulator, "s3")
    key = "codebuild-sagemaker-container-unrecordedAAAAAA.zip"
    if BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=BUCKET)
    orphan = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    other = s3.create_multipart_upload(Bucket=BUCKET, Key=key + ".not-ours")["UploadId"]
    records = Records(tmp_path / "r")
    record = BuildRecord(id=new_id(), created=now(), status="FAILED")
    record.bucket, record.key, record.uploaded = BUCKET, key, True
    records.save(record)
    manager = BuildManager(lambda: service, records, poll_seconds=0.2)
    assert manager.recover() == [record.id]
    manager.wait(record.id, 60)
    left = {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])}
    assert orphan not in left
    assert other in left  # only the build's own key is touched
    s3.abort_multipart_upload(Bucket=BUCKET, Key=key + ".not-ours", UploadId=other)
