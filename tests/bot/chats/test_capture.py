"""Capture through the poll job, with the real tweepy and atproto clients on local servers.

Each platform resumes from its own persisted cursor ("what I have already seen"): a post deleted
between polls does not make Bluesky rescan the tag, and a restarted worker carries on where the last
poll stopped. Capture asks only for the chat's window (X's recent search otherwise answers seven days
of the hashtag), and a search that keeps failing is tried a bounded number of times, in one layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.chats.jobs import poll
from bot.platforms import registry
from bot.platforms.bluesky import BlueskyPlatform
from bot.platforms.x import XPlatform
from bot.retry import Backoff
from config.settings import Settings
from tests.fakes.bluesky_api import FakeBluesky, did_for, running_fake_bluesky
from tests.fakes.x_api import HOST_ID, FakeX, running_fake_x
from transcripts.db import Database
from transcripts.models import ChatCapture, Event, MessageRow

FAST = Backoff(attempts=5, base_seconds=0.01, cap_seconds=0.05)


def _event(db: Database, platform: str, hashtag: str, starts_at: datetime) -> int:
    with db.session() as s:
        event = Event(kind="chat", title="t", hashtag=hashtag, platforms=[platform], starts_at=starts_at,
                      ends_at=starts_at + timedelta(hours=1), timezone="UTC", status="running")  # fmt: skip
        s.add(event)
        s.flush()
        return event.id


def _stored(db: Database, event_id: int) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(MessageRow.platform_id).where(MessageRow.event_id == event_id)))


@pytest.fixture
def bluesky() -> Iterator[tuple[FakeBluesky, Settings]]:
    with running_fake_bluesky() as fake:
        for i in range(5):
            fake.add_profile(did_for(100 + i), f"nurse{i}.bsky.social")
        settings = Settings(_env_file=None, BLUESKY_BASE_URL=fake.base_url, BLUESKY_HANDLE=fake.host_handle,
                            BLUESKY_APP_PASSWORD="pw")  # fmt: skip
        try:
            yield fake, settings
        finally:
            registry.clear()


@pytest.fixture
def x() -> Iterator[tuple[FakeX, Settings]]:
    with running_fake_x() as fake:
        fake.add_user(HOST_ID, "wehost")
        for i in range(5):
            fake.add_user(str(2000 + i), f"nurse{i}")
        settings = Settings(_env_file=None, X_API_BASE_URL=fake.base_url, X_BEARER_TOKEN="b", X_CONSUMER_KEY="ck",
                            X_CONSUMER_SECRET="cs", X_ACCESS_TOKEN="at", X_ACCESS_TOKEN_SECRET="ats")  # fmt: skip
        try:
            yield fake, settings
        finally:
            registry.clear()


def _searches(fake: FakeBluesky) -> int:
    return sum(1 for _, name, _ in fake.calls if name == "app.bsky.feed.searchPosts")


def test_a_deleted_post_does_not_make_bluesky_rescan_and_a_restart_resumes(
    db: Database, bluesky: tuple[FakeBluesky, Settings]
) -> None:
    fake, settings = bluesky
    fake.page_size_cap = 25
    now = datetime.now(UTC)
    event_id = _event(db, "bluesky", "#WeTest", now - timedelta(minutes=15))
    posts = [fake.add_tagged(did_for(100 + n % 5), f"A1 answer {n} #WeTest", at=now - timedelta(seconds=600 - 6 * n))
             for n in range(100)]  # fmt: skip  (ten minutes of a chat, four pages of 25)
    registry.install(settings, [BlueskyPlatform(settings)], backoff=FAST, db=db)
    assert poll(event_id) == 100
    first = _searches(fake)
    assert first >= 4
    # Participants delete their posts from about two minutes before the newest: where a resume point
    # ("scan until this post") under a two-minute overlap would sit.
    for view in posts[76:82]:
        fake.delete_post(view["uri"])
    fake.add_tagged(did_for(100), "A2 a late answer #WeTest")
    assert poll(event_id) == 1
    assert _searches(fake) - first == 1  # one page: the newest posts, not the whole tag again
    # A worker restarted (a new process: new clients, new context) resumes from the stored cursor.
    registry.install(settings, [BlueskyPlatform(settings)], backoff=FAST, db=db)
    fake.add_tagged(did_for(101), "A2 another #WeTest")
    before = _searches(fake)
    assert poll(event_id) == 1
    assert _searches(fake) - before == 1
    with db.session() as s:
        cursor = s.scalar(select(ChatCapture.cursor).where(ChatCapture.event_id == event_id))
    assert cursor and cursor["newest"]
    assert len(_stored(db, event_id)) == 102


def test_capture_asks_only_for_the_chats_window_on_x(db: Database, x: tuple[FakeX, Settings]) -> None:
    """Posts with the hashtag from 2 days, 26 h and 3 h before the chat stay out of its record."""
    fake, settings = x
    now = datetime.now(UTC)
    for hours in (48, 26, 3):
        fake.add_post("2000", f"last week's chat, {hours} h ago #WeTest", at=now - timedelta(hours=hours))
    early = fake.add_post("2001", "hello, early #WeTest", at=now - timedelta(minutes=2))
    event_id = _event(db, "x", "#WeTest", now)
    in_chat = [fake.add_post(str(2000 + n % 5), f"A1 answer {n} #WeTest") for n in range(5)]
    registry.install(settings, [XPlatform(settings)], backoff=FAST, db=db)
    poll(event_id)
    assert _stored(db, event_id) == {early, *in_chat}  # the newest included: X's 30 s lag does not hide them
    searches = [q for _, path, q in fake.calls if path == "/2/tweets/search/recent"]
    assert searches and all("start_time" in q for q in searches)


def test_capture_asks_only_for_the_chats_window_on_bluesky(
    db: Database, bluesky: tuple[FakeBluesky, Settings]
) -> None:
    fake, settings = bluesky
    now = datetime.now(UTC)
    for hours in (48, 26, 3):
        fake.add_tagged(did_for(100), f"last week's chat, {hours} h ago #WeTest", at=now - timedelta(hours=hours))
    event_id = _event(db, "bluesky", "#WeTest", now)
    registry.install(settings, [BlueskyPlatform(settings)], backoff=FAST, db=db)
    assert poll(event_id) == 0  # nothing in the window yet
    in_chat = {fake.add_tagged(did_for(101), f"A1 answer {n} #WeTest")["uri"] for n in range(5)}
    assert poll(event_id) == 5
    assert _stored(db, event_id) == in_chat
    searches = [q for _, name, q in fake.calls if name == "app.bsky.feed.searchPosts"]
    assert searches and all("since" in q for q in searches)
