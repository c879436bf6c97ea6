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


def _field(value: str) -> str:
    """A field as csv.writer's excel dialect writes it (QUOTE_MINIMAL): quoted, with quotes doubled, only
    when it holds a quote, a comma or a line break."""
    if '"' in value:
        return '"' + value.replace('"', '""') + '"'
    if "," in value or "\n" in value or "\r" in value:
        return '"' + value + '"'
    return value


def write_csv(snapshot: EventSnapshot, path: Path, question_of: Mapping[int, int | None]) -> None:
    """Rows joined here rather than by csv.writer (the same bytes; tests/transcripts/exporters compare
    them on random text): the writer's per-field work was most of writing a 50,000-post file."""
    clock = LocalClock(ZoneInfo(snapshot.timezone), "%Y-%m-%d %H:%M")
    people = {pid: f"{_field(p.handle)},{_field(_cell(p.name or ''))}" for pid, p in snapshot.people.items()}
    with atomic_writer(path, newline="") as fh:
        csv.writer(fh).writerow(COLUMNS)
        fh.writelines(
            f"{m.id},{_field(m.platform)},{_field(m.platform_id)},{m.created_at.isoformat()},{clock(m.created_at)},"
            f"{people[m.author_id]},{_field(_cell(m.text))},{'' if (q := question_of.get(m.id)) is None else q},"
            f"{_field(m.reply_to or '')},{_field(m.quote_of or '')},{int(m.is_repost)},{_field(' '.join(m.mentions))},"
            f"{_field(' '.join(m.hashtags))},{_field(' '.join(m.urls))}\r\n"
            for m in snapshot.messages
        )
