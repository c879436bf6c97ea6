"""Sign in with Slack (OpenID Connect) through the real slack_sdk against a local fake of Slack's API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.web.auth import SESSION_COOKIE, STATE_COOKIE
from tests.bot.web.conftest import RunningApp, start_app
from tests.bot.web.huddle_data import T_OURS, add_huddles
from tests.fakes.slack_openid import FakeSlackOpenID, SlackIdentity, running_fake_slack
from transcripts.db import Database


@pytest.fixture
def slack_web(db: Database, tmp_path: Path) -> Iterator[tuple[RunningApp, FakeSlackOpenID]]:
    with running_fake_slack("111.222", "client-secret", redirect_uri="") as fake:
        for app in start_app(
            db,
            tmp_path / "out",
            SLACK_CLIENT_ID=fake.client_id,
            SLACK_CLIENT_SECRET=fake.client_secret,
            SLACK_API_URL=fake.base_url,
        ):
            fake.redirect_uri = app.base_url + "/auth/slack/callback"
            yield app, fake


def _start(client: httpx.Client) -> str:
    response = client.get("/auth/slack")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    query = parse_qs(location.query)
    assert location.path == "/openid/connect/authorize" and query["client_id"] == ["111.222"]
    assert set(query["scope"][0].replace(",", " ").split()) == {"openid", "profile"} and query["nonce"]
    assert client.cookies.get(STATE_COOKIE)
    return query["state"][0]


def test_sign_in_with_slack_gives_a_session_for_the_members_workspace(
    slack_web: tuple[RunningApp, FakeSlackOpenID],
) -> None:
    web, fake = slack_web
    huddles = add_huddles(web.db)
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        state = _start(client)
        code = fake.authorize(SlackIdentity("U2", T_OURS, "Sam"))
        response = client.get("/auth/slack/callback", params={"code": code, "state": state})
        assert response.status_code == 303 and response.headers["location"] == "/dashboard"
        cookie = response.headers["set-cookie"]
        assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        dashboard = client.get("/dashboard")
        assert dashboard.status_code == 200 and "Signed in as Sam (T0URS)" in dashboard.text
        assert client.get(f"/events/{huddles.ours}").status_code == 200
        assert client.get(f"/events/{huddles.theirs}").status_code == 403
        assert client.post("/auth/sign-out", headers={"Origin": web.base_url}).status_code == 303
        assert client.get("/dashboard").status_code == 401


def test_sign_in_with_slack_refuses_a_wrong_state_or_code(slack_web: tuple[RunningApp, FakeSlackOpenID]) -> None:
    web, fake = slack_web
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        state = _start(client)
        code = fake.authorize(SlackIdentity("U2", T_OURS, "Sam"))
        assert client.get("/auth/slack/callback", params={"code": code, "state": "forged"}).status_code == 401
        assert client.get("/auth/slack/callback", params={"code": "made-up", "state": state}).status_code == 401
        assert client.get("/dashboard").status_code == 401
    with httpx.Client(base_url=web.base_url, timeout=30) as fresh:  # no state cookie at all
        assert fresh.get("/auth/slack/callback", params={"code": code, "state": state}).status_code == 401


def test_sign_in_with_slack_is_off_without_client_credentials(web: RunningApp) -> None:
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        assert client.get("/auth/slack").status_code == 404
