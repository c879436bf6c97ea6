"""The activity series: posts per bucket of local time, the bucket sized to the span of the posts.

A one-hour chat is counted per minute, as the seed's page does. A record whose posts are spread over
days, months or years (an archive pulled by search, a stray post with a wrong date) is counted per
hour, day, week, month or year instead, so the number of rows - and the work, the JSON and the
picture that follow from it - is bounded by MAX_ROWS whatever the dates say, never by the calendar.
Work is linear in the number of posts plus at most MAX_ROWS.

Buckets are in the event's local wall-clock time (weeks start on Monday). A moment the zone cannot
express (a stored date at the very edge of the calendar, year 1 or 9999) is counted in UTC rather
than failing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MAX_ROWS = 360
_ORIGIN = datetime(1, 1, 1)  # a Monday, and the earliest moment there is: no bucket starts before it


@dataclass(frozen=True, slots=True)
class Bucket:
    """A bucket size: fixed-width (minutes) or calendar (months)."""

    name: str  # "minute", "5 minutes", "hour", "day", "week", "month", "year", "10 years", ...
    minutes: int = 0
    months: int = 0

    def index(self, local: datetime) -> int:
        # activity_series counts by this index's minute and month: the two must change together.
        if self.months:
            return ((local.year - 1) * 12 + local.month - 1) // self.months
        return int((local - _ORIGIN).total_seconds() // 60) // self.minutes

    def start(self, index: int) -> datetime:
        if self.months:
            months = index * self.months
            return datetime(months // 12 + 1, months % 12 + 1, 1)
        return _ORIGIN + timedelta(minutes=index * self.minutes)


BUCKETS = (
    Bucket("minute", minutes=1),
    Bucket("5 minutes", minutes=5),
    Bucket("15 minutes", minutes=15),
    Bucket("hour", minutes=60),
    Bucket("6 hours", minutes=360),
    Bucket("day", minutes=1440),
    Bucket("week", minutes=10080),
    Bucket("month", months=1),
    Bucket("3 months", months=3),
    Bucket("year", months=12),
    Bucket("10 years", months=120),
    Bucket("100 years", months=1200),
    Bucket("1000 years", months=12000),
)


def local_wall_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """The moment's naive wall-clock time in the zone; in UTC when the zone would leave years 1-9999."""
    try:
        return moment.astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        return moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def choose_bucket(first: datetime, last: datetime, max_rows: int = MAX_ROWS) -> Bucket:
    """The finest bucket that covers first..last (local wall times) in at most max_rows rows."""
    for bucket in BUCKETS:
        if bucket.index(last) - bucket.index(first) + 1 <= max_rows:
            return bucket
    return BUCKETS[-1]  # 9,999 years in 1000-year buckets: 10 rows


def _label(bucket: Bucket, start: datetime, first: datetime, last: datetime) -> str:
    if bucket.months >= 12:
        return f"{start.year:04d}"
    if bucket.months:
        return f"{start.strftime('%b')} {start.year:04d}"
    if bucket.minutes >= 1440:
        prefix = "w/c " if bucket.name == "week" else ""
        year = f" {start.year:04d}" if first.year != last.year else ""
        return f"{prefix}{start.day} {start.strftime('%b')}{year}"
    if first.date() == last.date():
        return start.strftime("%H:%M")
    return f"{start.day} {start.strftime('%b')} {start.strftime('%H:%M')}"


def activity_series(
    moments: Iterable[datetime],
    zone: ZoneInfo,
    asked: dict[int, datetime] | None = None,
    max_rows: int = MAX_ROWS,
) -> list[dict[str, Any]]:
    """Posts per bucket from the first post's bucket to the last's, zeros included, at most max_rows rows.

    Each row: `start` (the bucket's start, ISO time in the event's zone), `local` (a short label for
    the picture), `bucket` (the bucket size, the same on every row), `messages`, and `questions`: the
    numbers of the questions asked in that bucket (`asked` maps each question number to its moment).
    """
    # Posts per (minute, month) of local time, each as Bucket.index reckons it: every bucket is a whole
    # number of one or the other, so the posts need not be held (a million posts' times, twice, would be
    # a hundred megabytes); only the first and last moments are.
    per_minute: Counter[tuple[int, int]] = Counter()
    first = last = None
    for moment in moments:
        try:  # local_wall_time inlined: this runs once per post
            local = moment.astimezone(zone).replace(tzinfo=None)
        except OverflowError:
            local = local_wall_time(moment, zone)
        if first is None or last is None:
            first = last = local
        elif local < first:
            first = local
        elif local > last:
            last = local
        per_minute[int((local - _ORIGIN).total_seconds() // 60), (local.year - 1) * 12 + local.month - 1] += 1
    if first is None or last is None:
        return []
    bucket = choose_bucket(first, last, max_rows)
    counts: Counter[int] = Counter()
    for (minute, month), n in per_minute.items():
        counts[month // bucket.months if bucket.months else minute // bucket.minutes] += n
    low, high = min(counts), max(counts)
    questions: dict[int, list[int]] = {}
    for number, moment in sorted((asked or {}).items()):
        questions.setdefault(bucket.index(local_wall_time(moment, zone)), []).append(number)
    rows = []
    for index in range(low, high + 1):
        start = bucket.start(index)
        rows.append(
            {
                "start": start.replace(tzinfo=zone).isoformat(),
                "local": _label(bucket, start, first, last),
                "bucket": bucket.name,
                "messages": counts.get(index, 0),
                "questions": questions.get(index, []),
            }
        )
    return rows
