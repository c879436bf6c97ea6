"""Records whose posts are spread over far more time than a chat: the shapes real archives come in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from transcripts.db import Database
from transcripts.message import Author, Message
from transcripts.models import Event, Prompt
from transcripts.store import store_messages

START = datetime(2024, 3, 5, 19, 0, tzinfo=UTC)
LAST_MOMENT = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)

# name -> the moments of its posts (each shape as the issue measured it)
SHAPES: dict[str, list[datetime]] = {
    "two posts 23 months apart": [START, START + timedelta(days=700)],
    "215 posts over 10.7 years": [START + timedelta(days=3908 * i / 214) for i in range(215)],
    "100 posts over four days": [START + timedelta(minutes=57.6 * i) for i in range(100)],
    "a chat and one post dated 9999-12-31": [START + timedelta(seconds=20 * i) for i in range(170)] + [LAST_MOMENT],
}


def messages(moments: list[datetime]) -> list[Message]:
    return [
        Message(
            "x",
            f"span-{i}",
            "#WeSpan",
            Author("x", f"u{i % 7}", f"person{i % 7}"),
            f"A{1 + i % 3} post number {i} about escalation and safe staffing",
            moment,
        )
        for i, moment in enumerate(moments)
    ]


def store_shape(db: Database, moments: list[datetime], timezone: str = "Europe/London", status: str = "closed") -> int:
    """A chat event holding posts at these moments (stored directly, as an older record might hold them)."""
    with db.session() as session:
        event = Event(
            kind="chat", title="Span", hashtag="#WeSpan", host="person0", starts_at=START,
            ends_at=START + timedelta(hours=1), timezone=timezone, status=status, platforms=["x"],
        )  # fmt: skip
        session.add(event)
        session.flush()
        for n in (1, 2, 3):
            asked = START + timedelta(minutes=10 * n)
            session.add(
                Prompt(event_id=event.id, kind="question", number=n, text=f"Q {n}?", due_at=asked, posted_at=asked)
            )
        store_messages(session, event.id, messages(moments))
        return event.id
