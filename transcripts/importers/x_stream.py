"""An X JSONL file stored as it is read: one pass, bounded memory, one transaction.

The file is read once, a line at a time (`x_json.XReader`); each post is checked as it comes and stored
in batches of `STORE_BATCH` into an event row made at the start, all in the caller's transaction, so a
bad line anywhere refuses the whole file and the caller's rollback leaves the record as it was. What
only the whole file decides (the chat's hashtag, title, start and end, the host's questions) is kept
small as the posts stream past (`x_json.ChatTally`) and settled at the end:

- each post's channel is the chat's hashtag: rows are written with the best guess after the first
  batch, and rewritten only if the final choice differs;
- the record keeps an event's posts in time order (row ids break ties between equal times): a file
  written newest first is put in time order at the end, in the database;
- a re-import finds the event it already made (same hashtag and start) and its new posts join it.

Memory: one batch of posts, the ids seen (to leave out a post repeated in the file), and per author the
newest post whose profile was kept (so each participant ends with the profile of their latest post).

Speed (issue 16: at least half the rate of a bare sqlite3 executemany of the same rows): each tweet is
read once into a plain tuple (`x_payload.Post`) and its row built straight from it, with no Message in
between; NUL characters are looked for only in lines whose bytes could hold one; authors are written
with Core statements, not ORM objects. The values stored are exactly those of the Message path
(pinned by tests/transcripts/importers/test_x_import_record_pinned.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from sqlalchemy import delete, text, update
from sqlalchemy.orm import Session

from transcripts.errors import RecordError
from transcripts.importers.base import (
    STORE_BATCH,
    ImportOptions,
    add_prompts,
    check_imported,
    fill_event,
    find_event,
    merge_cohosts,
)
from transcripts.importers.x_json import PLATFORM, ChatTally, Progress, XReader
from transcripts.message import Author
from transcripts.models import Event, MessageRow
from transcripts.store import insert_message_rows, keepable_rows, message_problem, upsert_authors
from transcripts.x_payload import Irregular, Post, as_message, checked_post, fast_post

_CHANNEL_LIMIT = 100  # messages.channel
_ID_LIMIT = 200  # messages.platform_id, reply_to, thread, quote_of, repost_of
_AUTHORS_KEPT = 20_000  # authors known to fit their columns, forgotten past this many
_Key = tuple[datetime, str]


class _People:
    """Participant ids for the authors of each batch, by X user id. An author's row is written again
    only when a post later (in time) than the one it was last written from carries a different profile,
    so each ends with the profile of their latest post, as a whole-file import keeps."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[_Key, Author, int]] = {}

    def ids(self, session: Session, batch: Sequence[Post], in_order: bool) -> dict[str, int]:
        """Participant ids for the authors of `batch`; `in_order` when every post so far has come after
        the one before it in (created_at, id) order, so each author's last post in the batch is their newest."""
        newest: dict[str, tuple[_Key, Author]]
        if in_order:
            last = {p[1].id: p for p in batch}
            newest = {a: ((p[3], p[0]), p[1]) for a, p in last.items()}
        else:
            newest = {}
            for p in batch:
                author = p[1]
                key = (p[3], p[0])
                found = newest.get(author.id)
                if found is None or key > found[0]:
                    newest[author.id] = (key, author)
        known = self._known
        fresher = {}
        for a, (key, author) in newest.items():
            was = known.get(a)
            # An unchanged profile is most often the very same Author (x_payload.Users): `is` before `!=`.
            if was is None or (key > was[0] and author is not was[1] and author != was[1]):
                fresher[a] = (key, author)
            elif key > was[0]:
                known[a] = (key, was[1], was[2])
        made = upsert_authors(session, (author for _, author in fresher.values()))
        for a, (key, author) in fresher.items():
            known[a] = (key, author, made[(PLATFORM, a)])
        return {a: known[a][2] for a in newest}


def import_x(
    session: Session,
    handle: IO[bytes],
    source: str,
    options: ImportOptions,
    cohosts: Sequence[str] = (),
    *,
    progress: Progress | None = None,
) -> tuple[tuple[int, int], list[str]]:
    """Store one X file in the caller's transaction: ((event id, new messages), notes for the person).

    On RecordError the caller must roll back: rows of the file may have been written before the line
    at fault was read.
    """
    reader = XReader(handle, source, progress=progress)
    tally = ChatTally()
    placeholder = Event(
        kind="chat", title=source[-300:], platforms=[PLATFORM], starts_at=datetime.now(UTC), timezone="UTC",
        status="closed", source=source.rsplit("/", 1)[-1][-500:],
    )  # fmt: skip
    session.add(placeholder)
    session.flush()
    event_id = placeholder.id
    dialect = session.get_bind().dialect.name
    people = _People()
    seen: set[int | str] = set()
    fitting: dict[int, Author] = {}  # authors (by identity) whose fields fit their columns
    batch: list[Post] = []
    wheres: list[str] = []
    guess: str | None = None  # the channel rows are written with until the hashtag is chosen
    escaped = False  # a post of the batch came from a line with an escape below U+0100
    new = 0

    def store() -> int:
        nonlocal guess, escaped
        if guess is None:
            guess = tally.hashtag(options, reader.query, source, []) or ""
            if len(guess) > _CHANNEL_LIMIT or "\x00" in guess:  # refused at the end, naming the hashtag
                guess = ""
        public = [p for p in batch if not p[1].protected]
        ids = people.ids(session, public, tally.in_order)
        stored = _store(session, dialect, event_id, guess, ids, public, batch, wheres, escaped) if public else 0
        batch.clear()
        wheres.clear()
        escaped = False
        return stored

    for where, (clean, plain), page in reader.pages():
        users, referenced = page[2]
        for i, tweet in enumerate(page[1]):  # x_payload.page_posts, inlined: this runs once per post
            try:
                p = fast_post(tweet, users, referenced)
            except Irregular:
                p = checked_post(page, i, where)
            pid, author, _, _, reply_to, thread, quote_of, repost_of, _, _, _, _ = p
            # X's decimal ids are kept as ints, half the memory of their text; anything else as it is.
            key = int(pid) if pid.isascii() and pid.isdigit() and pid[0] != "0" and len(pid) < 30 else pid
            if key in seen:
                continue  # a post repeated in the file: its first copy is the one kept
            seen.add(key)
            # A clean line holds no NUL character (XReader.pages), so a post from it fits its columns when
            # its ids are short enough and its author (checked once) fits; anything else is checked in full.
            if not (
                clean and len(pid) <= _ID_LIMIT and fitting.get(id(author)) is author
                and (reply_to is None or len(reply_to) <= _ID_LIMIT) and (thread is None or len(thread) <= _ID_LIMIT)
                and (quote_of is None or len(quote_of) <= _ID_LIMIT)
                and (repost_of is None or len(repost_of) <= _ID_LIMIT)
            ):  # fmt: skip
                problem = message_problem(as_message(p, ""))
                if problem:
                    shown = pid if len(pid) <= 40 else pid[:40] + "…"
                    raise RecordError(f"{where}: post {shown!r}", problem)
                if len(fitting) >= _AUTHORS_KEPT:
                    fitting.clear()
                fitting[id(author)] = author
            tally.add(p)
            batch.append(p)
            wheres.append(where)
            if not plain:
                escaped = True
            if len(batch) >= STORE_BATCH:
                new += store()
    if batch:
        new += store()
    notes = reader.notes
    hashtag = tally.hashtag(options, reader.query, source, notes)
    imported = tally.event(options, reader.query, source, notes, hashtag=hashtag)
    imported.cohosts = list(cohosts)
    check_imported(imported, source)
    channel = hashtag or ""
    if guess is not None and guess != channel:
        session.execute(
            update(MessageRow)
            .where(MessageRow.event_id == event_id)
            .values(channel=channel)
            .execution_options(synchronize_session=False)
        )
    if not tally.in_order:
        _put_in_time_order(session, event_id)
    event = find_event(session, imported, besides=event_id)
    if event is None:
        event = fill_event(placeholder, imported)
    else:  # imported before: its new posts join the event it made then
        session.execute(
            update(MessageRow)
            .where(MessageRow.event_id == event_id)
            .values(event_id=event.id)
            .execution_options(synchronize_session=False)
        )
        session.expunge(placeholder)
        session.execute(delete(Event).where(Event.id == event_id))
        merge_cohosts(event, imported)
    session.flush()
    add_prompts(session, event, imported)
    session.flush()
    return (event.id, new), notes


_COLUMNS = (
    "event_id, platform, platform_id, channel, participant_id, text, created_at, reply_to, thread, quote_of,"
    " repost_of, is_repost, mentions, hashtags, urls, raw, captured_at"
)


def _put_in_time_order(session: Session, event_id: int) -> None:
    """Rewrite the event's rows (all new: written by this import) in (created_at, platform id) order.

    Row ids break ties between posts of the same second wherever the record is read in time order; a
    whole-file import sorted posts before storing them, and a file written newest first (twarc2 search)
    must read the same. PostgreSQL sorts text by locale unless told otherwise: "C" is code-point order.
    """
    dialect = session.get_bind().dialect.name
    by_id = 'platform_id COLLATE "C"' if dialect == "postgresql" else "platform_id"
    order = f"ORDER BY created_at, {by_id}"
    session.execute(
        text(f"CREATE TEMPORARY TABLE import_in_order AS SELECT {_COLUMNS} FROM messages WHERE event_id = :e {order}"),
        {"e": event_id},
    )
    session.execute(delete(MessageRow).where(MessageRow.event_id == event_id))
    session.execute(text(f"INSERT INTO messages ({_COLUMNS}) SELECT {_COLUMNS} FROM import_in_order {order}"))
    session.execute(text("DROP TABLE import_in_order"))


def _store(
    session: Session,
    dialect: str,
    event_id: int,
    channel: str,
    ids: dict[str, int],
    public: list[Post],
    batch: list[Post],
    wheres: list[str],
    escaped: bool,
) -> int:
    """Store one batch's public posts into event `event_id`; returns how many were new. A raw payload
    the record cannot keep is refused naming its place (`wheres`, one per post of `batch`); its JSON
    can hold a NUL escape only when a post came from a line with an escape below U+0100 (`escaped`)."""

    def named(p: Post, exc: RecordError) -> RecordError:
        at = next(i for i, q in enumerate(batch) if q is p)
        return RecordError(f"{wheres[at]}: {exc.where}", exc.reason)

    rows = keepable_rows(
        lambda: _rows(dialect, event_id, channel, ids, public),
        public, lambda p: as_message(p, channel), named, nul_possible=escaped,
    )  # fmt: skip
    return insert_message_rows(session, rows, empty_ids=True)


def _column_time(written: str, moment: datetime) -> str:
    """A post's time as SQLite's column keeps it ("2024-05-01 19:00:00.072000"), from the text X wrote
    (`written`, which `moment` was read from) when that is already UTC in the column's layout: cutting
    it costs half what writing the time does."""
    size = len(written)
    if (
        (size == 20 or (22 <= size <= 27 and written[19] == "."))
        and written[-1] == "Z" and written[4] == "-" == written[7] and written[13] == ":" == written[16]
    ):  # fmt: skip
        fraction = (written[20:-1] + "00000")[:6] if size > 20 else "000000"
        return f"{written[:10]} {written[11:19]}.{fraction}"
    # Post times are UTC, so their ISO form always ends "+00:00": cut off, it is the column's text.
    return moment.isoformat(" ", "microseconds")[:-6]


def _rows(dialect: str, event_id: int, channel: str, ids: dict[str, int], posts: list[Post]) -> list[Any]:
    """Driver-ready rows in `store.MESSAGE_COLUMNS` order, made straight from the posts: the values
    `store_messages` writes for the same posts as Messages (JSON by orjson, times as the column keeps
    them), without a Message per post. On SQLite a missing reply_to, thread, quote_of or repost_of is
    "" (`insert_message_rows(..., empty_ids=True)` stores it as NULL)."""
    now = datetime.now(UTC)
    dumps = orjson.dumps
    tags: dict[tuple[str, ...], str] = {}  # most posts carry the same tags: each set's JSON made once

    def tags_json(hashtags: tuple[str, ...]) -> str:
        made = tags[hashtags] = dumps(hashtags).decode()
        return made

    if dialect == "sqlite":
        captured = now.replace(tzinfo=None).isoformat(" ", "microseconds")
        return [
            (
                event_id, PLATFORM, pid, channel, ids[author.id], text,
                _column_time(raw["created_at"], created_at),
                reply_to or "", thread or "", quote_of or "", repost_of or "", 0 if repost_of is None else 1,
                dumps(mentions).decode() if mentions else "[]",
                (tags.get(hashtags) or tags_json(hashtags)) if hashtags else "[]",
                dumps(urls).decode() if urls else "[]",
                dumps(raw).decode(), captured,
            )
            for (pid, author, text, created_at, reply_to, thread, quote_of, repost_of, mentions, hashtags, urls, raw)
            in posts
        ]  # fmt: skip
    naive_now = now.replace(tzinfo=None)
    return [
        (
            event_id, PLATFORM, pid, channel, ids[author.id], text, created_at.replace(tzinfo=None),
            reply_to, thread, quote_of, repost_of, repost_of is not None,
            dumps(mentions).decode(), tags.get(hashtags) or tags_json(hashtags), dumps(urls).decode(),
            dumps(raw).decode(), naive_now,
        )
        for (pid, author, text, created_at, reply_to, thread, quote_of, repost_of, mentions, hashtags, urls, raw)
        in posts
    ]  # fmt: skip
