"""A local stand-in for the Bluesky XRPC endpoints huddlebot uses, speaking their JSON over real HTTP.

`com.atproto.server.createSession` logs in (with a decodable JWT, as the SDK reads its expiry),
`com.atproto.repo.createRecord` stores a post exactly as the client sent it (text, facets, reply),
`app.bsky.feed.searchPosts` answers by tag facet, newest first, with `since` and cursor pagination,
`app.bsky.feed.getPosts` and `app.bsky.actor.getProfile(s)` hydrate. Record keys are real TIDs.
Tests can add other people's posts, force a 429 (with `ratelimit-reset`) or a 5xx, and read every call.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
HOST_DID = "did:plc:huddlebothost"
HOST_HANDLE = "huddlebot.test"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _jwt(did: str, scope: str) -> str:
    payload = {"sub": did, "scope": scope, "iat": int(time.time()), "exp": int(time.time()) + 7200}
    return f"{_b64({'alg': 'HS256', 'typ': 'at+jwt'})}.{_b64(payload)}.c2lnbmF0dXJl"


def tag_facets(text: str) -> list[dict[str, Any]]:
    """Facets for other people's posts, computed independently of the code under test."""
    facets, pos = [], 0
    for word in text.split(" "):
        if word.startswith("#") and len(word) > 1:
            tag = word[1:].rstrip(".,!?")
            start = len(text[:pos].encode())
            facets.append({"index": {"byteStart": start, "byteEnd": start + len(("#" + tag).encode())},
                           "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}]})  # fmt: skip
        pos += len(word) + 1
    return facets


@dataclass
class FakeBluesky:
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)  # post views, oldest first
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses to answer the next searches with
    page_size: int | None = None  # cap on a search page, to force cursor pagination
    base_url: str = ""
    _last_us: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.add_profile(HOST_DID, HOST_HANDLE)

    def add_profile(self, did: str, handle: str, *, followers: int = 100) -> None:
        self.profiles[did] = {
            "did": did, "handle": handle, "displayName": handle.split(".")[0].title(),
            "description": f"{handle} works in health and care", "followersCount": followers,
        }  # fmt: skip

    def _tid(self) -> str:
        now = max(int(time.time() * 1_000_000), self._last_us + 1)
        self._last_us = now
        value, chars = (now << 10) | 7, []
        for _ in range(13):
            chars.append(TID_ALPHABET[value & 31])
            value >>= 5
        return "".join(reversed(chars))

    def create(self, did: str, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            rkey = self._tid()
            uri, cid = f"at://{did}/app.bsky.feed.post/{rkey}", f"bafyrei{rkey}"
            profile = self.profiles[did]
            author = {"did": did, "handle": profile["handle"], "displayName": profile["displayName"]}
            indexed = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            self.posts.append({"uri": uri, "cid": cid, "author": author, "record": record, "indexedAt": indexed})
            return {"uri": uri, "cid": cid}

    def add_post(self, did: str, text: str) -> str:
        created = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": created, "facets": tag_facets(text)}
        return self.create(did, record)["uri"]

    def search(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.fail_next:
            status = self.fail_next.pop(0)
            headers = {"ratelimit-reset": str(int(time.time()) + 1)} if status == 429 else {}
            return status, {"error": "RateLimitExceeded" if status == 429 else "InternalServerError"}, headers
        tags = {t.lower() for t in query.get("tag", [])}
        since = query.get("since", [""])[0]
        limit = min(int(query.get("limit", ["25"])[0]), self.page_size or 100)
        with self._lock:
            matching = [
                p for p in reversed(self.posts)
                if tags & {f["tag"].lower() for facet in p["record"].get("facets") or [] for f in facet["features"]
                           if f.get("$type") == "app.bsky.richtext.facet#tag"}
                and (not since or p["record"]["createdAt"] >= since)
            ]  # fmt: skip
        offset = int(query.get("cursor", ["0"])[0])
        page = matching[offset : offset + limit]
        body: dict[str, Any] = {"posts": page, "hitsTotal": len(matching)}
        if offset + limit < len(matching):
            body["cursor"] = str(offset + limit)
        return 200, body, {}


def _handler(fake: FakeBluesky) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _authorised(self) -> bool:
            if not self.headers.get("Authorization", "").startswith("Bearer "):
                self._send(401, {"error": "AuthenticationRequired"})
                return False
            return True

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            method = url.path.removeprefix("/xrpc/")
            fake.calls.append(("GET", method, query))
            if not self._authorised():
                return
            if method == "app.bsky.feed.searchPosts":
                self._send(*fake.search(query))
            elif method == "app.bsky.feed.getPosts":
                uris = set(query.get("uris", []))
                self._send(200, {"posts": [p for p in fake.posts if p["uri"] in uris]})
            elif method == "app.bsky.actor.getProfile":
                actor = query["actor"][0]
                found = [p for p in fake.profiles.values() if actor in (p["did"], p["handle"])]
                self._send(200, found[0]) if found else self._send(400, {"error": "InvalidRequest"})
            elif method == "app.bsky.actor.getProfiles":
                actors = set(query.get("actors", []))
                self._send(200, {"profiles": [p for p in fake.profiles.values() if p["did"] in actors]})
            else:
                self._send(501, {"error": "MethodNotImplemented"})

        def do_POST(self) -> None:
            method = urlsplit(self.path).path.removeprefix("/xrpc/")
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            fake.calls.append(("POST", method, body))
            if method == "com.atproto.server.createSession":
                if body.get("identifier") != HOST_HANDLE or body.get("password") != APP_PASSWORD:
                    self._send(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
                    return
                access, refresh = _jwt(HOST_DID, "com.atproto.access"), _jwt(HOST_DID, "com.atproto.refresh")
                session = {"did": HOST_DID, "handle": HOST_HANDLE, "accessJwt": access, "refreshJwt": refresh}
                self._send(200, {**session, "active": True})
            elif method == "com.atproto.repo.createRecord":
                if self._authorised():
                    self._send(200, fake.create(body["repo"], body["record"]))
            else:
                self._send(501, {"error": "MethodNotImplemented"})

    return Handler


@contextmanager
def running_fake_bluesky() -> Iterator[FakeBluesky]:
    fake = FakeBluesky()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/xrpc"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
