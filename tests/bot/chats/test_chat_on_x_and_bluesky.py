"""One chat on X and Bluesky at once under one hashtag: each prompt posted once on each, both captured."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.chats.setup import add_chat
from bot.platforms import registry
from bot.platforms.bluesky import BlueskyPlatform
from bot.platforms.x import XPlatform
from bot.scheduling import make_scheduler, schedule_chat
from config.chat_definition import ChatDefinition
from config.settings import Settings
from tests.fakes.bluesky_api import did_for, running_fake_bluesky
from tests.fakes.waiting import wait_for
from tests.fakes.x_api import HOST_ID, running_fake_x
from transcripts.db import Database
from transcripts.models import Event, MessageRow


def test_one_chat_on_both_platforms(db: Database, tmp_path: Path) -> None:
    with running_fake_x() as x, running_fake_bluesky() as bsky:
        x.add_user(HOST_ID, "wehost")
        x.add_user("2001", "ann")
        bsky.add_profile(did_for(200), "bob.bsky.social")
        settings = Settings(
            _env_file=None, X_API_BASE_URL=x.base_url, X_BEARER_TOKEN="b", X_CONSUMER_KEY="ck",
            X_CONSUMER_SECRET="cs", X_ACCESS_TOKEN="at", X_ACCESS_TOKEN_SECRET="ats",
            BLUESKY_BASE_URL=bsky.base_url, BLUESKY_HANDLE=bsky.host_handle, BLUESKY_APP_PASSWORD="pw",
        )  # fmt: skip
        registry.install(settings, [XPlatform(settings), BlueskyPlatform(settings)], db=db)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        definition = ChatDefinition.model_validate(
            {
                "title": "Both", "hashtag": "#WeBoth", "host": "wehost", "platforms": ["x", "bluesky"],
                "date": start.date().isoformat(), "start": start.strftime("%H:%M:%S"), "timezone": "UTC",
                "duration": "6s", "welcome": "Welcome to #WeBoth", "closing": "Thanks #WeBoth",
                "questions": [{"at": "2s", "text": "Q1 one? #WeBoth"}, {"at": "4s", "text": "Q2 two? #WeBoth"}],
                "poll_interval": "1s", "misfire_grace": "30s",
            }
        )  # fmt: skip
        with db.session() as s:
            event_id = add_chat(s, definition, source="test")
        scheduler = make_scheduler(db, blocking=False)
        schedule_chat(scheduler, db, event_id, tmp_path)
        scheduler.start()
        try:
            wait_for(  # people answer once the chat has opened on both
                lambda: any(m == "POST" for m, _, _ in x.calls)
                and any(n == "com.atproto.repo.createRecord" for _, n, _ in bsky.calls),
                "the welcome on X and on Bluesky", timeout=60,
            )
            x.add_post("2001", "A1 from X #WeBoth")
            bsky.add_tagged(did_for(200), "A1 from Bluesky 🌿 #WeBoth")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with db.session() as s:
                    if s.get(Event, event_id).status == "closed":  # type: ignore[union-attr]
                        break
                time.sleep(0.2)
            else:
                raise AssertionError("the chat never closed")
        finally:
            scheduler.shutdown(wait=True)
            registry.clear()
        order = ["Welcome to #WeBoth", "Q1 one? #WeBoth", "Q2 two? #WeBoth", "Thanks #WeBoth"]
        assert [b["text"] for m, p, b in x.calls if m == "POST"] == order
        assert [b["record"]["text"] for m, n, b in bsky.calls if n == "com.atproto.repo.createRecord"] == order
        with db.session() as s:
            rows = s.execute(select(MessageRow.platform, MessageRow.text).where(MessageRow.event_id == event_id)).all()
        assert sorted(rows) == sorted(
            [("x", t) for t in [*order, "A1 from X #WeBoth"]]
            + [("bluesky", t) for t in [*order, "A1 from Bluesky 🌿 #WeBoth"]]
        )
