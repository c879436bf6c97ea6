"""Reads X API v2 data: response pages (`data` + `includes.users`) as JSON or JSONL, as twarc2 writes them.

Accepted shapes: one response page; a JSON array of pages or of tweets; JSONL with one page or one
tweet per line (twarc2 `flatten` output embeds the `author`). The whole file is parsed before anything
is written, and every error names the file, the line (JSONL) and the field at fault.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from transcripts.errors import RecordError
from transcripts.importers.base import ImportedEvent, ImportedPrompt
from transcripts.importers.questions import question_number
from transcripts.message import Author, Message

PLATFORM = "x"


def looks_like(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[")


def _documents(text: str, source: str) -> Iterator[tuple[str, Any]]:
    """(where, document) for a whole-file JSON document, or for each JSONL line."""
    try:
        yield source, json.loads(text)
        return
    except json.JSONDecodeError as whole_error:
        lines = text.splitlines()
        if len([line for line in lines if line.strip()]) < 2:
            raise RecordError(f"{source}:{whole_error.lineno}", f"not JSON ({whole_error.msg})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield f"{source}:{number}", json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordError(f"{source}:{number}", f"not JSON ({exc.msg})") from None


def _require(obj: dict[str, Any], key: str, where: str, path: str) -> Any:
    value = obj.get(key)
    if value in (None, ""):
        raise RecordError(where, f"{path}.{key}: missing")
    return value


def _time(value: Any, where: str, path: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(where, f"{path}.created_at: {value!r} is not a date") from None
    if moment.tzinfo is None:
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


def _tweets(doc: Any, where: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Author]]]:
    """(field path, tweet, users by id) for every tweet in a page, an array or a single tweet."""
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            if not isinstance(item, dict):
                raise RecordError(where, f"[{i}]: not an object")
            for path, tweet, users in _tweets(item, where):
                yield f"[{i}].{path}" if path else f"[{i}]", tweet, users
        return
    if not isinstance(doc, dict):
        raise RecordError(where, "not X API v2 data (no 'data' or tweet objects)")
    if "data" in doc:
        data = doc["data"]
        items = data if isinstance(data, list) else [data]
        users: dict[str, Author] = {}
        for j, user in enumerate((doc.get("includes") or {}).get("users") or []):
            author = _author(user, where, f"includes.users[{j}]")
            users[author.id] = author
        for i, tweet in enumerate(items):
            if not isinstance(tweet, dict):
                raise RecordError(where, f"data[{i}]: not an object")
            yield f"data[{i}]", tweet, users
        return
    if "id" in doc and "text" in doc:
        users = {}
        if isinstance(doc.get("author"), dict):
            author = _author(doc["author"], where, "author")
            users[author.id] = author
        yield "", doc, users
        return
    raise RecordError(where, "not X API v2 data (no 'data' or tweet objects)")


def _message(tweet: dict[str, Any], users: dict[str, Author], where: str, path: str) -> Message:
    prefix = path or "tweet"
    tweet_id = str(_require(tweet, "id", where, prefix))
    author_id = str(_require(tweet, "author_id", where, prefix))
    author = users.get(author_id) or Author(platform=PLATFORM, id=author_id, handle=author_id)
    created = _time(_require(tweet, "created_at", where, prefix), where, prefix)
    refs = {r.get("type"): str(r.get("id")) for r in tweet.get("referenced_tweets") or [] if isinstance(r, dict)}
    entities = tweet.get("entities") or {}
    return Message(
        platform=PLATFORM,
        id=tweet_id,
        channel="",
        author=author,
        text=str(tweet.get("text", "")),
        created_at=created,
        reply_to=refs.get("replied_to"),
        thread=str(tweet["conversation_id"]) if tweet.get("conversation_id") else None,
        quote_of=refs.get("quoted"),
        repost_of=refs.get("retweeted"),
        is_repost="retweeted" in refs,
        mentions=tuple(m["username"] for m in entities.get("mentions") or [] if m.get("username")),
        hashtags=tuple("#" + h["tag"] for h in entities.get("hashtags") or [] if h.get("tag")),
        urls=tuple(u.get("expanded_url") or u.get("url") for u in entities.get("urls") or [] if u.get("url")),
        raw=tweet,
    )


def _main_hashtag(messages: list[Message]) -> str | None:
    by_lower: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for m in messages:
        for tag in dict.fromkeys(m.hashtags):
            by_lower[tag.lower()] += 1
            spellings.setdefault(tag.lower(), Counter())[tag] += 1
    if not by_lower:
        return None
    top = min(by_lower, key=lambda t: (-by_lower[t], t))
    return min(spellings[top], key=lambda s: (-spellings[top][s], s))


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
    seen: dict[str, Message] = {}
    for where, doc in _documents(text, source):
        for path, tweet, users in _tweets(doc, where):
            message = _message(tweet, users, where, path)
            seen.setdefault(message.id, message)
    if not seen:
        raise RecordError(source, "not X API v2 data (no tweets found)")
    messages = sorted(seen.values(), key=lambda m: (m.created_at, m.id))
    hashtag = _main_hashtag(messages)
    messages = [replace(m, channel=hashtag or "") for m in messages]
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
