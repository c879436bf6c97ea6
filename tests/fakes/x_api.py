"""A local stand-in for the X API v2 endpoints huddlebot uses, speaking X's JSON over real HTTP.

It holds posts like X does: `POST /2/tweets` creates one (threaded by `reply.in_reply_to_tweet_id`),
`GET /2/tweets/search/recent` answers a hashtag query newest first with `since_id`, `max_results`
and `next_token` pagination and `includes.users` expansions, `GET /2/users` looks people up. Tests can
add other people's posts, force a 429 (with `x-rate-limit-reset`) or a 5xx, and read every call made.
`slow_posts` makes the next posts answer late, after they were made (as a timeout on X can hide a
post that went out); `failed_posts` answers the next posts with a status, without making them.
"""

from __future__ import annotations

import itertools
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

HOST_ID = "1000"


@dataclass
class FakeX:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses to answer the next searches with
    slow_posts: list[float] = field(default_factory=list)  # seconds to sit on the next posts' answers
    failed_posts: list[int] = field(default_factory=list)  # statuses to refuse the next posts with
    base_url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1_500_000_000_000_000_000))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_user(self, uid: str, username: str, *, followers: int | None = 100, protected: bool = False) -> None:
        user: dict[str, Any] = {"id": uid, "username": username, "name": username.title(), "protected": protected,
                                "description": f"{username} works in health and care"}  # fmt: skip
        if followers is not None:
            user["public_metrics"] = {"followers_count": followers}
        self.users[uid] = user

    def add_post(self, author_id: str, text: str, *, reply_to: str | None = None) -> str:
        with self._lock:
            tid = str(next(self._ids))
            post: dict[str, Any] = {
                "id": tid, "text": text, "author_id": author_id,
                "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "conversation_id": tid, "edit_history_tweet_ids": [tid],
                "entities": {"hashtags": [{"tag": w[1:].rstrip(".,!?")} for w in text.split() if w.startswith("#")]},
            }  # fmt: skip
            if reply_to:
                parent = next(p for p in self.posts if p["id"] == reply_to)
                post["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
                post["conversation_id"] = parent["conversation_id"]
            self.posts.append(post)
            return tid

    def search(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.fail_next:
            status = self.fail_next.pop(0)
            headers = {"x-rate-limit-reset": str(int(time.time()) + 1)} if status == 429 else {}
            return status, {"title": "Too Many Requests" if status == 429 else "Server Error"}, headers
        tag = query["query"][0].lower()
        since = int(query.get("since_id", ["0"])[0])
        limit = int(query.get("max_results", ["10"])[0])
        with self._lock:
            matching = [p for p in reversed(self.posts) if int(p["id"]) > since and tag in p["text"].lower()]
        offset = int(query.get("next_token", ["0"])[0])
        page = matching[offset : offset + limit]
        meta: dict[str, Any] = {"result_count": len(page)}
        if offset + limit < len(matching):
            meta["next_token"] = str(offset + limit)
        users = [self.users[p["author_id"]] for p in page if p["author_id"] in self.users]
        body = {"data": page, "includes": {"users": list({u["id"]: u for u in users}.values())}, "meta": meta}
        return 200, body if page else {"meta": meta}, {}


def _handler(fake: FakeX) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietJSONHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            fake.calls.append(("GET", url.path, query))
            if url.path == "/2/tweets/search/recent":
                self.send_json(*fake.search(query))
            elif url.path == "/2/users":
                ids = query.get("ids", [""])[0].split(",")
                self.send_json(200, {"data": [fake.users[i] for i in ids if i in fake.users]})
            else:
                self.send_json(404, {"title": "Not Found"})

        def do_POST(self) -> None:
            body = self.read_json()
            fake.calls.append(("POST", self.path, body))
            if self.path != "/2/tweets":
                self.send_json(404, {"title": "Not Found"})
                return
            if fake.failed_posts:
                self.send_json(fake.failed_posts.pop(0), {"title": "Service Unavailable"})
                return
            reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
            tid = fake.add_post(HOST_ID, body["text"], reply_to=reply_to)
            if fake.slow_posts:
                time.sleep(fake.slow_posts.pop(0))
            self.send_json(201, {"data": {"id": tid, "text": body["text"], "edit_history_tweet_ids": [tid]}})

    return Handler


@contextmanager
def running_fake_x() -> Iterator[FakeX]:
    fake = FakeX()
    with serving(_handler(fake)) as base_url:
        fake.base_url = base_url
        yield fake
