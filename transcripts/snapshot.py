"""A read-only, in-memory view of one event's record, loaded in a few queries.

Analysis, exporters and pages all work from this snapshot rather than from ORM objects: it loads in
bulk (fast on a 50,000-post chat), can't lazy-load behind a closed session, and keeps the analysis
pure functions of data that tests can build by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy import Text, select, type_coerce
from sqlalchemy.orm import Session

from transcripts.errors import RecordError
from transcripts.models import Answer, ChatCapture, Event, MessageRow, OutboundPost, Participant, Prompt

REMOVED_TEXT = "removed at the author's request"
_ROWS_AT_A_TIME = 5000  # rows fetched at a time (a server-side cursor on PostgreSQL): the result is never held whole


@dataclass(frozen=True, slots=True)
class PersonView:
    id: int
    platform: str
    platform_user_id: str
    handle: str
    name: str | None
    bio: str | None
    followers: int | None


@dataclass(frozen=True, slots=True)
class PromptView:
    id: int
    kind: str
    number: int | None
    text: str
    due_at: datetime | None
    posted_at: datetime | None
    post_ids: frozenset[str]  # platform ids of the posts that asked it (ours, or the imported one)


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    platform: str
    platform_id: str
    channel: str | None
    author_id: int
    text: str
    created_at: datetime
    reply_to: str | None
    thread: str | None
    quote_of: str | None
    repost_of: str | None
    is_repost: bool
    mentions: tuple[str, ...]
    hashtags: tuple[str, ...]
    urls: tuple[str, ...]
    reply_to_handle: str | None  # for imported pages without ids: the @handle a reply opens with
    edited_at: datetime | None
    deleted: bool

    @property
    def is_reply(self) -> bool:
        """A reply by the platform's own link, or (for imported pages without ids) a post opening with @."""
        return self.reply_to is not None or self.reply_to_handle is not None


@dataclass(frozen=True, slots=True)
class PlatformUsage:
    posts_read: int
    users_read: int
    posts_created: int
    posts_created_with_url: int
    reposts_counted: int | None  # Bluesky: reposts of the chat's prompts, counted with getRepostedBy


@dataclass(slots=True)
class EventSnapshot:
    id: int
    kind: str
    title: str
    topic: str | None
    hashtag: str | None
    channel: str | None
    platforms: list[str]
    host: str | None
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    status: str
    workspace: str | None
    page_url: str | None
    cohosts: tuple[str, ...] = ()  # handles that post for the chat, as the host does
    published_totals: dict[str, int] = field(default_factory=dict)  # the source's own totals ("reach")
    prompts: list[PromptView] = field(default_factory=list)
    messages: list[MessageView] = field(default_factory=list)  # oldest first, deleted ones left out
    people: dict[int, PersonView] = field(default_factory=dict)
    explicit_answers: dict[int, tuple[int, str]] = field(default_factory=dict)  # message id -> (prompt id, how)
    # When each post its author deleted was made (no text, no author): the transcript keeps its place.
    deleted_at_times: list[datetime] = field(default_factory=list)
    # What each platform's API returned and was asked to make for this chat (chat_captures), for its cost.
    usage: dict[str, PlatformUsage] = field(default_factory=dict)

    @property
    def questions(self) -> list[PromptView]:
        return sorted((p for p in self.prompts if p.kind == "question"), key=lambda p: (p.number or 0, p.id))

    def author(self, message: MessageView) -> PersonView:
        return self.people[message.author_id]


def _json_tuples() -> dict[str | None, tuple[str, ...]]:
    """A JSON list column's text -> its tuple, decoded once per distinct value: a chat's posts repeat the
    same hashtags, mentions and empty lists thousands of times."""
    return {None: (), "": (), "[]": ()}


def _json_tuple(value: str | list[str] | None, seen: dict[str | None, tuple[str, ...]]) -> tuple[str, ...]:
    """SQLite hands JSON back as text; psycopg has already decoded it."""
    if isinstance(value, list):
        return tuple(value)
    found = seen.get(value)
    if found is None:
        found = seen[value] = tuple(orjson.loads(value)) if value else ()
    return found


def load_event(session: Session, event_id: int, after_id: int = 0) -> EventSnapshot:
    """Load one event whole (or only its messages with ids above `after_id`, for a live view that has
    the rest); raises RecordError when there is no such event."""
    event = session.get(Event, event_id)
    if event is None:
        raise RecordError(f"event {event_id}", "no such event")
    snap = EventSnapshot(
        id=event.id,
        kind=event.kind,
        title=event.title,
        topic=event.topic,
        hashtag=event.hashtag,
        channel=event.channel,
        platforms=list(event.platforms or []),
        host=event.host,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        status=event.status,
        workspace=event.workspace,
        page_url=event.page_url,
        cohosts=tuple(event.cohosts or ()),
        published_totals=dict(event.published_totals or {}),
    )
    prompts = session.scalars(select(Prompt).where(Prompt.event_id == event_id).order_by(Prompt.id)).all()
    asked_by: dict[int, set[str]] = {p.id: set() for p in prompts}
    for prompt_id, platform_id in session.execute(
        select(OutboundPost.prompt_id, OutboundPost.platform_id).where(
            OutboundPost.prompt_id.in_(list(asked_by)), OutboundPost.platform_id.is_not(None)
        )
    ):
        asked_by[prompt_id].add(platform_id)
    message_ids = [p.message_id for p in prompts if p.message_id]
    if message_ids:
        id_to_platform_id = dict(
            session.execute(select(MessageRow.id, MessageRow.platform_id).where(MessageRow.id.in_(message_ids))).all()
        )
        for p in prompts:
            if p.message_id in id_to_platform_id:
                asked_by[p.id].add(id_to_platform_id[p.message_id])
    snap.prompts = [
        PromptView(p.id, p.kind, p.number, p.text, p.due_at, p.posted_at, frozenset(asked_by[p.id])) for p in prompts
    ]
    c = MessageRow.__table__.c
    # The raw payloads are not loaded (they are most of a row's size); only the one field analysis reads.
    # JSON lists come back as text and are decoded with orjson, several times faster than the JSON type.
    rows = session.execute(
        select(
            c.id, c.platform, c.platform_id, c.channel, c.participant_id, c.text, c.created_at, c.reply_to,
            c.thread, c.quote_of, c.repost_of, c.is_repost, type_coerce(c.mentions, Text),
            type_coerce(c.hashtags, Text), type_coerce(c.urls, Text), c.raw["in_reply_to_handle"].as_string(),
            c.edited_at,
        )
        .where(c.event_id == event_id, c.deleted_at.is_(None), c.withheld_reason.is_(None), c.id > after_id)
        .order_by(c.created_at, c.id)
        .execution_options(yield_per=_ROWS_AT_A_TIME)
    )  # fmt: skip
    seen = _json_tuples()
    # One object per distinct value: a post's author id, platform and channel repeat across the chat, and its
    # thread, reply and quote name posts read before it. Each post then holds references, not copies.
    shared: dict[object, object] = {None: None}
    one = shared.setdefault
    add = snap.messages.append
    for (mid, platform, platform_id, channel, author_id, text, created_at, reply_to, thread, quote_of, repost_of,
         is_repost, mentions, hashtags, urls, reply_to_handle, edited_at) in rows:  # fmt: skip
        platform_id = one(platform_id, platform_id)
        # Positional, in MessageView's field order: keywords cost a frozen dataclass more, 50,000 times.
        add(
            MessageView(
                mid, one(platform, platform), platform_id, one(channel, channel), one(author_id, author_id), text,
                created_at, one(reply_to, reply_to), one(thread, thread), one(quote_of, quote_of),
                one(repost_of, repost_of), bool(is_repost), _json_tuple(mentions, seen), _json_tuple(hashtags, seen),
                _json_tuple(urls, seen), reply_to_handle, edited_at, False,
            )
        )  # fmt: skip
    del shared
    author_ids = {m.author_id for m in snap.messages}
    if not after_id:
        snap.deleted_at_times = list(
            session.scalars(
                select(c.created_at)
                .where(c.event_id == event_id, c.deleted_at.is_not(None), c.withheld_reason.is_(None))
                .order_by(c.created_at)
            )
        )
        for u in session.scalars(select(ChatCapture).where(ChatCapture.event_id == event_id)):
            snap.usage[u.platform] = PlatformUsage(
                u.posts_read, u.users_read, u.posts_created, u.posts_created_with_url, u.reposts
            )
    ids = sorted(author_ids)
    pc = Participant.__table__.c
    people = (pc.id, pc.platform, pc.platform_user_id, pc.handle, pc.name, pc.bio, pc.followers)  # PersonView's fields
    for start in range(0, len(ids), 500):
        for row in session.execute(select(*people).where(Participant.id.in_(ids[start : start + 500]))):
            snap.people[row[0]] = PersonView(*row)
    if snap.prompts:
        for message_id, prompt_id, method in session.execute(
            select(Answer.message_id, Answer.prompt_id, Answer.method).where(
                Answer.prompt_id.in_([p.id for p in snap.prompts])
            )
        ):
            snap.explicit_answers[message_id] = (prompt_id, method)
    return snap
