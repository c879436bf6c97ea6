"""The one capture path: every platform, importer and replay stores messages through here.

Idempotence lives in the database: messages insert with ON CONFLICT DO NOTHING on
(platform, platform_id), so a re-delivered webhook, an overlapping poll or a re-imported file stores
each post once. Work is done in bulk (one SELECT for known authors, one executemany for messages)
because a busy chat or a 50,000-post import must not be bound by per-row round trips.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from transcripts.message import Author, Message
from transcripts.models import MessageRow, Participant

_IN_CHUNK = 500  # keeps IN lists under SQLite's bound-parameter limit


def _insert(session: Session, table: Any) -> Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise RuntimeError(f"unsupported database dialect {dialect!r}")


def upsert_participants(session: Session, authors: Iterable[Author]) -> dict[tuple[str, str], int]:
    """Make sure every author has a participant row, refreshing profile fields we now know.

    Returns (platform, platform user id) -> participant id. A follower count we learn is kept; an
    unknown one (None) never overwrites a known one.
    """
    latest: dict[tuple[str, str], Author] = {}
    for author in authors:
        latest[(author.platform, author.id)] = author
    if not latest:
        return {}
    keys = list(latest)
    existing: dict[tuple[str, str], Participant] = {}
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        rows = session.scalars(
            select(Participant).where(tuple_(Participant.platform, Participant.platform_user_id).in_(chunk))
        )
        for row in rows:
            existing[(row.platform, row.platform_user_id)] = row
    new_rows = []
    for key, author in latest.items():
        row = existing.get(key)
        if row is None:
            new_rows.append(
                {
                    "platform": author.platform,
                    "platform_user_id": author.id,
                    "handle": author.handle,
                    "name": author.name,
                    "bio": author.bio,
                    "followers": author.followers,
                    "protected": author.protected,
                }
            )
            continue
        row.handle = author.handle or row.handle
        if author.name is not None:
            row.name = author.name
        if author.bio is not None:
            row.bio = author.bio
        if author.followers is not None:
            row.followers = author.followers
        row.protected = author.protected
    if new_rows:
        session.execute(_insert(session, Participant.__table__), new_rows)
    session.flush()
    ids: dict[tuple[str, str], int] = {k: p.id for k, p in existing.items()}
    missing = [k for k in keys if k not in ids]
    for start in range(0, len(missing), _IN_CHUNK):
        chunk = missing[start : start + _IN_CHUNK]
        for pid, platform, user_id in session.execute(
            select(Participant.id, Participant.platform, Participant.platform_user_id).where(
                tuple_(Participant.platform, Participant.platform_user_id).in_(chunk)
            )
        ):
            ids[(platform, user_id)] = pid
    return ids


def message_row(event_id: int, participant_id: int, message: Message) -> dict[str, Any]:
    """The column values of one message, as the bulk insert takes them."""
    return {
        "event_id": event_id,
        "platform": message.platform,
        "platform_id": message.id,
        "channel": message.channel,
        "participant_id": participant_id,
        "text": message.text,
        "created_at": message.created_at,
        "reply_to": message.reply_to,
        "thread": message.thread,
        "quote_of": message.quote_of,
        "repost_of": message.repost_of,
        "is_repost": message.is_repost,
        "mentions": list(message.mentions),
        "hashtags": list(message.hashtags),
        "urls": list(message.urls),
        "raw": message.raw,
    }


def store_messages(session: Session, event_id: int, messages: Sequence[Message]) -> int:
    """Store messages for an event; returns how many were new. Posts by protected accounts are skipped."""
    public = [m for m in messages if not m.author.protected]
    if not public:
        return 0
    ids = upsert_participants(session, (m.author for m in public))
    before = _count_known(session, public)
    rows = [message_row(event_id, ids[(m.platform, m.author.id)], m) for m in public]
    session.execute(_insert(session, MessageRow.__table__), rows)
    return len({(m.platform, m.id) for m in public}) - before


def _count_known(session: Session, messages: Sequence[Message]) -> int:
    keys = list({(m.platform, m.id) for m in messages})
    known = 0
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        known += len(
            session.execute(
                select(MessageRow.id).where(tuple_(MessageRow.platform, MessageRow.platform_id).in_(chunk))
            ).all()
        )
    return known


def latest_platform_id(session: Session, event_id: int, platform: str) -> str | None:
    """The newest stored post id for an event on a platform, so capture resumes where it stopped."""
    row = session.execute(
        select(MessageRow.platform_id)
        .where(MessageRow.event_id == event_id, MessageRow.platform == platform)
        .order_by(MessageRow.created_at.desc(), MessageRow.id.desc())
        .limit(1)
    ).first()
    return row[0] if row else None
