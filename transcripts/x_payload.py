"""X API v2 payloads (`data` + `includes`) as `Message` records, for capture and for imported files alike.

Every field read is type-checked, so a list where an id belongs is refused naming the field rather
than stored as the string "[1, 2]". X escapes `&`, `<` and `>` in post text as HTML entities; they
are unescaped here, once, so pages (which escape all user text) never show a literal `&amp;`. A
retweet's text is cut at "…" by X; the full original travels in `includes.tweets`, and is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from transcripts.errors import RecordError
from transcripts.input_checks import (
    EARLIEST,
    LATEST_KNOWN,
    id_value,
    object_value,
    objects,
    plausible_time,
    text_value,
)
from transcripts.message import Author, Message

PLATFORM = "x"
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_RT_PREFIX = re.compile(r"^RT @\w+: ")

TweetAt = tuple[str, int | None]  # (field prefix, index): the path of a tweet, formatted only for an error


def _unescaped(entity: re.Match[str]) -> str:
    return _ENTITIES[entity[1]]


def unescape(text: str) -> str:
    """Undo X's escaping of `&`, `<` and `>` exactly once (`&amp;lt;` becomes the text `&lt;`)."""
    return _ENTITY.sub(_unescaped, text) if "&" in text else text


def path_of(at: TweetAt) -> str:
    prefix, index = at
    return prefix if index is None else f"{prefix}[{index}]"


def tweet_time(value: Any, where: str, field: str) -> datetime:
    """A tweet's `created_at`: ISO 8601 with a zone, between 2006 and tomorrow."""
    if not isinstance(value, str):
        raise RecordError(where, f"{field}: {value!r} is not a date")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(where, f"{field}: {value!r} is not a date") from None
    if moment.tzinfo is None:
        raise RecordError(where, f"{field}: {value!r} has no time zone")
    return plausible_time(moment, where, field)


def _author(user: dict[str, Any], where: str, path: str) -> Author:
    metrics = object_value(user.get("public_metrics"), where, f"{path}.public_metrics")
    followers = metrics.get("followers_count")
    if followers is not None and (isinstance(followers, bool) or not isinstance(followers, int) or followers < 0):
        raise RecordError(where, f"{path}.public_metrics.followers_count: expected a whole number")
    protected = user.get("protected", False)
    if not isinstance(protected, bool):
        raise RecordError(where, f"{path}.protected: expected true or false")
    return Author(
        platform=PLATFORM,
        id=id_value(user.get("id"), where, f"{path}.id") or "",
        handle=text_value(user.get("username"), where, f"{path}.username") or "",
        name=text_value(user.get("name"), where, f"{path}.name", required=False),
        bio=text_value(user.get("description"), where, f"{path}.description", required=False),
        followers=followers,
        protected=protected,
    )


class Users:
    """Authors parsed once per distinct profile: twarc2 repeats each user on every page they post in."""

    def __init__(self) -> None:
        self._seen: dict[Any, tuple[dict[str, Any], Author]] = {}

    def author(self, user: dict[str, Any], where: str, path: str) -> Author:
        key = user.get("id")
        known = self._seen.get(key) if isinstance(key, str | int) and not isinstance(key, bool) else None
        if known is not None and known[0] == user:
            return known[1]
        author = _author(user, where, path)
        self._seen[key] = (user, author)
        return author

    def by_id(self, users: list[dict[str, Any]], where: str, path: str) -> dict[str, Author]:
        """A page's `includes.users` (each an object) by id; `path` names the list in an error."""
        seen = self._seen
        found: dict[str, Author] = {}
        for j, user in enumerate(users):
            key = user.get("id")
            known = seen.get(key) if type(key) is str else None
            author = known[1] if known is not None and known[0] == user else self.author(user, where, f"{path}[{j}]")
            found[author.id] = author
        return found

    def __len__(self) -> int:
        return len(self._seen)

    def clear(self) -> None:
        """Forget every profile: a reader of a long file bounds the cache rather than let it grow."""
        self._seen.clear()


Includes = tuple[dict[str, Author], dict[str, dict[str, Any]]]  # users by id, referenced tweets by id

# One post as the streamed import keeps it, a Message's fields less its platform and channel in a plain
# tuple (a Message costs as much to make as the rest of a post's reading): (id, author, text, created_at,
# reply_to, thread, quote_of, repost_of, mentions, hashtags, urls, raw); it is a repost when repost_of is set.
Post = tuple[
    str, Author, str, datetime, str | None, str | None, str | None, str | None,
    tuple[str, ...], tuple[str, ...], tuple[str, ...], dict[str, Any],
]  # fmt: skip


# One page of tweets: (the path of its tweets, the tweets, their includes, whether they are indexed
# (`data[3]`) or the document is the one tweet (twarc2 `flatten` output)).
Page = tuple[str, list[Any], Includes, bool]


def pages(doc: Any, where: str, cache: Users, prefix: str = "") -> Iterator[Page]:
    """Every page in a document: a response page, an array of pages or tweets, or a single tweet."""
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            if not isinstance(item, dict):
                raise RecordError(where, f"{prefix}[{i}]: not an object")
            yield from _one(item, where, cache, f"{prefix}[{i}].")
        return
    if not isinstance(doc, dict):
        raise RecordError(where, "not X API v2 data (no 'data' or tweet objects)")
    yield from _one(doc, where, cache, prefix)


def _one(doc: dict[str, Any], where: str, cache: Users, prefix: str) -> Iterator[Page]:
    if "data" in doc:
        data = doc["data"]
        items = data if isinstance(data, list) else [data]
        includes = object_value(doc.get("includes"), where, f"{prefix}includes")
        path = f"{prefix}includes.users"
        users = cache.by_id(objects(includes.get("users"), where, path), where, path)
        referenced: dict[str, dict[str, Any]] = {}
        for j, tweet in enumerate(objects(includes.get("tweets"), where, f"{prefix}includes.tweets")):
            tid = id_value(tweet.get("id"), where, f"{prefix}includes.tweets[{j}].id", required=False)
            if tid:
                referenced[tid] = tweet
        yield f"{prefix}data", items, (users, referenced), True
        return
    if "id" in doc and "text" in doc:
        users: dict[str, Author] = {}
        if doc.get("author") is not None:
            author_doc = object_value(doc["author"], where, f"{prefix}author")
            author = cache.author(author_doc, where, f"{prefix}author")
            users[author.id] = author
        yield prefix.rstrip(".") or "tweet", [doc], (users, {}), False
        return
    raise RecordError(where, "not X API v2 data (no 'data' or tweet objects)")


def tweets(doc: Any, where: str, cache: Users, prefix: str = "") -> Iterator[tuple[TweetAt, dict[str, Any], Includes]]:
    """(where in the document, tweet, includes) for every tweet in a page, an array or a single tweet."""
    for at, items, includes, indexed in pages(doc, where, cache, prefix):
        for i, tweet in enumerate(items):
            if not isinstance(tweet, dict):
                raise RecordError(where, f"{at}[{i}]: not an object")
            yield (at, i if indexed else None), tweet, includes


def page_posts(page: Page, where: str) -> Iterator[Post]:
    """The posts of one page, in order; every field read is checked and a bad one named."""
    users, referenced = page[2]
    for i, tweet in enumerate(page[1]):
        try:
            found = fast_post(tweet, users, referenced)
        except Irregular:
            found = checked_post(page, i, where)
        yield found


def checked_post(page: Page, i: int, where: str) -> Post:
    """Tweet `i` of `page`, read field by field (when `fast_post` turns it away): a bad field is named."""
    at, items, includes, indexed = page
    tweet = items[i]
    if not isinstance(tweet, dict):
        raise RecordError(where, f"{at}[{i}]: not an object")
    return _checked_post(tweet, includes, where, (at, i if indexed else None))


def _entity_texts(entities: dict[str, Any], kind: str, key: str, where: str, path: str) -> list[str]:
    found = objects(entities.get(kind), where, f"{path}.entities.{kind}")
    values = []
    for k, item in enumerate(found):
        value = text_value(item.get(key), where, f"{path}.entities.{kind}[{k}].{key}", required=False)
        if value:
            values.append(value)
    return values


class Irregular(Exception):
    """A tweet the fast path does not vouch for: the checked path reads it and names what is wrong."""


def _an_id(value: Any) -> str | None:
    if type(value) is str:
        return value or None
    if type(value) is int:
        return str(value)
    if value is None:
        return None
    raise Irregular


def fast_post(tweet: dict[str, Any], users: dict[str, Author], referenced: dict[str, dict[str, Any]]) -> Post:
    """The common, well-formed tweet, checked with plain type tests; anything else raises Irregular.

    It runs once per post of a 50,000-post import, so it reads each field once, formats nothing and
    makes a plain tuple rather than a Message. It may turn away more than it must (the checked path
    then reads the tweet, slower, to the same values), never accept what that path would read otherwise:
    a missing key, or an entity list holding anything but non-empty text where it is read, is irregular.
    """
    if type(tweet) is not dict:
        raise Irregular
    try:
        tweet_id = tweet["id"]
        author_id = tweet["author_id"]
        created = tweet["created_at"]
    except KeyError:
        raise Irregular from None
    if type(tweet_id) is not str:
        tweet_id = _an_id(tweet_id)
    if type(author_id) is not str:
        author_id = _an_id(author_id)
    text = tweet.get("text", "")
    if not tweet_id or not author_id or type(created) is not str or type(text) is not str:
        raise Irregular
    try:
        created_at = datetime.fromisoformat(created)
    except ValueError:
        raise Irregular from None
    # A time no later than a day after the last clock reading is plausible whenever it is asked.
    if created_at.tzinfo is not UTC or not EARLIEST <= created_at <= LATEST_KNOWN[1]:
        if created_at.tzinfo is None:
            raise Irregular
        try:
            created_at = plausible_time(created_at, "", "")
        except RecordError:
            raise Irregular from None
    reply_to = quote_of = repost_of = None
    if "referenced_tweets" in tweet:
        refs = tweet["referenced_tweets"]
        if type(refs) is not list:
            if refs is not None:
                raise Irregular
            refs = ()
        for ref in refs:
            if type(ref) is not dict or "type" not in ref or "id" not in ref:
                raise Irregular
            kind, ref_id = ref["type"], ref["id"]
            if type(kind) is not str or type(ref_id) is not str or not ref_id:
                if type(kind) is not str:
                    raise Irregular
                ref_id = _an_id(ref_id)
                if ref_id is None:
                    raise Irregular
            if kind == "replied_to":
                reply_to = ref_id
            elif kind == "quoted":
                quote_of = ref_id
            elif kind == "retweeted":
                repost_of = ref_id
        if repost_of is not None and repost_of in referenced:
            raise Irregular  # the full original text: the checked path takes it from includes
    mentions: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    entities = tweet.get("entities")
    if entities is not None:
        if type(entities) is not dict:
            raise Irregular
        # Each list read whole in one expression; a non-object item, a missing key or a value that is not
        # text fails it (TypeError, KeyError), and an empty value shows as "#" or "" in the result.
        try:
            found = entities.get("hashtags")
            if found is not None:
                if type(found) is not list:
                    raise Irregular
                hashtags = tuple(["#" + item["tag"] for item in found])
                if "#" in hashtags:
                    raise Irregular
            found = entities.get("mentions")
            if found is not None:
                if type(found) is not list:
                    raise Irregular
                mentions = tuple([item["username"] for item in found])
                "".join(mentions)  # text only
                if "" in mentions:
                    raise Irregular
            found = entities.get("urls")
            if found is not None:
                if type(found) is not list:
                    raise Irregular
                # a url without its expanded form: the checked path sorts it out
                urls = tuple([item["expanded_url"] for item in found])
                "".join(urls)
                if "" in urls:
                    raise Irregular
        except (KeyError, TypeError):
            raise Irregular from None
    thread = tweet.get("conversation_id")
    if type(thread) is not str or not thread:
        thread = _an_id(thread)
    return (
        tweet_id,
        users.get(author_id) or Author(platform=PLATFORM, id=author_id, handle=author_id),
        _ENTITY.sub(_unescaped, text) if "&" in text else text,
        created_at,
        reply_to,
        thread,
        quote_of,
        repost_of,
        mentions,
        hashtags,
        urls,
        tweet,
    )


def _checked_post(tweet: dict[str, Any], includes: Includes, where: str, at: TweetAt) -> Post:
    m = _checked(tweet, includes, where, at, "")
    return (m.id, m.author, m.text, m.created_at, m.reply_to, m.thread, m.quote_of, m.repost_of,
            m.mentions, m.hashtags, m.urls, tweet)  # fmt: skip


def as_message(p: Post, channel: str) -> Message:
    """The Message a Post is, posted in `channel`."""
    (tweet_id, author, text, created_at, reply_to, thread, quote_of, repost_of, mentions, hashtags, urls, raw) = p
    return Message(
        platform=PLATFORM,
        id=tweet_id,
        channel=channel,
        author=author,
        text=text,
        created_at=created_at,
        reply_to=reply_to,
        thread=thread,
        quote_of=quote_of,
        repost_of=repost_of,
        is_repost=repost_of is not None,
        mentions=mentions,
        hashtags=hashtags,
        urls=urls,
        raw=raw,
    )


def message(tweet: dict[str, Any], includes: Includes, where: str, at: TweetAt, channel: str) -> Message:
    """One tweet as a Message; every field it reads is checked and a bad one named."""
    try:
        return as_message(fast_post(tweet, includes[0], includes[1]), channel)
    except Irregular:
        return _checked(tweet, includes, where, at, channel)


def _checked(tweet: dict[str, Any], includes: Includes, where: str, at: TweetAt, channel: str) -> Message:
    """The field-by-field reading: slower, and every refusal names the field at fault."""
    path = path_of(at)
    users, referenced = includes
    tweet_id = id_value(tweet.get("id"), where, f"{path}.id") or ""
    author_id = id_value(tweet.get("author_id"), where, f"{path}.author_id") or ""
    if tweet.get("created_at") in (None, ""):
        raise RecordError(where, f"{path}.created_at: missing")
    created_at = tweet_time(tweet.get("created_at"), where, f"{path}.created_at")
    author = users.get(author_id) or Author(platform=PLATFORM, id=author_id, handle=author_id)
    reply_to = quote_of = repost_of = None
    for k, ref in enumerate(objects(tweet.get("referenced_tweets"), where, f"{path}.referenced_tweets")):
        kind = text_value(ref.get("type"), where, f"{path}.referenced_tweets[{k}].type")
        ref_id = id_value(ref.get("id"), where, f"{path}.referenced_tweets[{k}].id")
        if kind == "replied_to":
            reply_to = ref_id
        elif kind == "quoted":
            quote_of = ref_id
        elif kind == "retweeted":
            repost_of = ref_id
    mentions: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    entities = object_value(tweet.get("entities"), where, f"{path}.entities")
    if entities:
        mentions = tuple(_entity_texts(entities, "mentions", "username", where, path))
        hashtags = tuple("#" + tag for tag in _entity_texts(entities, "hashtags", "tag", where, path))
        for k, item in enumerate(objects(entities.get("urls"), where, f"{path}.entities.urls")):
            url = text_value(item.get("expanded_url"), where, f"{path}.entities.urls[{k}].expanded_url", required=False)
            url = url or text_value(item.get("url"), where, f"{path}.entities.urls[{k}].url", required=False)
            if url:
                urls += (url,)
    text = text_value(tweet.get("text", ""), where, f"{path}.text", required=False) or ""
    if repost_of is not None and repost_of in referenced:
        text = _full_retweet_text(text, referenced[repost_of], where, path)
    conversation = id_value(tweet.get("conversation_id"), where, f"{path}.conversation_id", required=False)
    return Message(
        platform=PLATFORM,
        id=tweet_id,
        channel=channel,
        author=author,
        text=unescape(text),
        created_at=created_at,
        reply_to=reply_to,
        thread=conversation,
        quote_of=quote_of,
        repost_of=repost_of,
        is_repost=repost_of is not None,
        mentions=mentions,
        hashtags=hashtags,
        urls=urls,
        raw=tweet,
    )


def _full_retweet_text(text: str, original: dict[str, Any], where: str, path: str) -> str:
    """`RT @who: ` and the original's whole text, in place of X's copy cut at "…"."""
    full = text_value(original.get("text"), where, f"{path} (retweeted tweet).text", required=False)
    prefix = _RT_PREFIX.match(text)
    if not full or not prefix:
        return text
    return prefix.group(0) + full


def messages_from_response(page: dict[str, Any], channel: str, *, where: str = "X API response") -> list[Message]:
    """The posts of one API v2 response page (`data` + `includes`), as the capture path stores them."""
    return [message(tweet, includes, where, at, channel) for at, tweet, includes in tweets(page, where, Users())]
