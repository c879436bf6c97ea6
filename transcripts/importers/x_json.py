"""Reads X API v2 data: response pages (`data` + `includes.users`) as JSON or JSONL, as twarc2 writes them.

Accepted shapes: one response page; a JSON array of pages or of tweets; JSONL with one page or one
tweet per line (twarc2 `flatten` output embeds the `author`). JSONL is read from the open file one line
at a time, split on `\\n` only (a raw U+2028 inside a JSON string is text, not a line break), so a
million-post file is never held whole; a single JSON document is read whole. Every error names the
file, the line (JSONL) and the field at fault. A last line cut off mid-write (an interrupted capture,
so no final newline) is left out and said so; the rest imports.

The chat's hashtag and title come from twarc2's own record of its search (`__twarc.url`'s query)
when there is one, else from `--hashtag`/`--title`, else from the hashtag most posts carry — and the
import says which it chose and why; a tie is never broken by spelling. `ChatTally` keeps only what
those choices need (counts per tag, the host's question posts, first and last times), so a streamed
import can make them after the last line without keeping every post.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

import orjson

from transcripts.errors import RecordError
from transcripts.importers.base import ImportedEvent, ImportedPrompt, ImportOptions
from transcripts.importers.questions import question_number
from transcripts.message import Message
from transcripts.x_payload import Page, Post, Users, as_message, page_posts, pages

PLATFORM = "x"
_QUERY_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_BOM = b"\xef\xbb\xbf"
_NUL_ESCAPE = b"\\u0000"  # JSON text holds a NUL character only written so: a raw one is not JSON
_LOW_ESCAPE = b"\\u00"  # how JSON text writes any character below U+0100 it escapes
_USERS_KEPT = 20_000
Progress = Callable[[int], None]  # told how many bytes of the file have been read so far
Clean = tuple[bool, bool]  # (no NUL escape, no escape below U+0100) in a line: see XReader.pages


def _clean(data: bytes) -> Clean:
    if _LOW_ESCAPE not in data:
        return True, True
    return _NUL_ESCAPE not in data, False


def _not_json(exc: orjson.JSONDecodeError) -> str:
    return "nested too deep" if "depth" in exc.msg else exc.msg


def _loads(data: bytes, where: str, source: str, offset: int) -> Any:
    """`data` as JSON; bytes that are not UTF-8 are named by their place in the file (`offset`)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        _check_utf8(data, source, offset)
        raise RecordError(where, f"not JSON ({_not_json(exc)})") from None


def _check_utf8(data: bytes, source: str, offset: int) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(source, f"not UTF-8 text (byte {offset + exc.start})") from None


class _Lines:
    """The file's lines as bytes, split on b"\\n" only, with their numbers and byte offsets."""

    def __init__(self, handle: IO[bytes], progress: Progress | None) -> None:
        self._handle = handle
        self._progress = progress
        self.number = 0
        self.offset = 0  # bytes read so far
        self.ends_with_newline = True  # of the file: known once the last line is read
        self._since_report = 0

    def filled(self) -> Iterator[tuple[int, int, bytes]]:
        """(line number, offset, line) for each line that is not blank."""
        for raw in self._handle:
            if self.number == 0 and raw.startswith(_BOM):
                raw = raw[3:]
                self.offset += 3
            self.number += 1
            start = self.offset
            self.offset += len(raw)
            self.ends_with_newline = raw.endswith(b"\n")
            if self._progress is not None and self.offset - self._since_report >= 1 << 20:
                self._since_report = self.offset
                self._progress(self.offset)
            if not raw.isspace():  # (not strip(): that copies every line)
                yield self.number, start, raw
        if self._progress is not None:
            self._progress(self.offset)


class XReader:
    """Tweets of one X file as Messages (channel not yet known), read once from its open handle."""

    def __init__(self, handle: IO[bytes], source: str, *, progress: Progress | None = None) -> None:
        self.source = source
        self.notes: list[str] = []  # what was left out, to tell the person
        self.query: str | None = None  # twarc2's search query, from the first line that records it
        self._lines = _Lines(handle, progress)
        self._handle = handle

    def pages(self) -> Iterator[tuple[str, Clean, Page]]:
        """(where, clean, page) for every page of tweets, in file order. `clean` is a pair of what the
        page's line (or document) lacks: a `\\u0000` escape, so no value read from it holds a NUL
        character; any `\\u00` escape, so not even a backslash before "u0000" (which only `\\\\`
        followed by `u0000`, or escapes below U+0100, can write), and none of its values written again as
        JSON holds a `\\u0000` escape."""
        cache = Users()
        for where, clean, doc in self._documents():
            if self.query is None:
                self.query = _twarc_query(doc)
            for page in pages(doc, where, cache):
                yield where, clean, page
            if len(cache) > _USERS_KEPT:  # bounded, however many people a long file holds
                cache.clear()

    def _documents(self) -> Iterator[tuple[str, Clean, Any]]:
        """(where, clean, document) for a whole-file JSON document, or for each JSONL line."""
        source = self.source
        lines = self._lines.filled()
        first = next(lines, None)
        if first is None:
            raise RecordError(source, "file is empty")
        number, offset, data = first
        try:
            doc: Any = orjson.loads(data)
            first_error = None
        except orjson.JSONDecodeError as exc:
            first_error = exc
        second = next(lines, None)
        if second is None:  # one line: a whole document, named by the file alone (as a JSON file is)
            if first_error is None:
                yield source, _clean(data), doc
                return
            _check_utf8(data, source, offset)
            line = number + first_error.lineno - 1
            raise RecordError(f"{source}:{line}", f"not JSON ({_not_json(first_error)})")
        if first_error is not None:  # not a line of JSONL: a JSON document over many lines, read whole
            self._handle.seek(0)
            whole = self._handle.read()
            try:
                doc = orjson.loads(whole[3:] if whole.startswith(_BOM) else whole)
            except orjson.JSONDecodeError:
                _check_utf8(data, source, offset)
                raise RecordError(f"{source}:{number}", f"not JSON ({_not_json(first_error)})") from None
            yield source, _clean(whole), doc
            return
        yield f"{source}:{number}", _clean(data), doc
        pending = second
        for following in lines:
            yield self._line(pending, last=False)
            pending = following
        if not self._lines.ends_with_newline:  # the last line may have been cut off mid-write
            number, offset, data = pending
            try:
                doc = orjson.loads(data)
            except orjson.JSONDecodeError:
                self.notes.append(
                    f"{source}:{number}: the last line is incomplete (cut off mid-write); imported the lines before it"
                )
                return
            yield f"{source}:{number}", _clean(data), doc
            return
        yield self._line(pending, last=True)

    def _line(self, line: tuple[int, int, bytes], *, last: bool) -> tuple[str, Clean, Any]:
        number, offset, data = line
        where = f"{self.source}:{number}"
        return where, _clean(data), _loads(data, where, self.source, offset)


def _twarc_query(doc: Any) -> str | None:
    """The search query twarc2 recorded for this line (`__twarc.url`), if it did."""
    meta = doc.get("__twarc") if isinstance(doc, dict) else None
    url = meta.get("url") if isinstance(meta, dict) else None
    if not isinstance(url, str):
        return None
    query = parse_qs(urlsplit(url).query).get("query")
    return query[0] if query else None


_Key = tuple[datetime, str]  # a post's place in time order: (created_at, id), as the record sorts posts


@dataclass(slots=True)
class _Asked:
    key: _Key
    text: str
    handle: str


def _count(table: dict[str, list[Any]], tag: str, key: _Key, position: int, compare: bool) -> None:
    """One more use of `tag`, remembering the earliest place it was seen (compared only when posts come
    out of order: in time order the first place seen is the earliest)."""
    known = table.get(tag)
    if known is None:
        table[tag] = [1, (*key, position)]
    else:
        known[0] += 1
        if compare:
            place = (*key, position)
            if place < known[1]:
                known[1] = place


class ChatTally:
    """What the event's choices need from its posts, kept as they stream past: counts per hashtag (and
    where each was first seen, in time order), the host's numbered question posts, the first and last
    post times, and whether the posts came in time order. Memory grows with tags and authors, not posts."""

    def __init__(self) -> None:
        self.count = 0
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.in_order = True  # every post came after the one before it in (created_at, id) order
        self._previous: _Key | None = None
        self._posts_by_tag: dict[str, list[Any]] = {}  # lower-cased tag -> [posts, first seen at]
        self._uses_by_spelling: dict[str, list[Any]] = {}  # tag as written -> [uses, first seen at]
        self._asked: dict[str, dict[int, _Asked]] = {}  # author id -> question number -> its earliest post

    def add(self, p: Post) -> None:
        pid, author, text, created_at, reply_to, _, _, repost_of, _, hashtags, _, _ = p
        key = (created_at, pid)
        previous = self._previous
        self._previous = key
        self.count += 1
        if previous is None:
            self.first = self.last = created_at
        elif self.in_order and key >= previous:  # then this post is the last so far, and not the first
            self.last = created_at
        else:
            self.in_order = False
            first, last = self.first, self.last
            if first is None or created_at < first:
                self.first = created_at
            if last is None or created_at > last:
                self.last = created_at
        if hashtags:
            if len(hashtags) == 1 and self.in_order:  # most posts carry the chat's tag alone, in time order
                tag = hashtags[0][1:]
                counted = self._uses_by_spelling.get(tag)
                if counted is None:
                    self._uses_by_spelling[tag] = [1, (*key, 0)]
                else:
                    counted[0] += 1
                tag = tag.lower()
                counted = self._posts_by_tag.get(tag)
                if counted is None:
                    self._posts_by_tag[tag] = [1, (*key, 0)]
                else:
                    counted[0] += 1
            else:
                self._count_tags(hashtags, key)
        if repost_of is None and not reply_to and not text.startswith("@"):
            number = question_number(text)
            if number is not None:
                asked = self._asked.setdefault(author.id, {})
                known = asked.get(number)
                if known is None or key < known.key:
                    asked[number] = _Asked(key, text, author.handle)

    def _count_tags(self, hashtags: tuple[str, ...], key: _Key) -> None:
        """Count each spelling's uses and each lower-cased tag's posts, and where each was first seen in
        time. While the posts have come in time order the first seen in the file is the earliest, so
        places are compared only once a post has come out of order. (`add` counts a lone tag of a post
        in time order itself: most posts carry the chat's tag alone.)"""
        compare = not self.in_order
        spelled, posts = self._uses_by_spelling, self._posts_by_tag
        lowered: dict[str, int] = {}
        for position, hashtag in enumerate(hashtags):
            tag = hashtag[1:]
            lowered.setdefault(tag.lower(), position)
            _count(spelled, tag, key, position, compare)
        for tag, position in lowered.items():
            _count(posts, tag, key, position, compare)

    def _counters(self) -> tuple[Counter[str], Counter[str]]:
        """(posts per lower-cased tag, uses per spelling), each in the order tags first appear in time."""

        def ordered(counts: dict[str, list[Any]]) -> Counter[str]:
            return Counter({t: n for t, (n, _) in sorted(counts.items(), key=lambda item: item[1][1])})

        return ordered(self._posts_by_tag), ordered(self._uses_by_spelling)

    def hashtag(self, options: ImportOptions, query: str | None, source: str, notes: list[str]) -> str | None:
        """The chat's hashtag: --hashtag, else the search query's, else the one most posts carry."""
        if options.hashtag:
            return options.hashtag
        by_lower, spelled = self._counters()
        if query:
            in_query = list(dict.fromkeys(t.lower() for t in _QUERY_HASHTAG.findall(query)))
            if in_query:
                chosen = max(in_query, key=lambda t: by_lower[t])  # max keeps the query's first on a tie
                return _spelling(chosen, spelled)
            return None
        if not by_lower:
            return None
        ranked = by_lower.most_common()
        top, posts = ranked[0]
        tied = [t for t, n in ranked if n == posts]
        if len(tied) > 1:
            shown = ", ".join(_spelling(t, spelled) for t in tied[:4])
            notes.append(f"{source}: no single chat hashtag ({shown} each on {posts} posts); give --hashtag to choose")
            return None
        chosen = _spelling(top, spelled)
        notes.append(
            f"{source}: chat hashtag {chosen}, the one most posts carry ({posts} of {self.count}); --hashtag overrides"
        )
        return chosen

    def prompts(self) -> tuple[str | None, list[ImportedPrompt]]:
        """The host's numbered question posts: originals (no reply, no repost) saying "Question One:"/"Q1:"."""
        if not self._asked:
            return None, []
        host_id = max(self._asked, key=lambda a: (len(self._asked[a]), a))
        asked = self._asked[host_id]
        host = asked[min(asked)].handle
        return host, [
            ImportedPrompt(number=n, text=q.text, posted_at=q.key[0], due_at=q.key[0], message_id=q.key[1])
            for n, q in sorted(asked.items())
        ]

    def event(
        self, options: ImportOptions, query: str | None, source: str, notes: list[str], *, hashtag: str | None
    ) -> ImportedEvent:
        """The event these posts make (without the posts themselves)."""
        if self.first is None or self.last is None:
            raise RecordError(source, "not X API v2 data (no tweets found)")
        host, prompts = self.prompts()
        first = self.first
        if options.title:
            title = options.title
        elif hashtag:
            title = f"{hashtag} chat {first:%d %B %Y}"
        elif query:
            title = f"X search: {query[:200]} {first:%d %B %Y}"
        else:
            title = f"X posts {first:%d %B %Y}"
        return ImportedEvent(
            kind="chat",
            title=title,
            hashtag=hashtag,
            host=host,
            starts_at=first,
            ends_at=self.last,
            timezone="UTC",
            source=source.rsplit("/", 1)[-1],
            platform=PLATFORM,
            prompts=prompts,
            notes=notes,
        )


def _spelling(tag: str, spelled: Counter[str]) -> str:
    """The most used spelling of a tag (ties: the first seen), written with its '#'."""
    best = max((t for t in spelled if t.lower() == tag), key=lambda t: spelled[t], default=tag)
    return "#" + best


def parse_stream(
    handle: IO[bytes], source: str, options: ImportOptions | None = None, *, progress: Progress | None = None
) -> ImportedEvent:
    """The whole file as one event with every post in memory: for callers that want the posts themselves."""
    options = options or ImportOptions()
    reader = XReader(handle, source, progress=progress)
    tally = ChatTally()
    seen: dict[str, Message] = {}
    for where, _, page in reader.pages():
        for p in page_posts(page, where):
            if p[0] not in seen:
                seen[p[0]] = as_message(p, "")
                tally.add(p)
    notes = reader.notes
    hashtag = tally.hashtag(options, reader.query, source, notes)
    event = tally.event(options, reader.query, source, notes, hashtag=hashtag)
    messages = sorted(seen.values(), key=lambda m: (m.created_at, m.id))
    if hashtag:
        # Each post's channel is the chat's hashtag, known only once every post is read. These Messages
        # were made above and are not yet shared, so they are finished in place (as Message.__post_init__
        # does) rather than copied: dataclasses.replace would cost as much as reading them.
        for m in messages:
            object.__setattr__(m, "channel", hashtag)
    event.messages = messages
    return event
