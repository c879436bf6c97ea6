"""A huddle session: open (post prompts), capture answers, remind the quiet, close with a summary.

A session is an `Event(kind="huddle")` whose numbered questions are `Prompt`s, so the chat analysis,
exports and CPD logs work on huddles unchanged. The opening post is a `welcome` prompt whose
`OutboundPost` holds the Slack ts: thread replies find their huddle by it. Reminder and close are
prompts with `due_at`, advanced by one periodic job, so a restarted worker picks up where it was.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.huddles.summary import NUMBER_PREFIX, huddle_summary
from bot.slack.blocks import NO_PATIENT_DATA, huddle_opening
from config.chat_definition import parse_offset
from config.huddle_definition import HuddleDefinition
from transcripts.db import Database
from transcripts.message import Author, Message
from transcripts.models import Answer, Event, MessageRow, OutboundPost, Prompt, utcnow
from transcripts.store import store_messages

Q = TypeVar("Q", Prompt, "Question")

log = logging.getLogger(__name__)
PLATFORM = "slack"


def open_huddle(
    db: Database,
    client: WebClient,
    definition: HuddleDefinition,
    *,
    definition_id: int | None,
    now: datetime | None = None,
    channel: str | None = None,
    workspace: str | None = None,
    source: str = "extra",
) -> int:
    """Create the session and post its opening message; returns the event id.

    `source` is "schedule" for the day's planned session (at most one a day) and "extra" for `/huddle now`.
    """
    now = now or utcnow()
    channel = channel or definition.channel
    closes_at = now + definition.window_delta
    local_close = closes_at.astimezone(ZoneInfo(definition.timezone)).strftime("%H:%M")
    prompts = [p.text for p in definition.prompts]
    with db.session() as s:
        event = Event(
            kind="huddle",
            title=f"{definition.name} {now.astimezone(ZoneInfo(definition.timezone)):%Y-%m-%d}",
            channel=channel,
            platforms=[PLATFORM],
            starts_at=now,
            ends_at=closes_at,
            timezone=definition.timezone,
            status="running",
            workspace=workspace or definition.workspace,
            definition_id=definition_id,
            source=source,
        )
        s.add(event)
        s.flush()
        event.prompts.append(Prompt(kind="welcome", text=f"{definition.name}. {NO_PATIENT_DATA}", due_at=now))
        for i, text in enumerate(prompts, 1):
            event.prompts.append(Prompt(kind="question", number=i, text=text, due_at=now))
        for reminder in definition.reminders:
            event.prompts.append(Prompt(kind="reminder", text="reminder", due_at=closes_at - parse_offset(reminder)))
        event.prompts.append(Prompt(kind="close", text="summary", due_at=closes_at))
        s.flush()
        event_id = event.id
        welcome = event.prompts[0]
        post = OutboundPost(prompt_id=welcome.id, platform=PLATFORM, channel=channel, attempted_at=now)
        s.add(post)
    response = client.chat_postMessage(
        channel=channel,
        text=f"{definition.name}: {len(prompts)} questions, closes {local_close}. {NO_PATIENT_DATA}",
        blocks=huddle_opening(definition.name, prompts, event_id, local_close),
    )
    posted = utcnow()
    with db.session() as s:
        post = s.scalars(
            select(OutboundPost).join(Prompt).where(Prompt.event_id == event_id, Prompt.kind == "welcome")
        ).one()
        post.status, post.platform_id, post.posted_at = "posted", str(response["ts"]), posted
        post.channel = str(response.get("channel") or channel)
        for prompt in s.scalars(
            select(Prompt).where(Prompt.event_id == event_id, Prompt.kind.in_(("welcome", "question")))
        ):
            prompt.posted_at = posted
    return event_id


def huddle_for_thread(session: Session, channel: str, thread_ts: str) -> Event | None:
    return session.scalars(
        select(Event)
        .join(Prompt, Prompt.event_id == Event.id)
        .join(OutboundPost, OutboundPost.prompt_id == Prompt.id)
        .where(
            Prompt.kind == "welcome",
            OutboundPost.platform == PLATFORM,
            OutboundPost.channel == channel,
            OutboundPost.platform_id == thread_ts,
        )
    ).first()


def opening_ts(session: Session, event_id: int) -> tuple[str, str] | None:
    post = session.scalars(
        select(OutboundPost).join(Prompt).where(Prompt.event_id == event_id, Prompt.kind == "welcome")
    ).first()
    if post is None or post.platform_id is None or post.channel is None:
        return None
    return post.channel, post.platform_id


def _questions(session: Session, event_id: int) -> list[Prompt]:
    return list(
        session.scalars(
            select(Prompt).where(Prompt.event_id == event_id, Prompt.kind == "question").order_by(Prompt.number)
        )
    )


def match_prompt(text: str, prompts: Sequence[Q]) -> tuple[Q, str]:
    """Which question a thread reply answers, and how we know.

    A number prefix ("2: ...", "A2 ...") is explicit ("marker"); otherwise the question sharing the most
    words with the reply ("thread"), and the first question when nothing is shared.
    """
    m = NUMBER_PREFIX.match(text)
    if m:
        number = int(m.group(1))
        for p in prompts:
            if p.number == number:
                return p, "marker"
    words = set(re.findall(r"[a-z]{3,}", text.lower()))
    best = max(prompts, key=lambda p: (len(words & set(re.findall(r"[a-z]{3,}", p.text.lower()))), -(p.number or 0)))
    return best, "thread"


def _ts_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=utcnow().tzinfo)


def _author(user: str) -> Author:
    return Author(platform=PLATFORM, id=user, handle=user)


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    number: int | None
    text: str


# (database url, channel, opening ts) -> (event id, questions). A huddle's questions never change once
# posted, and a busy thread would otherwise look its huddle up again for every reply.
_threads: dict[tuple[str, str, str], tuple[int, tuple[Question, ...]]] = {}
_THREADS_KEPT = 4096


def _thread_huddle(
    db: Database, session: Session, channel: str, thread_ts: str
) -> tuple[int, tuple[Question, ...]] | None:
    key = (str(db.engine.url), channel, thread_ts)
    found = _threads.get(key)
    if found is not None:
        return found
    event = huddle_for_thread(session, channel, thread_ts)
    if event is None:
        return None
    found = (event.id, tuple(Question(p.id, p.number, p.text) for p in _questions(session, event.id)))
    if len(_threads) >= _THREADS_KEPT:
        _threads.clear()
    _threads[key] = found
    return found


def record_thread_reply(db: Database, event_payload: dict[str, Any]) -> bool:
    """Store a thread reply to a huddle as an answer; False when it is not a reply to any huddle."""
    channel, ts, thread_ts = event_payload.get("channel"), event_payload.get("ts"), event_payload.get("thread_ts")
    user = event_payload.get("user")
    if not (channel and ts and thread_ts and user) or ts == thread_ts or event_payload.get("bot_id"):
        return False
    with db.session() as s:
        found = _thread_huddle(db, s, channel, thread_ts)
        if found is None:
            return False
        event_id, questions = found
        text = event_payload.get("text") or ""
        message = Message(
            platform=PLATFORM,
            id=f"{channel}:{ts}",
            channel=channel,
            author=_author(user),
            text=text,
            created_at=_ts_time(ts),
            reply_to=f"{channel}:{thread_ts}",
            thread=thread_ts,
            raw=event_payload,
        )
        if store_messages(s, event_id, [message]) == 0:
            return True
        row_id = s.scalar(
            select(MessageRow.id).where(MessageRow.platform == PLATFORM, MessageRow.platform_id == message.id)
        )
        prompt, method = match_prompt(text, list(questions))
        s.add(Answer(message_id=row_id, prompt_id=prompt.id, method=method))
    return True


def record_edit(db: Database, channel: str, edited: dict[str, Any]) -> bool:
    """A changed reply: new text and edited_at; earlier text stays in raw["history"]; the answer follows the text."""
    with db.session() as s:
        row = s.scalars(
            select(MessageRow).where(
                MessageRow.platform == PLATFORM, MessageRow.platform_id == f"{channel}:{edited.get('ts')}"
            )
        ).first()
        if row is None:
            return False
        raw = dict(row.raw or {})
        history = list(raw.get("history", []))
        history.append({"text": row.text, "edited_at": (row.edited_at or row.created_at).isoformat()})
        raw["history"] = history
        raw["latest"] = edited
        row.raw = raw
        row.text = edited.get("text") or ""
        edit_ts = (edited.get("edited") or {}).get("ts")
        row.edited_at = _ts_time(edit_ts) if edit_ts else utcnow()
        answer = s.scalars(select(Answer).where(Answer.message_id == row.id)).first()
        if answer is not None and answer.method in ("marker", "thread"):
            prompt, method = match_prompt(row.text, _questions(s, row.event_id))
            answer.prompt_id, answer.method = prompt.id, method
    return True


def record_delete(db: Database, channel: str, deleted_ts: str) -> bool:
    with db.session() as s:
        row = s.scalars(
            select(MessageRow).where(
                MessageRow.platform == PLATFORM, MessageRow.platform_id == f"{channel}:{deleted_ts}"
            )
        ).first()
        if row is None:
            return False
        row.deleted_at = utcnow()
    return True


def record_form(db: Database, event_id: int, user: str, view: dict[str, Any]) -> int:
    """One message and one `Answer(method="form")` per field filled; returns how many were new."""
    values = view.get("state", {}).get("values", {})
    now = utcnow()
    stored = 0
    with db.session() as s:
        event = s.get(Event, event_id)
        if event is None:
            return 0
        by_number = {p.number: p for p in _questions(s, event_id)}
        for block_id, actions in values.items():
            text = ((actions.get("answer") or {}).get("value") or "").strip()
            if not text or not block_id.startswith("p") or not block_id[1:].isdigit():
                continue
            prompt = by_number.get(int(block_id[1:]))
            if prompt is None:
                continue
            message = Message(
                platform=PLATFORM,
                id=f"{view['id']}:{block_id}",
                channel=event.channel or "",
                author=_author(user),
                text=text,
                created_at=now,
                raw={"view_id": view["id"], "block_id": block_id, "user": user, "values": {block_id: actions}},
            )
            if store_messages(s, event_id, [message]) == 0:
                continue
            row = s.scalars(
                select(MessageRow).where(MessageRow.platform == PLATFORM, MessageRow.platform_id == message.id)
            ).one()
            s.add(Answer(message_id=row.id, prompt_id=prompt.id, method="form"))
            stored += 1
    return stored


def answered_users(session: Session, event_id: int) -> set[str]:
    from transcripts.models import Participant

    rows = session.scalars(
        select(Participant.platform_user_id)
        .join(MessageRow, MessageRow.participant_id == Participant.id)
        .where(MessageRow.event_id == event_id, MessageRow.deleted_at.is_(None))
    )
    return set(rows)


def expected_members(client: WebClient, definition: HuddleDefinition | None, channel: str) -> list[str]:
    """Who should answer: the definition's list, else the channel's human members (the bot excluded)."""
    if definition and definition.members:
        return list(definition.members)
    me = client.auth_test().get("user_id")
    members: list[str] = []
    cursor = None
    while True:
        page = client.conversations_members(channel=channel, cursor=cursor, limit=200)
        members.extend(m for m in page.get("members", []) if m != me)
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return members


def _definition(session: Session, event: Event) -> HuddleDefinition | None:
    from transcripts.models import Definition

    if event.definition_id is None:
        return None
    row = session.get(Definition, event.definition_id)
    return HuddleDefinition.model_validate(row.body) if row else None


def remind(db: Database, client: WebClient, event_id: int, prompt_id: int) -> list[str]:
    """Mention (in the thread) or DM everyone who has not answered yet; returns who was reminded."""
    with db.session() as s:
        event = s.get(Event, event_id)
        where = opening_ts(s, event_id)
        if event is None or where is None or event.status != "running":
            return []
        definition = _definition(s, event)
        answered = answered_users(s, event_id)
        closes = event.ends_at
    channel, ts = where
    quiet = [m for m in expected_members(client, definition, channel) if m not in answered]
    via = definition.remind_via if definition else "thread"
    left = (
        f"closes at {closes.astimezone(ZoneInfo(definition.timezone if definition else 'UTC')):%H:%M}" if closes else ""
    )
    if quiet and via == "dm":
        for user in quiet:
            client.chat_postMessage(
                channel=user, text=f"A reminder: the huddle in <#{channel}> {left}. Your answers help."
            )
    elif quiet:
        mentions = " ".join(f"<@{u}>" for u in quiet)
        client.chat_postMessage(channel=channel, thread_ts=ts, text=f"{mentions} a reminder: this huddle {left}.")
    with db.session() as s:
        prompt = s.get(Prompt, prompt_id)
        if prompt is not None:
            prompt.posted_at = utcnow()
    return quiet


def close(db: Database, client: WebClient, event_id: int, prompt_id: int) -> None:
    """Post the summary in the thread and to the channel, and mark the session closed."""
    with db.session() as s:
        event = s.get(Event, event_id)
        where = opening_ts(s, event_id)
        if event is None or where is None or event.status != "running":
            return
        definition = _definition(s, event)
    channel, ts = where
    members = expected_members(client, definition, channel)
    with db.session() as s:
        text = huddle_summary(s, event_id, members, definition)
    client.chat_postMessage(channel=channel, thread_ts=ts, reply_broadcast=True, text=text)
    with db.session() as s:
        event = s.get(Event, event_id)
        assert event is not None
        event.status = "closed"
        prompt = s.get(Prompt, prompt_id)
        if prompt is not None:
            prompt.posted_at = utcnow()


def advance(db: Database, client_for: Any, now: datetime | None = None) -> int:
    """Send every reminder and close that is due in running huddles; returns how many were done."""
    now = now or utcnow()
    with db.session() as s:
        due = list(
            s.execute(
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
        )
    for prompt_id, kind, event_id, workspace in due:
        try:
            client = client_for(workspace)
            if kind == "reminder":
                remind(db, client, event_id, prompt_id)
            else:
                close(db, client, event_id, prompt_id)
        except Exception:  # one failing huddle must not stop the others; the next tick retries it
            log.exception("huddle %s: %s failed", event_id, kind)
    return len(due)


def opened_today(session: Session, definition_id: int, definition: HuddleDefinition, now: datetime) -> bool:
    """Whether today's scheduled session already exists: a job run twice (restart, failover) opens one huddle."""
    zone = ZoneInfo(definition.timezone)
    today = now.astimezone(zone).date()
    starts = session.scalars(
        select(Event.starts_at)
        .where(Event.kind == "huddle", Event.definition_id == definition_id, Event.source == "schedule")
        .order_by(Event.starts_at.desc())
    ).first()
    return starts is not None and starts.astimezone(zone).date() == today


def is_skipped(definition: HuddleDefinition, now: datetime) -> bool:
    return now.astimezone(ZoneInfo(definition.timezone)).date() in definition.skip_dates
