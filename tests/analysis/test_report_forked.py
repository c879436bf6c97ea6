"""write_report(fork=True), as `huddlebot report` calls it: the transcript files written by a forked process
while this one analyses the text must be byte for byte those of the one-process report.

The pinned digests of test_report_golden.py are checked again with the files written the forked way, and a
chat long enough to have transcript pages (PAGED_OVER made small) is written both ways and compared file by
file. A chat of more than FORK_UP_TO posts is written in one process whatever `fork` says.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

import analysis.beside
import analysis.report as report_module
import transcripts.snapshot as snapshot_module
from benchmarks.generate_x_chat import generate
from tests.analysis.report_golden import RECORDS, digest, record_digests
from transcripts.db import Database
from transcripts.importers import import_path

GOLDEN = json.loads((Path(__file__).parent / "data" / "report_golden.json").read_text(encoding="utf-8"))


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """write_report called with fork=True, forking even on one core; the list says each time whether it forked."""
    forks: list[bool] = []
    original = analysis.beside.Beside.__init__

    def counted(self: analysis.beside.Beside, work: object, *, fork: bool) -> None:
        forks.append(fork)
        original(self, work, fork=fork)  # type: ignore[arg-type]

    monkeypatch.setattr(report_module, "can_fork", lambda: True)
    monkeypatch.setattr(analysis.beside.Beside, "__init__", counted)
    monkeypatch.setattr(report_module, "write_report", functools.partial(report_module.write_report, fork=True))
    return forks


@pytest.mark.parametrize("record", RECORDS)
def test_forked_report_files_are_byte_identical_to_the_old_code(
    record: str, db: Database, seed_chat: Path, tmp_path: Path, forked: list[bool]
) -> None:
    assert record_digests(record, db, seed_chat, tmp_path) == GOLDEN[record]
    assert forked == [True]


def _files(folder: Path) -> dict[str, str]:
    return {p.name: digest(p.name, p.read_bytes()) for p in sorted(folder.iterdir())}


def test_a_paged_transcript_written_forked_is_the_one_written_in_one_process(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_module, "PAGED_OVER", 500)
    monkeypatch.setattr(report_module, "FIRST_SCREEN", 100)
    monkeypatch.setattr(report_module, "PAGE_ENTRIES", 300)
    monkeypatch.setattr(report_module, "can_fork", lambda: True)
    [(event_id, _)] = import_path(db, generate(2000, tmp_path / "chat.jsonl"))
    report_module.write_report(db, event_id, tmp_path / "one", pictures=False)
    report_module.write_report(db, event_id, tmp_path / "forked", pictures=False, fork=True)
    one = _files(tmp_path / "one")
    assert "transcript-7.html" in one and not any(name.startswith(".") for name in one)
    assert _files(tmp_path / "forked") == one


def test_a_chat_over_the_fork_limit_is_written_in_one_process(
    db: Database, seed_chat: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[bool]
) -> None:
    monkeypatch.setattr(report_module, "FORK_UP_TO", 170)  # the seed chat has 171 posts
    assert record_digests("seed", db, seed_chat, tmp_path) == GOLDEN["seed"]
    assert forked == [False]


def test_a_compact_chat_forked_writes_the_same_files(
    db: Database, seed_chat: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[bool]
) -> None:
    monkeypatch.setattr(snapshot_module, "COMPACT_OVER", 0)
    assert record_digests("seed", db, seed_chat, tmp_path) == GOLDEN["seed"]
    assert forked == [True]


def test_a_file_the_forked_writer_cannot_write_fails_the_report_and_no_page_is_written(
    db: Database, seed_chat: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_module, "can_fork", lambda: True)
    [(event_id, _)] = import_path(db, seed_chat)
    out = tmp_path / "out"
    (out / "record.json").mkdir(parents=True)  # the written record.json cannot be renamed over a folder
    with pytest.raises(OSError) as raised:
        report_module.write_report(db, event_id, out, pictures=False, fork=True)
    assert raised.value.filename2 == str(out / "record.json")  # os.replace(temporary file, record.json)
    assert sorted(p.name for p in out.iterdir()) == ["messages.csv", "record.json", "transcript.md"]
