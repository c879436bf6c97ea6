"""A local stand-in for Slack's Web API, speaking its JSON over real HTTP and recording every call.

The real slack_sdk `WebClient` (base_url pointed here) sends form or JSON bodies; each call is kept
as (method, params) so tests assert on what the bot actually asked Slack to do. `delay` makes every
answer slow, as Slack is under load, for the huddles-due benchmark.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.http import serving

BOT_USER = "UBOT"
TEAM = "T0TEAM"


@dataclass
class FakeSlack:
    members: dict[str, list[str]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> messages, newest first
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    delay: float = 0.0
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    url: str = ""

    def record(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.calls.append((method, params))
            if method == "chat.postMessage":
                ts = f"{int(time.time())}.{next(self._ts):06d}"
                channel = params.get("channel", "")
                return {"ok": True, "channel": channel, "ts": ts, "message": {"text": params.get("text"), "ts": ts}}
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "team_id": TEAM, "bot_id": "B0BOT", "user": "huddlebot"}
        if method == "conversations.members":
            return {"ok": True, "members": self.members.get(params.get("channel", ""), []), "response_metadata": {}}
        if method == "conversations.history":
            return self._history(params)
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method in ("chat.update", "views.open", "views.publish", "views.update"):
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts"), "view": {"id": "V0"}}
        return {"ok": False, "error": "unknown_method"}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, two per page, `oldest` exclusive, as Slack pages with a cursor."""
        oldest = float(params.get("oldest") or 0)
        found = [m for m in self.history.get(params.get("channel", ""), []) if float(m["ts"]) > oldest]
        start = int(params.get("cursor") or 0)
        page = found[start : start + 2]
        more = start + 2 < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + 2) if more else ""},
        }

    def of(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [p for m, p in self.calls if m == method]


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                params = json.loads(raw or "{}")
            else:
                params = {k: v[0] for k, v in parse_qs(raw).items()}
            for key in ("blocks", "view"):
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
            if fake.delay:
                time.sleep(fake.delay)
            body = json.dumps(fake.record(self.path.strip("/").removeprefix("api/"), params)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running_fake_slack(**kwargs: Any) -> Iterator[FakeSlack]:
    fake = FakeSlack(**kwargs)
    with serving(_handler(fake)) as base_url:
        fake.url = f"{base_url}/api/"
        yield fake
