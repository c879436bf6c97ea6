"""One row per message, for spreadsheets: times in UTC and in the event's own zone."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from transcripts.exporters.atomic import atomic_writer
from transcripts.exporters.local_clock import LocalClock
from transcripts.snapshot import EventSnapshot

COLUMNS = [
    "id", "platform", "platform_id", "created_at_utc", "local_time", "handle", "name", "text", "question",
    "reply_to", "quote_of", "is_repost", "mentions", "hashtags", "urls",
]  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Prefix text a spreadsheet would run as a formula (CSV injection) with an apostrophe."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(snapshot: EventSnapshot, path: Path, question_of: Mapping[int, int | None]) -> None:
    clock = LocalClock(ZoneInfo(snapshot.timezone), "%Y-%m-%d %H:%M")
    people = {pid: (p.handle, _cell(p.name or "")) for pid, p in snapshot.people.items()}
    with atomic_writer(path, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(
            (
                m.id,
                m.platform,
                m.platform_id,
                m.created_at.isoformat(),
                clock(m.created_at),
                *people[m.author_id],
                _cell(m.text),
                "" if (question := question_of.get(m.id)) is None else question,
                m.reply_to or "",
                m.quote_of or "",
                int(m.is_repost),
                " ".join(m.mentions),
                " ".join(m.hashtags),
                " ".join(m.urls),
            )
            for m in snapshot.messages
        )
