"""Posting a prompt is safe to repeat: the intent recorded before the call decides what a rerun does.

Runs the real job function against a local X API server with the real tweepy client: a posted intent
is left alone, a pending intent whose post did go out is matched on the platform and not posted again,
a pending intent whose post never went out is posted once, and 5xx answers are retried with back-off
in one layer only, so an endpoint that keeps failing sees a bounded number of requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.chats.jobs import post_prompt
from bot.chats.setup import add_chat
from bot.platforms import registry
from bot.platforms.x import XPlatform
from bot.retry import Backoff, Transient
from config.chat_definition import ChatDefinition
from config.settings import Settings
from tests.fakes.x_api import HOST_ID, FakeX, running_fake_x
from transcripts.db import Database
from transcripts.models import OutboundPost, Prompt


@pytest.fixture
def fake_x(db: Database) -> Iterator[FakeX]:
    with running_fake_x() as fake:
        fake.add_user(HOST_ID, "wehost")
        settings = Settings(
            _env_file=None, X_API_BASE_URL=fake.base_url, X_BEARER_TOKEN="bearer", X_CONSUMER_KEY="ck",
            X_CONSUMER_SECRET="cs", X_ACCESS_TOKEN="at", X_ACCESS_TOKEN_SECRET="ats",
        )  # fmt: skip
        registry.install(settings, [XPlatform(settings)], db=db)
        try:
            yield fake
        finally:
            registry.clear()


def _chat(db: Database) -> tuple[int, int]:
    start = datetime.now(UTC) + timedelta(hours=1)
    definition = ChatDefinition.model_validate(
        {
            "title": "t", "hashtag": "#WeTest", "host": "wehost", "platforms": ["x"],
            "date": start.date().isoformat(), "start": start.strftime("%H:%M"), "timezone": "UTC",
            "welcome": "Welcome to #WeTest", "closing": "Bye #WeTest",
            "questions": [{"at": "5m", "text": "Q1 first? #WeTest"}],
        }
    )  # fmt: skip
    with db.session() as s:
        event_id = add_chat(s, definition, source="test")
        welcome = s.scalar(select(Prompt.id).where(Prompt.event_id == event_id, Prompt.kind == "welcome"))
    assert welcome is not None
    return event_id, welcome


def _posts(fake: FakeX) -> list[str]:
    return [body["text"] for method, path, body in fake.calls if method == "POST"]


def _intent(db: Database, prompt_id: int) -> OutboundPost:
    with db.session() as s:
        row = s.scalars(select(OutboundPost).where(OutboundPost.prompt_id == prompt_id)).one()
        s.expunge(row)
        return row


def test_a_rerun_after_posting_posts_nothing(db: Database, fake_x: FakeX) -> None:
    _, welcome = _chat(db)
    post_prompt(welcome)
    post_prompt(welcome)
    assert _posts(fake_x) == ["Welcome to #WeTest"]
    row = _intent(db, welcome)
    assert row.status == "posted" and row.platform_id == fake_x.posts[0]["id"]


def test_a_pending_intent_whose_post_went_out_is_matched_not_reposted(db: Database, fake_x: FakeX) -> None:
    _, welcome = _chat(db)
    with db.session() as s:  # a worker wrote its intent, posted, and died before recording the id
        s.add(OutboundPost(prompt_id=welcome, platform="x", status="pending", channel="#WeTest"))
    already = fake_x.add_post(HOST_ID, "Welcome to #WeTest")
    post_prompt(welcome)
    assert _posts(fake_x) == []
    row = _intent(db, welcome)
    assert row.status == "posted" and row.platform_id == already


def test_a_pending_intent_whose_post_never_went_out_is_posted_once(db: Database, fake_x: FakeX) -> None:
    _, welcome = _chat(db)
    with db.session() as s:  # a worker wrote its intent and died before calling X
        s.add(OutboundPost(prompt_id=welcome, platform="x", status="pending", channel="#WeTest"))
    fake_x.fail_next += [503, 500]  # the check on X meets two server errors first, retried with back-off
    post_prompt(welcome)
    assert _posts(fake_x) == ["Welcome to #WeTest"]
    assert _intent(db, welcome).status == "posted"
    assert not fake_x.fail_next


def test_a_check_that_keeps_failing_is_tried_a_bounded_number_of_times(db: Database, fake_x: FakeX) -> None:
    """Looking for an earlier try's post and posting are retried in one layer: not five times five."""
    _, welcome = _chat(db)
    with db.session() as s:  # a worker wrote its intent and died: the next run must look on X first
        s.add(OutboundPost(prompt_id=welcome, platform="x", status="pending", channel="#WeTest"))
    fake_x.fail_next += [503] * 100  # every read of posts fails
    context = registry.context()
    fast = Backoff(base_seconds=0.01)
    registry.install(context.settings, list(context.platforms.values()), backoff=fast, db=context.db)
    with pytest.raises(Transient):
        post_prompt(welcome)
    reads = [c for c in fake_x.calls if c[0] == "GET" and c[1] != "/2/users/me"]
    assert 1 < len(reads) <= 5 and _posts(fake_x) == []  # never posted blind
    row = _intent(db, welcome)
    assert row.status == "failed" and "Transient" in (row.error or "")
