"""A read-only, in-memory view of one event's record, loaded in a few queries.

Analysis, exporters and pages all work from this snapshot rather than from ORM objects: it loads in
bulk (fast on a 50,000-post chat), can't lazy-load behind a closed session, and keeps the analysis
pure functions of data that tests can build by hand.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from itertools import chain, repeat
from operator import add, attrgetter
from typing import Any, overload

import orjson
from sqlalchemy import Text, func, select, type_coerce
from sqlalchemy.orm import Session

from transcripts.errors import RecordError
from transcripts.models import (
    DELETED_BY_AUTHOR,
    SHOWN,
    Answer,
    ChatCapture,
    Event,
    MessageRow,
    OutboundPost,
    Participant,
    Prompt,
)

REMOVED_TEXT = "removed at the author's request"
_ROWS_AT_A_TIME = 5000  # rows fetched at a time (a server-side cursor on PostgreSQL): the result is never held whole
# A chat of more posts than this holds them in a CompactMessages (a third of the memory, each post made when
# read) instead of a list of MessageView: smaller chats keep the list, which is quicker to read many times
# over (a 200,000-post report takes half the time from the list, at 270 MB instead of 180 MB peak).
COMPACT_OVER = 250_000


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


class _OpenView:
    """MessageView's slots without its frozen __setattr__: made by plain attribute stores (a frozen dataclass
    makes each through object.__setattr__, several times slower), then turned into the MessageView it
    matches slot for slot (`new_view`). Only the code in this module makes posts this way."""

    __slots__ = MessageView.__slots__  # type: ignore[attr-defined]

    def __init__(self, *values: Any) -> None:  # replaced below by one storing each field by name
        raise NotImplementedError


def _open_init() -> Any:
    names = MessageView.__slots__  # type: ignore[attr-defined]
    assert names == tuple(f.name for f in fields(MessageView)), "MessageView's slots are its fields, in order"
    body = "".join(f"\n    self.{name} = {name}" for name in names)
    scope: dict[str, Any] = {}
    exec(f"def __init__(self, {', '.join(names)}):{body}", scope)
    return scope["__init__"]


_OpenView.__init__ = _open_init()  # type: ignore[method-assign]


def new_view(*values: Any) -> MessageView:
    """MessageView(*values), positional in its field order, at a fraction of a frozen dataclass's cost."""
    view: Any = _OpenView(*values)
    view.__class__ = MessageView  # the same slots in the same order: CPython allows the change of class
    return view  # type: ignore[no-any-return]


_CODES = ("B", "H", "I", "Q")


def _cut(values: Any, rows: range) -> Any:
    """values[i] for each i of `rows` (a range(len)[slice], whose stop is -1 at least), as a memoryview of
    the column: no copy of it (a pass over a million posts would copy each column it reads)."""
    return memoryview(values)[rows.start : rows.stop if rows.stop >= 0 else None : rows.step]


class _Interned:
    """A column of values that repeat (a post's platform, author, hashtags…): each distinct value once, and
    per row its number, in as few bytes as the count of distinct values needs."""

    __slots__ = ("_index", "codes", "values")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.codes: array[int] = array("B")
        self._index: dict[Hashable, int] = {}

    def append(self, value: Hashable) -> None:
        code = self._index.get(value)
        if code is None:
            code = self._index[value] = len(self.values)
            self.values.append(value)
            if code >= 1 << (8 * self.codes.itemsize):
                self.codes = array(_CODES[_CODES.index(self.codes.typecode) + 1], self.codes)
        self.codes.append(code)

    def done(self) -> None:
        self._index = {}

    def column(self, rows: range) -> Iterator[Any]:
        if len(self.values) == 1:
            return repeat(self.values[0], len(rows))
        return map(self.values.__getitem__, _cut(self.codes, rows))


def _either(none: int, value: str) -> str | None:
    return None if none else value


class _Strings:
    """A column of mostly distinct strings (texts, platform ids) as one UTF-8 buffer and where each row's
    ends in it; which rows have no value (None), one byte a row, once there is one."""

    __slots__ = ("data", "nones", "offsets")

    def __init__(self) -> None:
        self.data = bytearray()
        self.offsets: array[int] = array("q", (0,))  # row i is data[offsets[i] : offsets[i + 1]]
        self.nones: bytearray | None = None

    def append(self, value: str | None) -> None:
        if value is None:
            if self.nones is None:
                self.nones = bytearray(len(self.offsets) - 1)
            self.nones.append(1)
        else:
            self.data += value.encode("utf-8", "surrogatepass")
            if self.nones is not None:
                self.nones.append(0)
        self.offsets.append(len(self.data))

    def column(self, rows: range) -> Iterator[str | None]:
        offsets = self.offsets
        ends = range(rows.start + 1, rows.stop + 1, rows.step)
        pieces = map(self.data.__getitem__, map(slice, _cut(offsets, rows), _cut(offsets, ends)))
        texts = map(str, pieces, repeat("utf-8"), repeat("surrogatepass"))
        if self.nones is None:
            return texts
        return map(_either, _cut(self.nones, rows), texts)


_BLOCK_ROWS = 256  # texts compressed together by _Packed


class _Packed:
    """A column of texts (most of a chat's size) compressed with zlib a block of _BLOCK_ROWS rows at a time:
    each row's end within its block, and which rows have no value (None), once there is one. A pass in
    order decompresses each block once; the block read last is kept for the next read."""

    __slots__ = ("_cached", "_cached_at", "blocks", "ends", "nones", "pending")

    def __init__(self) -> None:
        self.blocks: list[bytes] = []  # every full block, compressed
        self.pending = bytearray()  # the last block, until it is full
        self.ends: array[int] = array("I")  # row i ends at ends[i] in its block (starts where row i - 1 ends)
        self.nones: bytearray | None = None
        self._cached_at = -1
        self._cached = b""

    def append(self, value: str | None) -> None:
        if value is None:
            if self.nones is None:
                self.nones = bytearray(len(self.ends))
            self.nones.append(1)
        else:
            self.pending += value.encode("utf-8", "surrogatepass")
            if self.nones is not None:
                self.nones.append(0)
        self.ends.append(len(self.pending))
        self._cached_at = -1
        if len(self.ends) % _BLOCK_ROWS == 0:
            self.blocks.append(zlib.compress(self.pending, 1))
            self.pending = bytearray()

    def _block(self, k: int) -> bytes:
        if k != self._cached_at:
            self._cached = zlib.decompress(self.blocks[k]) if k < len(self.blocks) else bytes(self.pending)
            self._cached_at = k
        return self._cached

    def _one(self, i: int) -> str | None:
        if self.nones is not None and self.nones[i]:
            return None
        data = self._block(i // _BLOCK_ROWS)
        start = self.ends[i - 1] if i % _BLOCK_ROWS else 0
        return data[start : self.ends[i]].decode("utf-8", "surrogatepass")

    def column(self, rows: range) -> Iterator[str | None]:
        if rows.step != 1:
            return map(self._one, rows)
        texts = chain.from_iterable(self._blocks_of(rows))
        if self.nones is None:
            return texts
        return map(_either, _cut(self.nones, rows), texts)

    def _blocks_of(self, rows: range) -> Iterator[Iterator[str]]:
        """The texts of rows start..stop, a block at a time (each decoded by C-level iterators)."""
        start, stop, ends = rows.start, rows.stop, self.ends
        while start < stop:
            k = start // _BLOCK_ROWS
            first, end = k * _BLOCK_ROWS, min(stop, (k + 1) * _BLOCK_ROWS)
            data = self._block(k)
            starts = chain((ends[start - 1] if start > first else 0,), memoryview(ends)[start : end - 1])
            pieces = map(data.__getitem__, map(slice, starts, memoryview(ends)[start:end]))
            yield map(str, pieces, repeat("utf-8"), repeat("surrogatepass"))
            start = end


_NO_ID = -1
_NONE = {_NO_ID: None}


class _Ids:
    """A column of platform ids (a post's own, or the one it replies to, quotes…): while every one is a
    number written plainly (X's), an array of the numbers (-1 for None), read back with str(); at the first
    that is not, a _Strings of them all."""

    __slots__ = ("numbers", "strings")

    def __init__(self) -> None:
        self.numbers: array[int] | None = array("q")
        self.strings: _Strings | None = None

    def append(self, value: str | None) -> None:
        numbers = self.numbers
        if numbers is not None:
            if value is None:
                numbers.append(_NO_ID)
                return
            if value.isascii() and value.isdigit() and len(value) <= 18 and (value[0] != "0" or value == "0"):
                numbers.append(int(value))
                return
            self.strings = _Strings()
            for n in numbers:
                self.strings.append(None if n == _NO_ID else str(n))
            self.numbers = None
        assert self.strings is not None
        self.strings.append(value)

    def column(self, rows: range) -> Iterator[str | None]:
        if self.numbers is None:
            assert self.strings is not None
            return self.strings.column(rows)
        numbers = _cut(self.numbers, rows)
        return map(_NONE.get, numbers, map(str, numbers))


_EPOCH = datetime(1970, 1, 1)
_NEAR = 8  # places this close are read as one slice by CompactMessages.take
_MICROSECOND = timedelta(microseconds=1)


class CompactMessages(Sequence[MessageView]):
    """An event's posts in columns rather than as one object each: ids and times in arrays, texts and
    platform ids in UTF-8 buffers, repeated values (authors, platforms, hashtags) once each, rare ones
    (edit times) in a dict. Reading a post makes its MessageView, equal to the one it was made from;
    indexing, slicing (a list, as a list's slice is), iterating and len behave as a list's do."""

    def __init__(self, messages: Iterable[MessageView] = ()) -> None:
        self._ids: array[int] = array("q")
        self._micros: array[int] = array("q")  # created_at's wall-clock time, in microseconds from 1970
        self._zones = _Interned()  # created_at's tzinfo
        (self._platforms, self._channels, self._authors, self._reposts, self._mentions, self._hashtags, self._urls,
         self._handles, self._deleted) = (_Interned() for _ in range(9))  # fmt: skip
        self._texts = _Packed()
        self._platform_ids, self._threads, self._replies, self._quotes, self._repost_ofs = (_Ids() for _ in range(5))
        self._edited: dict[int, datetime] = {}
        self._len = 0
        self.extend(messages)

    def add(
        self, id: int, platform: str, platform_id: str, channel: str | None, author_id: int, text: str,
        created_at: datetime, reply_to: str | None, thread: str | None, quote_of: str | None,
        repost_of: str | None, is_repost: bool, mentions: tuple[str, ...], hashtags: tuple[str, ...],
        urls: tuple[str, ...], reply_to_handle: str | None, edited_at: datetime | None, deleted: bool,
    ) -> None:  # fmt: skip
        """Add the post MessageView(*these values) would be (its fields in order)."""
        self._ids.append(id)
        self._micros.append((created_at.replace(tzinfo=None) - _EPOCH) // _MICROSECOND)
        self._zones.append(created_at.tzinfo)
        self._platforms.append(platform)
        self._platform_ids.append(platform_id)
        self._channels.append(channel)
        self._authors.append(author_id)
        self._texts.append(text)
        self._replies.append(reply_to)
        self._threads.append(thread)
        self._quotes.append(quote_of)
        self._repost_ofs.append(repost_of)
        self._reposts.append(is_repost)
        self._mentions.append(mentions)
        self._hashtags.append(hashtags)
        self._urls.append(urls)
        self._handles.append(reply_to_handle)
        if edited_at is not None:
            self._edited[self._len] = edited_at
        self._deleted.append(deleted)
        self._len += 1

    def append(self, m: MessageView) -> None:
        self.add(
            m.id, m.platform, m.platform_id, m.channel, m.author_id, m.text, m.created_at, m.reply_to, m.thread,
            m.quote_of, m.repost_of, m.is_repost, m.mentions, m.hashtags, m.urls, m.reply_to_handle, m.edited_at,
            m.deleted,
        )  # fmt: skip

    def extend(self, messages: Iterable[MessageView]) -> None:
        for m in messages:
            self.append(m)

    def done(self) -> CompactMessages:
        """Let go of what adding posts needed (each column's lookup of its distinct values)."""
        for column in (self._zones, self._platforms, self._channels, self._authors, self._reposts, self._mentions,
                       self._hashtags, self._urls, self._handles, self._deleted):  # fmt: skip
            column.done()
        return self

    def __len__(self) -> int:
        return self._len

    def author_ids(self) -> list[Any]:
        """Each distinct author id (the column's distinct values, without making a post)."""
        return list(self._authors.values)

    @overload
    def __getitem__(self, i: int) -> MessageView: ...

    @overload
    def __getitem__(self, i: slice) -> list[MessageView]: ...

    def __getitem__(self, i: int | slice) -> MessageView | list[MessageView]:
        if isinstance(i, slice):
            return list(self._rows(range(self._len)[i]))
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("message index out of range")
        return next(self._rows(range(i, i + 1)))

    def __iter__(self) -> Iterator[MessageView]:
        return self._rows(range(self._len))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CompactMessages | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CompactMessages({self._len} posts)"

    def take(self, places: Iterable[int]) -> list[MessageView]:
        """self[p] for each of `places` (ascending): neighbours (a few apart at most) are read as one slice,
        since reading a slice has a cost of its own beside each post's."""
        out: list[MessageView] = []
        run: list[int] = []
        for p in places:
            if run and not run[-1] < p <= run[-1] + _NEAR:
                out += self._some(run)
                run = []
            run.append(p)
        if run:
            out += self._some(run)
        return out

    def _some(self, run: list[int]) -> list[MessageView]:
        first = run[0]
        posts = list(self._rows(range(first, run[-1] + 1)))
        return posts if len(posts) == len(run) else [posts[p - first] for p in run]

    def fields(self, *names: str) -> Iterator[tuple[Any, ...]]:
        """(m.<name>, …) for each post in order, read from these fields' columns alone: no post is made."""
        rows = range(self._len)
        return zip(*(self._column(name, rows) for name in names), strict=True)

    def _column(self, name: str, rows: range) -> Iterator[Any]:
        """The field `name` (one of MessageView's) of each of these rows."""
        if name == "id":
            return iter(_cut(self._ids, rows))
        if name == "created_at":
            zones = [_EPOCH.replace(tzinfo=z) for z in self._zones.values]
            bases = repeat(zones[0]) if len(zones) == 1 else map(zones.__getitem__, _cut(self._zones.codes, rows))
            return map(add, bases, map(timedelta, repeat(0), repeat(0), _cut(self._micros, rows)))
        if name == "edited_at":
            return map(self._edited.get, rows) if self._edited else repeat(None, len(rows))
        column: _Interned | _Packed | _Ids = getattr(self, _COLUMNS[name])
        return column.column(rows)

    def _rows(self, rows: range) -> Iterator[MessageView]:
        """The posts of these rows, each made as it is read: every column is read by C-level iterators."""
        for view in map(_OpenView, *(self._column(name, rows) for name in _FIELDS)):
            view.__class__ = MessageView  # as new_view does
            yield view


_FIELDS = tuple(f.name for f in fields(MessageView))
_COLUMNS = {
    "platform": "_platforms", "platform_id": "_platform_ids", "channel": "_channels", "author_id": "_authors",
    "text": "_texts", "reply_to": "_replies", "thread": "_threads", "quote_of": "_quotes", "repost_of": "_repost_ofs",
    "is_repost": "_reposts", "mentions": "_mentions", "hashtags": "_hashtags", "urls": "_urls",
    "reply_to_handle": "_handles", "deleted": "_deleted",
}  # fmt: skip


def fields_of(messages: Sequence[MessageView], *names: str) -> Iterator[tuple[Any, ...]]:
    """(m.<name>, …) for each post of `messages`, in order, for two names or more: a CompactMessages reads
    them from its columns without making the posts (a pass that needs a few fields then costs a fraction)."""
    if isinstance(messages, CompactMessages):
        return messages.fields(*names)
    return map(attrgetter(*names), messages)


def field_of(messages: Sequence[MessageView], name: str) -> Iterator[Any]:
    """m.<name> for each post of `messages`, in order (see fields_of)."""
    if isinstance(messages, CompactMessages):
        return messages._column(name, range(len(messages)))
    return map(attrgetter(name), messages)


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
    # Oldest first, deleted ones left out; a CompactMessages for a chat of over COMPACT_OVER posts.
    messages: Sequence[MessageView] = field(default_factory=list)
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


def _message_views(rows: Iterable[Any], seen: dict[str | None, tuple[str, ...]]) -> list[MessageView]:
    """The posts of these rows as a list of MessageView."""
    # One object per distinct value: a post's author id, platform and channel repeat across the chat, and its
    # thread, reply and quote name posts read before it. Each post then holds references, not copies.
    shared: dict[object, object] = {None: None}
    one = shared.setdefault
    messages: list[MessageView] = []
    add = messages.append
    for (mid, platform, platform_id, channel, author_id, text, created_at, reply_to, thread, quote_of, repost_of,
         is_repost, mentions, hashtags, urls, reply_to_handle, edited_at) in rows:  # fmt: skip
        platform_id = one(platform_id, platform_id)
        # Positional, in MessageView's field order, made by new_view: a frozen dataclass costs more, 50,000 times.
        add(
            new_view(
                mid, one(platform, platform), platform_id, one(channel, channel), one(author_id, author_id), text,
                created_at, one(reply_to, reply_to), one(thread, thread), one(quote_of, quote_of),
                one(repost_of, repost_of), bool(is_repost), _json_tuple(mentions, seen), _json_tuple(hashtags, seen),
                _json_tuple(urls, seen), reply_to_handle, edited_at, False,
            )
        )  # fmt: skip
    return messages


def _more_than(session: Session, count: int, event_id: int, shown: tuple[Any, ...]) -> bool:
    """Whether more than `count` of the event's posts are shown. The event's rows are counted first, from an
    index: when they are not more, no more are shown, and the shown ones (which reads every row, for whether
    it is deleted or withheld) need not be counted."""
    rows = session.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.event_id == event_id))
    if not rows or rows <= count:
        return False
    return session.scalar(select(func.count()).select_from(MessageRow).where(*shown)) > count


def load_event(session: Session, event_id: int, after_id: int = 0, *, compact_over: int | None = None) -> EventSnapshot:
    """Load one event whole (or only its messages with ids above `after_id`, for a live view that has
    the rest); raises RecordError when there is no such event. Over `compact_over` posts (COMPACT_OVER by
    default), the messages are a CompactMessages (only when loading whole: a live view's newer posts are
    a list)."""
    if compact_over is None:
        compact_over = COMPACT_OVER
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
    shown = (c.event_id == event_id, SHOWN, c.id > after_id)
    # The raw payloads are not loaded (they are most of a row's size); only the one field analysis reads.
    # JSON lists come back as text and are decoded with orjson, several times faster than the JSON type.
    rows = session.execute(
        select(
            c.id, c.platform, c.platform_id, c.channel, c.participant_id, c.text, c.created_at, c.reply_to,
            c.thread, c.quote_of, c.repost_of, c.is_repost, type_coerce(c.mentions, Text),
            type_coerce(c.hashtags, Text), type_coerce(c.urls, Text), c.raw["in_reply_to_handle"].as_string(),
            c.edited_at,
        )
        .where(*shown)
        .order_by(c.created_at, c.id)
        .execution_options(yield_per=_ROWS_AT_A_TIME)
    )  # fmt: skip
    seen = _json_tuples()
    # A whole chat of over compact_over posts (counted first) goes straight into a CompactMessages's columns.
    if not after_id and _more_than(session, compact_over, event_id, shown):
        compact = CompactMessages()
        put = compact.add
        for (mid, platform, platform_id, channel, author_id, text, created_at, reply_to, thread, quote_of, repost_of,
             is_repost, mentions, hashtags, urls, reply_to_handle, edited_at) in rows:  # fmt: skip
            put(
                mid, platform, platform_id, channel, author_id, text, created_at, reply_to, thread, quote_of,
                repost_of, bool(is_repost), _json_tuple(mentions, seen), _json_tuple(hashtags, seen),
                _json_tuple(urls, seen), reply_to_handle, edited_at, False,
            )  # fmt: skip
        snap.messages = compact.done()
        author_ids = set(compact.author_ids())
    else:
        snap.messages = _message_views(rows, seen)
        author_ids = {m.author_id for m in snap.messages}
    if not after_id:
        snap.deleted_at_times = list(
            session.scalars(
                select(c.created_at)
                .where(c.event_id == event_id, DELETED_BY_AUTHOR)
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
