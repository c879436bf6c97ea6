"""`chat add`: a validated definition becomes an event with its prompts, ready to be scheduled."""

from __future__ import annotations

from datetime import UTC

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.chats.cost import XUsage, x_cost_estimate
from config.chat_definition import ChatDefinition
from config.settings import Settings
from transcripts.models import ChatCapture, Definition, Event, Prompt


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


def chat_costs(session: Session, event: Event, settings: Settings) -> tuple[float, float] | None:
    """(estimated, actual so far) US dollars on X for a chat that runs there."""
    if "x" not in (event.platforms or []):
        return None
    estimated = 0.0
    definition = session.get(Definition, event.definition_id) if event.definition_id else None
    if definition is not None:
        try:
            usage = x_cost_estimate(ChatDefinition.model_validate(definition.body), settings)
        except ValidationError:
            usage = None  # a partial body (the demo's) has nothing to estimate from
        estimated = usage.dollars(settings) if usage else 0.0
    row = session.scalars(
        select(ChatCapture).where(ChatCapture.event_id == event.id, ChatCapture.platform == "x")
    ).first()
    actual = XUsage() if row is None else XUsage(
        row.posts_created, row.posts_created_with_url, row.posts_read, row.users_read
    )
    return estimated, actual.dollars(settings)
