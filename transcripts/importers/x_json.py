"""Reads X API v2 data: response pages (`data` + `includes.users`) as JSON or JSONL, as twarc2 writes them.

Accepted shapes: one response page; a JSON array of pages or of tweets; JSONL with one page or one
tweet per line (twarc2 `flatten` output embeds the `author`). The whole file is parsed before anything
is written, and every error names the file, the line (JSONL) and the field at fault.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

from transcripts.errors import RecordError
from transcripts.importers.base import ImportedEvent, ImportedPrompt
from transcripts.importers.questions import question_number
from transcripts.message import Author, Message

PLATFORM = "x"


def looks_like(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[")


def _documents(text: str, source: str) -> Iterator[tuple[str, Any]]:
    """(where, document) for a whole-file JSON document, or for each JSONL line."""
    lines = text.splitlines()
    if len(lines) < 2 or text.lstrip().startswith("["):
        try:
            yield source, orjson.loads(text)
            return
        except orjson.JSONDecodeError as exc:
            if len([line for line in lines if line.strip()]) < 2:
                raise RecordError(f"{source}:{exc.lineno}", f"not JSON ({exc.msg})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield f"{source}:{number}", orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise RecordError(f"{source}:{number}", f"not JSON ({exc.msg})") from None


def _require(obj: dict[str, Any], key: str, where: str, path: str) -> Any:
    value = obj.get(key)
    if value in (None, ""):
        raise RecordError(where, f"{path}.{key}: missing")
    return value


TweetAt = tuple[str, int | None]  # (field prefix, index): the path of a tweet, formatted only for an error


def _path(at: TweetAt) -> str:
    prefix, index = at
    return prefix if index is None else f"{prefix}[{index}]"


def _time(value: Any, where: str, at: TweetAt | str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        path = at if isinstance(at, str) else _path(at)
        raise RecordError(where, f"{path}.created_at: {value!r} is not a date") from None
    if moment.tzinfo is None:
        path = at if isinstance(at, str) else _path(at)
        raise RecordError(where, f"{path}.created_at: {value!r} has no time zone")
    return moment


def _author(user: dict[str, Any], where: str, path: str) -> Author:
    metrics = user.get("public_metrics") or {}
    followers = metrics.get("followers_count")
    return Author(
        platform=PLATFORM,
        id=str(_require(user, "id", where, path)),
        handle=str(_require(user, "username", where, path)),
        name=user.get("name"),
        bio=user.get("description"),
        followers=int(followers) if isinstance(followers, int) else None,
        protected=bool(user.get("protected", False)),
    )


class _Users:
    """Authors parsed once per distinct profile: twarc2 repeats each user on every page they post in."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[dict[str, Any], Author]] = {}

    def author(self, user: dict[str, Any], where: str, path: str) -> Author:
        known = self._seen.get(str(user.get("id")))
        if known is not None and known[0] == user:
            return known[1]
        author = _author(user, where, path)
        self._seen[author.id] = (user, author)
        return author


def _tweets(
    doc: Any, where: str, cache: _Users, prefix: str = ""
) -> Iterator[tuple[TweetAt, dict[str, Any], dict[str, Author]]]:
    """(where in the document, tweet, users by id) for every tweet in a page, an array or a single tweet."""
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            if not isinstance(item, dict):
                raise RecordError(where, f"{prefix}[{i}]: not an object")
            yield from _tweets(item, where, cache, f"{prefix}[{i}].")
        return
    if not isinstance(doc, dict):
        raise RecordError(where, "not X API v2 data (no 'data' or tweet objects)")
    if "data" in doc:
        data = doc["data"]
        items = data if isinstance(data, list) else [data]
        users: dict[str, Author] = {}
        for j, user in enumerate((doc.get("includes") or {}).get("users") or []):
            author = cache.author(user, where, f"{prefix}includes.users[{j}]")
            users[author.id] = author
        at = f"{prefix}data"
        for i, tweet in enumerate(items):
            if not isinstance(tweet, dict):
                raise RecordError(where, f"{at}[{i}]: not an object")
            yield (at, i), tweet, users
        return
    if "id" in doc and "text" in doc:
        users = {}
        if isinstance(doc.get("author"), dict):
            author = cache.author(doc["author"], where, f"{prefix}author")
            users[author.id] = author
        yield (prefix.rstrip(".") or "tweet", None), doc, users
        return
    raise RecordError(where, "not X API v2 data (no 'data' or tweet objects)")


def _message(tweet: dict[str, Any], users: dict[str, Author], where: str, at: TweetAt, channel: str) -> Message:
    """One tweet as a Message. Written for speed: it runs once per post of a 50,000-post import."""
    tweet_id = tweet.get("id")
    author_id = tweet.get("author_id")
    created_at = tweet.get("created_at")
    if not tweet_id or not author_id or not created_at:
        missing = "id" if not tweet_id else "author_id" if not author_id else "created_at"
        raise RecordError(where, f"{_path(at)}.{missing}: missing")
    author_id = str(author_id)
    author = users.get(author_id) or Author(platform=PLATFORM, id=author_id, handle=author_id)
    reply_to = quote_of = repost_of = None
    for ref in tweet.get("referenced_tweets") or ():
        kind = ref.get("type")
        if kind == "replied_to":
            reply_to = str(ref.get("id"))
        elif kind == "quoted":
            quote_of = str(ref.get("id"))
        elif kind == "retweeted":
            repost_of = str(ref.get("id"))
    mentions: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    entities = tweet.get("entities")
    if entities:  # most posts carry one or two kinds of entity: build only the tuples there is something for
        if found := entities.get("mentions"):
            mentions = tuple([m["username"] for m in found if m.get("username")])
        if found := entities.get("hashtags"):
            hashtags = tuple(["#" + h["tag"] for h in found if h.get("tag")])
        if found := entities.get("urls"):
            urls = tuple([u.get("expanded_url") or u["url"] for u in found if u.get("url")])
    conversation = tweet.get("conversation_id")
    return Message(
        platform=PLATFORM,
        id=str(tweet_id),
        channel=channel,
        author=author,
        text=str(tweet.get("text", "")),
        created_at=_time(created_at, where, at),
        reply_to=reply_to,
        thread=str(conversation) if conversation else None,
        quote_of=quote_of,
        repost_of=repost_of,
        is_repost=repost_of is not None,
        mentions=mentions,
        hashtags=hashtags,
        urls=urls,
        raw=tweet,
    )


def messages_from_response(page: dict[str, Any], channel: str, *, where: str = "X API response") -> list[Message]:
    """The posts of one API v2 response page (`data` + `includes.users`), as the capture path stores them."""
    return [_message(tweet, users, where, at, channel) for at, tweet, users in _tweets(page, where, _Users())]


def _main_hashtag(tweets: list[dict[str, Any]]) -> str | None:
    """The chat's hashtag: the one most posts carry (counted case-insensitively, most used spelling)."""
    tags: list[str] = []  # each post's distinct tags, counted in one pass of Counter's C loop
    for tweet in tweets:
        entities = tweet.get("entities")
        found = entities.get("hashtags") if entities else None
        if found:
            mine = [h["tag"] for h in found if h.get("tag")]
            tags.extend(mine if len(mine) < 2 else set(mine))
    spelled = Counter(tags)
    if not spelled:
        return None
    by_lower: Counter[str] = Counter()
    for tag, n in spelled.items():
        by_lower[tag.lower()] += n
    top = min(by_lower, key=lambda t: (-by_lower[t], t))
    return "#" + min((t for t in spelled if t.lower() == top), key=lambda t: (-spelled[t], t))


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


def parse(text: str, source: str) -> ImportedEvent:
    found: list[tuple[str, TweetAt, dict[str, Any], dict[str, Author]]] = []
    cache = _Users()
    for where, doc in _documents(text, source):
        for path, tweet, users in _tweets(doc, where, cache):
            found.append((where, path, tweet, users))
    if not found:
        raise RecordError(source, "not X API v2 data (no tweets found)")
    hashtag = _main_hashtag([tweet for _, _, tweet, _ in found])
    seen: dict[str, Message] = {}
    for where, path, tweet, users in found:
        message = _message(tweet, users, where, path, hashtag or "")
        seen.setdefault(message.id, message)
    messages = sorted(seen.values(), key=lambda m: (m.created_at, m.id))
    host, prompts = _prompts(messages)
    first = messages[0].created_at
    return ImportedEvent(
        kind="chat",
        title=f"{hashtag or 'X'} chat {first:%d %B %Y}",
        hashtag=hashtag,
        host=host,
        starts_at=first,
        ends_at=messages[-1].created_at,
        timezone="UTC",
        source=source.rsplit("/", 1)[-1],
        platform=PLATFORM,
        prompts=prompts,
        messages=messages,
    )
