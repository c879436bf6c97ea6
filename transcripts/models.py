"""SQLAlchemy 2 typed models of the record.

Times are stored as naive UTC and handed back timezone-aware (`UTCDateTime`) so SQLite and PostgreSQL
behave the same. Messages are unique per (platform, platform_id): that constraint, not application
checks, is what makes capture idempotent across re-deliveries, overlapping polls and restarts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC; refuses naive input so no local time slips in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the record; use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Definition(Base):
    """A chat or huddle definition as added by a host; huddle sessions are events made from it."""

    __tablename__ = "definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    workspace: Mapped[str | None] = mapped_column(String(64), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """A chat or a huddle session: one hour on a hashtag, or one huddle in one channel on one day."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "chat" | "huddle"
    title: Mapped[str] = mapped_column(String(300))
    topic: Mapped[str | None] = mapped_column(Text)
    hashtag: Mapped[str | None] = mapped_column(String(100), index=True)
    channel: Mapped[str | None] = mapped_column(String(100))
    platforms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    host: Mapped[str | None] = mapped_column(String(100))
    cohosts: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)  # handles whose posts are never answers
    # Totals the source published that the record cannot recompute ({"reach": 453257}), shown as the source's.
    published_totals: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    source: Mapped[str | None] = mapped_column(String(500))
    workspace: Mapped[str | None] = mapped_column(String(64), index=True)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("definitions.id", ondelete="SET NULL"))
    page_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when something other than a post changed what the event shows (an erasure): a running web app
    # builds its pages and pictures again (bot.web.page_cache reads every column for its version).
    revised_at: Mapped[datetime | None]

    prompts: Mapped[list[Prompt]] = relationship(
        back_populates="event", order_by="Prompt.id", cascade="all, delete-orphan"
    )
    messages: Mapped[list[MessageRow]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )


class Prompt(Base):
    """Something the host (or bot) says at a planned time: welcome, numbered question, reminder, close."""

    __tablename__ = "prompts"
    __table_args__ = (Index("ix_prompts_event_kind", "event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="question")
    number: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    posted_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship(back_populates="prompts")
    posts: Mapped[list[OutboundPost]] = relationship(
        back_populates="prompt", cascade="all, delete-orphan", order_by="OutboundPost.id"
    )


class OutboundPost(Base):
    """The bot's intent to post a prompt on one platform, and its outcome.

    Written before the platform is called and completed with the platform id after, so a restarted
    worker can tell a prompt that was posted from one that was only planned.
    """

    __tablename__ = "outbound_posts"
    __table_args__ = (
        UniqueConstraint("prompt_id", "platform", name="uq_outbound_prompt_platform"),
        # A reply in a huddle's thread is matched to its huddle by the opening post's id.
        Index("ix_outbound_posts_platform_id", "platform", "platform_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | posted | failed
    platform_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(100))
    attempted_at: Mapped[datetime | None]
    posted_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    prompt: Mapped[Prompt] = relationship(back_populates="posts")


class Participant(Base):
    """A person on one platform. `followers` None means unknown, which analysis keeps distinct from 0."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id", name="uq_participant_platform_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(100))
    handle: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    bio: Mapped[str | None] = mapped_column(Text)
    followers: Mapped[int | None] = mapped_column(Integer)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    workspace: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MessageRow(Base):
    """A stored post. Named `MessageRow` to keep it apart from the in-flight `Message` record."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("platform", "platform_id", name="uq_message_platform_id"),
        Index("ix_messages_event_created", "event_id", "created_at"),
        Index("ix_messages_event_platform", "event_id", "platform"),  # the visibility rule: any Slack post?
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(100))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    reply_to: Mapped[str | None] = mapped_column(String(200))
    thread: Mapped[str | None] = mapped_column(String(200))
    quote_of: Mapped[str | None] = mapped_column(String(200))
    repost_of: Mapped[str | None] = mapped_column(String(200))
    is_repost: Mapped[bool] = mapped_column(Boolean, default=False)
    mentions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    hashtags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    urls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    # Why a huddle reply is kept out of summaries, pages and CPD logs (it looked like patient-identifiable
    # information); its text is not kept meanwhile. None for every message that is shown.
    withheld_reason: Mapped[str | None] = mapped_column(Text)
    captured_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="messages")
    participant: Mapped[Participant] = relationship()


# The one rule for which stored posts are shown and counted (pages, counts, the API, summaries, CPD logs and
# portfolios): not deleted by their author, and not withheld as patient-identifiable information.
SHOWN = and_(MessageRow.deleted_at.is_(None), MessageRow.withheld_reason.is_(None))
# Posts their authors deleted that the transcript marks where they stood (a withheld one leaves no mark).
DELETED_BY_AUTHOR = and_(MessageRow.deleted_at.is_not(None), MessageRow.withheld_reason.is_(None))


class ChatCapture(Base):
    """Where capture of one chat on one platform has got to, and what it has cost there.

    `cursor` is the platform's own note of what it has already seen (opaque here), saved with the posts
    it led to, so a restarted worker resumes the search; the counters are what the platform returned
    and what the bot created, the figures a pay-per-use API bills.
    """

    __tablename__ = "chat_captures"
    __table_args__ = (UniqueConstraint("event_id", "platform", name="uq_chat_capture_event_platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    posts_read: Mapped[int] = mapped_column(Integer, default=0)
    users_read: Mapped[int] = mapped_column(Integer, default=0)
    posts_created: Mapped[int] = mapped_column(Integer, default=0)
    posts_created_with_url: Mapped[int] = mapped_column(Integer, default=0)
    deletions_checked_at: Mapped[datetime | None]
    reposts: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Answer(Base):
    """A message that answers a prompt, and how we know (marker, reply, quote, window, thread, form)."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16))


class Escalation(Base):
    """A concern raised in SBAR form, and who acknowledged and resolved it when."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str | None] = mapped_column(String(64), index=True)
    team_channel: Mapped[str | None] = mapped_column(String(100))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("definitions.id", ondelete="SET NULL"))
    level: Mapped[int] = mapped_column(Integer)
    situation: Mapped[str] = mapped_column(Text)
    background: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acknowledged | resolved
    raised_by: Mapped[str] = mapped_column(String(100))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime | None]
    readback: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None]
    contact_step: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[datetime | None]
    posted_channel: Mapped[str | None] = mapped_column(String(100))
    posted_ts: Mapped[str | None] = mapped_column(String(64))
    history: Mapped[list[Any]] = mapped_column(JSON, default=list)


class LevelChange(Base):
    """Every change of a team's escalation level, with who set it and why."""

    __tablename__ = "level_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str | None] = mapped_column(String(64), index=True)
    team_channel: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The level's agreed actions as they stood when it was declared: what the team committed to do.
    actions_taken: Mapped[list[Any] | None] = mapped_column(JSON, default=list)


class Action(Base):
    """Something a huddle agreed to do: what, whose, by when. Open actions are followed up at the next huddle."""

    __tablename__ = "actions"
    __table_args__ = (Index("ix_actions_team_status", "team_channel", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str | None] = mapped_column(String(64), index=True)
    team_channel: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    what: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class HarmEvent(Base):
    """A harm a team recorded (a fall, a pressure ulcer...): the days since the last of each kind are its tally."""

    __tablename__ = "harm_events"
    __table_args__ = (Index("ix_harm_events_team_kind", "team_channel", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str | None] = mapped_column(String(64), index=True)
    team_channel: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(80))
    occurred_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CPDEntry(Base):
    """A participant's own reflections on an event, saved only at their request."""

    __tablename__ = "cpd_entries"
    # One entry per writer: each owner key is its own, so nobody's save can lock another person out.
    __table_args__ = (
        UniqueConstraint("owner_key_hash", name="uq_cpd_owner_key"),
        Index("ix_cpd_event_participant", "event_id", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    reflections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    owner_key_hash: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InstallationSecret(Base):
    """A secret this installation generated for itself (the signing key when SECRET_KEY is unset)."""

    __tablename__ = "installation_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UsedSigninToken(Base):
    """A sign-in link already used (its SHA-256), kept until it would have expired, so it works once."""

    __tablename__ = "used_signin_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# slack_sdk's OAuth store tables and the Slack event inbox live on this metadata too (in their own module).
from transcripts import slack_stores  # noqa: E402, F401
