"""A local stand-in for Slack's Sign in with Slack endpoints (openid.connect.token and .userInfo).

It speaks Slack's JSON over real HTTP on 127.0.0.1, so the real slack_sdk WebClient is exercised:
client credentials arrive as HTTP Basic auth, the code must be one the fake handed out with the same
redirect URI, and the access token it returns is the only one userInfo accepts.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class SlackIdentity:
    user_id: str
    team_id: str
    name: str


@dataclass
class FakeSlackOpenID:
    client_id: str
    client_secret: str
    redirect_uri: str
    codes: dict[str, SlackIdentity] = field(default_factory=dict)
    tokens: dict[str, SlackIdentity] = field(default_factory=dict)
    base_url: str = ""

    def authorize(self, identity: SlackIdentity) -> str:
        """What Slack does when the person approves: a one-time code for them."""
        code = secrets.token_urlsafe(12)
        self.codes[code] = identity
        return code

    def handle(self, method: str, fields: dict[str, str], headers: dict[str, str]) -> dict[str, object]:
        if method == "openid.connect.token":
            auth = headers.get("authorization", "")
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if auth != f"Basic {expected}":
                return {"ok": False, "error": "invalid_client_id"}
            identity = self.codes.pop(fields.get("code", ""), None)
            if identity is None:
                return {"ok": False, "error": "invalid_code"}
            if fields.get("redirect_uri") != self.redirect_uri:
                return {"ok": False, "error": "bad_redirect_uri"}
            token = "xoxp-" + secrets.token_hex(8)
            self.tokens[token] = identity
            return {"ok": True, "access_token": token, "token_type": "Bearer", "id_token": "unused.by.huddlebot"}
        if method == "openid.connect.userInfo":
            token = fields.get("token") or headers.get("authorization", "").removeprefix("Bearer ")
            identity = self.tokens.get(token)
            if identity is None:
                return {"ok": False, "error": "invalid_auth"}
            return {
                "ok": True,
                "sub": identity.user_id,
                "https://slack.com/user_id": identity.user_id,
                "https://slack.com/team_id": identity.team_id,
                "name": identity.name,
            }
        return {"ok": False, "error": "unknown_method"}


def _handler(fake: FakeSlackOpenID) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            fields = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if body:
                fields.update({k: v[-1] for k, v in parse_qs(body).items()})
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = json.dumps(fake.handle(url.path.rsplit("/", 1)[-1], fields, headers)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@contextmanager
def running_fake_slack(client_id: str, client_secret: str, redirect_uri: str) -> Iterator[FakeSlackOpenID]:
    fake = FakeSlackOpenID(client_id, client_secret, redirect_uri)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
