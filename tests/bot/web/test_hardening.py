"""The smaller holes, through uvicorn on 127.0.0.1: a sign-in link works once, only when confirmed, and
never reaches the access log; errors carry the security headers; HSTS over https; no redirect is
built from the Host header; writes and downloads are rate limited per client."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from bot.web.app import create_app
from bot.web.auth import SESSION_COOKIE, signin_link
from tests.bot.web.conftest import RunningApp, local_socket, serve, serve_server, start_app, web_settings
from tests.bot.web.huddle_data import T_OURS, add_huddles
from tests.bot.web.test_visibility import app_routes
from transcripts.db import Database


def _token(link: str) -> str:
    return link.split("token=", 1)[1]


def test_a_signin_link_signs_in_once_and_only_when_confirmed_on_this_site(web: RunningApp) -> None:
    add_huddles(web.db)
    link = signin_link(web.settings, "U2", T_OURS)
    with httpx.Client(timeout=30) as client:
        shown = client.get(link)
        assert shown.status_code == 200 and SESSION_COOKIE not in client.cookies  # opening it signs nobody in
        assert "U2" in shown.text and T_OURS in shown.text and shown.headers["cache-control"] == "no-store"
        assert shown.headers["referrer-policy"] == "same-origin"  # the token's address goes to no other site
        planted = client.post(f"{web.base_url}/auth/link", data={"token": _token(link)},
                              headers={"Origin": "https://evil.example"})  # fmt: skip
        assert planted.status_code == 403 and SESSION_COOKIE not in client.cookies  # no login CSRF
        used = client.post(f"{web.base_url}/auth/link", data={"token": _token(link)}, headers={"Origin": web.base_url})
        assert used.status_code == 303 and used.headers["location"] == "/dashboard"
        assert client.get(f"{web.base_url}/dashboard").status_code == 200
    with httpx.Client(timeout=30, headers={"Origin": web.base_url}) as replay:
        assert replay.get(link).status_code == 401
        again = replay.post(f"{web.base_url}/auth/link", data={"token": _token(link)})
        assert again.status_code == 401 and SESSION_COOKIE not in replay.cookies


def test_signin_tokens_never_reach_the_access_log(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sock, base = local_socket()
    settings = web_settings(base, tmp_path / "out")
    app = create_app(settings, db)
    server = uvicorn.Server(uvicorn.Config(app, access_log=True, log_config=None, lifespan="off"))
    link = signin_link(settings, "U2", T_OURS)
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    for _ in serve_server(server, sock):
        with httpx.Client(timeout=30) as client:
            assert client.get(link).status_code == 200
            assert client.get(link.replace("token=", "x=1&token=")).status_code == 200
    logged = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/auth/link" in line for line in logged), logged
    assert _token(link) not in caplog.text and "token=[redacted]" in caplog.text


def test_an_unexpected_error_still_carries_the_security_headers(web: RunningApp) -> None:
    with web.db.engine.begin() as conn:  # a database in a state the app cannot read
        cascade = " CASCADE" if web.db.engine.dialect.name == "postgresql" else ""
        conn.execute(text(f"DROP TABLE prompts{cascade}"))
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        response = client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "Traceback" not in response.text and "prompts" not in response.text


def test_an_error_page_for_people_keeps_the_errors_own_headers(web: RunningApp, seed_event: int) -> None:
    """A 405 names the methods that are allowed (`Allow`, as HTTP requires); the readable page shown to a
    browser must carry the same headers as the JSON answer given to a script."""
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        for accept in ("application/json", "text/html"):
            response = client.post(f"/events/{seed_event}", headers={"Accept": accept, "Origin": web.base_url})
            assert response.status_code == 405, accept
            assert "GET" in response.headers.get("allow", ""), accept


def test_hsts_is_sent_when_served_over_https(db: Database, tmp_path: Path, web: RunningApp) -> None:
    with httpx.Client(base_url=web.base_url, timeout=30) as plain:
        assert "strict-transport-security" not in plain.get("/").headers
    sock, base = local_socket()
    app = create_app(web_settings("https://huddles.example.nhs.uk", tmp_path / "tls"), db)
    for _ in serve(app, sock):
        with httpx.Client(base_url=base, timeout=30) as client:
            for path in ("/", "/no-such-page", "/api/chats/999999"):
                assert "max-age=" in client.get(path).headers["strict-transport-security"], path


def test_no_redirect_is_built_from_the_host_header(web: RunningApp, seed_event: int) -> None:
    paths = {r.path.replace("{event_id}", str(seed_event)).replace("{name}", "wheel") for r in app_routes(web.app)}
    paths |= {"/static", "/static/", "/events", "/api", "/api/chats/"}
    with httpx.Client(base_url=web.base_url, timeout=30, headers={"Host": "evil.example"}) as client:
        for path in sorted(paths):
            for variant in (path, path.rstrip("/") + "/"):
                response = client.get(variant)
                location = response.headers.get("location", "")
                assert "evil.example" not in location, (variant, location)


@pytest.fixture
def limited_web(db: Database, tmp_path: Path) -> Iterator[RunningApp]:
    """The app with its limits counted per day, so however slowly a loaded machine serves the test's
    requests, the ones it sends all fall in one window (per minute, 31 slow saves could span two)."""
    yield from start_app(db, tmp_path / "out", CPD_RATE_LIMIT="30/day", SIGN_IN_RATE_LIMIT="10/day")


def test_writes_and_downloads_are_rate_limited_per_client(limited_web: RunningApp, seed_event: int) -> None:
    web = limited_web
    form = {"handle": "evelyn_prodger", "format": "docx", "what_you_learned": "Lots"}
    with httpx.Client(base_url=web.base_url, timeout=60, headers={"Origin": web.base_url}) as greedy:
        statuses = [greedy.post(f"/events/{seed_event}/cpd", data=form).status_code for _ in range(31)]
        assert statuses[:30] == [200] * 30 and statuses[30] == 429
        refused = greedy.post(f"/events/{seed_event}/cpd/download", data=form)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.headers["x-content-type-options"] == "nosniff"
        assert greedy.get(f"/events/{seed_event}").status_code == 200  # reading pages is not limited
        sign_ins = [greedy.post("/auth/link", data={"token": "x"}).status_code for _ in range(11)]
        assert sign_ins[:10] == [401] * 10 and sign_ins[10] == 429
    other = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=web.base_url, timeout=60, headers={"Origin": web.base_url}, transport=other) as client:
        assert client.post(f"/events/{seed_event}/cpd", data=form).status_code == 200  # another client is not held up
