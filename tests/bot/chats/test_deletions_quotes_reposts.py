"""Deleted posts leave the record, and Bluesky chats are read as fully as X chats.

Through the chat's job functions with the real atproto and tweepy clients on local servers: a post
deleted mid-chat is hidden at the close, one deleted the day after by the daily re-check (and the
page is written again without it); quotes of a question count for it on Bluesky (`embed.record` and
`recordWithMedia`); reposts of the prompts are counted with getRepostedBy; a process logs in to
Bluesky once, however many jobs need the session at the same moment.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from analysis.answers import assign_answers
from bot.chats.jobs import close_chat, poll, post_prompt, recheck_deleted
from bot.chats.setup import add_chat
from bot.platforms import registry
from bot.platforms.bluesky import BlueskyPlatform
from bot.platforms.x import XPlatform
from bot.retry import Backoff
from bot.scheduling import install_chat_jobs, make_scheduler
from config.chat_definition import ChatDefinition
from config.settings import Settings
from tests.fakes.bluesky_api import FakeBluesky, did_for, running_fake_bluesky
from tests.fakes.x_api import HOST_ID, running_fake_x
from transcripts.db import Database
from transcripts.models import ChatCapture, Event, MessageRow, OutboundPost, Prompt
from transcripts.snapshot import load_event

FAST = Backoff(attempts=5, base_seconds=0.01, cap_seconds=0.05)


def _chat(db: Database, platform: str, host: str) -> tuple[int, dict[str, int]]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    definition = ChatDefinition.model_validate(
        {
            "title": "Deletions", "hashtag": "#WeTest", "host": host, "platforms": [platform],
            "date": start.date().isoformat(), "start": start.strftime("%H:%M:%S"), "timezone": "UTC",
            "duration": "60m", "welcome": "Welcome to #WeTest", "closing": "Thanks {page_url} #WeTest",
            "questions": [{"at": "1m", "text": "Q1 first? #WeTest"}, {"at": "2m", "text": "Q2 second? #WeTest"}],
        }
    )  # fmt: skip
    with db.session() as s:
        event_id = add_chat(s, definition, source="test")
        prompts = {p.kind + str(p.number or ""): p.id for p in s.get(Event, event_id).prompts}  # type: ignore[union-attr]
    return event_id, prompts


def _posted_id(db: Database, prompt_id: int) -> str:
    with db.session() as s:
        found = s.scalar(select(OutboundPost.platform_id).where(OutboundPost.prompt_id == prompt_id))
    assert found
    return found


def _deleted(db: Database, event_id: int) -> set[str]:
    with db.session() as s:
        hidden = select(MessageRow.platform_id).where(
            MessageRow.event_id == event_id, MessageRow.deleted_at.is_not(None)
        )
        return set(s.scalars(hidden))


def _page_texts(folder: Path) -> str:
    return (folder / "index.html").read_text(encoding="utf-8") + (folder / "record.json").read_text(encoding="utf-8")


@pytest.fixture
def bluesky() -> Iterator[tuple[FakeBluesky, Settings]]:
    with running_fake_bluesky() as fake:
        for i in range(6):
            fake.add_profile(did_for(100 + i), f"nurse{i}.bsky.social", followers=10 + i)
        settings = Settings(_env_file=None, BLUESKY_BASE_URL=fake.base_url, BLUESKY_HANDLE=fake.host_handle,
                            BLUESKY_APP_PASSWORD="pw")  # fmt: skip
        try:
            yield fake, settings
        finally:
            registry.clear()


def test_a_bluesky_chat_hides_deletions_counts_quotes_and_reposts(
    db: Database, tmp_path: Path, bluesky: tuple[FakeBluesky, Settings]
) -> None:
    fake, settings = bluesky
    registry.install(settings, [BlueskyPlatform(settings)], backoff=FAST, db=db)
    event_id, prompts = _chat(db, "bluesky", fake.host_handle)
    for kind in ("welcome", "question1", "question2"):
        post_prompt(prompts[kind])
    q1 = next(p for p in fake.posts if p["uri"] == _posted_id(db, prompts["question1"]))
    answers = [fake.add_tagged(did_for(100 + n), f"A2 answer {n} #WeTest") for n in range(4)]
    # Quotes of Q1 made after Q2 was asked, with no marker: only the quote says which question they answer.
    quotes = [
        fake.add_tagged(did_for(104), "So true, we do this daily #WeTest", quote=q1),
        fake.add_tagged(did_for(105), "Our ward's board, pictured #WeTest", quote=q1, with_media=True),
    ]
    for did in (did_for(100), did_for(101)):
        fake.repost(did, q1["uri"])
    fake.repost(did_for(102), _posted_id(db, prompts["welcome"]))
    poll(event_id)
    fake.delete_post(answers[0]["uri"])  # deleted mid-chat
    out = tmp_path / "page"
    close_chat(event_id, str(out))

    assert _deleted(db, event_id) == {answers[0]["uri"]}
    assert "A2 answer 0 " not in _page_texts(out) and "A2 answer 1 " in _page_texts(out)
    with db.session() as s:
        snapshot = load_event(s, event_id)
        reposts = s.scalar(select(ChatCapture.reposts).where(ChatCapture.event_id == event_id))
    by_id = {m.platform_id: m for m in snapshot.messages}
    assigned = assign_answers(snapshot)
    q1_prompt = next(p for p in snapshot.prompts if p.number == 1)
    for quote in quotes:
        message = by_id[quote["uri"]]
        assert message.quote_of == q1["uri"]
        assert (assigned[message.id].prompt_id, assigned[message.id].method) == (q1_prompt.id, "quote")
    assert reposts == 3 and sum(1 for m in snapshot.messages if m.is_repost) == 3
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["reposts"] == 3
    assert (stats["deleted_posts"], stats["counts_include_deleted"]) == (1, False)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count("A post deleted by its author.") == 1 and "not counting 1 deleted by its author" in page
    assert "Reposts counted: 3, the reposts of the chat's own questions and prompts" in page

    # The day after: another post is deleted; the daily re-check, installed for the closed chat, hides it.
    fake.delete_post(answers[1]["uri"])
    scheduler = make_scheduler(db, blocking=False)
    install_chat_jobs(scheduler, db, settings)
    assert scheduler.get_job(f"chat:{event_id}:deletions") is not None
    assert recheck_deleted(event_id, str(out)) == 1
    assert _deleted(db, event_id) == {answers[0]["uri"], answers[1]["uri"]}
    assert "A2 answer 1 " not in _page_texts(out) and "A2 answer 2 " in _page_texts(out)
    sessions = [c for c in fake.calls if c[1] == "com.atproto.server.createSession"]
    assert len(sessions) == 1  # one login for every job of the process


def test_one_bluesky_session_for_jobs_that_need_it_at_once(bluesky: tuple[FakeBluesky, Settings]) -> None:
    fake, settings = bluesky
    fake.session_delay = 0.5  # a slow login: both jobs ask for the session while it is being made
    platform = BlueskyPlatform(settings)
    since = datetime.now(UTC) - timedelta(minutes=5)
    failures: list[BaseException] = []

    def job(work: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            try:
                work()
            except BaseException as exc:  # the test fails on it below, not in a thread's warning
                failures.append(exc)

        return threading.Thread(target=run)

    jobs = [
        job(lambda: platform.post("Welcome to #WeTest", channel="#WeTest")),
        job(lambda: platform.fetch("#WeTest", cursor=None, since=since)),
    ]
    for thread in jobs:
        thread.start()
    for thread in jobs:
        thread.join(timeout=30)
    assert not failures and not any(thread.is_alive() for thread in jobs)
    assert len([c for c in fake.calls if c[1] == "com.atproto.server.createSession"]) == 1


def test_an_x_chat_hides_posts_deleted_during_and_after_it(db: Database, tmp_path: Path) -> None:
    with running_fake_x() as fake:
        fake.add_user(HOST_ID, "wehost")
        for i in range(4):
            fake.add_user(str(2000 + i), f"nurse{i}")
        settings = Settings(_env_file=None, X_API_BASE_URL=fake.base_url, X_BEARER_TOKEN="b", X_CONSUMER_KEY="ck",
                            X_CONSUMER_SECRET="cs", X_ACCESS_TOKEN="at", X_ACCESS_TOKEN_SECRET="ats")  # fmt: skip
        registry.install(settings, [XPlatform(settings)], backoff=FAST, db=db)
        try:
            event_id, prompts = _chat(db, "x", "wehost")
            post_prompt(prompts["welcome"])
            answers = [fake.add_post(str(2000 + n), f"A1 answer {n} #WeTest") for n in range(4)]
            poll(event_id)
            fake.delete_post(answers[0])  # deleted mid-chat
            out = tmp_path / "page"
            close_chat(event_id, str(out))
            assert _deleted(db, event_id) == {answers[0]}
            assert "A1 answer 0 " not in _page_texts(out) and "A1 answer 1 " in _page_texts(out)
            fake.delete_post(answers[1])  # the day after
            assert recheck_deleted(event_id, str(out)) == 1
            assert _deleted(db, event_id) == {answers[0], answers[1]}
            assert "A1 answer 1 " not in _page_texts(out)
            page = (out / "index.html").read_text(encoding="utf-8")
            assert page.count("A post deleted by its author.") == 2  # in order, where they stood
            assert "not counting 2 deleted by their authors" in page
            assert re.search(r"X: [\d,]+ posts and \d+ profiles read, 1 post made \(0 with a link\); at X's "
                             r"pay-per-use prices of 2026-11-23, about \$\d+\.\d\d so far", page)  # fmt: skip
            lookups = [q for m, path, q in fake.calls if m == "GET" and path == "/2/tweets"]
            assert lookups and all(len(q["ids"][0].split(",")) <= 100 for q in lookups)
            with db.session() as s:
                usage = s.scalars(select(ChatCapture).where(ChatCapture.event_id == event_id)).one()
                assert s.scalar(select(Prompt.posted_at).where(Prompt.id == prompts["close"])) is None
            assert usage.posts_read == fake.served_posts  # the re-checks' reads are in the chat's cost
        finally:
            registry.clear()
