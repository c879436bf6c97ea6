"""Through uvicorn: a signed reply is acked, then stored once - its re-delivery too - by the recorder after
the ack; a badly signed one is refused and nothing of it is stored. The recorder keeps arrival order, so
once a later reply is stored, everything sent before it has been dealt with: no waiting on the clock."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from bot.huddles import flow, sessions
from bot.slack.tokens import slack_for
from config.huddle_definition import HuddleDefinition
from config.settings import Settings
from tests.fakes.slack_api import running_fake_slack
from tests.fakes.slack_web import event_body, post_signed, running_web, slack_settings
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import Answer, MessageRow

JSON = "application/json"
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


@pytest.fixture
def web(db: Database, db_url: str) -> Iterator[tuple[str, str]]:
    """The web app's address and the open huddle's thread."""
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        settings: Settings = slack_settings(fake, db_url)
        definition = HuddleDefinition(name="Safety", channel="C1", days=["mon"], time="07:45", prompts=["Incidents"])
        event_id = flow.open_huddle(db, slack_for(settings), definition, definition_id=None)
        with db.session() as s:
            where = sessions.opening_ts(s, event_id)
        assert where is not None
        with running_web(settings, db) as base:
            yield base, where[1]


def _reply(thread: str, ts: str) -> str:
    event = {"type": "message", "channel": "C1", "user": "U1", "text": "1: none", "ts": ts, "thread_ts": thread}
    return event_body(event, f"Ev{ts}")


def _rows(db: Database, ts: str) -> int:
    with db.session() as s:
        where = MessageRow.platform_id == f"C1:{ts}"
        return int(s.scalar(select(func.count()).select_from(MessageRow).where(where)) or 0)


def _answers(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Answer)) or 0)


def test_a_reply_and_its_redelivery_are_acked_and_stored_once(web: tuple[str, str], db: Database) -> None:
    base, thread = web
    with httpx.Client(timeout=30) as client:
        first = post_signed(client, base, _reply(thread, "1800000000.000001"), content_type=JSON)
        assert first.status_code == 200
        assert wait_for(lambda: _rows(db, "1800000000.000001") == 1, "the reply stored")
        again = post_signed(client, base, _reply(thread, "1800000000.000001"), content_type=JSON, extra_headers=RETRY)
        later = post_signed(client, base, _reply(thread, "1800000000.000002"), content_type=JSON)
    assert again.status_code == 200 and later.status_code == 200
    assert wait_for(lambda: _rows(db, "1800000000.000002") == 1, "the later reply stored")
    assert _rows(db, "1800000000.000001") == 1
    assert _answers(db) == 2


def test_a_reply_and_its_redelivery_in_one_batch_are_stored_once(web: tuple[str, str], db: Database) -> None:
    """Sent back to back, the reply and its retry usually reach the recorder together."""
    base, thread = web
    with httpx.Client(timeout=30) as client:
        for headers in ({}, RETRY, RETRY):
            sent = post_signed(
                client, base, _reply(thread, "1800000000.000003"), content_type=JSON, extra_headers=headers
            )
            assert sent.status_code == 200
        assert post_signed(client, base, _reply(thread, "1800000000.000004"), content_type=JSON).status_code == 200
    assert wait_for(lambda: _rows(db, "1800000000.000004") == 1, "the later reply stored")
    assert _rows(db, "1800000000.000003") == 1
    assert _answers(db) == 2


def test_a_badly_signed_reply_is_refused_and_nothing_of_it_stored(web: tuple[str, str], db: Database) -> None:
    base, thread = web
    with httpx.Client(timeout=30) as client:
        forged = _reply(thread, "1800000000.000005")
        refused = post_signed(client, base, forged, content_type=JSON, secret="not-the-secret")
        retried = post_signed(client, base, forged, content_type=JSON, secret="not-the-secret", extra_headers=RETRY)
        later = post_signed(client, base, _reply(thread, "1800000000.000006"), content_type=JSON)
    assert refused.status_code == 401 and retried.status_code == 401 and later.status_code == 200
    assert wait_for(lambda: _rows(db, "1800000000.000006") == 1, "the later, rightly signed reply stored")
    assert _rows(db, "1800000000.000005") == 0
    assert _answers(db) == 1
