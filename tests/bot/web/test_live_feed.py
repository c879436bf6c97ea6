"""The live view at scale, over HTTP on uvicorn: polls answer from an incremental feed, pages are bounded.

A running chat of 650 posts: the live page holds only the latest 200 and pages back through the rest;
a poll after the last id carries only what is new; one new post is folded into the feed, not a
rebuild of it; a removal rebuilds it; concurrent chat-page requests after a change build the report
once; the chat page holds the first 200 posts of the transcript and links the rest.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import bot.web.live_feed as live_feed
import bot.web.page_cache as page_cache
from tests.analysis.spans import START, store_shape
from tests.bot.web.conftest import RunningApp
from tests.fakes.waiting import wait_for
from transcripts.message import Author, Message
from transcripts.models import Event, MessageRow
from transcripts.store import store_messages

POSTS = 650


@pytest.fixture
def big_chat(web: RunningApp) -> int:
    return store_shape(web.db, [START + timedelta(seconds=5 * i) for i in range(POSTS)], status="running")


@pytest.fixture
def fresh_feeds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every poll starts a look at the record (no second-long reuse, edits and removals looked for each time)."""
    monkeypatch.setattr(live_feed, "REFRESH_SECONDS", 0.0)
    monkeypatch.setattr(live_feed, "CHANGES_SECONDS", 0.0)


def _post(n: int, text: str, minutes: int = 40) -> Message:
    return Message(
        "x", f"new-{n}", "#WeSpan", Author("x", f"n{n}", f"newcomer{n}"), text, START + timedelta(minutes=minutes)
    )


def _posts_in(html: str) -> int:
    return len(re.findall(r'<li class="post[^"]*" id="m\d+"', html))


def test_live_page_sends_a_bounded_first_screen_and_pages_the_rest(web: RunningApp, big_chat: int) -> None:
    with httpx.Client(base_url=web.base_url, timeout=60) as client:
        page = client.get(f"/events/{big_chat}/live")
        assert page.status_code == 200
        assert _posts_in(page.text) == 200 and 'id="earlier-count">450<' in page.text
        first = int(re.search(r'data-before="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
        seen: set[int] = set(int(i) for i in re.findall(r'id="m(\d+)"', page.text))
        before = first
        while True:
            earlier = client.get(f"/events/{big_chat}/live.json", params={"before": before, "limit": 200}).json()
            ids = [m["id"] for m in earlier["messages"]]
            assert ids == sorted(ids) and all(i < before for i in ids)
            seen.update(ids)
            if not earlier["earlier"]:
                break
            before = ids[0]
        assert len(seen) == POSTS and earlier["totals"]["messages"] == POSTS


def test_a_poll_carries_only_new_posts_and_a_new_post_is_folded_in(
    web: RunningApp, big_chat: int, fresh_feeds: None
) -> None:
    with httpx.Client(base_url=web.base_url, timeout=60) as client:
        state = client.get(f"/events/{big_chat}/live.json", params={"after": 0, "limit": 500}).json()
        assert len(state["messages"]) == 500 and state["more"] is True
        state = client.get(f"/events/{big_chat}/live.json", params={"after": state["last_id"]}).json()
        assert len(state["messages"]) == 150 and state["more"] is False and state["ended"] is False
        last = state["last_id"]
        assert client.get(f"/events/{big_chat}/live.json", params={"after": last}).json()["messages"] == []
        feed = live_feed.current_feed(web.db, big_chat)
        posts_before = feed.posts
        with web.db.session() as session:
            store_messages(session, big_chat, [_post(1, "A2 a new answer, <b>escaped</b>")])
        new = wait_for(
            lambda: (s := client.get(f"/events/{big_chat}/live.json", params={"after": last}).json())["messages"] and s,
            "the new post in a poll",
        )
        assert [m["text"] for m in new["messages"]] == ["A2 a new answer, <b>escaped</b>"]
        assert new["messages"][0]["question"] == 2 and new["totals"]["messages"] == POSTS + 1
        assert new["last_id"] > last
        assert live_feed.current_feed(web.db, big_chat).posts is posts_before  # folded in, not rebuilt
        with web.db.session() as session:
            row = session.scalars(select(MessageRow).where(MessageRow.event_id == big_chat).limit(1)).one()
            row.deleted_at = datetime.now(UTC)
            removed = row.id
        after_removal = wait_for(
            lambda: (
                (s := client.get(f"/events/{big_chat}/live.json", params={"before": new["last_id"] + 1}).json())[
                    "totals"
                ]["messages"]
                == POSTS
                and s
            ),
            "the removal in a poll",
        )
        assert removed not in [m["id"] for m in after_removal["messages"]]
        assert live_feed.current_feed(web.db, big_chat).posts is not posts_before  # a removal rebuilds


def test_the_live_feed_places_posts_as_the_chat_page_does(web: RunningApp, big_chat: int) -> None:
    from analysis.report import section_numbers

    feed = live_feed.current_feed(web.db, big_chat)
    report = page_cache.built_report(web.db, big_chat).report
    assert {p["id"]: p["question"] for p in feed.posts} == {m.id: n for m, n in section_numbers(report)}
    answers = {str(n): c for n, c in ((q.number, q.answers) for q in report.stats.questions) if c}
    state = live_feed.feed_state(feed, limit=1)
    assert state["answers"] == answers and state["totals"]["contributors"] == report.stats.contributors


def test_concurrent_requests_after_a_change_build_the_report_once(
    web: RunningApp, big_chat: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with web.db.session() as session:
        session.get(Event, big_chat).status = "closed"  # type: ignore[union-attr]  # a closed chat's page waits
    builds: list[int] = []
    loaded: list[int] = []
    real_build, real_load = page_cache.build_report, page_cache.load_event

    def counting_build(snapshot: Any) -> Any:
        builds.append(len(snapshot.messages))
        return real_build(snapshot)

    def counting_load(session: Any, event_id: int, after_id: int = 0) -> Any:
        snap = real_load(session, event_id, after_id=after_id)
        loaded.append(len(snap.messages))
        return snap

    monkeypatch.setattr(page_cache, "build_report", counting_build)
    monkeypatch.setattr(page_cache, "load_event", counting_load)
    with httpx.Client(base_url=web.base_url, timeout=120) as client:
        assert client.get(f"/events/{big_chat}").status_code == 200
        assert builds == [POSTS] and loaded == [POSTS]
        with web.db.session() as session:
            store_messages(session, big_chat, [_post(2, "A3 one more")])
        answers: list[int] = []
        barrier = threading.Barrier(6)

        def visit() -> None:
            barrier.wait(timeout=30)
            answers.append(client.get(f"/events/{big_chat}").status_code)

        threads = [threading.Thread(target=visit) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert answers == [200] * 6
    assert builds == [POSTS, POSTS + 1]  # one build for six visitors
    assert loaded == [POSTS, 1]  # and it loaded only the new post


def test_the_chat_page_holds_a_first_screen_and_pages_the_transcript(web: RunningApp, big_chat: int) -> None:
    with httpx.Client(base_url=web.base_url, timeout=120) as client:
        page = client.get(f"/events/{big_chat}")
        assert page.status_code == 200 and f"Total posts: {POSTS}" in page.text
        transcript = page.text.split('id="transcript"', 1)[1]
        assert len(re.findall(r'<article class="post', transcript)) == 200
        link = re.search(r'id="transcript-more"><a href="([^"]+)"', page.text)
        assert link is not None
        shown = set(int(i) for i in re.findall(r'<article class="post[^"]*" id="m(\d+)"', transcript))
        url: str | None = link.group(1).replace("&amp;", "&")
        while url:
            rest = client.get(url)
            assert rest.status_code == 200
            ids = [int(i) for i in re.findall(r'<li class="post[^"]*" id="m(\d+)"', rest.text)]
            assert ids and not shown & set(ids)
            shown.update(ids)
            nxt = re.search(r'rel="next" href="([^"]+)"', rest.text)
            url = nxt.group(1).replace("&amp;", "&") if nxt else None
        assert len(shown) == POSTS


def test_a_running_chats_page_is_served_from_the_last_build_while_the_next_is_made(
    web: RunningApp, big_chat: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []
    real_build = page_cache.build_report
    release = threading.Event()

    def slow_build(snapshot: Any) -> Any:
        builds.append(len(snapshot.messages))
        if len(builds) > 1:
            assert release.wait(timeout=60)  # the second build waits until the test has seen the old page
        return real_build(snapshot)

    monkeypatch.setattr(page_cache, "build_report", slow_build)
    monkeypatch.setattr(page_cache, "STALE_SECONDS", 0.0)
    monkeypatch.setattr(page_cache, "STALE_FACTOR", 0.0)
    with httpx.Client(base_url=web.base_url, timeout=120) as client:
        assert f"Total posts: {POSTS}" in client.get(f"/events/{big_chat}").text
        with web.db.session() as session:
            store_messages(session, big_chat, [_post(3, "A1 while the page is read")])
        stale = client.get(f"/events/{big_chat}")  # answered from the last build, not after a new one
        assert stale.status_code == 200 and f"Total posts: {POSTS}<" in stale.text
        release.set()
        wait_for(lambda: f"Total posts: {POSTS + 1}<" in client.get(f"/events/{big_chat}").text, "the new build")
    assert builds == [POSTS, POSTS + 1]


def test_watching_a_running_chat_prepares_its_chat_page(
    web: RunningApp, big_chat: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []
    real_build = page_cache.build_report
    monkeypatch.setattr(page_cache, "build_report", lambda snap: builds.append(len(snap.messages)) or real_build(snap))
    with httpx.Client(base_url=web.base_url, timeout=120) as client:
        assert client.get(f"/events/{big_chat}/live").status_code == 200
        version = page_cache.record_version(web.db, big_chat)
        wait_for(lambda: page_cache.built_version(web.db, big_chat, version), "the chat page's analysis, made ahead")
        assert f"Total posts: {POSTS}<" in client.get(f"/events/{big_chat}").text
    assert builds == [POSTS]  # made once, ahead of the first visitor to the chat page
