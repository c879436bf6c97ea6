"""Reads X API v2 data: response pages (`data` + `includes.users`) as JSON or JSONL, as twarc2 writes them.

Accepted shapes: one response page; a JSON array of pages or of tweets; JSONL with one page or one
tweet per line (twarc2 `flatten` output embeds the `author`). JSONL is split on `\\n` only: a raw
U+2028 inside a JSON string is text, not a line break. The whole file is parsed before anything is
written, and every error names the file, the line (JSONL) and the field at fault. A last line cut off
mid-write (an interrupted capture, so no final newline) is left out and said so; the rest imports.

The chat's hashtag and title come from twarc2's own record of its search (`__twarc.url`'s query)
when there is one, else from `--hashtag`/`--title`, else from the hashtag most posts carry — and the
import says which it chose and why; a tie is never broken by spelling.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from transcripts.errors import RecordError
from transcripts.importers.base import ImportedEvent, ImportedPrompt, ImportOptions
from transcripts.importers.questions import question_number
from transcripts.message import Message
from transcripts.x_payload import Includes, TweetAt, Users, message, tweets

PLATFORM = "x"
_QUERY_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")


def looks_like(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[")


def _loads(data: str, where: str) -> Any:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = "nested too deep" if "depth" in exc.msg else exc.msg
        raise RecordError(where, f"not JSON ({reason})") from None
    return doc


def _filled_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, line, is it the last non-blank line) for each non-blank line, split on "\n" only
    and read in place: a 200,000-line file is not copied into a list of lines first."""
    pending: tuple[int, str] | None = None
    start, number = 0, 1
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        line = text[start:end]
        if line.strip():
            if pending is not None:
                yield pending[0], pending[1], False
            pending = (number, line)
        start, number = end + 1, number + 1
    if pending is not None:
        yield pending[0], pending[1], True


def _documents(text: str, source: str, notes: list[str]) -> Iterator[tuple[str, Any]]:
    """(where, document) for a whole-file JSON document, or for each JSONL line."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        whole_error = exc
    else:
        yield source, doc
        return
    lines = _filled_lines(text)
    first = next(lines, None)
    second = next(lines, None)
    if first is None or second is None:
        reason = "nested too deep" if "depth" in whole_error.msg else whole_error.msg
        raise RecordError(f"{source}:{whole_error.lineno}", f"not JSON ({reason})")
    for number, line, last in itertools.chain((first, second), lines):
        where = f"{source}:{number}"
        if last and not text.endswith("\n"):
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError:
                notes.append(f"{where}: the last line is incomplete (cut off mid-write); imported the lines before it")
                return
            yield where, doc
            return
        yield where, _loads(line, where)


def _twarc_query(doc: Any) -> str | None:
    """The search query twarc2 recorded for this line (`__twarc.url`), if it did."""
    meta = doc.get("__twarc") if isinstance(doc, dict) else None
    url = meta.get("url") if isinstance(meta, dict) else None
    if not isinstance(url, str):
        return None
    query = parse_qs(urlsplit(url).query).get("query")
    return query[0] if query else None


def _tag_counts(messages: list[Message]) -> tuple[Counter[str], Counter[str]]:
    """(posts per lower-cased tag, uses per spelling): each post counts once for each tag it carries."""
    spelled: Counter[str] = Counter()
    for m in messages:
        if m.hashtags:
            spelled.update(m.hashtags)
    lower: list[str] = []
    for m in messages:
        if m.hashtags:
            lower.extend({t[1:].lower() for t in m.hashtags} if len(m.hashtags) > 1 else (m.hashtags[0][1:].lower(),))
    return Counter(lower), Counter({t[1:]: n for t, n in spelled.items()})


def _spelling(tag: str, spelled: Counter[str]) -> str:
    """The most used spelling of a tag (ties: the first seen), written with its '#'."""
    best = max((t for t in spelled if t.lower() == tag), key=lambda t: spelled[t], default=tag)
    return "#" + best


def _choose_hashtag(messages: list[Message], query: str | None, source: str, notes: list[str]) -> str | None:
    by_lower, spelled = _tag_counts(messages)
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
        f"{source}: chat hashtag {chosen}, the one most posts carry ({posts} of {len(messages)}); --hashtag overrides"
    )
    return chosen


def _prompts(messages: list[Message]) -> tuple[str | None, list[ImportedPrompt]]:
    """The host's numbered question posts: originals (no reply, no repost) saying "Question One:"/"Q1:"."""
    candidates: dict[str, dict[int, Message]] = {}
    for m in messages:
        if m.is_repost or m.reply_to or m.text.startswith("@"):
            continue
        number = question_number(m.text)
        if number is not None:
            candidates.setdefault(m.author.id, {}).setdefault(number, m)
    if not candidates:
        return None, []
    host_id = max(candidates, key=lambda a: (len(candidates[a]), a))
    asked = candidates[host_id]
    host = asked[min(asked)].author.handle
    return host, [
        ImportedPrompt(number=n, text=m.text, posted_at=m.created_at, due_at=m.created_at, message_id=m.id)
        for n, m in sorted(asked.items())
    ]


def parse(text: str, source: str, options: ImportOptions | None = None) -> ImportedEvent:
    options = options or ImportOptions()
    notes: list[str] = []
    found: list[tuple[str, TweetAt, dict[str, Any], Includes]] = []
    cache = Users()
    query: str | None = None
    for where, doc in _documents(text, source, notes):
        query = query or _twarc_query(doc)
        for path, tweet, includes in tweets(doc, where, cache):
            found.append((where, path, tweet, includes))
    if not found:
        raise RecordError(source, "not X API v2 data (no tweets found)")
    seen: dict[str, Message] = {}
    for where, path, tweet, includes in found:
        m = message(tweet, includes, where, path, "")
        seen.setdefault(m.id, m)
    messages = sorted(seen.values(), key=lambda m: (m.created_at, m.id))
    hashtag = options.hashtag or _choose_hashtag(messages, query, source, notes)
    if hashtag:
        # Each post's channel is the chat's hashtag, known only once every post is read. These Messages
        # were made above and are not yet shared, so they are finished in place (as Message.__post_init__
        # does) rather than copied: dataclasses.replace would cost as much as reading them.
        for m in messages:
            object.__setattr__(m, "channel", hashtag)
    host, prompts = _prompts(messages)
    first = messages[0].created_at
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
        ends_at=messages[-1].created_at,
        timezone="UTC",
        source=source.rsplit("/", 1)[-1],
        platform=PLATFORM,
        prompts=prompts,
        messages=messages,
        notes=notes,
    )
