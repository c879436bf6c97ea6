"""A local stand-in for Slack's Web API, speaking its JSON over real HTTP and recording every call.

The real slack_sdk `WebClient` (base_url pointed here) sends form or JSON bodies; each call is kept
as (method, params), with the bearer token it carried, so tests assert on what the bot actually asked
Slack to do and as which workspace. `delay` makes every answer slow, as Slack is under load, for the
huddles-due benchmark.

`workspaces` (team id -> name) turns on Slack's OAuth v2 install: `/oauth/v2/authorize` sends the
browser back to the app's redirect URI with a one-time code for the workspace named by `team`, and
`oauth.v2.access` exchanges that code (with the app's client id and secret) for the workspace's own
bot token, which `auth.test` then answers for.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

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
    workspaces: dict[str, str] = field(default_factory=dict)
    client_id: str = "111.222"
    client_secret: str = "app-client-secret"
    tokens: list[str | None] = field(default_factory=list)  # the bearer token of each call in `calls`
    codes: dict[str, str] = field(default_factory=dict)  # unused OAuth code -> team id
    bot_tokens: dict[str, str] = field(default_factory=dict)  # issued bot token -> team id
    socket_url: str = ""  # what apps.connections.open hands out (tests.fakes.slack_socket)
    groups: dict[str, list[str]] = field(default_factory=dict)  # user group id -> its members
    refuse: dict[str, str] = field(default_factory=dict)  # channel -> the error chat.postMessage answers there
    outages: list[int] = field(default_factory=list)  # HTTP statuses answered, one per call, before any answer

    @property
    def authorize_url(self) -> str:
        return self.url.removesuffix("/api/") + "/oauth/v2/authorize"

    def record(self, method: str, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        with self.lock:
            self.calls.append((method, params))
            self.tokens.append(token)
            if method == "oauth.v2.access":
                return self._exchange(params, token)
            if method == "chat.postMessage":
                channel = params.get("channel", "")
                if channel in self.refuse:
                    return {"ok": False, "error": self.refuse[channel]}
                ts = f"{int(time.time())}.{next(self._ts):06d}"
                return {"ok": True, "channel": channel, "ts": ts, "message": {"text": params.get("text"), "ts": ts}}
        if method == "auth.test":
            team = self.bot_tokens.get(token or "", TEAM)
            return {"ok": True, "user_id": BOT_USER, "team_id": team, "bot_id": f"B{team}", "user": "huddlebot"}
        if method == "apps.connections.open":
            if not (token or "").startswith("xapp-") or not self.socket_url:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_url}
        if method == "conversations.members":
            return {"ok": True, "members": self.members.get(params.get("channel", ""), []), "response_metadata": {}}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.groups.get(params.get("usergroup", ""), [])}
        if method == "conversations.history":
            return self._history(params)
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
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

    def of_with_token(self, method: str) -> list[tuple[str | None, dict[str, Any]]]:
        with self.lock:
            return [(t, p) for (m, p), t in zip(self.calls, self.tokens, strict=True) if m == method]

    def authorize(self, query: dict[str, str]) -> str:
        """Where Slack sends the installer after they allow the app: the redirect URI with code and state."""
        team = query.get("team") or next(iter(self.workspaces))
        assert query.get("client_id") == self.client_id and team in self.workspaces
        code = f"code-{team}-{secrets.token_hex(4)}"
        with self.lock:
            self.codes[code] = team
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def _exchange(self, params: dict[str, Any], basic: str | None) -> dict[str, Any]:
        """oauth.v2.access: a code is good once, and only with the app's own client id and secret."""
        credentials = f"{self.client_id}:{self.client_secret}"
        if basic != base64.b64encode(credentials.encode()).decode():
            return {"ok": False, "error": "invalid_client"}
        team = self.codes.pop(params.get("code", ""), None)
        if team is None:
            return {"ok": False, "error": "invalid_code"}
        token = f"xoxb-{team}-{secrets.token_hex(6)}"
        self.bot_tokens[token] = team
        return {
            "ok": True,
            "app_id": "A0APP",
            "access_token": token,
            "token_type": "bot",
            "scope": params.get("scope", "chat:write,commands"),
            "bot_user_id": BOT_USER,
            "team": {"id": team, "name": self.workspaces[team]},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": f"U{team}ADMIN"},
        }


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Keep-alive, and headers and body go out in two writes: with Nagle's algorithm on, each answer
        # waited about 40 ms for the client's delayed ACK, which Slack's own servers do not make anyone wait.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/oauth/v2/authorize":
                self.send_error(404)
                return
            location = fake.authorize({k: v[0] for k, v in parse_qs(url.query).items()})
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

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
            credential = (self.headers.get("Authorization") or "").partition(" ")[2]
            method = self.path.strip("/").removeprefix("api/")
            with fake.lock:
                outage = fake.outages.pop(0) if fake.outages else None
            if outage is not None:
                fake.calls.append((f"{method}:{outage}", params))
                self.send_response(outage)
                self.send_header("Content-Length", "0")
                if outage == 429:
                    self.send_header("Retry-After", "1")
                self.end_headers()
                return
            body = json.dumps(fake.record(method, params, credential or params.get("token"))).encode()
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
