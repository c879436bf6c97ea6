"""Only requests Slack signed reach the listeners: a forged or stale request is refused and stores nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot.huddles import flow, sessions
from bot.slack.tokens import slack_for
from config.huddle_definition import HuddleDefinition
from config.settings import Settings
from tests.fakes.slack_api import FakeSlack, running_fake_slack
from tests.fakes.slack_web import event_body, post_signed, running_web, slack_settings
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import MessageRow

PUBLISHED_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
PUBLISHED_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_slacks_published_example_verifies() -> None:
    verifier = SignatureVerifier("8f742231b10e8888abcd99yyyzzz85a5", clock=_FixedClock(1531420618))
    assert verifier.is_valid(PUBLISHED_BODY, "1531420618", PUBLISHED_SIGNATURE)
    assert not verifier.is_valid(PUBLISHED_BODY, "1531420618", PUBLISHED_SIGNATURE[:-1] + "0")


class _FixedClock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


@pytest.fixture
def web(db: Database, db_url: str) -> Iterator[tuple[str, FakeSlack, Settings]]:
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        settings = slack_settings(fake, db_url, HUDDLE_TICK_SECONDS=0.5)
        with running_web(settings, db) as base:
            yield base, fake, settings


def _huddle(db: Database, settings: Settings) -> str:
    definition = HuddleDefinition(name="Safety", channel="C1", days=["mon"], time="07:45", prompts=["Incidents"])
    flow.open_huddle(db, slack_for(settings), definition, definition_id=None)
    with db.session() as s:
        where = sessions.opening_ts(s, 1)
    assert where is not None
    return where[1]


def _reply(thread_ts: str) -> str:
    event = {
        "type": "message",
        "channel": "C1",
        "user": "U1",
        "text": "1: none",
        "ts": "1700000000.000200",
        "thread_ts": thread_ts,
    }
    return event_body(event, "Ev1")


def _stored(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(MessageRow)) or 0)


def test_a_signed_event_is_stored(web: tuple[str, FakeSlack, Settings], db: Database) -> None:
    base, _, settings = web
    body = _reply(_huddle(db, settings))
    with httpx.Client(timeout=10) as client:
        response = post_signed(client, base, body, content_type="application/json")
    assert response.status_code == 200
    assert wait_for(lambda: _stored(db) == 1)


def test_a_wrong_signature_is_refused_and_stores_nothing(web: tuple[str, FakeSlack, Settings], db: Database) -> None:
    base, _, settings = web
    body = _reply(_huddle(db, settings))
    with httpx.Client(timeout=10) as client:
        response = post_signed(client, base, body, content_type="application/json", secret="not-the-secret")
        control = post_signed(client, base, body, content_type="application/json")
        assert control.status_code == 200  # the same body, rightly signed, is accepted...
    assert response.status_code == 401
    assert wait_for(lambda: _stored(db) == 1)
    time.sleep(0.5)
    assert _stored(db) == 1  # ...and only that one stored


def test_a_request_over_five_minutes_old_is_refused(web: tuple[str, FakeSlack, Settings], db: Database) -> None:
    base, _, settings = web
    body = _reply(_huddle(db, settings))
    with httpx.Client(timeout=10) as client:
        response = post_signed(client, base, body, content_type="application/json", at=time.time() - 301)
    assert response.status_code == 401
    time.sleep(0.5)
    assert _stored(db) == 0


def test_the_published_slash_command_body_with_its_signature_is_refused_as_stale(
    web: tuple[str, FakeSlack, Settings], db: Database
) -> None:
    base, fake, _ = web
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": PUBLISHED_SIGNATURE,
    }
    with httpx.Client(timeout=10) as client:
        response = client.post(f"{base}/slack/events", content=PUBLISHED_BODY, headers=headers)
    assert response.status_code == 401
    assert json.dumps(fake.of("views.open")) == "[]"


def test_a_stale_signed_command_that_would_act_is_refused_and_a_fresh_one_acts(
    web: tuple[str, FakeSlack, Settings], db: Database
) -> None:
    """A command we do handle (it opens the SBAR form), replayed after five minutes: refused, nothing opened;
    the same body freshly signed opens the form, so the refusal is the signature's doing."""
    base, fake, _ = web
    body = urlencode({
        "command": "/escalate", "text": "", "channel_id": "C1", "user_id": "U1", "team_id": "T0TEAM",
        "trigger_id": "trig-stale", "response_url": "http://127.0.0.1:9/unused", "api_app_id": "A0APP",
    })  # fmt: skip
    form = "application/x-www-form-urlencoded"
    with httpx.Client(timeout=10) as client:
        stale = post_signed(client, base, body, content_type=form, at=time.time() - 301)
        assert stale.status_code == 401
        fresh = post_signed(client, base, body, content_type=form)
    assert fresh.status_code == 200
    opened = wait_for(lambda: fake.of("views.open"))
    assert isinstance(opened, list) and len(opened) == 1 and opened[0]["trigger_id"] == "trig-stale"
