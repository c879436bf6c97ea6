"""The one capture path: every platform, importer and replay stores messages through here.

Idempotence lives in the database: messages insert with ON CONFLICT DO NOTHING on
(platform, platform_id), so a re-delivered webhook, an overlapping poll or a re-imported file stores
each post once. Work is done in bulk (one SELECT for known authors, one executemany for messages)
because a busy chat or a 50,000-post import must not be bound by per-row round trips.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import Insert, bindparam, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from transcripts.errors import RecordError
from transcripts.message import Author, Message
from transcripts.models import Participant

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


_UPDATED = ("b_id", "handle", "name", "bio", "followers", "protected")  # what upsert_authors rewrites


def upsert_authors(session: Session, authors: Iterable[Author]) -> dict[tuple[str, str], int]:
    """`upsert_participants` in SQL alone: the same rows, values and ids, without an ORM object per
    participant (loading them cost a bulk import more than reading its posts). Only for a session that
    holds no Participant objects: one loaded there would not see the UPDATEs made here."""
    latest: dict[tuple[str, str], Author] = {}
    for author in authors:
        latest[(author.platform, author.id)] = author
    if not latest:
        return {}
    table = Participant.__table__
    c = table.c
    by_platform: dict[str, list[str]] = {}
    for platform, user_id in latest:
        by_platform.setdefault(platform, []).append(user_id)

    def stored(*columns: Any) -> Iterator[Any]:
        for platform, user_ids in by_platform.items():
            for start in range(0, len(user_ids), _IN_CHUNK):
                chunk = user_ids[start : start + _IN_CHUNK]
                yield from session.execute(
                    select(c.id, c.platform, c.platform_user_id, *columns).where(
                        c.platform == platform, c.platform_user_id.in_(chunk)
                    )
                )

    ids: dict[tuple[str, str], int] = {}
    changed = []
    for pid, platform, user_id, *was in stored(c.handle, c.name, c.bio, c.followers, c.protected):
        ids[(platform, user_id)] = pid
        a = latest[(platform, user_id)]
        handle, name, bio, followers, _ = was
        now = [a.handle or handle, name if a.name is None else a.name, bio if a.bio is None else a.bio,
               followers if a.followers is None else a.followers, a.protected]  # fmt: skip
        if now != was:  # as the ORM writes a row only when a value changes
            changed.append(dict(zip(_UPDATED, [pid, *now], strict=True)))
    if changed:
        session.execute(
            update(table).where(c.id == bindparam("b_id")).values({k: bindparam(k) for k in _UPDATED[1:]}),
            changed,
        )
    new_rows = [
        {"platform": a.platform, "platform_user_id": a.id, "handle": a.handle, "name": a.name, "bio": a.bio,
         "followers": a.followers, "protected": a.protected}
        for key, a in latest.items() if key not in ids
    ]  # fmt: skip
    if new_rows:
        session.execute(_insert(session, table), new_rows)
        for row in stored():
            ids[(row.platform, row.platform_user_id)] = row.id
    return ids


MESSAGE_COLUMNS = (
    "event_id", "platform", "platform_id", "channel", "participant_id", "text", "created_at", "reply_to",
    "thread", "quote_of", "repost_of", "is_repost", "mentions", "hashtags", "urls", "raw", "captured_at",
)  # fmt: skip
_JSON_COLUMNS = frozenset({"mentions", "hashtags", "urls", "raw"})


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _sqlite_time(moment: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores (naive UTC), so rows read back as any other."""
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")  # Message times are always UTC


# The post ids a row may lack (stored as NULL). `insert_message_rows(..., empty_ids=True)` takes "" for a
# missing one on SQLite: Python 3.11's sqlite3 binds None only after trying to adapt it, a failed
# attribute lookup that formats an error message each time (8% of a bulk insert's work), and no post id
# is ever the empty string.
_OPTIONAL_IDS = frozenset({"reply_to", "thread", "quote_of", "repost_of"})


def _insert_sql(dialect: str, empty_ids: bool = False) -> str:
    columns = ", ".join(MESSAGE_COLUMNS)
    if dialect == "sqlite":
        marks = ", ".join("NULLIF(?, '')" if empty_ids and c in _OPTIONAL_IDS else "?" for c in MESSAGE_COLUMNS)
        return f"INSERT INTO messages ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    if dialect == "postgresql":
        values = ", ".join("%s::json" if c in _JSON_COLUMNS else "%s" for c in MESSAGE_COLUMNS)
        return f"INSERT INTO messages ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING"
    raise RuntimeError(f"unsupported database dialect {dialect!r}")


def _rows(
    dialect: str,
    event_id: int,
    ids: dict[tuple[str, str], int],
    messages: Sequence[Message],
    channel: str | None = None,
) -> list[Any]:
    """Driver-ready rows: JSON pre-serialised with orjson and times as the column stores them; every
    row's channel is `channel` when one is given (an importer that learns the chat's hashtag late).

    This bypasses SQLAlchemy's per-value type processing, which dominated the cost of a 50,000-post
    import; the values written are exactly what the typed models would write.
    """
    now = datetime.now(UTC)
    if dialect == "sqlite":
        captured = _sqlite_time(now)
        dumps = orjson.dumps
        return [
            (
                event_id,
                m.platform,
                m.id,
                m.channel if channel is None else channel,
                ids[(m.platform, m.author.id)],
                m.text,
                # Message times are UTC, so their ISO form always ends "+00:00": cut off, it is _sqlite_time's text.
                m.created_at.isoformat(" ", "microseconds")[:-6],
                m.reply_to,
                m.thread,
                m.quote_of,
                m.repost_of,
                int(m.is_repost),
                dumps(m.mentions).decode() if m.mentions else "[]",
                dumps(m.hashtags).decode() if m.hashtags else "[]",
                dumps(m.urls).decode() if m.urls else "[]",
                _json(m.raw),
                captured,
            )
            for m in messages
        ]  # fmt: skip  (inlined: this runs once per post of a 50,000-post import)
    naive_now = now.replace(tzinfo=None)
    return [
        (event_id, m.platform, m.id, m.channel if channel is None else channel, ids[(m.platform, m.author.id)],
         m.text, m.created_at.astimezone(UTC).replace(tzinfo=None), m.reply_to, m.thread, m.quote_of,
         m.repost_of, m.is_repost, _json(m.mentions), _json(m.hashtags), _json(m.urls), _json(m.raw), naive_now)
        for m in messages
    ]  # fmt: skip


# The bounds the columns declare. SQLite ignores them and PostgreSQL refuses with a DataError, so they
# are checked here, before anything is written, to give one answer on both.
_MESSAGE_LIMITS = {"id": 200, "channel": 100, "reply_to": 200, "thread": 200, "quote_of": 200, "repost_of": 200}
_AUTHOR_LIMITS = {"id": 100, "handle": 100, "name": 200}
_NUL = "\x00"
_MAX_INTEGER = 2**31 - 1  # an SQL INTEGER


def message_problem(m: Message) -> str | None:
    """Why `m` cannot be stored (a field too long for its column, a NUL character), or None."""
    a = m.author
    if (
        len(m.id) <= 200 and len(m.channel) <= 100 and len(a.id) <= 100 and len(a.handle) <= 100
        and (a.name is None or len(a.name) <= 200)
        and (m.reply_to is None or len(m.reply_to) <= 200) and (m.thread is None or len(m.thread) <= 200)
        and (m.quote_of is None or len(m.quote_of) <= 200) and (m.repost_of is None or len(m.repost_of) <= 200)
        and (a.followers is None or 0 <= a.followers <= _MAX_INTEGER)
        and _NUL not in m.text and _NUL not in m.id and _NUL not in a.handle
        and (a.name is None or _NUL not in a.name) and (a.bio is None or _NUL not in a.bio)
        and not any(_NUL in v for v in (*m.mentions, *m.hashtags, *m.urls))
        and _NUL not in (m.channel + a.id + (m.reply_to or "") + (m.thread or "") + (m.quote_of or "")
                         + (m.repost_of or ""))
    ):  # fmt: skip
        return None  # the common case, in one expression: this runs once per post of a large import
    for name, limit in _MESSAGE_LIMITS.items():
        value = getattr(m, name)
        if value is not None and (len(value) > limit or _NUL in value):
            return f"{name}: {_bad(value, limit)}"
    for name, limit in _AUTHOR_LIMITS.items():
        value = getattr(m.author, name)
        if value is not None and (len(value) > limit or _NUL in value):
            return f"author {name}: {_bad(value, limit)}"
    if _NUL in m.text:
        return "text: contains a NUL character"
    if m.author.followers is not None and not 0 <= m.author.followers <= _MAX_INTEGER:
        return f"author followers: {m.author.followers} is not a plausible follower count"
    if m.author.bio and _NUL in m.author.bio:
        return "author bio: contains a NUL character"
    for name in ("mentions", "hashtags", "urls"):
        if any(_NUL in value for value in getattr(m, name)):
            return f"{name}: contains a NUL character"
    return None


def _bad(value: str, limit: int) -> str:
    return "contains a NUL character" if _NUL in value else f"{len(value)} characters, more than {limit}"


def check_messages(messages: Iterable[Message]) -> None:
    """Raise RecordError naming the first message that cannot be stored, on any database."""
    for m in messages:
        problem = message_problem(m)
        if problem:
            shown = m.id if len(m.id) <= 40 else m.id[:40] + "…"
            raise RecordError(f"post {shown!r}", problem)


# A \u0000 escape in JSON text is a NUL character only when its backslash is not itself escaped: after an
# even run of backslashes. "\\u0000" is the six characters \u0000 typed by a person, which is text.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def holds_nul(json_text: str | bytes) -> bool:
    """Whether JSON text holds a NUL character anywhere (PostgreSQL's JSON cannot turn one back into text)."""
    text = json_text.decode() if isinstance(json_text, bytes) else json_text
    return "\\u0000" in text and _NUL_ESCAPE.search(text) is not None


T = TypeVar("T")


def check_raw(m: Message) -> None:
    """Refuse a raw payload the record cannot keep: nested past what JSON serialisation allows (orjson
    stops at 254 levels; X and Slack nest about six), or holding a NUL character (PostgreSQL's JSON
    cannot turn it back into text)."""
    if m.raw is None:
        return
    try:
        dumped = orjson.dumps(m.raw)
    except orjson.JSONEncodeError:
        raise RecordError(f"post {m.id[:40]!r}", "raw payload: nested too deep to store") from None
    if holds_nul(dumped):
        raise RecordError(f"post {m.id[:40]!r}", "raw payload: contains a NUL character")


def store_messages(
    session: Session,
    event_id: int,
    messages: Sequence[Message],
    *,
    checked: bool = False,
    participants: dict[tuple[str, str], int] | None = None,
    channel: str | None = None,
    wheres: Sequence[str] | None = None,
) -> int:
    """Store messages for an event; returns how many were new. Posts by protected accounts are skipped.

    Every message is checked first (`check_messages`), so a bad one is refused the same way on SQLite
    and PostgreSQL instead of being stored by one and failing the transaction on the other. An importer
    that has checked its messages already (`checked`) and made their authors' rows (`participants`)
    stores them in batches without doing either again per batch; `channel` overrides each message's,
    and `wheres` (one per message: a file and line) names the place of a payload refused here.
    """
    public = [m for m in messages if not m.author.protected]
    if not public:
        return 0
    if not checked:
        check_messages(public)
    ids = participants if participants is not None else upsert_participants(session, (m.author for m in public))
    dialect = session.get_bind().dialect.name

    def named(m: Message, exc: RecordError) -> RecordError:
        if wheres is None:
            return exc
        return RecordError(f"{wheres[list(messages).index(m)]}: {exc.where}", exc.reason)

    rows = keepable_rows(lambda: _rows(dialect, event_id, ids, public, channel), public, lambda m: m, named)
    return insert_message_rows(session, rows)


def keepable_rows(
    make_rows: Callable[[], list[tuple[Any, ...]]],
    items: Sequence[T],
    message: Callable[[T], Message],
    named: Callable[[T, RecordError], RecordError],
    *,
    nul_possible: bool = True,
) -> list[tuple[Any, ...]]:
    """`make_rows()`, one row per item, unless a raw payload cannot be kept: nested too deep to
    serialise, or holding a NUL (the JSON text then holds its escape; `nul_possible=False` when the
    caller knows it cannot). The refusal names the item's place (`named`); `message` is the item as a
    Message, made only to name a refused one."""
    try:
        rows = make_rows()
    except orjson.JSONEncodeError:  # a payload too deep to serialise: name it
        for item in items:
            try:
                check_raw(message(item))
            except RecordError as exc:
                raise named(item, exc) from None
        raise
    raw_at = MESSAGE_COLUMNS.index("raw")
    for item, row in zip(items, rows, strict=True) if nul_possible else ():
        if row[raw_at] is not None and holds_nul(row[raw_at]):
            raise named(item, RecordError(f"post {message(item).id!r}", "raw payload: contains a NUL character"))
    return rows


def insert_message_rows(session: Session, rows: Sequence[tuple[Any, ...]], *, empty_ids: bool = False) -> int:
    """Insert driver-ready message rows, each in `MESSAGE_COLUMNS` order with values as the dialect's
    column keeps them (see `_rows`), skipping posts already stored; returns how many were new.
    `empty_ids`: on SQLite, rows hold "" for a missing reply_to, thread, quote_of or repost_of, stored
    as NULL (see `_OPTIONAL_IDS`)."""
    dialect = session.get_bind().dialect.name
    result = session.connection().exec_driver_sql(_insert_sql(dialect, empty_ids), rows)
    return max(result.rowcount, 0)
