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
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO

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
from transcripts.message import Author, Message
from transcripts.models import Event, MessageRow
from transcripts.store import message_problem, store_messages, upsert_participants

_CHANNEL_LIMIT = 100  # messages.channel
_AuthorKey = tuple[str, str]
_Key = tuple[datetime, str]


class _People:
    """Participant ids for the authors of each batch. An author's row is written again only when a post
    later (in time) than the one it was last written from carries a different profile, so each ends
    with the profile of their latest post, as a whole-file import keeps."""

    def __init__(self) -> None:
        self._known: dict[_AuthorKey, tuple[_Key, Author, int]] = {}

    def ids(self, session: Session, batch: Sequence[Message]) -> dict[_AuthorKey, int]:
        newest: dict[_AuthorKey, tuple[_Key, Author]] = {}
        for m in batch:
            key = (m.created_at, m.id)
            author_key = (m.author.platform, m.author.id)
            found = newest.get(author_key)
            if found is None or key > found[0]:
                newest[author_key] = (key, m.author)
        known = self._known
        fresher = {}
        for a, (key, author) in newest.items():
            was = known.get(a)
            if was is None or (key > was[0] and author != was[1]):
                fresher[a] = (key, author)
            elif key > was[0]:
                known[a] = (key, was[1], was[2])
        made = upsert_participants(session, (author for _, author in fresher.values()))
        for a, (key, author) in fresher.items():
            known[a] = (key, author, made[a])
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
    people = _People()
    seen: set[int | str] = set()
    batch: list[Message] = []
    wheres: list[str] = []
    guess: str | None = None  # the channel rows are written with until the hashtag is chosen
    new = 0

    def store() -> int:
        nonlocal guess
        if guess is None:
            guess = tally.hashtag(options, reader.query, source, []) or ""
            if len(guess) > _CHANNEL_LIMIT or "\x00" in guess:  # refused at the end, naming the hashtag
                guess = ""
        public = [m for m in batch if not m.author.protected]
        where_of = [w for m, w in zip(batch, wheres, strict=True) if not m.author.protected]
        ids = people.ids(session, public)
        stored = store_messages(
            session, event_id, public, checked=True, participants=ids, channel=guess, wheres=where_of
        )
        batch.clear()
        wheres.clear()
        return stored

    for where, m in reader.messages():
        # X's decimal ids are kept as ints, half the memory of their text; anything else as it is.
        pid = m.id
        key = int(pid) if pid.isascii() and pid.isdigit() and pid[0] != "0" and len(pid) < 30 else pid
        if key in seen:
            continue  # a post repeated in the file: its first copy is the one kept
        seen.add(key)
        problem = message_problem(m)
        if problem:
            shown = m.id if len(m.id) <= 40 else m.id[:40] + "…"
            raise RecordError(f"{where}: post {shown!r}", problem)
        tally.add(m)
        batch.append(m)
        wheres.append(where)
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
