"""The seed chat written as Markdown, CSV and JSON: every post once, grouped by its question, readable back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from transcripts.db import Database
from transcripts.exporters.csv_export import write_csv
from transcripts.exporters.json_export import write_json
from transcripts.exporters.markdown import write_markdown
from transcripts.importers import import_path
from transcripts.snapshot import EventSnapshot, load_event


def _seed(db: Database, seed_chat: Path) -> tuple[EventSnapshot, dict[int, int | None]]:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as s:
        snapshot = load_event(s, event_id)
    # A simple assignment: each post belongs to the latest question posted at or before it.
    asked = sorted((q.posted_at, q.number) for q in snapshot.questions if q.posted_at)
    question_of: dict[int, int | None] = {}
    for m in snapshot.messages:
        current = None
        for posted_at, number in asked:
            if posted_at <= m.created_at:
                current = number
        question_of[m.id] = current
    return snapshot, question_of


def test_csv_has_one_row_per_post(db: Database, seed_chat: Path, tmp_path: Path) -> None:
    snapshot, question_of = _seed(db, seed_chat)
    write_csv(snapshot, tmp_path / "t.csv", question_of)
    with (tmp_path / "t.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 171
    assert {r["question"] for r in rows} >= {"1", "6"}
    assert all(r["created_at_utc"].endswith("+00:00") for r in rows)


def test_markdown_groups_posts_by_question(db: Database, seed_chat: Path, tmp_path: Path) -> None:
    snapshot, question_of = _seed(db, seed_chat)
    write_markdown(snapshot, tmp_path / "t.md", question_of)
    text = (tmp_path / "t.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert headings[0] == "### Before the first question"
    assert [h.split(".")[0] for h in headings[1:]] == [f"### Q{n}" for n in range(1, 7)]
    assert text.count("**@") == 171
    assert text.index("### Q1") < text.index("### Q2") < text.index("### Q6")


def test_json_round_trips(db: Database, seed_chat: Path, tmp_path: Path) -> None:
    snapshot, question_of = _seed(db, seed_chat)
    out = tmp_path / "out"
    write_json(snapshot, out / "t.json", question_of)
    document = json.loads((out / "t.json").read_text(encoding="utf-8"))
    assert document["event"]["hashtag"] == snapshot.hashtag
    assert len(document["messages"]) == 171
    assert [p["number"] for p in document["prompts"] if p["kind"] == "question"] == [1, 2, 3, 4, 5, 6]
    assert [m["id"] for m in document["messages"]] == [m.platform_id for m in snapshot.messages]
    assert [p.name for p in out.iterdir()] == ["t.json"]


def test_a_failed_write_leaves_nothing(db: Database, seed_chat: Path, tmp_path: Path) -> None:
    snapshot, _ = _seed(db, seed_chat)
    with pytest.raises(AttributeError):
        write_csv(snapshot, tmp_path / "out" / "t.csv", None)  # type: ignore[arg-type]
    assert list((tmp_path / "out").iterdir()) == []
