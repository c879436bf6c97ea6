"""A local stand-in for the X API v2 endpoints huddlebot uses, speaking X's JSON over real HTTP.

It holds posts like X does: `POST /2/tweets` creates one (threaded by `reply.in_reply_to_tweet_id`),
rewriting every link to a t.co link and refusing with 403 a post whose text the account already
posted ("duplicate content"); `GET /2/tweets/search/recent` answers a hashtag query newest first with
`since_id`, `start_time`, `end_time`, `max_results` and `next_token` pagination and `includes.users`
expansions, and, as X documents, without `since_id` or `start_time` it answers the last seven days
ending 30 s before now; `GET /2/users/me` and `GET /2/users/:id/tweets` give the account's own
timeline (no indexing lag); `GET /2/tweets?ids=` looks posts up (a deleted one comes back as a "Not
Found Error"); `GET /2/users` looks people up. Tests can add other people's posts (at a given time),
delete posts, force a 429 (with `x-rate-limit-reset`) or a 5xx, and read every call made.
`slow_posts` makes the next posts answer late, after they were made (as a timeout on X can hide a
post that went out); `failed_posts` answers the next posts with a status, without making them.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http import QuietJSONHandler, serving

HOST_ID = "1000"
SEARCH_LAG = timedelta(seconds=30)  # recent search's default end_time: 30 s before now
SEARCH_HORIZON = timedelta(days=7)
_LINK = re.compile(r"https?://\S+")
DUPLICATE = {"detail": "You are not allowed to create a Tweet with duplicate content.", "type": "about:blank",
             "title": "Forbidden", "status": 403}  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class FakeX:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses for the next reads of posts (search, timeline)
    slow_posts: list[float] = field(default_factory=list)  # seconds to sit on the next posts' answers
    failed_posts: list[int] = field(default_factory=list)  # statuses to refuse the next posts with
    base_url: str = ""
    deleted: list[dict[str, Any]] = field(default_factory=list)
    served_posts: int = 0  # posts and users returned by reads: what X's pay-per-use API bills
    served_users: int = 0
    _sources: dict[str, str] = field(default_factory=dict)  # post id -> the text as sent, before t.co
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1_500_000_000_000_000_000))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_user(self, uid: str, username: str, *, followers: int | None = 100, protected: bool = False) -> None:
        user: dict[str, Any] = {"id": uid, "username": username, "name": username.title(), "protected": protected,
                                "description": f"{username} works in health and care"}  # fmt: skip
        if followers is not None:
            user["public_metrics"] = {"followers_count": followers}
        self.users[uid] = user

    def add_post(self, author_id: str, text: str, *, reply_to: str | None = None, at: datetime | None = None) -> str:
        """A post as X stores it: its links rewritten to t.co (the original kept in `entities.urls`)."""
        with self._lock:
            tid = str(next(self._ids))
            links = [
                {"url": f"https://t.co/{tid[-10:]}{n}", "expanded_url": u} for n, u in enumerate(_LINK.findall(text))
            ]
            stored = text
            for link in links:
                stored = stored.replace(link["expanded_url"], link["url"], 1)
            post: dict[str, Any] = {
                "id": tid, "text": stored, "author_id": author_id, "created_at": _iso(at or datetime.now(UTC)),
                "conversation_id": tid, "edit_history_tweet_ids": [tid],
                "entities": {"hashtags": [{"tag": w[1:].rstrip(".,!?")} for w in text.split() if w.startswith("#")]},
            }  # fmt: skip
            if links:
                post["entities"]["urls"] = links
            self._sources[tid] = text
            if reply_to:
                parent = next(p for p in self.posts if p["id"] == reply_to)
                post["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
                post["conversation_id"] = parent["conversation_id"]
            self.posts.append(post)
            return tid

    def delete_post(self, tid: str) -> None:
        with self._lock:
            post = next(p for p in self.posts if p["id"] == tid)
            self.posts.remove(post)
            self.deleted.append(post)

    def is_duplicate(self, author_id: str, text: str) -> bool:
        with self._lock:
            return any(p["author_id"] == author_id and self._sources.get(p["id"]) == text for p in self.posts)

    def _window(self, query: dict[str, list[str]]) -> tuple[datetime, datetime]:
        """[start, end) of a recent search: seven days back at most; ends 30 s ago unless bounded below."""
        now = datetime.now(UTC)
        start = _when(query["start_time"][0]) if "start_time" in query else now - SEARCH_HORIZON
        if "end_time" in query:
            end = _when(query["end_time"][0])
        elif "start_time" in query or "since_id" in query:
            end = now
        else:
            end = now - SEARCH_LAG
        return max(start, now - SEARCH_HORIZON), end

    def timeline(self, uid: str, query: dict[str, list[str]]) -> dict[str, Any]:
        start = _when(query["start_time"][0]) if "start_time" in query else datetime.min.replace(tzinfo=UTC)
        with self._lock:
            mine = [p for p in reversed(self.posts) if p["author_id"] == uid and _when(p["created_at"]) >= start]
        page = mine[: int(query.get("max_results", ["10"])[0])]
        users = [self.users[uid]] if uid in self.users and page else []
        return (
            {"data": page, "includes": {"users": users}, "meta": {"result_count": len(page)}}
            if page
            else {"meta": {"result_count": 0}}
        )

    def lookup(self, ids: list[str]) -> dict[str, Any]:
        with self._lock:
            found = [p for p in self.posts if p["id"] in ids]
        missing = [i for i in ids if i not in {p["id"] for p in found}]
        body: dict[str, Any] = {"data": found} if found else {}
        if missing:
            body["errors"] = [
                {"value": i, "detail": f"Could not find tweet with ids: [{i}].", "title": "Not Found Error",
                 "resource_type": "tweet", "parameter": "ids", "resource_id": i,
                 "type": "https://api.twitter.com/2/problems/resource-not-found"}
                for i in missing
            ]  # fmt: skip
        return body

    def bill(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[Any, ...]:
        """Count the posts and users a read returned (as X bills them) and pass the answer on."""
        data = body.get("data")
        if isinstance(data, list):
            self.served_posts += len(data)
        elif isinstance(data, dict):  # /2/users/me: one user
            self.served_users += 1
        self.served_users += len((body.get("includes") or {}).get("users", []))
        return status, body, headers or {}

    def failure(self) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """The next forced failure, if any: a 429 with its reset time, or a server error."""
        if not self.fail_next:
            return None
        status = self.fail_next.pop(0)
        headers = {"x-rate-limit-reset": str(int(time.time()) + 1)} if status == 429 else {}
        return status, {"title": "Too Many Requests" if status == 429 else "Server Error"}, headers

    def search(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if (failed := self.failure()) is not None:
            return failed
        tag = query["query"][0].lower()
        since = int(query.get("since_id", ["0"])[0])
        limit = int(query.get("max_results", ["10"])[0])
        start, end = self._window(query)
        with self._lock:
            matching = [
                p for p in reversed(self.posts)
                if int(p["id"]) > since and tag in p["text"].lower() and start <= _when(p["created_at"]) < end
            ]  # fmt: skip
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
                self.send_json(*fake.bill(*fake.search(query)))
            elif url.path == "/2/tweets":
                self.send_json(*fake.bill(200, fake.lookup(query.get("ids", [""])[0].split(","))))
            elif url.path == "/2/users/me":
                self.send_json(*fake.bill(200, {"data": fake.users[HOST_ID]}))
            elif url.path.startswith("/2/users/") and url.path.endswith("/tweets"):
                self.send_json(*(fake.failure() or fake.bill(200, fake.timeline(url.path.split("/")[3], query))))
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
            if fake.is_duplicate(HOST_ID, body["text"]):
                self.send_json(403, DUPLICATE)
                return
            reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
            tid = fake.add_post(HOST_ID, body["text"], reply_to=reply_to)
            if fake.slow_posts:
                time.sleep(fake.slow_posts.pop(0))
            stored = next(p["text"] for p in fake.posts + fake.deleted if p["id"] == tid)
            self.send_json(201, {"data": {"id": tid, "text": stored, "edit_history_tweet_ids": [tid]}})

    return Handler


@contextmanager
def running_fake_x() -> Iterator[FakeX]:
    fake = FakeX()
    with serving(_handler(fake)) as base_url:
        fake.base_url = base_url
        yield fake
