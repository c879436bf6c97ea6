"""A local stand-in for the Bluesky XRPC methods huddlebot uses, speaking their JSON over real HTTP.

createSession hands out a JWT-shaped token (the SDK reads its expiry), createRecord stores a post
with its facets, reply refs and embeds, searchPosts answers by tag newest first (by sort time) with
`since`/`until` and cursor pagination, getPosts and getProfiles look things up (a deleted post is
simply not returned), getRepostedBy lists who reposted a post. Tests add other people's posts (at a
given time, quoting another), delete posts, repost, and read every call made.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http import QuietJSONHandler, serving

B32 = "abcdefghijklmnopqrstuvwxyz234567"
TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable: TIDs sort as the times they encode


def tid(microseconds: int, clock_id: int = 7) -> str:
    """A record key as Bluesky makes them: 53 bits of microseconds and a 10-bit clock id, 13 characters."""
    value = (microseconds << 10) | clock_id
    return "".join(TID_CHARS[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _jwt(did: str) -> str:
    return ".".join([_b64({"alg": "HS256", "typ": "JWT"}), _b64({"sub": did, "exp": int(time.time()) + 3600}), "sig"])


def _tags(post: dict[str, Any]) -> set[str]:
    return {f["tag"].lower() for fc in post["record"].get("facets", []) for f in fc["features"] if "tag" in f}


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _sort_at(post: dict[str, Any]) -> datetime:
    """searchPosts' sortAt: the earlier of createdAt and indexedAt."""
    return min(_when(post["record"]["createdAt"]), _when(post["indexedAt"]))


def did_for(n: int) -> str:
    return "did:plc:" + "".join(B32[(n * 7 + i) % 32] for i in range(24))


@dataclass
class FakeBluesky:
    host_handle: str = "host.bsky.social"
    host_did: str = field(default_factory=lambda: did_for(1))
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)  # PostViews, oldest first
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    base_url: str = ""
    page_size_cap: int = 25
    fail_next: list[int] = field(default_factory=list)  # statuses to answer the next searches with (429, 5xx)
    reposts: dict[str, list[str]] = field(default_factory=dict)  # post uri -> dids that reposted it
    session_delay: float = 0.0  # seconds createSession takes, so logins racing each other show
    _seq: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _last_us: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.add_profile(self.host_did, self.host_handle, followers=900)

    def add_profile(self, did: str, handle: str, *, followers: int = 10) -> None:
        self.profiles[did] = {"did": did, "handle": handle, "displayName": handle.split(".")[0].title(),
                              "description": f"{handle} is a nurse", "followersCount": followers}  # fmt: skip

    def add_post(self, did: str, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            n = next(self._seq)
            self._last_us = max(time.time_ns() // 1000, self._last_us + 1)  # strictly increasing, as a PDS keeps them
            rkey = tid(self._last_us)
            cid = "bafyrei" + "".join(B32[(n * 13 + i) % 32] for i in range(52))
            record = {"$type": "app.bsky.feed.post", **record}
            record.setdefault("createdAt", datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"))
            profile = self.profiles[did]
            view = {
                "uri": f"at://{did}/app.bsky.feed.post/{rkey}", "cid": cid,
                "author": {"did": did, "handle": profile["handle"], "displayName": profile["displayName"]},
                "record": record, "indexedAt": record["createdAt"],
            }  # fmt: skip
            self.posts.append(view)
            return view

    def delete_post(self, uri: str) -> None:
        with self._lock:
            self.posts = [p for p in self.posts if p["uri"] != uri]

    def repost(self, did: str, uri: str) -> None:
        self.reposts.setdefault(uri, []).append(did)

    def add_tagged(
        self, did: str, text: str, *, at: datetime | None = None, quote: dict[str, Any] | None = None,
        with_media: bool = False,
    ) -> dict[str, Any]:
        """Another person's post, tagged as a Bluesky app would tag it; `quote` embeds another post (a quote)."""
        facets = []
        for word in text.split():
            if word.startswith("#"):
                start = text.encode().index(word.encode())
                facets.append({"index": {"byteStart": start, "byteEnd": start + len(word.encode())},
                               "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": word[1:]}]})  # fmt: skip
        record: dict[str, Any] = {"text": text, "facets": facets}
        if at is not None:
            record["createdAt"] = at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if quote is not None:
            ref = {"uri": quote["uri"], "cid": quote["cid"]}
            record["embed"] = (
                {"$type": "app.bsky.embed.recordWithMedia", "record": {"$type": "app.bsky.embed.record", "record": ref},
                 "media": {"$type": "app.bsky.embed.external",
                           "external": {"uri": "https://example.org", "title": "t", "description": "d"}}}
                if with_media else {"$type": "app.bsky.embed.record", "record": ref}
            )  # fmt: skip
        return self.add_post(did, record)

    def search(self, query: dict[str, list[str]]) -> dict[str, Any]:
        tags = {t.lower() for t in query.get("tag", [])}
        limit = min(int(query.get("limit", ["25"])[0]), self.page_size_cap)
        offset = int(query.get("cursor", ["0"])[0])
        since = query.get("since", [""])[0]
        until = query.get("until", [""])[0]
        with self._lock:
            matching = sorted(
                (p for p in self.posts if tags & _tags(p) and (not since or _sort_at(p) >= _when(since))
                 and (not until or _sort_at(p) < _when(until))),
                key=_sort_at, reverse=True,
            )  # fmt: skip
        page = matching[offset : offset + limit]
        body: dict[str, Any] = {"posts": page}
        if offset + limit < len(matching):
            body["cursor"] = str(offset + limit)
        return body


def _handler(fake: FakeBluesky) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietJSONHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            method = url.path.removeprefix("/xrpc/")
            fake.calls.append(("GET", method, query))
            if method == "app.bsky.feed.searchPosts" and fake.fail_next:
                status = fake.fail_next.pop(0)
                reset = {"ratelimit-reset": str(int(time.time()) + 1)} if status == 429 else {}
                self.send_json(
                    status, {"error": "RateLimitExceeded" if status == 429 else "InternalServerError"}, reset
                )
            elif method == "app.bsky.feed.searchPosts":
                self.send_json(200, fake.search(query))
            elif method == "app.bsky.feed.getPosts":
                uris = set(query.get("uris", []))
                self.send_json(200, {"posts": [p for p in fake.posts if p["uri"] in uris]})
            elif method == "app.bsky.feed.getRepostedBy":
                uri = query.get("uri", [""])[0]
                dids = fake.reposts.get(uri, [])
                self.send_json(200, {"uri": uri, "repostedBy": [fake.profiles[d] for d in dids if d in fake.profiles]})
            elif method == "app.bsky.actor.getProfile":
                actor = query.get("actor", [""])[0]
                match = [p for p in fake.profiles.values() if actor in (p["did"], p["handle"])]
                self.send_json(200, match[0]) if match else self.send_json(400, {"error": "InvalidRequest"})
            elif method == "app.bsky.actor.getProfiles":
                self.send_json(
                    200, {"profiles": [fake.profiles[a] for a in query.get("actors", []) if a in fake.profiles]}
                )
            else:
                self.send_json(404, {"error": "MethodNotImplemented", "message": method})

        def do_POST(self) -> None:
            body = self.read_json()
            method = self.path.removeprefix("/xrpc/")
            fake.calls.append(("POST", method, body))
            if method == "com.atproto.server.createSession":
                time.sleep(fake.session_delay)
                self.send_json(200, {"accessJwt": _jwt(fake.host_did), "refreshJwt": _jwt(fake.host_did),
                                 "handle": fake.host_handle, "did": fake.host_did})  # fmt: skip
            elif method == "com.atproto.repo.createRecord":
                view = fake.add_post(fake.host_did, body["record"])
                self.send_json(200, {"uri": view["uri"], "cid": view["cid"]})
            else:
                self.send_json(404, {"error": "MethodNotImplemented", "message": method})

    return Handler


@contextmanager
def running_fake_bluesky() -> Iterator[FakeBluesky]:
    fake = FakeBluesky()
    with serving(_handler(fake)) as base_url:
        fake.base_url = base_url
        yield fake
