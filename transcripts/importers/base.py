"""What every importer produces, and the single transaction that saves it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from transcripts.errors import RecordError
from transcripts.message import Message
from transcripts.models import Event, MessageRow, Prompt
from transcripts.store import check_messages, check_raw, store_messages, upsert_participants


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What the person importing can say that the file may not: the chat's hashtag and title, the
    Slack workspace's time zone and team id."""

    hashtag: str | None = None
    title: str | None = None
    timezone: str | None = None
    workspace: str | None = None

    def __post_init__(self) -> None:
        if self.hashtag and not self.hashtag.startswith("#"):
            object.__setattr__(self, "hashtag", "#" + self.hashtag)


@dataclass(slots=True)
class ImportedPrompt:
    number: int | None
    text: str
    kind: str = "question"
    due_at: datetime | None = None
    posted_at: datetime | None = None
    message_id: str | None = None  # platform id of the post that asked it, when it is in the record


@dataclass(slots=True)
class ImportedEvent:
    """An event as read from a file, before it touches the database."""

    kind: str
    title: str
    starts_at: datetime
    timezone: str
    source: str
    platform: str
    hashtag: str | None = None
    channel: str | None = None
    host: str | None = None
    cohosts: list[str] = field(default_factory=list)
    published_totals: dict[str, int] = field(default_factory=dict)  # totals the source states, as it states them
    topic: str | None = None
    ends_at: datetime | None = None
    workspace: str | None = None
    prompts: list[ImportedPrompt] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the importer chose or left out, to tell the person
    checked: bool = False  # check_imported passed: every message may be stored as it is


STORE_BATCH = 5000
_EVENT_LIMITS = {"hashtag": 100, "title": 300, "channel": 100, "host": 100, "timezone": 64, "workspace": 64}


def check_imported(imported: ImportedEvent, where: str) -> None:
    """Refuse what a column cannot hold (too long, a NUL character) before anything is written, so
    SQLite and PostgreSQL answer the same; errors name the file (`where`) and the field or post."""
    for name, limit in _EVENT_LIMITS.items():
        value = getattr(imported, name)
        if value is not None and len(value) > limit:
            raise RecordError(where, f"{name}: {len(value)} characters, more than {limit}")
        if value is not None and "\x00" in value:
            raise RecordError(where, f"{name}: contains a NUL character")
    if imported.topic and "\x00" in imported.topic:
        raise RecordError(where, "topic: contains a NUL character")
    for prompt in imported.prompts:
        if "\x00" in prompt.text:
            raise RecordError(where, f"question {prompt.number}: contains a NUL character")
    try:
        check_messages(imported.messages)
        for m in imported.messages:
            check_raw(m)
    except RecordError as exc:
        raise RecordError(f"{where}: {exc.where}", exc.reason) from None
    imported.checked = True


def find_event(session: Session, imported: ImportedEvent, *, besides: int | None = None) -> Event | None:
    """The stored event `imported` is (same kind, hashtag or channel, start), other than event `besides`."""
    query = select(Event).where(
        Event.kind == imported.kind,
        Event.hashtag == imported.hashtag,
        Event.channel == imported.channel,
        Event.starts_at == imported.starts_at,
    )
    if besides is not None:
        query = query.where(Event.id != besides)
    return session.scalars(query).first()


def fill_event(event: Event, imported: ImportedEvent) -> Event:
    """`event`'s fields as `imported` states them."""
    event.kind = imported.kind
    event.title = imported.title
    event.topic = imported.topic
    event.hashtag = imported.hashtag
    event.channel = imported.channel
    event.platforms = [imported.platform]
    event.host = imported.host
    event.cohosts = list(imported.cohosts) or None
    event.published_totals = dict(imported.published_totals) or None
    event.starts_at = imported.starts_at
    event.ends_at = imported.ends_at
    event.timezone = imported.timezone
    event.status = "closed"
    event.source = imported.source[-500:]
    event.workspace = imported.workspace
    return event


def merge_cohosts(event: Event, imported: ImportedEvent) -> None:
    if imported.cohosts and set(imported.cohosts) - set(event.cohosts or ()):
        event.cohosts = list(dict.fromkeys([*(event.cohosts or ()), *imported.cohosts]))


def add_prompts(session: Session, event: Event, imported: ImportedEvent) -> None:
    """The event's questions, linked to the posts that asked them, unless it has questions already."""
    if event.prompts or not imported.prompts:
        return
    by_platform_id = {}
    wanted = [p.message_id for p in imported.prompts if p.message_id]
    if wanted:
        by_platform_id = dict(
            session.execute(
                select(MessageRow.platform_id, MessageRow.id).where(
                    MessageRow.platform == imported.platform, MessageRow.platform_id.in_(wanted)
                )
            ).all()
        )
    for p in imported.prompts:
        session.add(
            Prompt(
                event_id=event.id,
                kind=p.kind,
                number=p.number,
                text=p.text,
                due_at=p.due_at,
                posted_at=p.posted_at,
                message_id=by_platform_id.get(p.message_id) if p.message_id else None,
            )
        )


def save_imported(session: Session, imported: ImportedEvent) -> tuple[int, int]:
    """Store an imported event in the caller's transaction; returns (event id, new messages).

    Re-importing the same event (same kind, hashtag or channel, start) reuses it, so a file imported
    twice leaves one event with each message once.
    """
    event = find_event(session, imported)
    if event is None:
        event = fill_event(Event(), imported)
        session.add(event)
        session.flush()
    merge_cohosts(event, imported)
    new = 0
    # Checked whole before anything was written (check_imported); authors made once for the file.
    people = upsert_participants(session, (m.author for m in imported.messages if not m.author.protected))
    for start in range(0, len(imported.messages), STORE_BATCH):  # bounded rows in flight, however long the file
        batch = imported.messages[start : start + STORE_BATCH]
        new += store_messages(session, event.id, batch, checked=imported.checked, participants=people)
    add_prompts(session, event, imported)
    session.flush()
    return event.id, new
