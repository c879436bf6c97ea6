"""`huddlebot web` under uvicorn on 127.0.0.1 in a thread, and requests signed the way Slack signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn

from bot.web.app import create_app
from config.settings import Settings
from tests.fakes.slack_api import FakeSlack
from transcripts.db import Database

SIGNING_SECRET = "test-signing-secret"


def slack_settings(fake: FakeSlack, db_url: str, **extra: Any) -> Settings:
    """One workspace on the local Slack: its Web API, a bot token and the tests' signing secret."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=db_url,
        SLACK_API_URL=fake.url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        **extra,
    )


def sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str, *, content_type: str, secret: str = SIGNING_SECRET, at: float | None = None
) -> dict[str, str]:
    timestamp = str(int(at if at is not None else time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(secret, timestamp, body),
    }


def event_body(event: dict[str, Any], event_id: str, team: str = "T0TEAM") -> str:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": team,
            "api_app_id": "A0APP",
            "event": event,
            "event_id": event_id,
            "event_time": int(time.time()),
        }
    )


def interaction_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_web(settings: Settings, db: Database, port: int | None = None) -> Iterator[str]:
    """`port` when the settings must name the address first (WEB_BASE_URL for Slack's redirect)."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a generous ceiling: a loaded CI machine starts slowly
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def post_signed(client: httpx.Client, base: str, body: str, *, content_type: str, **kwargs: Any) -> httpx.Response:
    headers = signed_headers(
        body, content_type=content_type, **{k: v for k, v in kwargs.items() if k in ("secret", "at")}
    )
    headers.update(kwargs.get("extra_headers", {}))
    return client.post(f"{base}/slack/events", content=body, headers=headers)
