"""Erasure, access and retention for the people in the record.

UK GDPR gives a person the right to have their personal data erased (Article 17) and to get a copy
of it (Article 15, the subject access request); storage limitation (Article 5(1)(e)) says data is
kept no longer than needed. NHS guidance on instant messaging in clinical settings adds that
messaging apps are not the record: anything clinically relevant belongs in the patient record and
chat history should be purged on a schedule. So:

- `forget_person` erases a person everywhere while keeping transcripts' shape: their messages stay
  as "removed at the author's request" (other people's answers still make sense in order), their
  profile becomes an anonymous placeholder, and their handle/id is scrubbed from every other table,
  including tables that are not ours (APScheduler jobs, Slack installation stores), found generically.
- `export_person` hands back everything held about them as JSON-serialisable data.
- `purge_older_than` deletes old huddle sessions with everything hanging off them.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, LargeBinary, MetaData, String, Table, Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from transcripts.models import (
    Answer,
    CPDEntry,
    Escalation,
    Event,
    LevelChange,
    MessageRow,
    Participant,
)
from transcripts.slack_stores import SLACK_OAUTH_STATES
from transcripts.snapshot import REMOVED_TEXT

PLACEHOLDER_MENTION = "@removed"
PLACEHOLDER_WORD = "removed"


@dataclass
class ForgetResult:
    """Counts of what was erased, so the CLI can tell the requester what happened."""

    profiles: int = 0
    messages: int = 0
    answers: int = 0
    cpd_entries: int = 0
    scrubbed: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "profiles": self.profiles,
            "messages": self.messages,
            "answers": self.answers,
            "cpd_entries": self.cpd_entries,
            "scrubbed_rows": dict(self.scrubbed),
        }


def _find(session: Session, handle: str, platform: str | None) -> list[Participant]:
    query = select(Participant).where(func.lower(Participant.handle) == handle.lstrip("@").lower())
    if platform is not None:
        query = query.where(Participant.platform == platform)
    return list(session.scalars(query.order_by(Participant.id)))


class _Scrubber:
    """Replaces whole-token occurrences of the person's identifiers inside strings and JSON values."""

    def __init__(self, needles: set[str]) -> None:
        self.needles = {n.lower() for n in needles if n}
        alternatives = "|".join(re.escape(n) for n in sorted(self.needles, key=len, reverse=True))
        self.mention = re.compile(rf"@(?:{alternatives})(?![\w.-])", re.IGNORECASE)
        self.token = re.compile(rf"(?<![\w.-])(?:{alternatives})(?![\w.-])", re.IGNORECASE)
        self.loose = re.compile(alternatives, re.IGNORECASE)

    def contains(self, value: str) -> bool:
        return bool(self.loose.search(value))

    def text(self, value: str) -> str:
        value = self.mention.sub(PLACEHOLDER_MENTION, value)
        value = self.token.sub(PLACEHOLDER_WORD, value)
        # Anything still embedded (e.g. inside a URL path or a longer token) goes too: erasure beats prettiness.
        return self.loose.sub(PLACEHOLDER_WORD, value)

    def deep(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.deep(v) for k, v in value.items()}
        return value


def _scrub_table(session: Session, table: Table, scrubber: _Scrubber) -> int:
    """Rewrite (or, for opaque binary values, delete) every row of `table` that mentions the person."""
    pk = list(table.primary_key.columns)
    changed = 0
    for column in table.columns:
        if isinstance(column.type, LargeBinary):
            rows = session.execute(select(*(pk or table.columns), column)).all()
            for row in rows:
                blob = row[-1]
                if blob is not None and scrubber.contains(bytes(blob).decode("latin-1")):
                    # A pickled job or opaque payload cannot be edited safely; it is removed whole.
                    where = [c == row[i] for i, c in enumerate(pk or table.columns)]
                    session.execute(delete(table).where(*where))
                    changed += 1
            continue
        as_text = func.lower(cast(column, Text))
        matches = or_(*(as_text.contains(n, autoescape=True) for n in scrubber.needles))
        rows = session.execute(select(*pk, column).where(matches)).all() if pk else []
        for row in rows:
            value = row[-1]
            if isinstance(column.type, JSON) or isinstance(value, dict | list):
                new: Any = scrubber.deep(value)
            elif isinstance(value, str):
                new = scrubber.text(value)
                if isinstance(column.type, String) and column.type.length:
                    new = new[: column.type.length]
            else:
                continue  # numbers and times only matched by coincidence of digits; they name nobody
            if new != value:
                session.execute(
                    update(table).where(*[c == row[i] for i, c in enumerate(pk)]).values({column.name: new})
                )
                changed += 1
        if not pk and session.execute(select(func.count()).select_from(table).where(matches)).scalar_one():
            session.execute(delete(table).where(matches))
            changed += 1
    return changed


def forget_person(session: Session, handle: str, *, platform: str | None = None) -> ForgetResult:
    """Erase `handle` (case-insensitive; every platform unless `platform`) from the whole database."""
    people = _find(session, handle, platform)
    result = ForgetResult()
    if not people:
        return result
    needles = {handle.lstrip("@")}
    for person in people:
        needles.update({person.handle, person.platform_user_id})
    ids = [p.id for p in people]
    message_ids = list(session.scalars(select(MessageRow.id).where(MessageRow.participant_id.in_(ids))))
    if message_ids:
        result.answers = session.execute(delete(Answer).where(Answer.message_id.in_(message_ids))).rowcount or 0
        result.messages = (
            session.execute(
                update(MessageRow)
                .where(MessageRow.id.in_(message_ids))
                .values(
                    text=REMOVED_TEXT,
                    raw=None,
                    mentions=[],
                    hashtags=[],
                    urls=[],
                    reply_to=None,
                    quote_of=None,
                    repost_of=None,
                )
            ).rowcount
            or 0
        )
    result.cpd_entries = session.execute(delete(CPDEntry).where(CPDEntry.participant_id.in_(ids))).rowcount or 0
    for person in people:
        person.handle = f"removed-{person.id}"
        person.platform_user_id = f"removed-{secrets.token_hex(8)}"
        person.name = None
        person.bio = None
        person.followers = None
    result.profiles = len(people)
    session.flush()

    scrubber = _Scrubber(needles)
    bind = session.connection()
    metadata = MetaData()
    metadata.reflect(bind=bind)
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        changed = _scrub_table(session, table, scrubber)
        if changed:
            result.scrubbed[table.name] = changed
    return result


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _row(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        out[column.key] = _iso(value) if isinstance(value, datetime) else value
    return out


def export_person(session: Session, handle: str) -> dict[str, Any]:
    """Everything held about `handle` on any platform, for a subject access request."""
    people = _find(session, handle, None)
    ids = [p.id for p in people]
    # Escalations and level changes name a Slack member by user id (U0…), not by handle.
    names = {p.handle.lower() for p in people} | {p.platform_user_id.lower() for p in people}
    names.add(handle.lstrip("@").lower())
    messages = session.execute(
        select(MessageRow, Event.title, Event.starts_at)
        .join(Event, Event.id == MessageRow.event_id)
        .where(MessageRow.participant_id.in_(ids))
        .order_by(MessageRow.created_at, MessageRow.id)
    ).all()
    answers = session.execute(
        select(Answer).join(MessageRow, MessageRow.id == Answer.message_id).where(MessageRow.participant_id.in_(ids))
    ).scalars()
    cpd = session.scalars(select(CPDEntry).where(CPDEntry.participant_id.in_(ids)))
    lowered = [
        func.lower(Escalation.raised_by),
        func.lower(Escalation.acknowledged_by),
        func.lower(Escalation.resolved_by),
    ]
    escalations = session.scalars(select(Escalation).where(or_(*(c.in_(names) for c in lowered))))
    levels = session.scalars(select(LevelChange).where(func.lower(LevelChange.set_by).in_(names)))
    return {
        "handle": handle,
        "exported_at": datetime.now(UTC).isoformat(),
        "profiles": [_row(p) for p in people],
        "messages": [
            {**_row(m), "event_title": title, "event_starts_at": _iso(starts)} for m, title, starts in messages
        ],
        "answers": [_row(a) for a in answers],
        "cpd_entries": [_row(c) for c in cpd],
        "escalations": [_row(e) for e in escalations],
        "level_changes": [_row(lc) for lc in levels],
    }


def purge_older_than(session: Session, days: int, *, kind: str = "huddle") -> int:
    """Delete `kind` events that ended (or, with no end, started) more than `days` days ago; returns the count."""
    if days <= 0:
        raise ValueError("days must be positive")
    cutoff = datetime.now(UTC) - timedelta(days=days)
    ended = func.coalesce(Event.ends_at, Event.starts_at)
    events = list(session.scalars(select(Event).where(Event.kind == kind, ended < cutoff)))
    for event in events:
        # ORM delete so prompts/posts cascade even where the database does not enforce foreign keys.
        message_ids = select(MessageRow.id).where(MessageRow.event_id == event.id)
        session.execute(delete(Answer).where(Answer.message_id.in_(message_ids)))
        session.execute(delete(CPDEntry).where(CPDEntry.event_id == event.id))
        session.execute(delete(MessageRow).where(MessageRow.event_id == event.id))
        session.delete(event)
    session.flush()
    return len(events)


def purge_expired_install_states(session: Session) -> int:
    """Drop the one-time states of Slack installs that were started and never finished, once expired."""
    now = datetime.now(UTC).replace(tzinfo=None)  # slack_sdk stores naive UTC
    result = session.execute(delete(SLACK_OAUTH_STATES).where(SLACK_OAUTH_STATES.c.expire_at < now))
    return max(result.rowcount, 0)
