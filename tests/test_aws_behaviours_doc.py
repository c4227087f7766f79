"""docs/aws-behaviours.md stays true to the code: every probe's premise is listed with whether
it is confirmed, every test it names exists, and every behaviour the emulator adds through its
control API is sourced there."""

from __future__ import annotations

import re

from sm_studio_setup.aws.probes import PREMISES

from .emulator_process import REPO

DOC = (REPO / "docs" / "aws-behaviours.md").read_text(encoding="utf-8")


def test_every_probe_premise_is_listed_as_the_code_marks_it() -> None:
    for text, source in PREMISES.values():
        # Prettier pads a table's cells to the column's width.
        cell = re.compile(rf"^\| {re.escape(text)} +\|")
        [row] = [line for line in DOC.splitlines() if cell.match(line)]
        if source is None:
            assert "**unconfirmed**" in row, row
        else:
            assert source in row, row


def test_every_test_the_document_names_exists() -> None:
    named = set(re.findall(r"`(tests/[\w/]+\.py)`", DOC))
    assert named
    missing = sorted(path for path in named if not (REPO / path).is_file())
    assert missing == []


def test_every_behaviour_the_control_api_adds_is_in_the_document() -> None:
    for words in (
        "POST /scps",
        "POST /sagemaker",
        "POST /studio/restart",
        "--propagation-seconds",
        "POST /docker",
        "--provisioning-seconds",
        "--docker enabled",
    ):
        assert words in DOC, words
