"""A short chat on a local Bluesky XRPC server with the real atproto client, its worker stopped mid-chat.

The welcome and questions go out once each, in order, threaded under the welcome, with hashtag facets
whose byte offsets are right after an emoji; capture crosses cursor pages and a forced 429; posts made
while no scheduler ran are captured after the restart, and the page is written at the close.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.chats.setup import add_chat
from bot.platforms import registry
from bot.platforms.bluesky import BlueskyPlatform
from bot.scheduling import make_scheduler, schedule_chat
from config.chat_definition import ChatDefinition
from config.settings import Settings
from tests.fakes.bluesky_api import did_for, running_fake_bluesky
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import Event, MessageRow, OutboundPost, Prompt

OFFSETS = [2, 4, 6, 8, 10, 12]


def _definition(start: datetime, host: str) -> ChatDefinition:
    return ChatDefinition.model_validate(
        {
            "title": "Escalation on nights", "hashtag": "#WeTest", "host": host, "platforms": ["bluesky"],
            "date": start.date().isoformat(), "start": start.strftime("%H:%M:%S"), "timezone": "UTC",
            "duration": "15s", "welcome": "Welcome 🩺 to #WeTest, café talk!", "closing": "Thanks! {page_url} #WeTest",
            "questions": [{"at": f"{s}s", "text": f"Q{i} 🎉 question {i}? #WeTest"} for i, s in enumerate(OFFSETS, 1)],
            "misfire_grace": "30s", "poll_interval": "1s",
        }
    )  # fmt: skip


def _posted(db: Database, event_id: int) -> int:
    with db.session() as s:
        return s.scalar(
            select(func.count())
            .select_from(OutboundPost)
            .join(Prompt, Prompt.id == OutboundPost.prompt_id)
            .where(Prompt.event_id == event_id, OutboundPost.status == "posted")
        )  # type: ignore[return-value]


def _next_due(db: Database, event_id: int) -> datetime:
    """When the first prompt not yet posted falls due."""
    with db.session() as s:
        posted = select(OutboundPost.prompt_id).where(OutboundPost.status == "posted")
        due = s.scalar(
            select(Prompt.due_at).where(Prompt.event_id == event_id, Prompt.id.not_in(posted)).order_by(Prompt.due_at)
        )
    assert due is not None
    return due


def _closed(db: Database, event_id: int) -> bool:
    with db.session() as s:
        return s.get(Event, event_id).status == "closed"  # type: ignore[union-attr]


def test_short_chat_on_local_bluesky_server_with_a_restart(db: Database, tmp_path: Path) -> None:
    with running_fake_bluesky() as fake:
        fake.page_size_cap = 15  # several cursor pages per search
        for i in range(8):
            fake.add_profile(did_for(100 + i), f"nurse{i}.bsky.social")
        settings = Settings(
            _env_file=None, BLUESKY_BASE_URL=fake.base_url, BLUESKY_HANDLE=fake.host_handle,
            BLUESKY_APP_PASSWORD="app-password",
        )  # fmt: skip
        registry.install(settings, [BlueskyPlatform(settings)], db=db)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        with db.session() as s:
            event_id = add_chat(s, _definition(start, fake.host_handle), source="test")
        stop = threading.Event()

        def chatter() -> None:  # others answering throughout, the worker's downtime included
            for n in range(150):
                if stop.is_set():
                    return
                fake.add_tagged(did_for(100 + n % 8), f"A{1 + n % 6} 💬 answer {n} #WeTest")
                if n == 60:
                    fake.fail_next.append(429)
                time.sleep(0.08)

        first = make_scheduler(db, blocking=False)
        schedule_chat(first, db, event_id, tmp_path)
        people = threading.Thread(target=chatter, daemon=True)
        first.start()
        try:
            people.start()
            wait_for(lambda: _posted(db, event_id) >= 3, "the welcome and two questions", timeout=60)
            first.shutdown(wait=False)  # the worker goes away mid-chat
            down_since = len(fake.posts)
            unposted = _next_due(db, event_id)
            wait_for(  # a question falls due and others post while no scheduler runs
                lambda: datetime.now(UTC) > unposted and len(fake.posts) > down_since + 5,
                "a question to fall due and others to post while no worker runs", timeout=60,
            )
            second = make_scheduler(db, blocking=False)
            schedule_chat(second, db, event_id, tmp_path)
            second.start()
            try:
                wait_for(lambda: _closed(db, event_id), "the close", timeout=90)
            finally:
                second.shutdown(wait=True)
        finally:
            stop.set()
            people.join(timeout=10)
            registry.clear()

        created = [body["record"] for method, name, body in fake.calls if name == "com.atproto.repo.createRecord"]
        firsts = [r["text"].split()[0] for r in created]
        assert firsts == ["Welcome", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Thanks!"]  # each once, in order
        welcome_uri = fake.posts[[p["record"]["text"] for p in fake.posts].index(created[0]["text"])]["uri"]
        assert all(r["reply"]["root"]["uri"] == welcome_uri == r["reply"]["parent"]["uri"] for r in created[1:])
        for record in created:
            raw = record["text"].encode("utf-8")
            tags = [f for f in record["facets"] if f["features"][0]["$type"] == "app.bsky.richtext.facet#tag"]
            assert [raw[f["index"]["byteStart"] : f["index"]["byteEnd"]] for f in tags] == [b"#WeTest"]
        searches = [q for method, name, q in fake.calls if name == "app.bsky.feed.searchPosts"]
        assert any("cursor" in q for q in searches)
        assert not fake.fail_next  # the 429 was waited out
        with db.session() as s:
            stored = list(s.scalars(select(MessageRow.platform_id).where(MessageRow.event_id == event_id)))
        assert sorted(stored) == sorted(p["uri"] for p in fake.posts)  # every post once, downtime included
        assert (tmp_path / f"event-{event_id}" / "index.html").exists()
