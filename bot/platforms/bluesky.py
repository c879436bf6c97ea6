"""Bluesky through the atproto SDK: post with hashtag facets (threaded), capture by tag, look up authors.

`BLUESKY_BASE_URL` is the SDK's own base address, so a local XRPC server stands in for bsky.social in
tests. Bluesky has no `since_id`: a post's record key is a TID, which encodes when it was made, so the
id the capture resumes from is turned back into a `since` time for `app.bsky.feed.searchPosts`.
A hashtag is only a link on Bluesky when a facet says so, with byte offsets into the UTF-8 text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Any

from atproto import Client, models
from atproto_client import exceptions as at_errors

from bot.platforms.base import Posted
from bot.retry import RateLimited, Transient, call_with_retries
from config.settings import Settings
from transcripts.message import Author, Message

NAME = "bluesky"
PAGE_SIZE = 100
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# A hashtag as Bluesky's clients see one: after the start or a space, letters/digits/_/-, not all digits.
HASHTAG = re.compile(r"(?:^|(?<=\s))#(\w[\w-]*)")
URL = re.compile(r"https?://[^\s]+[^\s.,;:!?)\]'\"]")


def _byte_slice(text: str, start: int, end: int) -> models.AppBskyRichtextFacet.ByteSlice:
    return models.AppBskyRichtextFacet.ByteSlice(
        byte_start=len(text[:start].encode("utf-8")), byte_end=len(text[:end].encode("utf-8"))
    )


def facets_for(text: str) -> list[models.AppBskyRichtextFacet.Main]:
    """Tag facets for every hashtag and link facets for every URL, in byte offsets of the UTF-8 text."""
    facets: list[models.AppBskyRichtextFacet.Main] = []
    for match in HASHTAG.finditer(text):
        tag = match.group(1).rstrip("-")
        if tag.isdigit():
            continue
        end = match.start() + 1 + len(tag)
        facets.append(
            models.AppBskyRichtextFacet.Main(
                features=[models.AppBskyRichtextFacet.Tag(tag=tag)], index=_byte_slice(text, match.start(), end)
            )
        )
    for match in URL.finditer(text):
        facets.append(
            models.AppBskyRichtextFacet.Main(
                features=[models.AppBskyRichtextFacet.Link(uri=match.group(0))],
                index=_byte_slice(text, match.start(), match.end()),
            )
        )
    return sorted(facets, key=lambda f: f.index.byte_start)


def tid_time(uri: str) -> datetime | None:
    """When a post was made, read from the TID record key at the end of its AT URI (None if not a TID)."""
    rkey = uri.rsplit("/", 1)[-1]
    if len(rkey) != 13 or any(c not in TID_ALPHABET for c in rkey):
        return None
    value = 0
    for char in rkey:
        value = value * 32 + TID_ALPHABET.index(char)
    return datetime.fromtimestamp((value >> 10) / 1_000_000, UTC)


def _aware(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def message_from_post_view(post: Any, channel: str) -> Message:
    record = post.record
    reply = getattr(record, "reply", None)
    tags, urls, mentions = [], [], []
    for facet in getattr(record, "facets", None) or []:
        for feature in facet.features:
            if isinstance(feature, models.AppBskyRichtextFacet.Tag):
                tags.append(feature.tag)
            elif isinstance(feature, models.AppBskyRichtextFacet.Link):
                urls.append(feature.uri)
            elif isinstance(feature, models.AppBskyRichtextFacet.Mention):
                mentions.append(feature.did)
    author = post.author
    return Message(
        platform=NAME,
        id=post.uri,
        channel=channel,
        author=Author(platform=NAME, id=author.did, handle=author.handle, name=author.display_name or None),
        text=record.text,
        created_at=_aware(record.created_at),
        reply_to=reply.parent.uri if reply else None,
        thread=reply.root.uri if reply else post.uri,
        mentions=tuple(mentions),
        hashtags=tuple(tags),
        urls=tuple(urls),
        raw=post.model_dump(mode="json", by_alias=True, exclude_none=True),
    )


def _translate(call: Any) -> Any:
    """atproto's errors as the retry policy's: 429 waits for `ratelimit-reset`, 5xx and transport errors back off."""
    try:
        return call()
    except at_errors.RateLimitExceededError as exc:
        headers = {k.lower(): v for k, v in ((exc.response.headers if exc.response else None) or {}).items()}
        reset = str(headers.get("ratelimit-reset", ""))
        raise RateLimited(float(reset) - datetime.now(UTC).timestamp() if reset.isdigit() else 60.0) from exc
    except at_errors.NetworkError as exc:
        raise Transient(f"Bluesky did not answer ({type(exc).__name__})") from exc
    except at_errors.RequestException as exc:
        if exc.response is not None and exc.response.status_code >= 500:
            raise Transient(f"Bluesky answered {exc.response.status_code}") from exc
        raise


class BlueskyPlatform:
    name = NAME

    def __init__(self, settings: Settings) -> None:
        if not settings.bluesky_handle or settings.bluesky_app_password is None:
            raise ValueError("BLUESKY_HANDLE and BLUESKY_APP_PASSWORD are needed to use Bluesky")
        self.client = Client(base_url=settings.bluesky_base_url)
        self._handle = settings.bluesky_handle
        self._password = settings.bluesky_app_password
        self._did: str | None = None
        self._login_lock = Lock()

    def _call(self, what: str, call: Any) -> Any:
        return call_with_retries(lambda: _translate(call), what=what)

    def _session_did(self) -> str:
        """Log in on first use (not at start), so a worker with Bluesky down still runs its other chats."""
        with self._login_lock:
            if self._did is None:
                profile = self._call(
                    "log in to Bluesky",
                    lambda: self.client.login(self._handle, self._password.get_secret_value()),
                )
                self._did = profile.did if profile else self.client.me.did  # type: ignore[union-attr]
            return self._did

    def _reply_ref(self, parent_uri: str) -> models.AppBskyFeedPost.ReplyRef:
        found = self._call("read a Bluesky post", lambda: self.client.app.bsky.feed.get_posts({"uris": [parent_uri]}))
        if not found.posts:
            raise LookupError(f"Bluesky has no post {parent_uri} to reply to")
        parent = found.posts[0]
        parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=parent.uri, cid=parent.cid)
        reply = getattr(parent.record, "reply", None)
        return models.AppBskyFeedPost.ReplyRef(parent=parent_ref, root=reply.root if reply else parent_ref)

    def post(self, text: str, *, channel: str, reply_to: str | None = None) -> Posted:
        did = self._session_did()
        reply = self._reply_ref(reply_to) if reply_to else None
        created = self._call(
            "post to Bluesky",
            lambda: self.client.send_post(text, profile_identify=did, reply_to=reply, facets=facets_for(text)),
        )
        return Posted(id=created.uri, created_at=datetime.now(UTC), raw={"uri": created.uri, "cid": created.cid})

    def fetch(self, channel: str, *, since_id: str | None = None) -> Sequence[Message]:
        """Every post tagged with the hashtag made at or after `since_id`'s time, all cursor pages, oldest first."""
        self._session_did()
        tag = channel.lstrip("#")
        since = tid_time(since_id) if since_id else None
        params: dict[str, Any] = {"q": f"#{tag}", "tag": [tag], "sort": "latest", "limit": PAGE_SIZE}
        if since is not None:
            params["since"] = (since - timedelta(seconds=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        found: dict[str, Message] = {}
        cursor: str | None = None
        while True:
            page_params = {**params, **({"cursor": cursor} if cursor else {})}
            response = self._call("search Bluesky", lambda p=page_params: self.client.app.bsky.feed.search_posts(p))
            for post in response.posts:
                found.setdefault(post.uri, message_from_post_view(post, channel))
            cursor = response.cursor
            if not cursor or not response.posts:
                break
        return sorted(found.values(), key=lambda m: (m.created_at, m.id))

    def lookup_authors(self, ids: Sequence[str]) -> Sequence[Author]:
        if not ids:
            return []
        self._session_did()
        authors: list[Author] = []
        for start in range(0, len(ids), 25):  # getProfiles takes at most 25 actors
            chunk = list(ids[start : start + 25])
            response = self._call(
                "look up Bluesky profiles", lambda c=chunk: self.client.app.bsky.actor.get_profiles({"actors": c})
            )
            authors += [
                Author(platform=NAME, id=p.did, handle=p.handle, name=p.display_name or None,
                       bio=p.description, followers=p.followers_count)
                for p in response.profiles
            ]  # fmt: skip
        return authors
