"""The report's files are byte for byte what they were before the report was made faster (commit 054fc28).

The digests were made with that commit's code (how: tests/analysis/report_golden.py); stats.json's
clock is blanked. A difference here means the page, transcript, CSV or JSON a person gets has changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.analysis.report_golden import RECORDS, record_digests
from transcripts.db import Database

GOLDEN = json.loads((Path(__file__).parent / "data" / "report_golden.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("record", RECORDS)
def test_report_files_are_byte_identical_to_the_old_code(
    record: str, db: Database, seed_chat: Path, tmp_path: Path
) -> None:
    assert record_digests(record, db, seed_chat, tmp_path) == GOLDEN[record]
