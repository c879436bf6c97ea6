"""CPD logs are prefilled from the record, leave the reflection to the person, and escape their text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document

from analysis.answers import assign_answers
from analysis.cpd import REFLECTION_FIELDS, build_cpd_log, to_markdown, write_cpd_logs, write_docx
from tests.analysis.builders import person, post, snapshot
from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.importers import import_path
from transcripts.snapshot import EventSnapshot, load_event


@pytest.fixture
def seed(db: Database, seed_chat: Path) -> EventSnapshot:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as s:
        return load_event(s, event_id)


def test_log_is_prefilled_from_the_record(seed: EventSnapshot) -> None:
    log = build_cpd_log(seed, "@evelyn_prodger", assign_answers(seed))
    assert len(log.contributions) == 41
    assert (log.date, log.start, log.end, log.hours, log.participatory_hours) == (
        "25 February 2020", "20:00", "21:00", 1.0, 1.0,
    )  # fmt: skip
    assert log.method.startswith("Participatory learning")
    assert len(log.questions) == 6
    assert "escalation" in log.chat_themes
    assert "#WeHCMs" in log.nature_of_activity and "41" in log.nature_of_activity
    md = to_markdown(log)
    for question, _prompt in REFLECTION_FIELDS.values():
        assert question.split("?")[0] in md
    assert "Prioritise people" in md


def test_markdown_escapes_user_text(seed: EventSnapshot) -> None:
    log = build_cpd_log(seed, "evelyn_prodger", assign_answers(seed))
    md = to_markdown(log, {"what_you_learned": "<script>alert(1)</script> **bold**"})
    assert "<script>" not in md
    # Markup is escaped; parentheses make no markup, so they are left as written (issue 14).
    assert r"\<script\>alert(1)\</script\>" in md and r"\*\*bold\*\*" in md


def test_docx_holds_the_reflection(seed: EventSnapshot, tmp_path: Path) -> None:
    log = build_cpd_log(seed, "evelyn_prodger", assign_answers(seed))
    path = write_docx(log, tmp_path / "cpd.docx", {"what_you_learned": "SBAR makes my escalations clearer"})
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "SBAR makes my escalations clearer" in text
    assert "How did you change or improve your practice" in text
    cells = [c.text for t in Document(str(path)).tables for row in t.rows for c in row.cells]
    assert "25 February 2020" in cells


def test_unknown_participant_is_refused(seed: EventSnapshot) -> None:
    with pytest.raises(RecordError, match="no participant @nobody"):
        build_cpd_log(seed, "nobody", assign_answers(seed))


def test_one_log_per_contributor(db: Database, seed: EventSnapshot, tmp_path: Path) -> None:
    paths = write_cpd_logs(db, seed.id, tmp_path / "cpd", formats=("md", "docx"))
    assert len(paths) == 28
    assert (tmp_path / "cpd" / "evelyn_prodger.md").exists()


def test_huddle_log_says_slack_huddle_and_local_times() -> None:
    snap = snapshot(
        [person(1, "ann")],
        [post(5, 1, "Beds are tight <b>today</b>", created_at=datetime(2024, 7, 1, 7, 35, tzinfo=UTC))],
    )
    snap.kind, snap.hashtag, snap.channel = "huddle", None, "#site-ops"
    snap.starts_at, snap.ends_at = datetime(2024, 7, 1, 7, 30, tzinfo=UTC), datetime(2024, 7, 1, 7, 45, tzinfo=UTC)
    log = build_cpd_log(snap, "ann", {})
    assert log.method == "Participatory learning: Slack huddle"
    assert (log.date, log.start, log.end, log.hours) == ("1 July 2024", "08:30", "08:45", 0.25)
    assert [(c.local_time, c.question) for c in log.contributions] == [("08:35", None)]
    assert "<b>" not in to_markdown(log)
