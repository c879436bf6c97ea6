"""A large chat's posts are held in columns (transcripts.snapshot.CompactMessages) and its per-post results
in arrays (analysis.compact): the report and its analysis must say exactly what they say from a list.

Every record here is loaded as a large chat would be (COMPACT_OVER set to 0) and checked against the same
pinned digests and results the list is checked against.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import transcripts.snapshot as snapshot_module
from analysis.compact import PerPost
from analysis.report import build_report
from tests.analysis.analysis_results import generated_chat, load_snapshot, results_of
from tests.analysis.report_golden import RECORDS, record_digests
from transcripts.db import Database
from transcripts.snapshot import CompactMessages

DATA = Path(__file__).parent / "data"
GOLDEN = json.loads((DATA / "report_golden.json").read_text(encoding="utf-8"))
PINNED: dict[str, Any] = json.loads((DATA / "analysis_results.json").read_text("utf-8"))


@pytest.fixture
def compact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_module, "COMPACT_OVER", 0)


@pytest.mark.usefixtures("compact")
@pytest.mark.parametrize("record", RECORDS)
def test_report_files_from_compact_posts_are_byte_identical(
    record: str, db: Database, seed_chat: Path, tmp_path: Path
) -> None:
    assert record_digests(record, db, seed_chat, tmp_path) == GOLDEN[record]


@pytest.mark.usefixtures("compact")
def test_the_seed_chat_analysis_from_compact_posts_is_unchanged(db: Database, seed_chat: Path) -> None:
    snapshot = load_snapshot(db, seed_chat)
    assert isinstance(snapshot.messages, CompactMessages)
    report = build_report(snapshot)
    assert isinstance(report.assignments, PerPost) and isinstance(report.question_of(), PerPost)
    found = results_of(snapshot, full_terms=True)
    assert found.keys() == PINNED["seed"].keys()
    for key in PINNED["seed"]:
        assert found[key] == PINNED["seed"][key], key


@pytest.mark.usefixtures("compact")
def test_a_generated_chat_analysis_from_compact_posts_is_unchanged(db: Database, tmp_path: Path) -> None:
    snapshot = load_snapshot(db, generated_chat(tmp_path))
    assert isinstance(snapshot.messages, CompactMessages)
    found = results_of(snapshot, full_terms=False)
    for key in PINNED["generated"]:
        assert found[key] == PINNED["generated"][key], key


def test_per_post_results_behave_as_the_dict_did() -> None:
    values = [None, 1, 2, None, 3] * 100
    ids = [7000 - 3 * i if i % 7 else 9000 + i for i in range(len(values))]  # not in order
    as_dict = dict(zip(ids, values, strict=True))
    per_post: PerPost[int | None] = PerPost()
    for key, value in zip(ids, values, strict=True):
        per_post.add(key, value)
    assert list(per_post) == list(as_dict) and len(per_post) == len(as_dict)
    assert dict(per_post.items()) == as_dict and list(per_post.values()) == list(as_dict.values())
    for key in [*ids, *reversed(ids), 5, -1, 99999]:  # in order, backwards, and absent
        assert per_post.get(key) == as_dict.get(key)
        assert per_post.get(key, 4) == as_dict.get(key, 4)
        assert (key in per_post) == (key in as_dict)
    with pytest.raises(KeyError):
        per_post[5]


def test_per_post_results_of_many_distinct_values() -> None:
    per_post: PerPost[int] = PerPost()
    for key in range(1000):
        per_post.add(key, key * 10)
    assert dict(per_post.items()) == {key: key * 10 for key in range(1000)}
