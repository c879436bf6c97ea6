"""Erasure, access and retention for the people in the record.

UK GDPR gives a person the right to have their personal data erased (Article 17) and to get a copy
of it (Article 15, the subject access request); storage limitation (Article 5(1)(e)) says data is
kept no longer than needed. NHS guidance on instant messaging in clinical settings adds that
messaging apps are not the record: anything clinically relevant belongs in the patient record and
chat history should be purged on a schedule. So:

- `forget_person` erases a person exactly while keeping transcripts' shape: their messages stay as
  "removed at the author's request" (other people's answers still make sense in order), their
  profile becomes an anonymous placeholder, their CPD entries go, and their identifiers are replaced
  wherever they are stored as identifiers (who raised or set something, mention lists, ids and
  handles in JSON payloads - rewritten as JSON) in every table, ours or not. In other people's words
  only whole mentions of them (`@ed`, Slack's `<@U…>`) are replaced - never a substring - and no row
  is ever deleted for containing a string (a scheduler's pickled jobs are left whole).
- `export_person` hands back everything held about them as JSON-serialisable data.
- `purge_older_than` deletes old huddle sessions with everything hanging off them.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, LargeBinary, MetaData, String, Table, Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from transcripts.models import (
    Action,
    Answer,
    CPDEntry,
    Escalation,
    Event,
    LevelChange,
    MessageRow,
    Participant,
    utcnow,
)
from transcripts.slack_payload import said
from transcripts.slack_stores import SLACK_INBOX, SLACK_OAUTH_STATES, drop
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
    waiting_events: int = 0
    scrubbed: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "profiles": self.profiles,
            "messages": self.messages,
            "answers": self.answers,
            "cpd_entries": self.cpd_entries,
            "waiting_slack_events": self.waiting_events,
            "scrubbed_rows": dict(self.scrubbed),
        }


def _find(session: Session, handle: str, platform: str | None) -> list[Participant]:
    query = select(Participant).where(func.lower(Participant.handle) == handle.lstrip("@").lower())
    if platform is not None:
        query = query.where(Participant.platform == platform)
    return list(session.scalars(query.order_by(Participant.id)))


# Columns and JSON keys that hold who someone is (not what anyone said): a value equal to the person's
# handle there is them, and is replaced whole. Anywhere else only a whole @mention is theirs.
IDENTITY_NAMES = frozenset(
    {"host", "handle", "username", "user_name", "screen_name", "author", "user", "user_id", "by", "mentions"}
)
IDENTITY_SUFFIXES = ("_by", "_user_id", "_handle", "_username")


def _is_identity(name: str) -> bool:
    name = name.lower()
    return name in IDENTITY_NAMES or name.endswith(IDENTITY_SUFFIXES)


class _Scrubber:
    """Finds the person in other people's rows: whole @mentions in text, their ids and handles as values.

    Text is never searched for a bare substring: forgetting @ed must leave "We escalated early" and
    "Escalation when needed" alone. A mention is `@ed` as a token - case-insensitive, not preceded by
    a word character or '@' (an e-mail address) and not followed by a handle character (`@edward`,
    `@ed_smith`, `@ed.bsky.social` are other people); `@ed.` at the end of a sentence is a mention.
    """

    def __init__(self, handles: set[str], user_ids: set[str]) -> None:
        self.handles = {h.lstrip("@").lower() for h in handles if h.lstrip("@")}
        self.ids = {i.lower() for i in user_ids if i}
        names = "|".join(re.escape(h) for h in sorted(self.handles, key=len, reverse=True))
        ids = "|".join(re.escape(i) for i in sorted(self.ids, key=len, reverse=True))
        self.mention = re.compile(rf"(?<![\w@])@(?:{names})(?![\w]|[.\-]\w)", re.IGNORECASE)
        self.slack_mention = re.compile(rf"<@(?:{ids})(?:\|[^>]*)?>", re.IGNORECASE) if ids else None
        self.needles = self.handles | self.ids

    def text(self, value: str) -> str:
        """Someone else's words: only whole mentions of the person are replaced."""
        value = self.mention.sub(PLACEHOLDER_MENTION, value)
        if self.slack_mention is not None:
            value = self.slack_mention.sub("<@removed>", value)
        return value

    def value(self, value: str, *, identity: bool) -> str:
        """A stored value: their id anywhere, their handle where the field says who someone is, else text."""
        lowered = value.lower()
        if lowered in self.ids or (identity and lowered.lstrip("@") in self.handles):
            return PLACEHOLDER_WORD
        return self.text(value)

    def deep(self, value: Any, *, identity: bool = False) -> Any:
        """A JSON document, rewritten as JSON: keys kept, string values replaced as `value` says."""
        if isinstance(value, str):
            return self.value(value, identity=identity)
        if isinstance(value, list):
            return [self.deep(v, identity=identity) for v in value]
        if isinstance(value, dict):
            return {k: self.deep(v, identity=isinstance(k, str) and _is_identity(k)) for k, v in value.items()}
        return value


# Tables whose rows name nobody, or that forget_person has already rewritten itself.
NOT_SCRUBBED = frozenset({"alembic_version", "installation_secrets", "used_signin_tokens"})


def _scrub_table(session: Session, table: Table, scrubber: _Scrubber) -> int:
    """Rewrite every row of `table` that names the person; never delete a row for containing a string.

    Opaque binary values (a scheduler's pickled jobs) are left alone: they cannot be read safely, and
    deleting a job because some bytes matched would drop someone else's reminder."""
    pk = list(table.primary_key.columns)
    changed = 0
    for column in table.columns:
        if isinstance(column.type, LargeBinary) or not isinstance(column.type, JSON | String):
            continue
        as_text = func.lower(cast(column, Text))
        matches = or_(*(as_text.contains(n, autoescape=True) for n in scrubber.needles))
        for row in session.execute(select(*pk, column, cast(column, Text)).where(matches)).all():
            old, old_text = row[-2], row[-1]
            identity = _is_identity(column.name)
            if isinstance(column.type, JSON) or isinstance(old, dict | list):
                new: Any = scrubber.deep(old, identity=identity)
            elif isinstance(old, str):
                new = scrubber.value(old, identity=identity)
                if isinstance(column.type, String) and column.type.length:
                    new = new[: column.type.length]
            else:
                continue
            if new != old:
                where = [c == row[i] for i, c in enumerate(pk)] if pk else [cast(column, Text) == old_text]
                session.execute(update(table).where(*where).values({column.name: new}))
                changed += 1
    return changed


def _slack_authors(body: str) -> set[str]:
    """Who wrote a Slack event the inbox holds: the message's author, or the edited or deleted message's."""
    try:
        event = json.loads(body).get("event") or {}
    except (ValueError, AttributeError):
        return set()
    inner = [event[key] for key in ("message", "previous_message") if isinstance(event.get(key), dict)]
    payloads = [event, *inner]
    return {author for author in (said(p)[0] for p in payloads) if isinstance(author, str)}


def _drop_waiting_slack_events(session: Session, user_ids: set[str]) -> int:
    """Delete the person's Slack events still waiting in the inbox, found by their author, so none is
    stored after the erasure; a colleague's waiting event is left to be stored."""
    rows = session.execute(select(SLACK_INBOX.c.id, SLACK_INBOX.c.body))
    theirs = [row_id for row_id, body in rows if _slack_authors(body) & user_ids]
    return drop(session, theirs) if theirs else 0


def forget_person(session: Session, handle: str, *, platform: str | None = None) -> ForgetResult:
    """Erase `handle` (case-insensitive; every platform unless `platform`) from the whole database."""
    people = _find(session, handle, platform)
    result = ForgetResult()
    if not people:
        return result
    handles = {handle.lstrip("@")} | {p.handle for p in people}
    user_ids = {p.platform_user_id for p in people}
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
    result.waiting_events = _drop_waiting_slack_events(session, user_ids)
    for person in people:
        person.handle = f"removed-{person.id}"
        person.platform_user_id = f"removed-{secrets.token_hex(8)}"
        person.name = None
        person.bio = None
        person.followers = None
    result.profiles = len(people)
    session.flush()

    scrubber = _Scrubber(handles, user_ids)
    bind = session.connection()
    metadata = MetaData()
    metadata.reflect(bind=bind)
    for table in metadata.sorted_tables:
        if table.name in NOT_SCRUBBED:
            continue
        changed = _scrub_table(session, table, scrubber)
        if changed:
            result.scrubbed[table.name] = changed
    # The person's posts, their mentions in other people's posts and their profile may show on any event's
    # pages, and none of that moves the columns a page's version follows: every event is marked revised,
    # so a running web app builds each page (and its pictures) again when it is next opened.
    session.execute(update(Event).values(revised_at=utcnow()))
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


def purge_older_than(session: Session, days: int, *, kind: str = "huddle") -> list[int]:
    """Delete `kind` events that ended (or, with no end, started) more than `days` days ago; returns their ids
    (the pictures the web app drew of them are files, for the caller to delete)."""
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
    return [event.id for event in events]


def purge_closed_escalations_older_than(session: Session, days: int) -> int:
    """Delete escalations resolved more than `days` days ago, and actions done that long ago.

    An SBAR can carry what a huddle reply may not (a person confirmed the patient details safety needed),
    so retention must reach it. An escalation still open is a live safety matter and is kept until it is
    resolved, whatever its age.
    """
    if days <= 0:
        raise ValueError("days must be positive")
    cutoff = datetime.now(UTC) - timedelta(days=days)
    escalations = session.execute(
        delete(Escalation).where(Escalation.status == "resolved", Escalation.resolved_at < cutoff)
    )
    session.execute(delete(Action).where(Action.status == "done", Action.done_at < cutoff))
    return max(escalations.rowcount, 0)


def purge_expired_install_states(session: Session) -> int:
    """Drop the one-time states of Slack installs that were started and never finished, once expired."""
    now = datetime.now(UTC).replace(tzinfo=None)  # slack_sdk stores naive UTC
    result = session.execute(delete(SLACK_OAUTH_STATES).where(SLACK_OAUTH_STATES.c.expire_at < now))
    return max(result.rowcount, 0)
