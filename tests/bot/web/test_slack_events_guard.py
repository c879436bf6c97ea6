"""`/slack/events` checks size and Slack's signature before it parses anything: a malformed unsigned
body is a 401, a signed one Bolt cannot read a 400, an oversized body a 413 before it has been read -
and never a traceback. Through uvicorn on 127.0.0.1, with raw sockets where the body's size matters."""

from __future__ import annotations

import json
import logging
import select
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from bot.web.slack_routes import MAX_SLACK_BODY
from tests.fakes.slack_api import running_fake_slack
from tests.fakes.slack_web import running_web, signed_headers, slack_settings
from transcripts.db import Database

HUGE = 300 * 1024 * 1024


@pytest.fixture
def slack_web(db: Database, db_url: str) -> Iterator[str]:
    with running_fake_slack(members={"C1": ["U1"]}) as fake, running_web(slack_settings(fake, db_url), db) as base:
        yield base


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    assert "Traceback" not in caplog.text


def test_malformed_bodies_are_refused_without_a_traceback(slack_web: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with httpx.Client(base_url=slack_web, timeout=60) as client:
        for body, kind in ((b"{not json", "application/json"), (b"\xff\xfe\x00", "application/json"),
                           (b"payload=%7Bnope", "application/x-www-form-urlencoded")):  # fmt: skip
            unsigned = client.post("/slack/events", content=body, headers={"Content-Type": kind})
            assert unsigned.status_code == 401, body
        for body in ("{not json", "[]", '{"type": 7}', "payload=%7Bnope", "payload=[1]"):
            kind = "application/x-www-form-urlencoded" if body.startswith("payload") else "application/json"
            signed = client.post("/slack/events", content=body, headers=signed_headers(body, content_type=kind))
            assert signed.status_code < 500, (body, signed.status_code)
        good = json.dumps({"type": "url_verification", "challenge": "c-123"})
        ok = client.post("/slack/events", content=good, headers=signed_headers(good, content_type="application/json"))
        assert ok.status_code == 200 and "c-123" in ok.text
    _no_tracebacks(caplog)


def _connect(base: str) -> socket.socket:
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    return sock


def _read_status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def test_a_declared_huge_body_is_refused_before_it_is_sent(slack_web: str) -> None:
    sock = _connect(slack_web)
    try:
        head = (
            f"POST /slack/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {HUGE}\r\n\r\n"
        ).encode()
        sock.sendall(head + b'{"type": "event_callback", "event": {"text": "')
        # Only the first bytes were sent: the answer comes without the server waiting for 300 MB.
        assert _read_status(sock) == 413
    finally:
        sock.close()


def test_a_streamed_huge_body_is_refused_once_it_passes_the_cap(slack_web: str) -> None:
    sock = _connect(slack_web)
    sent = 0
    status = None
    chunk = b"x" * 65536
    try:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        while sent < HUGE:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        status = _read_status(sock)
    finally:
        sock.close()
    assert status == 413
    # The server stopped reading just past the cap (plus what the sockets' buffers hold), not at 300 MB.
    assert sent < MAX_SLACK_BODY + 32 * 1024 * 1024, sent
