"""Bluesky through the atproto SDK: log in with an app password, post with hashtag facets, search by tag.

A hashtag is only a hashtag on Bluesky if the post carries a facet for it, with byte offsets into the
UTF-8 text (not character offsets: an emoji before the tag moves it by four bytes). Replies need the
parent's and the thread root's uri and cid, which we keep for the posts we make and otherwise look up.

One session per process: the platform logs in once, under a lock, whichever job needs it first, and
the SDK refreshes that session when its token expires (Bluesky allows 30 new sessions per 5 minutes).
Search is bounded by `since` (the post's sort time) and resumed by time, never by "scan until this
post": a post deleted since the last poll changes nothing. A quote is a post whose embed is
`app.bsky.embed.record` (or `recordWithMedia`) of another post; search never returns reposts, so
they are counted per post with `getRepostedBy`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from atproto import Client, models
from atproto_client.exceptions import NetworkError, RequestException

from bot.platforms.base import Checked, Cursor, Fetched, Posted, SeenWindow
from bot.retry import RateLimited, Transient
from config.settings import Settings
from transcripts.message import Author, Message

NAME = "bluesky"
_TAG_RE = re.compile(r"(?<![\w#])#(\w{1,64})")
_URL_RE = re.compile(r"https?://\S+")
PAGE_SIZE = 100
LOOKUP_BATCH = 25  # getPosts and getProfiles take at most 25 each


def hashtag_facets(text: str) -> list[models.AppBskyRichtextFacet.Main]:
    """A tag facet for every #hashtag, indexed by UTF-8 byte offsets as the protocol requires."""
    facets = []
    for match in _TAG_RE.finditer(text):
        start = len(text[: match.start()].encode("utf-8"))
        end = start + len(match.group(0).encode("utf-8"))
        facets.append(
            models.AppBskyRichtextFacet.Main(
                features=[models.AppBskyRichtextFacet.Tag(tag=match.group(1))],
                index=models.AppBskyRichtextFacet.ByteSlice(byte_start=start, byte_end=end),
            )
        )
    return facets


def _record_tags(record: Any, text: str) -> tuple[str, ...]:
    tags = []
    for facet in getattr(record, "facets", None) or []:
        for feature in facet.features:
            if getattr(feature, "tag", None):
                tags.append("#" + feature.tag)
    return tuple(dict.fromkeys(tags or ["#" + t for t in _TAG_RE.findall(text)]))


def _time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sort_time(post: Any) -> datetime:
    """Bluesky's sortAt: the earlier of when the post says it was made and when it was indexed."""
    created = _time(post.record.created_at)
    indexed = _time(post.indexed_at) if getattr(post, "indexed_at", None) else created
    return min(created, indexed)


def _quoted_uri(record: Any) -> str | None:
    """The post a record quotes: its `app.bsky.embed.record` embed, or the record half of `recordWithMedia`."""
    embed = getattr(record, "embed", None)
    inner = getattr(embed, "record", None)
    if inner is None:
        return None
    if getattr(inner, "uri", None):  # app.bsky.embed.record: a strong ref
        return str(inner.uri)
    nested = getattr(inner, "record", None)  # app.bsky.embed.recordWithMedia: {record: {record: ref}, media}
    return str(nested.uri) if getattr(nested, "uri", None) else None


class BlueskyPlatform:
    name = NAME

    def __init__(self, settings: Settings) -> None:
        if not settings.bluesky_handle or settings.bluesky_app_password is None:
            raise ValueError("BLUESKY_HANDLE and BLUESKY_APP_PASSWORD are needed to post on Bluesky")
        self.client = Client(base_url=settings.bluesky_base_url)
        self._handle = settings.bluesky_handle
        self._password = settings.bluesky_app_password
        self._logged_in = False
        self._login_lock = threading.Lock()
        self._refs: dict[str, tuple[models.ComAtprotoRepoStrongRef.Main, models.ComAtprotoRepoStrongRef.Main]] = {}

    def _login(self) -> None:
        with self._login_lock:
            if not self._logged_in:
                self.client.login(self._handle, self._password.get_secret_value())
                self._logged_in = True

    def _once(self, call: Callable[[], Any]) -> Any:
        """One request, logged in first; a 429 or 5xx (the login's too) is raised for the caller's retry policy."""
        try:
            if not self._logged_in:
                self._login()
            return call()
        except NetworkError as exc:
            raise Transient("Bluesky did not answer") from exc
        except RequestException as exc:
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", 0)
            if status == 429:
                reset = (getattr(response, "headers", None) or {}).get("ratelimit-reset")
                wait = float(reset) - datetime.now(UTC).timestamp() if reset and str(reset).isdigit() else 30.0
                raise RateLimited(wait) from exc
            if status >= 500:
                raise Transient(f"Bluesky answered {status or 'nothing'}") from exc
            raise

    def _strong_refs(self, uri: str) -> tuple[models.ComAtprotoRepoStrongRef.Main, models.ComAtprotoRepoStrongRef.Main]:
        """(parent, root) for replying to `uri`: remembered for our own posts, else asked for."""
        if uri not in self._refs:
            post = self._once(lambda: self.client.get_posts([uri])).posts[0]
            parent = models.ComAtprotoRepoStrongRef.Main(uri=post.uri, cid=post.cid)
            reply = getattr(post.record, "reply", None)
            self._refs[uri] = (parent, reply.root if reply else parent)
        return self._refs[uri]

    def post(self, text: str, *, channel: str, reply_to: str | None = None) -> Posted:
        reply_ref = None
        if reply_to:
            parent, root = self._strong_refs(reply_to)
            reply_ref = models.AppBskyFeedPost.ReplyRef(parent=parent, root=root)
        created = self._once(lambda: self.client.send_post(text, reply_to=reply_ref, facets=hashtag_facets(text)))
        own = models.ComAtprotoRepoStrongRef.Main(uri=created.uri, cid=created.cid)
        self._refs[created.uri] = (own, reply_ref.root if reply_ref else own)
        return Posted(id=created.uri, created_at=datetime.now(UTC), raw={"uri": created.uri, "cid": created.cid})

    def _search(self, tag: str, bound: datetime, author: str | None = None) -> list[Any]:
        """Every post with the tag sorted at or after `bound`, newest first across cursor pages."""
        found: list[Any] = []
        cursor: str | None = None
        since = bound.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        while True:
            params = models.AppBskyFeedSearchPosts.Params(
                q=f"#{tag}", tag=[tag], sort="latest", limit=PAGE_SIZE, cursor=cursor, since=since, author=author
            )
            page = self._once(lambda p=params: self.client.app.bsky.feed.search_posts(p))
            older = False
            for post in page.posts:
                if _sort_time(post) < bound:  # a server that ignores `since`: stop at the bound ourselves
                    older = True
                    break
                found.append(post)
            cursor = page.cursor
            if older or not cursor or not page.posts:
                return found

    def fetch(self, channel: str, *, cursor: Cursor | None, since: datetime) -> Fetched:
        """Posts tagged with the hashtag from the window's start, not yet seen by `cursor`, oldest first."""
        window = SeenWindow.load(cursor)
        searched_at, bound = datetime.now(UTC), window.bound(since)
        found = self._search(channel.lstrip("#"), bound)
        new = window.take([(p.uri, _sort_time(p)) for p in found], searched_at, bound)
        fresh = list({p.uri: p for p in found if p.uri in new and _time(p.record.created_at) >= since}.values())
        profiles = {a.id: a for a in self.lookup_authors(sorted({p.author.did for p in fresh}))}
        messages = [self._message(p, channel, profiles) for p in fresh]
        # Ties in createdAt (millisecond clocks) fall back to the record key, a TID that sorts in time order;
        # the whole URI would sort by author first.
        ordered = sorted(messages, key=lambda m: (m.created_at, m.id.rsplit("/", 1)[-1]))
        return Fetched(ordered, window.dump(), posts_read=len(found), users_read=len(profiles))

    def own_posts(self, channel: str, *, since: datetime) -> Fetched:
        found = self._search(channel.lstrip("#"), since, author=self._handle)
        own = [self._message(p, channel, {}) for p in found if p.author.handle == self._handle]
        return Fetched(own, {}, posts_read=len(found))

    def check_deleted(self, ids: Sequence[str]) -> Checked:
        """getPosts, 25 URIs a request: a URI it no longer returns was deleted by its author."""
        gone: set[str] = set()
        read = 0
        posts = [i for i in ids if i.startswith("at://")]  # a repost counted by getRepostedBy has no post to look up
        for start in range(0, len(posts), LOOKUP_BATCH):
            chunk = posts[start : start + LOOKUP_BATCH]
            present = {p.uri for p in self._once(lambda c=chunk: self.client.get_posts(c)).posts}
            read += len(present)
            gone |= set(chunk) - present
        return Checked(frozenset(gone), posts_read=read)

    def reposts_of(self, uri: str, channel: str, text: str) -> Fetched:
        """Everyone who reposted a post, as repost messages: search never returns reposts.

        getRepostedBy says who, not when: each repost is dated when it is first counted, and its id says
        what it is (`repost:<did>:<post uri>`), since the repost record's own URI is not returned.
        """
        dids = [a.id for a in self._reposted_by(uri)]
        profiles = self.lookup_authors(dids)
        now = datetime.now(UTC)
        messages = [
            Message(
                platform=NAME, id=f"repost:{a.id}:{uri}", channel=channel, author=a, text=text, created_at=now,
                thread=uri, repost_of=uri, is_repost=True, hashtags=(channel,),
                raw={"source": "app.bsky.feed.getRepostedBy", "subject": uri, "counted_at": now.isoformat()},
            )
            for a in profiles
        ]  # fmt: skip
        return Fetched(messages, {}, posts_read=0, users_read=len(dids) + len(profiles))

    def _reposted_by(self, uri: str) -> list[Author]:
        authors: list[Author] = []
        cursor: str | None = None
        while True:
            params = models.AppBskyFeedGetRepostedBy.Params(uri=uri, limit=100, cursor=cursor)
            page = self._once(lambda p=params: self.client.app.bsky.feed.get_reposted_by(p))
            authors += [
                Author(platform=NAME, id=p.did, handle=p.handle, name=p.display_name, bio=p.description)
                for p in page.reposted_by
            ]
            cursor = page.cursor
            if not cursor or not page.reposted_by:
                return authors

    def _message(self, post: Any, channel: str, profiles: dict[str, Author]) -> Message:
        record = post.record
        text = record.text
        reply = getattr(record, "reply", None)
        author = profiles.get(post.author.did) or Author(
            platform=NAME,
            id=post.author.did,
            handle=post.author.handle,
            name=getattr(post.author, "display_name", None),
        )
        mentions = []
        raw_bytes = text.encode("utf-8")
        for facet in getattr(record, "facets", None) or []:
            for feature in facet.features:
                if getattr(feature, "did", None):
                    mentions.append(
                        raw_bytes[facet.index.byte_start : facet.index.byte_end].decode("utf-8").lstrip("@")
                    )
        return Message(
            platform=NAME,
            id=post.uri,
            channel=channel,
            author=author,
            text=text,
            created_at=_time(record.created_at),
            reply_to=reply.parent.uri if reply else None,
            thread=reply.root.uri if reply else post.uri,
            quote_of=_quoted_uri(record),
            mentions=tuple(mentions),
            hashtags=_record_tags(record, text),
            urls=tuple(_URL_RE.findall(text)),
            raw=post.model_dump(mode="json", by_alias=True),
        )

    def lookup_authors(self, ids: Sequence[str]) -> Sequence[Author]:
        authors: list[Author] = []
        for start in range(0, len(ids), LOOKUP_BATCH):
            chunk = list(ids[start : start + LOOKUP_BATCH])
            page = self._once(lambda c=chunk: self.client.get_profiles(c))
            authors += [
                Author(
                    platform=NAME, id=p.did, handle=p.handle, name=p.display_name, bio=p.description,
                    followers=p.followers_count,
                )
                for p in page.profiles
            ]  # fmt: skip
        return authors
