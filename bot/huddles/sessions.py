"""A huddle session in the record: created, opened, answered, reminded, closed — with no Slack in it.

A session is an `Event(kind="huddle")` whose numbered questions are `Prompt`s, so the chat analysis,
exports and CPD logs work on huddles unchanged. The opening post is a `welcome` prompt whose
`OutboundPost` holds the Slack ts: thread replies find their huddle by it. Reminder and close are
prompts with `due_at`, advanced by the tick, so a restarted worker picks up where it was. Slack (the
adapter in `bot.platforms.slack`) only renders and sends what these rules decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cachetools import LRUCache
from sqlalchemy import ColumnElement, insert, or_, select, update
from sqlalchemy.orm import Session

from bot.huddles.matching import Question, match_prompt
from config.chat_definition import parse_offset
from config.huddle_definition import NO_PATIENT_DATA, HuddleDefinition
from transcripts import patient_identifiers
from transcripts.db import Database
from transcripts.message import Message
from transcripts.models import (
    Answer,
    Definition,
    Escalation,
    Event,
    MessageRow,
    OutboundPost,
    Participant,
    Prompt,
    utcnow,
)
from transcripts.store import store_messages

PLATFORM = "slack"
WELCOME = "welcome"
WITHHELD_TEXT = "[withheld: it looked like patient-identifiable information]"


@dataclass(frozen=True, slots=True)
class Opening:
    """What the adapter needs to post a session's opening message."""

    event_id: int
    channel: str
    title: str
    prompts: tuple[str, ...]
    closes_local: str


@dataclass(frozen=True, slots=True)
class DueWork:
    prompt_id: int
    kind: str  # reminder | close
    event_id: int
    workspace: str | None


def create_session(
    db: Database,
    definition: HuddleDefinition,
    *,
    definition_id: int | None,
    now: datetime,
    channel: str,
    workspace: str | None,
    source: str,
) -> Opening:
    """The session's rows, and the intent to post its opening, committed before Slack is called."""
    zone = ZoneInfo(definition.timezone)
    closes_at = now + definition.window_delta
    prompts = tuple(p.text for p in definition.prompts)
    with db.session() as s:
        event = Event(
            kind="huddle",
            title=f"{definition.name} {now.astimezone(zone):%Y-%m-%d}",
            channel=channel,
            platforms=[PLATFORM],
            starts_at=now,
            ends_at=closes_at,
            timezone=definition.timezone,
            status="running",
            workspace=workspace,
            definition_id=definition_id,
            source=source,
        )
        s.add(event)
        s.flush()
        event.prompts.append(Prompt(kind=WELCOME, text=f"{definition.name}. {NO_PATIENT_DATA}", due_at=now))
        for i, text in enumerate(prompts, 1):
            event.prompts.append(Prompt(kind="question", number=i, text=text, due_at=now))
        for reminder in definition.reminders:
            event.prompts.append(Prompt(kind="reminder", text="reminder", due_at=closes_at - parse_offset(reminder)))
        event.prompts.append(Prompt(kind="close", text="summary", due_at=closes_at))
        s.flush()
        s.add(OutboundPost(prompt_id=event.prompts[0].id, platform=PLATFORM, channel=channel, attempted_at=now))
        return Opening(event.id, channel, definition.name, prompts, f"{closes_at.astimezone(zone):%H:%M}")


def mark_failed(db: Database, event_id: int, reason: str) -> None:
    """The opening could not be posted: the session is `failed` with why, so no reminder or close is tried
    and the day can be opened again once the cause is fixed."""
    with db.session() as s:
        post = _opening_post(s, event_id)
        post.status, post.error = "failed", reason[:500]
        event = s.get(Event, event_id)
        if event is not None:
            event.status = "failed"


def failure_reason(session: Session, event_id: int) -> str | None:
    post = session.scalars(
        select(OutboundPost).join(Prompt).where(Prompt.event_id == event_id, Prompt.kind == WELCOME)
    ).first()
    return post.error if post is not None and post.status == "failed" else None


def mark_opened(db: Database, event_id: int, channel: str, ts: str, posted: datetime) -> None:
    with db.session() as s:
        post = _opening_post(s, event_id)
        post.status, post.platform_id, post.posted_at, post.channel = "posted", ts, posted, channel
        for prompt in s.scalars(
            select(Prompt).where(Prompt.event_id == event_id, Prompt.kind.in_((WELCOME, "question")))
        ):
            prompt.posted_at = posted


def _opening_post(session: Session, event_id: int) -> OutboundPost:
    return session.scalars(
        select(OutboundPost).join(Prompt).where(Prompt.event_id == event_id, Prompt.kind == WELCOME)
    ).one()


def opening_ts(session: Session, event_id: int) -> tuple[str, str] | None:
    """(channel, ts) of the session's opening post, once Slack has it."""
    post = session.scalars(
        select(OutboundPost).join(Prompt).where(Prompt.event_id == event_id, Prompt.kind == WELCOME)
    ).first()
    if post is None or post.platform_id is None or post.channel is None:
        return None
    return post.channel, post.platform_id


def questions(session: Session, event_id: int) -> list[Prompt]:
    return list(
        session.scalars(
            select(Prompt).where(Prompt.event_id == event_id, Prompt.kind == "question").order_by(Prompt.number)
        )
    )


# (database url, channel, opening ts) -> (event id, questions). A huddle's questions never change once
# posted, and a busy thread would otherwise look its huddle up again for every reply.
_threads: LRUCache[tuple[str, str, str], tuple[int, tuple[Question, ...]]] = LRUCache(maxsize=4096)


def _thread_huddle(
    db: Database, session: Session, channel: str, thread_ts: str
) -> tuple[int, tuple[Question, ...]] | None:
    key = (db.url, channel, thread_ts)
    found = _threads.get(key)
    if found is not None:
        return found
    event_id = session.scalar(
        select(Event.id)
        .join(Prompt, Prompt.event_id == Event.id)
        .join(OutboundPost, OutboundPost.prompt_id == Prompt.id)
        .where(
            Prompt.kind == WELCOME,
            OutboundPost.platform == PLATFORM,
            OutboundPost.channel == channel,
            OutboundPost.platform_id == thread_ts,
        )
    )
    if event_id is None:
        return None
    found = (event_id, tuple(Question(p.id, p.number, p.text) for p in questions(session, event_id)))
    _threads[key] = found
    return found


@dataclass(frozen=True, slots=True)
class Recorded:
    """A reply taken into a huddle; `withheld` says why it is kept out of everything until edited."""

    message_id: str
    withheld: str | None = None


def withhold(message: Message, reason: str) -> Message:
    """The message as stored while withheld: who and when, but not the words that identified a patient."""
    raw = {"ts": (message.raw or {}).get("ts"), "user": message.author.id, "withheld": True}
    return replace(message, text=WITHHELD_TEXT, mentions=(), urls=(), raw=raw)


def _row(session: Session, message_id: str) -> MessageRow | None:
    return session.scalars(
        select(MessageRow).where(MessageRow.platform == PLATFORM, MessageRow.platform_id == message_id)
    ).first()


def _transaction(db: Database, session: Session | None) -> AbstractContextManager[Session]:
    """The caller's session, to write in its transaction (the Slack store process takes the events out of
    its inbox in the same one), else a transaction of its own."""
    return nullcontext(session) if session is not None else db.session()


def _identifies_a_patient(text: str) -> str | None:
    """Why `text` must be withheld, or None when it may be kept."""
    findings = patient_identifiers.find(text)
    return patient_identifiers.describe(findings) if findings else None


def record_reply(db: Database, message: Message) -> Recorded | None:
    """Store a thread reply to a huddle as an answer; None when its thread is no huddle's.

    A reply that looks like patient-identifiable information is stored without its text and withheld
    from summaries, pages and CPD logs until its author edits it.
    """
    return record_replies(db, [message])[0]


def record_replies(
    db: Database, messages: Sequence[Message], *, session: Session | None = None
) -> list[Recorded | None]:
    """`record_reply` for many replies in one transaction (one look-up of what is stored already, one
    insert per huddle, one write of the answers), so a busy thread costs a fraction of a transaction
    per reply; `session`'s when given. In order, what became of each; a reply stored already (a
    re-delivery) is left as it is."""
    results: list[Recorded | None] = [None] * len(messages)
    new: dict[str, tuple[int, Message, int, str, str | None]] = {}  # id -> event, as stored, prompt, method, reason
    with _transaction(db, session) as s:
        for i, message in enumerate(messages):
            if not message.thread or message.id.endswith(f":{message.thread}"):
                continue
            found = _thread_huddle(db, s, message.channel, message.thread)
            if found is None:
                continue
            reason = _identifies_a_patient(message.text)
            results[i] = Recorded(message.id, reason)
            event_id, asked = found
            prompt, method = match_prompt(message.text, asked)
            new.setdefault(
                message.id, (event_id, withhold(message, reason) if reason else message, prompt.id, method, reason)
            )
        if not new:
            return results
        for message_id in s.scalars(select(MessageRow.platform_id).where(_slack_ids(list(new)))):
            del new[message_id]
        for event_id in {event_id for event_id, *_ in new.values()}:
            store_messages(s, event_id, [m for e, m, *_ in new.values() if e == event_id])
        if not new:
            return results
        stored = s.execute(select(MessageRow.id, MessageRow.platform_id).where(_slack_ids(list(new)))).all()
        # Another process may have stored one of them meanwhile; then its answer is that process's to write.
        answered = set(s.scalars(select(Answer.message_id).where(Answer.message_id.in_([i for i, _ in stored]))))
        fresh = [(row_id, new[platform_id]) for row_id, platform_id in stored if row_id not in answered]
        # In bulk, not object by object: on SQLite every Slack ack's insert waits while this transaction writes.
        if fresh:
            answers = [
                {"message_id": i, "prompt_id": prompt, "method": method} for i, (_, _, prompt, method, _) in fresh
            ]
            s.execute(insert(Answer), answers)
        for row_id, (*_, reason) in fresh:
            if reason:
                s.execute(update(MessageRow).where(MessageRow.id == row_id).values(withheld_reason=reason))
    return results


def _slack_ids(message_ids: list[str]) -> ColumnElement[bool]:
    return (MessageRow.platform == PLATFORM) & MessageRow.platform_id.in_(message_ids)


def record_edit(
    db: Database,
    message_id: str,
    text: str,
    edited_at: datetime,
    latest: dict[str, Any],
    *,
    session: Session | None = None,
) -> Recorded | None:
    """A changed reply: new text and edited_at; earlier text stays in raw["history"]; the answer follows the text.

    An edit that still identifies a patient keeps the reply withheld; one that no longer does releases it.
    In `session`'s transaction when given.
    """
    reason = _identifies_a_patient(text)
    with _transaction(db, session) as s:
        row = _row(s, message_id)
        if row is None:
            return None
        raw = dict(row.raw or {})
        if reason:
            row.withheld_reason, row.text, row.edited_at = reason, WITHHELD_TEXT, edited_at
            return Recorded(message_id, reason)
        if row.withheld_reason is None:
            raw["history"] = [
                *raw.get("history", []),
                {"text": row.text, "edited_at": (row.edited_at or row.created_at).isoformat()},
            ]
            raw["latest"] = latest
        row.raw, row.text, row.edited_at, row.withheld_reason = raw, text, edited_at, None
        answer = s.scalars(select(Answer).where(Answer.message_id == row.id)).first()
        if answer is not None and answer.method in ("marker", "thread"):
            prompt, method = match_prompt(row.text, questions(s, row.event_id))
            answer.prompt_id, answer.method = prompt.id, method
    return Recorded(message_id)


def record_delete(db: Database, message_id: str, *, author: str | None = None, session: Session | None = None) -> bool:
    """The reply is gone; with `author`, only if that person wrote it. In `session`'s transaction when given."""
    with _transaction(db, session) as s:
        row = _row(s, message_id)
        if row is None:
            return False
        if author is not None and s.get(Participant, row.participant_id).platform_user_id != author:  # type: ignore[union-attr]
            return False
        row.deleted_at = utcnow()
        if row.withheld_reason:
            row.text = WITHHELD_TEXT
    return True


def record_form(db: Database, event_id: int, messages: Sequence[tuple[int, Message]]) -> int:
    """One message and one `Answer(method="form")` per (question number, message); returns how many were new."""
    stored = 0
    with db.session() as s:
        if s.get(Event, event_id) is None:
            return 0
        by_number = {p.number: p for p in questions(s, event_id)}
        for number, message in messages:
            prompt = by_number.get(number)
            if prompt is None or store_messages(s, event_id, [message]) == 0:
                continue
            row_id = s.scalar(
                select(MessageRow.id).where(MessageRow.platform == PLATFORM, MessageRow.platform_id == message.id)
            )
            s.add(Answer(message_id=row_id, prompt_id=prompt.id, method="form"))
            stored += 1
    return stored


def took_part(session: Session, event: Event) -> set[str]:
    """Who took part: answered in the thread or form, or raised an escalation during the huddle."""
    answered = set(
        session.scalars(
            select(Participant.platform_user_id)
            .join(MessageRow, MessageRow.participant_id == Participant.id)
            .where(MessageRow.event_id == event.id, MessageRow.deleted_at.is_(None))
        )
    )
    raised = session.scalars(select(Escalation.raised_by).where(escalations_of(event)))
    return answered | set(raised)


def escalations_of(event: Event) -> ColumnElement[bool]:
    """The SQL condition for the escalations a huddle lists: raised from it, or in its channel while it ran."""
    return or_(
        Escalation.event_id == event.id,
        (Escalation.team_channel == event.channel)
        & (Escalation.raised_at >= event.starts_at)
        & (Escalation.raised_at <= (event.ends_at or event.starts_at)),
    )


def definition_of(session: Session, event: Event) -> HuddleDefinition | None:
    if event.definition_id is None:
        return None
    row = session.get(Definition, event.definition_id)
    return HuddleDefinition.model_validate(row.body) if row else None


def due_work(db: Database, now: datetime) -> list[DueWork]:
    """Reminders and closes that are due in running huddles, oldest first."""
    with db.session() as s:
        rows = s.execute(
            select(Prompt.id, Prompt.kind, Event.id, Event.workspace)
            .join(Event, Event.id == Prompt.event_id)
            .where(
                Event.kind == "huddle",
                Event.status == "running",
                Prompt.kind.in_(("reminder", "close")),
                Prompt.posted_at.is_(None),
                Prompt.due_at <= now,
            )
            .order_by(Prompt.due_at)
        )
        return [DueWork(*row) for row in rows]


def mark_done(session: Session, prompt_id: int) -> None:
    prompt = session.get(Prompt, prompt_id)
    if prompt is not None:
        prompt.posted_at = utcnow()


def opened_today(session: Session, definition_id: int, definition: HuddleDefinition, now: datetime) -> bool:
    """Whether today's scheduled session already exists: a job run twice (restart, failover) opens one huddle."""
    zone = ZoneInfo(definition.timezone)
    starts = session.scalars(
        select(Event.starts_at)
        .where(
            Event.kind == "huddle",
            Event.definition_id == definition_id,
            Event.source == "schedule",
            Event.status != "failed",
        )
        .order_by(Event.starts_at.desc())
    ).first()
    return starts is not None and starts.astimezone(zone).date() == now.astimezone(zone).date()


def is_skipped(definition: HuddleDefinition, now: datetime) -> bool:
    return now.astimezone(ZoneInfo(definition.timezone)).date() in definition.skip_dates
