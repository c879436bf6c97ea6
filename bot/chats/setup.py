"""`chat add`: a validated definition becomes an event with its prompts, ready to be scheduled."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.chat_definition import ChatDefinition, parse_offset
from config.settings import X_PRICE_PER_POST_CREATED_USD, X_PRICE_PER_POST_READ_USD
from transcripts.models import Definition, Event, Prompt


def add_chat(session: Session, definition: ChatDefinition, *, source: str) -> int:
    """Store the definition and its event with one prompt per welcome, question, reminder and close."""
    start = definition.starts_at()
    record = Definition(kind="chat", name=definition.title, body=definition.model_dump(mode="json"))
    session.add(record)
    session.flush()
    event = Event(
        kind="chat",
        title=definition.title,
        topic=definition.topic or None,
        hashtag=definition.hashtag,
        platforms=list(definition.platforms),
        host=definition.host,
        cohosts=list(definition.cohosts),
        starts_at=start.astimezone(UTC),
        ends_at=definition.ends_at().astimezone(UTC),
        timezone=definition.timezone,
        status="scheduled",
        source=source,
        definition_id=record.id,
    )
    session.add(event)
    session.flush()
    prompts = [Prompt(event_id=event.id, kind="welcome", text=definition.welcome, due_at=start.astimezone(UTC))]
    prompts += [
        Prompt(
            event_id=event.id,
            kind="question",
            number=i,
            text=q.text,
            due_at=(start + q.offset_from(start)).astimezone(UTC),
        )
        for i, q in enumerate(definition.questions, start=1)
    ]
    prompts += [
        Prompt(event_id=event.id, kind="reminder", text=r.text, due_at=(start + r.offset_from(start)).astimezone(UTC))
        for r in definition.reminders
    ]
    prompts.append(
        Prompt(event_id=event.id, kind="close", text=definition.closing, due_at=definition.ends_at().astimezone(UTC))
    )
    session.add_all(prompts)
    session.flush()
    return event.id


def x_cost_estimate(definition: ChatDefinition) -> tuple[int, int, float]:
    """(posts we create, posts we read, US dollars) on X's pay-per-use API for this chat, if it runs on X.

    We post the welcome, each question and reminder, and the close; we read every post of the chat
    once, plus the overlap each poll re-reads (about one poll interval's worth of posts per poll).
    """
    if "x" not in definition.platforms:
        return 0, 0, 0.0
    created = 2 + len(definition.questions) + len(definition.reminders)
    polls = max(1, int(parse_offset(definition.duration) / parse_offset(definition.poll_interval)))
    per_poll = definition.expected_posts / polls
    read = definition.expected_posts + created + int(per_poll * polls * 0.25)
    cost = created * X_PRICE_PER_POST_CREATED_USD + read * X_PRICE_PER_POST_READ_USD
    return created, read, round(cost, 2)


def cancel_chat(session: Session, event_id: int) -> bool:
    event = session.get(Event, event_id)
    if event is None or event.kind != "chat":
        return False
    event.status = "cancelled"
    if event.definition_id:
        definition = session.get(Definition, event.definition_id)
        if definition is not None:
            definition.status = "cancelled"
    return True


def upcoming_chats(session: Session) -> list[Event]:
    return list(
        session.scalars(
            select(Event)
            .where(Event.kind == "chat", Event.status.in_(("scheduled", "running")))
            .order_by(Event.starts_at)
        )
    )
