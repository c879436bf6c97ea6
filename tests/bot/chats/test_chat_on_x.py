"""A short chat run end to end on a local X API server with the real tweepy client.

Questions go out in order at their offsets as replies to the welcome; every hashtag post the server
holds is stored once, through overlapping polls, pagination and a forced 429; the page is written.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.chats.jobs import post_prompt
from bot.chats.setup import add_chat, chat_costs
from bot.platforms import registry
from bot.platforms.x import XPlatform
from bot.scheduling import make_scheduler, schedule_chat
from config.chat_definition import ChatDefinition
from config.settings import Settings
from tests.fakes.x_api import HOST_ID, running_fake_x
from transcripts.db import Database
from transcripts.models import ChatCapture, Event, MessageRow, OutboundPost, Prompt

OFFSETS = [2, 4, 6, 8, 10, 12]
GRACE = 10  # seconds: the definition's misfire_grace


def _definition(start: datetime) -> ChatDefinition:
    return ChatDefinition.model_validate(
        {
            "title": "Escalation on nights", "hashtag": "#WeTest", "host": "wehost", "platforms": ["x"],
            "date": start.date().isoformat(), "start": start.strftime("%H:%M:%S"), "timezone": "UTC",
            "duration": "16s", "welcome": "Welcome to #WeTest!", "closing": "Thanks! {page_url} #WeTest",
            "questions": [{"at": f"{s}s", "text": f"Q{i} question {i}? #WeTest"} for i, s in enumerate(OFFSETS, 1)],
            "misfire_grace": "10s", "poll_interval": "1s",
        }
    )  # fmt: skip


def _wait_closed(db: Database, event_id: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as s:
            if s.get(Event, event_id).status == "closed":  # type: ignore[union-attr]
                return
        time.sleep(0.2)
    raise AssertionError("the chat never closed")


def test_short_chat_on_local_x_server(db: Database, tmp_path: Path) -> None:
    with running_fake_x() as fake:
        fake.add_user(HOST_ID, "wehost", followers=5000)
        for i in range(12):
            fake.add_user(str(2000 + i), f"nurse{i}", followers=None if i == 11 else 10 * i)
        fake.add_user("2999", "privateperson", protected=True)
        settings = Settings(
            _env_file=None, X_API_BASE_URL=fake.base_url, X_BEARER_TOKEN="bearer", X_CONSUMER_KEY="ck",
            X_CONSUMER_SECRET="cs", X_ACCESS_TOKEN="at", X_ACCESS_TOKEN_SECRET="ats",
        )  # fmt: skip
        registry.install(settings, [XPlatform(settings)], db=db)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        with db.session() as s:
            event_id = add_chat(s, _definition(start), source="test")
        scheduler = make_scheduler(db, blocking=False)
        schedule_chat(scheduler, db, event_id, tmp_path)
        stop = threading.Event()

        def chatter() -> None:  # 260 posts from others: more than two pages per search
            n = 0
            while not stop.is_set() and n < 260:
                author = "2999" if n == 7 else str(2000 + n % 12)
                fake.add_post(author, f"A{1 + n % 6} answer number {n} #WeTest")
                n += 1
                if n == 120:
                    fake.fail_next.append(429)
                time.sleep(0.04)

        people = threading.Thread(target=chatter, daemon=True)
        scheduler.start()
        try:
            people.start()
            _wait_closed(db, event_id)
        finally:
            stop.set()
            scheduler.shutdown(wait=True)
            registry.clear()

        posts = [body for method, path, body in fake.calls if method == "POST"]
        assert [p["text"].split()[0] for p in posts] == ["Welcome", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Thanks!"]
        welcome_id = next(p["id"] for p in fake.posts if p["text"].startswith("Welcome"))
        assert all(p["reply"]["in_reply_to_tweet_id"] == welcome_id for p in posts[1:])
        with db.session() as s:
            rows = s.execute(
                select(Prompt.kind, Prompt.due_at, OutboundPost.posted_at)
                .join(OutboundPost, OutboundPost.prompt_id == Prompt.id)
                .where(Prompt.event_id == event_id, Prompt.kind == "question")
            ).all()
            assert len(rows) == 6
            # each at its time, never early, and within the grace after which a late prompt is not posted
            assert all(0 <= (posted - due).total_seconds() < GRACE for _, due, posted in rows)
            stored = set(s.scalars(select(MessageRow.platform_id).where(MessageRow.event_id == event_id)))
            count = s.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.event_id == event_id))
        public = {p["id"] for p in fake.posts if p["author_id"] != "2999"}
        assert stored == public and count == len(public)  # every public post, once; the protected one never
        with db.session() as s:
            usage = s.scalars(select(ChatCapture).where(ChatCapture.event_id == event_id)).one()
            estimated, actual = chat_costs(s, s.get(Event, event_id), settings)  # type: ignore[arg-type]
        # What the worker counted is what X returned and what it created: the close carries the page's link.
        assert (usage.posts_created, usage.posts_created_with_url) == (7, 1)
        assert (usage.posts_read, usage.users_read) == (fake.served_posts, fake.served_users)
        assert usage.posts_read >= len(fake.posts) and usage.users_read > 0
        assert actual == round(
            7 * settings.x_price_post_created_usd + settings.x_price_post_created_with_url_usd
            + usage.posts_read * settings.x_price_post_read_usd + usage.users_read * settings.x_price_user_read_usd, 2
        ) and estimated > 0  # fmt: skip
        searches = [q for method, path, q in fake.calls if path == "/2/tweets/search/recent"]
        assert any("next_token" in q for q in searches)  # paginated
        assert not fake.fail_next  # the forced 429 was met, waited out and retried
        assert (tmp_path / f"event-{event_id}" / "index.html").exists()
        assert (tmp_path / f"event-{event_id}" / "cpd" / "nurse1.md").exists()


def test_a_question_whose_answer_timed_out_or_failed_goes_out_exactly_once(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """X made the post but answered after the client gave up; then X refused a post with 503; then the
    close, whose link X rewrites to t.co, timed out too. Each prompt is looked for among the account's
    own posts before it is sent again (search would not show a post seconds old), links compared as
    links, so each appears once, is recorded with X's id, and nothing is logged as an error."""
    with running_fake_x() as fake:
        fake.add_user(HOST_ID, "wehost", followers=5000)
        settings = Settings(
            _env_file=None, X_API_BASE_URL=fake.base_url, X_BEARER_TOKEN="bearer", X_CONSUMER_KEY="ck",
            X_CONSUMER_SECRET="cs", X_ACCESS_TOKEN="at", X_ACCESS_TOKEN_SECRET="ats", X_TIMEOUT_SECONDS=0.5,
        )  # fmt: skip
        registry.install(settings, [XPlatform(settings)], db=db)
        with db.session() as s:
            event_id = add_chat(s, _definition(datetime.now(UTC) + timedelta(hours=1)), source="test")
            prompts = {p.kind + str(p.number or ""): p.id for p in s.get(Event, event_id).prompts}  # type: ignore[union-attr]

        fake.slow_posts.append(2.0)  # made on X, answered after the 0.5 s timeout
        post_prompt(prompts["welcome"])
        fake.failed_posts.append(503)  # refused: not made
        post_prompt(prompts["question1"])
        fake.slow_posts.append(2.0)
        post_prompt(prompts["close"])

        made = [p for p in fake.posts if p["author_id"] == HOST_ID]
        page = f"{settings.web_base_url}/events/{event_id}"
        assert [p["text"] for p in made] == [
            "Welcome to #WeTest!", "Q1 question 1? #WeTest", f"Thanks! https://t.co/{made[2]['id'][-10:]}0 #WeTest"
        ]  # fmt: skip
        assert made[2]["entities"]["urls"][0]["expanded_url"] == page
        assert len([c for c in fake.calls if c[0] == "POST"]) == 4  # welcome once, Q1 refused then sent, close once
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert made[1]["referenced_tweets"] == [{"type": "replied_to", "id": made[0]["id"]}]
        with db.session() as s:
            outcome = s.execute(
                select(Prompt.kind, OutboundPost.status, OutboundPost.platform_id)
                .join(OutboundPost, OutboundPost.prompt_id == Prompt.id)
                .order_by(Prompt.id)
            ).all()
        assert [tuple(row) for row in outcome] == [
            ("welcome", "posted", made[0]["id"]),
            ("question", "posted", made[1]["id"]),
            ("close", "posted", made[2]["id"]),
        ]
