"""A record's activity series and timeline follow its posts, not the calendar between them (issue 16.1).

Posts 23 months apart, 10.7 years apart, four days apart, and a chat with one stored post dated
9999-12-31: the series is bucketed to the span (minutes, hours, days, weeks, months, years) and never
has more than MAX_ROWS rows, so stats.json and the picture stay small. Bounds, never times.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.activity import MAX_ROWS, activity_series
from analysis.report import write_report
from tests.analysis.spans import LAST_MOMENT, SHAPES, START, store_shape
from transcripts.db import Database

BUCKET_OF = {
    "two posts 23 months apart": "week",
    "215 posts over 10.7 years": "month",
    "100 posts over four days": "hour",
    "a chat and one post dated 9999-12-31": "100 years",
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_report_of_a_long_span_is_bucketed_and_bounded(db: Database, tmp_path: Path, shape: str) -> None:
    moments = SHAPES[shape]
    event_id = store_shape(db, moments)
    index = write_report(db, event_id, tmp_path / "out")
    stats = json.loads((tmp_path / "out" / "stats.json").read_text(encoding="utf-8"))
    rows = stats["activity"]
    assert stats["activity_bucket"] == BUCKET_OF[shape]
    assert 1 < len(rows) <= MAX_ROWS
    assert {row["bucket"] for row in rows} == {BUCKET_OF[shape]}
    assert sum(row["messages"] for row in rows) == len(moments) == stats["messages"]
    assert (tmp_path / "out" / "stats.json").stat().st_size < 300_000
    assert (tmp_path / "out" / "timeline.png").stat().st_size < 400_000
    assert index.stat().st_size < 2_000_000


def test_a_chat_is_counted_per_minute_in_local_time_with_its_questions(db: Database) -> None:
    from analysis.answers import assign_answers
    from analysis.stats import compute_stats
    from transcripts.snapshot import load_event

    event_id = store_shape(db, SHAPES["a chat and one post dated 9999-12-31"][:-1])
    with db.session() as session:
        snap = load_event(session, event_id)
    stats = compute_stats(snap, assign_answers(snap))
    assert stats.activity_bucket == "minute"
    assert len(stats.activity) == 57  # 170 posts 20 s apart: 19:00 to 19:56 UTC, every minute
    assert stats.activity[0]["local"] == "19:00"  # London in March is UTC
    assert stats.activity[0]["start"] == "2024-03-05T19:00:00+00:00"
    asked = {n: row["local"] for row in stats.activity for n in row["questions"]}
    assert asked == {1: "19:10", 2: "19:20", 3: "19:30"}


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Auckland", "America/Adak", "UTC"])
def test_moments_at_the_ends_of_the_calendar_are_counted_not_fatal(zone: str) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    earliest = datetime(1, 1, 1, 0, 0, tzinfo=UTC)
    rows = activity_series([earliest, START, LAST_MOMENT], ZoneInfo(zone))
    assert len(rows) <= MAX_ROWS
    assert sum(row["messages"] for row in rows) == 3
    assert rows[0]["bucket"] == "100 years" and rows[0]["local"] == "0001"


def test_the_row_bound_holds_for_any_spread_of_posts() -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    for days in (0, 1, 2, 6, 13, 40, 364, 800, 5000, 40_000, 400_000, 2_900_000):
        moments = [START, START + timedelta(days=days, minutes=7)]
        rows = activity_series(moments, ZoneInfo("Asia/Kolkata"))
        assert len(rows) <= MAX_ROWS, days
        assert sum(r["messages"] for r in rows) == 2
