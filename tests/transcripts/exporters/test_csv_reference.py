"""messages.csv, joined by hand for speed, is byte for byte what csv.writer writes, on any text.

The reference is the writer as it was (commit 054fc28): csv.writer's excel dialect over the same cells.
Random handles, names, texts and ids mix quotes, commas, line breaks, formula openers and unicode.
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from transcripts.exporters.csv_export import COLUMNS, _cell, write_csv
from transcripts.snapshot import EventSnapshot, MessageView, PersonView

PIECES = [*"ab ,\"'\r\n\t=+-@x1é😀;", '""', "\r\n", ",,", "=SUM(A1)"]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))


def _reference(snapshot: EventSnapshot, path: Path, question_of: dict[int, int | None]) -> None:
    zone = ZoneInfo(snapshot.timezone)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for m in snapshot.messages:
            person = snapshot.author(m)
            question = question_of.get(m.id)
            writer.writerow([
                m.id, m.platform, m.platform_id, m.created_at.isoformat(),
                m.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), person.handle, _cell(person.name or ""),
                _cell(m.text), "" if question is None else question, m.reply_to or "", m.quote_of or "",
                int(m.is_repost), " ".join(m.mentions), " ".join(m.hashtags), " ".join(m.urls),
            ])  # fmt: skip


def test_messages_csv_matches_csv_writer_on_random_text(tmp_path: Path) -> None:
    rng = random.Random(16)
    people = {i: PersonView(i, "x", str(i), _text(rng), rng.choice([None, _text(rng)]), None, None) for i in range(30)}
    start = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    messages = [
        MessageView(
            i, rng.choice(["x", "slack", "a,b"]), _text(rng), None, rng.randrange(30), _text(rng),
            start + timedelta(seconds=rng.randrange(7200), microseconds=rng.choice([0, 5])),
            rng.choice([None, _text(rng)]), None, rng.choice([None, _text(rng)]), None, rng.random() < 0.2,
            tuple(_text(rng) for _ in range(rng.randint(0, 2))), tuple(_text(rng) for _ in range(rng.randint(0, 2))),
            tuple(_text(rng) for _ in range(rng.randint(0, 2))), None, None, False,
        )
        for i in range(3000)
    ]  # fmt: skip
    snapshot = EventSnapshot(
        id=1, kind="chat", title="t", topic=None, hashtag=None, channel=None, platforms=["x"], host=None,
        starts_at=start, ends_at=None, timezone="Europe/London", status="done", workspace=None, page_url=None,
        messages=messages, people=people,
    )  # fmt: skip
    question_of = {m.id: rng.choice([None, 1, 12]) for m in messages}
    write_csv(snapshot, tmp_path / "new.csv", question_of)
    _reference(snapshot, tmp_path / "old.csv", question_of)
    assert (tmp_path / "new.csv").read_bytes() == (tmp_path / "old.csv").read_bytes()
