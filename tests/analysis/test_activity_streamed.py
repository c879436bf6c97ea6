"""The activity series counts posts as they stream past (no list of their times): the rows are the ones the
old way, which held every post's local time and bucketed each, gives - at the edges of minutes too."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from analysis.activity import _label, activity_series, choose_bucket, local_wall_time


def held_series(moments: list[datetime], zone: ZoneInfo, asked: dict[int, datetime]) -> list[dict[str, Any]]:
    """activity_series as it was (analysis/activity.py at 745a7ec), every post's local time held."""
    try:
        local = [m.astimezone(zone).replace(tzinfo=None) for m in moments]
    except OverflowError:
        local = [local_wall_time(m, zone) for m in moments]
    if not local:
        return []
    first, last = min(local), max(local)
    bucket = choose_bucket(first, last)
    counts = Counter(map(bucket.index, local))
    low, high = min(counts), max(counts)
    questions: dict[int, list[int]] = {}
    for number, moment in sorted(asked.items()):
        questions.setdefault(bucket.index(local_wall_time(moment, zone)), []).append(number)
    return [
        {
            "start": (start := bucket.start(index)).replace(tzinfo=zone).isoformat(),
            "local": _label(bucket, start, first, last),
            "bucket": bucket.name,
            "messages": counts.get(index, 0),
            "questions": questions.get(index, []),
        }
        for index in range(low, high + 1)
    ]


@pytest.mark.parametrize("span", [timedelta(minutes=50), timedelta(days=3), timedelta(days=400), timedelta(days=4000)])
@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/Sao_Paulo"])
def test_streamed_activity_rows_are_the_held_ones(span: timedelta, zone: str) -> None:
    rng = random.Random(f"{span}{zone}")
    start = datetime(2023, 10, 29, 0, 30, tzinfo=UTC)  # London's clocks go back in this span
    moments = [start + timedelta(microseconds=rng.randrange(int(span.total_seconds() * 1e6))) for _ in range(2000)]
    # The last microseconds of a minute, and of a month: where a minute reckoned in floating point turns over.
    moments += [datetime(2023, 10, 31, 23, 59, 59, 999_999 - k, tzinfo=UTC) for k in range(8)]
    moments += [start + timedelta(minutes=m, seconds=59, microseconds=999_990 + k) for m in range(5) for k in range(10)]
    asked = {n: start + n * span / 7 for n in range(1, 7)}
    assert activity_series(iter(moments), ZoneInfo(zone), asked) == held_series(moments, ZoneInfo(zone), asked)


def test_no_posts_no_rows() -> None:
    assert activity_series(iter(()), ZoneInfo("UTC")) == []


def test_moments_at_the_calendar_edge() -> None:
    moments = [datetime(1, 1, 1, 0, 5, tzinfo=UTC), datetime(9999, 12, 31, 23, 0, tzinfo=UTC)]
    zone = ZoneInfo("Pacific/Kiritimati")
    assert activity_series(iter(moments), zone) == held_series(moments, zone, {})
