"""Two workspaces install huddlebot through Slack's OAuth flow; each one's huddles go out with its own token
and its members see only its own teams. The browser's part is played by an httpx client with a cookie
jar, Slack's by the local Slack server, and the app is `huddlebot web` under uvicorn."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import event, func, select

from bot.huddles.definitions import add_definition
from bot.huddles.jobs import open_scheduled_huddle
from bot.platforms import registry
from bot.slack.tokens import NoSlackToken, web_client
from config.huddle_definition import HuddleDefinition
from config.settings import Settings, get_settings
from tests.fakes.slack_api import FakeSlack, running_fake_slack
from tests.fakes.slack_web import SIGNING_SECRET, event_body, free_port, post_signed, running_web
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.slack_stores import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES

WARD, COMMUNITY = "T1WARD", "T2COMMUNITY"
WORKSPACES = {WARD: "City Hospital <Ward 7>", COMMUNITY: "Community Nursing"}


@contextmanager
def multi_workspace_app(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FakeSlack, str, Settings]]:
    """Slack, and huddlebot configured for per-workspace installs (client id and secret, no bot token)."""
    with running_fake_slack(workspaces=WORKSPACES) as fake:
        port = free_port()
        env = {
            "DATABASE_URL": db_url,
            "SLACK_API_URL": fake.url,
            "SLACK_AUTHORIZE_URL": fake.authorize_url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_CLIENT_ID": fake.client_id,
            "SLACK_CLIENT_SECRET": fake.client_secret,
            "WEB_BASE_URL": f"http://127.0.0.1:{port}",
        }
        monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        try:
            settings = get_settings()
            assert settings.slack_multi_workspace
            with running_web(settings, db, port) as base:
                yield fake, base, settings
        finally:
            get_settings.cache_clear()


class Browser:
    """Follows redirects between huddlebot and Slack and keeps the install's state cookie.

    Bolt marks that cookie `Secure` (production is HTTPS); httpx's cookie jar would not send it over
    the tests' plain HTTP, so it is carried by hand, exactly as a browser carries it over HTTPS.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(timeout=10)
        self.cookie = ""

    def start(self, team: str) -> httpx.Response:
        response = self.http.get(f"{self.base}/slack/install", params={"team": team})
        self.cookie = response.headers["set-cookie"].split(";")[0]
        return response

    def get(self, url: str, **params: str) -> httpx.Response:
        return self.http.get(url, params=params or None, headers={"Cookie": self.cookie})

    def install(self, team: str) -> httpx.Response:
        """Click "Add to Slack", allow it in Slack, and land back on huddlebot."""
        slack = self.start(team).headers["location"]
        return self.get(httpx.get(slack).headers["location"])

    def close(self) -> None:
        self.http.close()


@contextmanager
def browser_at(base: str) -> Iterator[Browser]:
    browser = Browser(base)
    try:
        yield browser
    finally:
        browser.close()


def _huddle(db: Database, name: str, workspace: str, channel: str) -> int:
    definition = HuddleDefinition(
        name=name, workspace=workspace, channel=channel, days=["mon"], time="07:45", prompts=["Staffing"]
    )
    with db.session() as s:
        return add_definition(s, definition)


def _count(db: Database, table: object) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


def test_two_workspaces_install_and_each_uses_its_own_token(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with multi_workspace_app(db, db_url, monkeypatch) as (fake, base, settings):
        registry.install(settings, [], db=db)
        with browser_at(base) as browser:
            start = browser.start(WARD)
            assert start.status_code == 302 and "HttpOnly" in start.headers["set-cookie"]
            to_slack = urlsplit(start.headers["location"])
            asked = {k: v[0] for k, v in parse_qs(to_slack.query).items()}
            assert f"{to_slack.scheme}://{to_slack.netloc}{to_slack.path}" == fake.authorize_url
            assert asked["client_id"] == fake.client_id and asked["redirect_uri"] == f"{base}/slack/oauth_redirect"
            assert {"chat:write", "commands", "channels:history"} <= set(asked["scope"].split(","))

            ward = browser.install(WARD)
            community = browser.install(COMMUNITY)
        for page, name in ((ward, "City Hospital &lt;Ward 7&gt;"), (community, "Community Nursing")):
            assert page.status_code == 200 and f"huddlebot is installed in {name}" in page.text
        assert "<Ward 7>" not in ward.text

        with db.session() as s:
            bots = {row.team_id: row.bot_token for row in s.execute(select(SLACK_BOTS))}
        assert set(bots) == {WARD, COMMUNITY} and bots[WARD] != bots[COMMUNITY]
        assert fake.bot_tokens == {bots[WARD]: WARD, bots[COMMUNITY]: COMMUNITY}
        assert _count(db, SLACK_INSTALLATIONS) == 2
        assert _count(db, SLACK_OAUTH_STATES) == 1  # the two finished installs used theirs; the first start did not

        ward_id = _huddle(db, "Ward 7 safety huddle", WARD, "CWARD7")
        community_id = _huddle(db, "Community check-in", COMMUNITY, "CCOMM")
        assert open_scheduled_huddle(ward_id) is not None
        assert open_scheduled_huddle(community_id) is not None
        posted = {params["channel"]: token for token, params in fake.of_with_token("chat.postMessage")}
        assert posted == {"CWARD7": bots[WARD], "CCOMM": bots[COMMUNITY]}

        with httpx.Client(timeout=10) as http:
            for team, user in ((WARD, "UNURSE"), (COMMUNITY, "UDN")):
                home = event_body({"type": "app_home_opened", "user": user, "tab": "home"}, f"Ev{team}", team=team)
                assert post_signed(http, base, home, content_type="application/json").status_code == 200
            published = wait_for(lambda: len(fake.of("views.publish")) == 2 and fake.of_with_token("views.publish"))
        assert isinstance(published, list)
        views = {params["user_id"]: (token, json.dumps(params["view"])) for token, params in published}
        ward_token, ward_view = views["UNURSE"]
        community_token, community_view = views["UDN"]
        assert ward_token == bots[WARD] and community_token == bots[COMMUNITY]
        assert "Ward 7 safety huddle" in ward_view and "Community check-in" not in ward_view
        assert "Community check-in" in community_view and "Ward 7 safety huddle" not in community_view

    secrets_seen = [bots[WARD], bots[COMMUNITY], fake.client_secret, SIGNING_SECRET]
    assert not [secret for secret in secrets_seen if secret in caplog.text]


def test_a_workspace_that_never_installed_gets_nothing(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with multi_workspace_app(db, db_url, monkeypatch) as (fake, base, settings):
        with browser_at(base) as browser:
            assert browser.install(WARD).status_code == 200
        with pytest.raises(NoSlackToken, match="T9STRANGER has not installed"):
            web_client(settings, "T9STRANGER", db)
        with pytest.raises(NoSlackToken, match="no Slack workspace given"):
            web_client(settings, None, db)
        with httpx.Client(timeout=10) as http:
            home = event_body({"type": "app_home_opened", "user": "UX", "tab": "home"}, "EvX", team="T9STRANGER")
            post_signed(http, base, home, content_type="application/json")
            ward = event_body({"type": "app_home_opened", "user": "UNURSE", "tab": "home"}, "EvW", team=WARD)
            post_signed(http, base, ward, content_type="application/json")
            wait_for(lambda: fake.of("views.publish"))
        assert [params["user_id"] for params in fake.of("views.publish")] == ["UNURSE"]


def test_the_redirect_refuses_forged_replayed_and_cancelled_installs(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with multi_workspace_app(db, db_url, monkeypatch) as (_, base, _):
        with browser_at(base) as browser:
            allowed = httpx.get(browser.start(WARD).headers["location"])  # Slack sends the installer back
            back = allowed.headers["location"]
            code = parse_qs(urlsplit(back).query)["code"][0]

            elsewhere = httpx.get(back, timeout=10)  # the same link opened in another browser: no state cookie
            assert elsewhere.status_code == 400 and "another browser" in elsewhere.text

            forged = browser.get(f"{base}/slack/oauth_redirect", code=code, state="made-up")
            assert forged.status_code == 400 and _count(db, SLACK_BOTS) == 0

            cancelled = browser.get(f"{base}/slack/oauth_redirect", error="access_denied")
            assert cancelled.status_code == 200 and "cancelled" in cancelled.text

            done = browser.get(back)
            assert done.status_code == 200 and "installed in" in done.text
            assert "expires=thu, 01 jan 1970" in done.headers["set-cookie"].lower()  # the used state is forgotten
            replayed = browser.get(back)
            assert replayed.status_code == 401 and "already been used" in replayed.text
        assert _count(db, SLACK_BOTS) == 1 and _count(db, SLACK_INSTALLATIONS) == 1


def test_uninstalling_deletes_that_workspaces_token_only(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with multi_workspace_app(db, db_url, monkeypatch) as (fake, base, settings):
        with browser_at(base) as browser:
            assert browser.install(WARD).status_code == 200
            assert browser.install(COMMUNITY).status_code == 200
        with httpx.Client(timeout=10) as http:
            gone = event_body({"type": "app_uninstalled"}, "EvGone", team=WARD)
            assert post_signed(http, base, gone, content_type="application/json").status_code == 200
            wait_for(lambda: _count(db, SLACK_BOTS) == 1)
        with db.session() as s:
            assert s.scalars(select(SLACK_BOTS.c.team_id)).all() == [COMMUNITY]
            assert s.scalars(select(SLACK_INSTALLATIONS.c.team_id)).all() == [COMMUNITY]
        with pytest.raises(NoSlackToken, match=f"{WARD} has not installed"):
            web_client(settings, WARD, db)
        assert web_client(settings, COMMUNITY, db).token in fake.bot_tokens

        registry.install(settings, [], db=db)
        ward_id = _huddle(db, "Ward 7 safety huddle", WARD, "CWARD7")
        assert open_scheduled_huddle(ward_id) is None  # skipped while uninstalled: nothing posted
        assert fake.of("chat.postMessage") == []
        with browser_at(base) as browser:
            assert browser.install(WARD).status_code == 200
        assert open_scheduled_huddle(ward_id) is not None  # the same huddle is back once reinstalled
        [(token, params)] = fake.of_with_token("chat.postMessage")
        assert params["channel"] == "CWARD7" and fake.bot_tokens[token] == WARD


def test_an_uninstall_that_fails_half_way_leaves_the_workspaces_token_rows_as_they_were(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The installation row carries the bot token too: an uninstall that deleted the bot row and then failed
    on the installation row would leave a token the app no longer shows but still holds. Both go in one
    transaction, or neither; Slack's redelivery (a new event) then finishes the job."""
    refused: list[str] = []

    def refuse_installation_delete(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM " + SLACK_INSTALLATIONS.name.upper()):
            refused.append(statement)
            raise RuntimeError("the database went away half way through the uninstall")

    with multi_workspace_app(db, db_url, monkeypatch) as (_fake, base, _settings):
        with browser_at(base) as browser:
            assert browser.install(WARD).status_code == 200
            assert browser.install(COMMUNITY).status_code == 200
        event.listen(db.engine, "before_cursor_execute", refuse_installation_delete)
        with httpx.Client(timeout=10) as http:
            gone = event_body({"type": "app_uninstalled"}, "EvGoneOnce", team=WARD)
            assert post_signed(http, base, gone, content_type="application/json").status_code == 200
            wait_for(lambda: refused, "the uninstall's installation delete")
            with db.session() as s:
                assert sorted(s.scalars(select(SLACK_BOTS.c.team_id))) == [WARD, COMMUNITY]
                assert sorted(s.scalars(select(SLACK_INSTALLATIONS.c.team_id))) == [WARD, COMMUNITY]
            event.remove(db.engine, "before_cursor_execute", refuse_installation_delete)
            again = event_body({"type": "app_uninstalled"}, "EvGoneAgain", team=WARD)
            assert post_signed(http, base, again, content_type="application/json").status_code == 200
            wait_for(lambda: _count(db, SLACK_BOTS) == 1 and _count(db, SLACK_INSTALLATIONS) == 1)
        with db.session() as s:
            assert s.scalars(select(SLACK_BOTS.c.team_id)).all() == [COMMUNITY]


def test_single_token_mode_stays_when_sign_in_with_slack_is_set_up(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small team sets SLACK_BOT_TOKEN, and the client id and secret only for Sign in with Slack: the
    one token serves every event (Bolt, seeing those two in the environment, would otherwise ignore it)."""
    with running_fake_slack() as fake:
        monkeypatch.setenv("SLACK_CLIENT_ID", fake.client_id)
        monkeypatch.setenv("SLACK_CLIENT_SECRET", fake.client_secret)
        settings = Settings(
            DATABASE_URL=db_url,
            SLACK_API_URL=fake.url,
            SLACK_BOT_TOKEN="xoxb-single",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
        )
        assert not settings.slack_multi_workspace
        with running_web(settings, db) as base, httpx.Client(timeout=10) as http:
            assert http.get(f"{base}/slack/install").status_code == 404
            home = event_body({"type": "app_home_opened", "user": "U1", "tab": "home"}, "EvSingle")
            assert post_signed(http, base, home, content_type="application/json").status_code == 200
            published = wait_for(lambda: fake.of_with_token("views.publish"), "the Home tab")
        assert [token for token, _ in published] == ["xoxb-single"]
        assert os.environ["SLACK_CLIENT_ID"] == fake.client_id  # put back for Sign in with Slack
