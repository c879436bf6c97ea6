"""A running web app for browser and HTTP tests: uvicorn in a thread on 127.0.0.1, on an ephemeral port.

The app runs against the `db` fixture's database (SQLite and, when configured, PostgreSQL), with its
own output folder and secret, so tests can also mint sign-in links the way the bot does.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from bot.web.app import create_app
from config.settings import Settings
from transcripts.db import Database
from transcripts.importers import import_path

SECRET = "test-secret-key-for-web"


@dataclass(frozen=True, slots=True)
class RunningApp:
    base_url: str
    settings: Settings
    db: Database
    app: FastAPI


def web_settings(base_url: str, output_dir: Path, **extra: str) -> Settings:
    values = {"SECRET_KEY": SECRET, "HUDDLEBOT_OUTPUT_DIR": str(output_dir), "WEB_BASE_URL": base_url, **extra}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def serve(app: FastAPI, sock: socket.socket) -> Iterator[None]:
    """Run uvicorn on an already-bound socket until the test is done; bounded start and stop."""
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    yield from serve_server(uvicorn.Server(config), sock)


def serve_server(server: uvicorn.Server, sock: socket.socket) -> Iterator[None]:
    """`serve` for a server configured by the test itself (say, with its access log on)."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # a generous ceiling: a loaded CI machine starts slowly
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 120 s")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def local_socket() -> tuple[socket.socket, str]:
    """A socket bound to a free port of 127.0.0.1 for `serve`, and its base address.

    Made with IPPROTO_TCP named: asyncio turns Nagle's algorithm off only on connections accepted from a
    socket whose protocol says TCP, and a plain `socket.socket()` says 0. With Nagle on, every response
    uvicorn writes in two pieces waited about 40 ms for the client's delayed ACK, as no deployed server
    does (uvicorn binding its own host and port gets the protocol from getaddrinfo)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


def start_app(db: Database, output_dir: Path, **extra: str) -> Iterator[RunningApp]:
    sock, base_url = local_socket()
    settings = web_settings(base_url, output_dir, **extra)
    app = create_app(settings, db)
    for _ in serve(app, sock):
        yield RunningApp(base_url, settings, db, app)


@pytest.fixture
def web(db: Database, tmp_path: Path) -> Iterator[RunningApp]:
    """The app, running, on an empty database."""
    yield from start_app(db, tmp_path / "out")


@pytest.fixture
def seed_event(db: Database, seed_chat: Path) -> int:
    [(event_id, _)] = import_path(db, seed_chat)
    return event_id


def sign_in(client: httpx.Client, web: RunningApp, user_id: str, workspace: str) -> None:
    """Sign `client` in the way a member does: open the link the bot sends them and confirm."""
    from bot.web.auth import SESSION_COOKIE, signin_link

    link = signin_link(web.settings, user_id, workspace)
    assert client.get(link).status_code == 200  # the link shows whom it signs in
    token = link.split("token=", 1)[1]
    response = client.post(f"{web.base_url}/auth/link", data={"token": token}, headers={"Origin": web.base_url})
    assert response.status_code == 303, response.text
    assert client.cookies.get(SESSION_COOKIE), "sign-in did not give a session"
