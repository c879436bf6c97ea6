"""Bluesky through the atproto SDK: log in with an app password, post with hashtag facets, search by tag.

A hashtag is only a hashtag on Bluesky if the post carries a facet for it, with byte offsets into the
UTF-8 text (not character offsets: an emoji before the tag moves it by four bytes). Replies need the
parent's and the thread root's uri and cid, which we keep for the posts we make and otherwise look up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from atproto import Client, models
from atproto_client.exceptions import NetworkError, RequestException

from bot.platforms.base import Posted
from bot.retry import WRITE_ONCE, Backoff, RateLimited, Transient, call_with_retries
from config.settings import Settings
from transcripts.message import Author, Message

NAME = "bluesky"
_TAG_RE = re.compile(r"(?<![\w#])#(\w{1,64})")
_URL_RE = re.compile(r"https?://\S+")
PAGE_SIZE = 100


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


class BlueskyPlatform:
    name = NAME

    def __init__(self, settings: Settings) -> None:
        if not settings.bluesky_handle or settings.bluesky_app_password is None:
            raise ValueError("BLUESKY_HANDLE and BLUESKY_APP_PASSWORD are needed to post on Bluesky")
        self.client = Client(base_url=settings.bluesky_base_url)
        self._handle = settings.bluesky_handle
        self._password = settings.bluesky_app_password
        self._logged_in = False
        self._refs: dict[str, tuple[models.ComAtprotoRepoStrongRef.Main, models.ComAtprotoRepoStrongRef.Main]] = {}

    def _call(self, what: str, call: Any, backoff: Backoff = Backoff()) -> Any:
        def attempt() -> Any:
            try:
                if not self._logged_in:  # inside the try: a login refused with 429 or 5xx is retried too
                    self.client.login(self._handle, self._password.get_secret_value())
                    self._logged_in = True
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

        return call_with_retries(attempt, what=what, backoff=backoff)

    def _strong_refs(self, uri: str) -> tuple[models.ComAtprotoRepoStrongRef.Main, models.ComAtprotoRepoStrongRef.Main]:
        """(parent, root) for replying to `uri`: remembered for our own posts, else asked for."""
        if uri not in self._refs:
            post = self._call("look up a Bluesky post", lambda: self.client.get_posts([uri])).posts[0]
            parent = models.ComAtprotoRepoStrongRef.Main(uri=post.uri, cid=post.cid)
            reply = getattr(post.record, "reply", None)
            self._refs[uri] = (parent, reply.root if reply else parent)
        return self._refs[uri]

    def post(self, text: str, *, channel: str, reply_to: str | None = None) -> Posted:
        reply_ref = None
        if reply_to:
            parent, root = self._strong_refs(reply_to)
            reply_ref = models.AppBskyFeedPost.ReplyRef(parent=parent, root=root)
        created = self._call(
            "post to Bluesky",
            lambda: self.client.send_post(text, reply_to=reply_ref, facets=hashtag_facets(text)),
            WRITE_ONCE,
        )
        own = models.ComAtprotoRepoStrongRef.Main(uri=created.uri, cid=created.cid)
        self._refs[created.uri] = (own, reply_ref.root if reply_ref else own)
        return Posted(id=created.uri, created_at=datetime.now(UTC), raw={"uri": created.uri, "cid": created.cid})

    def fetch(self, channel: str, *, since_id: str | None = None) -> Sequence[Message]:
        """Posts tagged with the hashtag, newest first across cursor pages, down to `since_id`."""
        tag = channel.lstrip("#")
        found: list[Any] = []
        cursor: str | None = None
        while True:
            params = models.AppBskyFeedSearchPosts.Params(
                q=f"#{tag}", tag=[tag], sort="latest", limit=PAGE_SIZE, cursor=cursor
            )
            page = self._call("search Bluesky", lambda p=params: self.client.app.bsky.feed.search_posts(p))
            reached = False
            for post in page.posts:
                if post.uri == since_id:
                    reached = True
                    break
                found.append(post)
            cursor = page.cursor
            if reached or not cursor or not page.posts:
                break
        profiles = {a.id: a for a in self.lookup_authors(sorted({p.author.did for p in found}))}
        messages = [self._message(p, channel, profiles) for p in found]
        # Ties in createdAt (millisecond clocks) fall back to the record key, a TID that sorts in time order;
        # the whole URI would sort by author first.
        return sorted(messages, key=lambda m: (m.created_at, m.id.rsplit("/", 1)[-1]))

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
            created_at=datetime.fromisoformat(record.created_at),
            reply_to=reply.parent.uri if reply else None,
            thread=reply.root.uri if reply else post.uri,
            mentions=tuple(mentions),
            hashtags=_record_tags(record, text),
            urls=tuple(_URL_RE.findall(text)),
            raw=post.model_dump(mode="json", by_alias=True),
        )

    def lookup_authors(self, ids: Sequence[str]) -> Sequence[Author]:
        authors: list[Author] = []
        for start in range(0, len(ids), 25):  # getProfiles takes at most 25 actors
            chunk = list(ids[start : start + 25])
            page = self._call("look up Bluesky profiles", lambda c=chunk: self.client.get_profiles(c))
            authors += [
                Author(
                    platform=NAME, id=p.did, handle=p.handle, name=p.display_name, bio=p.description,
                    followers=p.followers_count,
                )
                for p in page.profiles
            ]  # fmt: skip
        return authors
