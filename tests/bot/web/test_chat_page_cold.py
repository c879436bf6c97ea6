"""A large chat's page, before anything has analysed it, over HTTP on uvicorn (issue 16.2: cold under 2 s).

Its first visitor does not wait for the analysis: the page answers at once with what SQL gives (details,
questions, totals by the analysed page's rules, the first posts, escaped) and a meta refresh, while the
analysis runs in the background, once however many ask; then the same address serves the full page.
Its transcript pages and pictures do not wait either. Visibility is unchanged: a private chat is refused.

The analysis is held on a threading.Event (the build function is the seam), so nothing here is timed; the
size above which a record is analysed in the background is lowered so the seed chat counts as large.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import bot.web.page_cache as page_cache
from tests.analysis.spans import START, store_shape
from tests.bot.web.conftest import RunningApp
from tests.fakes.waiting import wait_for
from transcripts.message import Author, Message
from transcripts.models import Event, MessageRow
from transcripts.store import store_messages

INJECTED = "A1 <script>alert('cold')</script> & <b>bold</b>"
FULL = 'id="summary-h"'  # only the analysed page has the summary


@pytest.fixture
def held_build(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[int], threading.Event]]:
    """Every analysis waits for the test's release; the posts each one analysed are listed."""
    builds: list[int] = []
    release = threading.Event()
    real_build = page_cache.build_report

    def held(snapshot: Any) -> Any:
        builds.append(len(snapshot.messages))
        assert release.wait(timeout=120), "the test never released the analysis"
        return real_build(snapshot)

    monkeypatch.setattr(page_cache, "build_report", held)
    monkeypatch.setattr(page_cache, "ANALYSE_IN_REQUEST_UP_TO", 100)  # the seed's 171 posts: a large chat
    try:
        yield builds, release
    finally:
        release.set()


@pytest.fixture
def large_chat(web: RunningApp, seed_event: int) -> int:
    """The seed chat with a post that tries to inject markup, and one post deleted by its author."""
    with web.db.session() as session:
        event = session.get(Event, seed_event)
        assert event is not None
        post = Message(
            "x", "cold-1", "#WeHCMs", Author("x", "cold-author", "cold_author"), INJECTED,
            event.starts_at + timedelta(minutes=7),
        )  # fmt: skip
        store_messages(session, seed_event, [post])
    with web.db.session() as session:
        row = session.scalars(
            select(MessageRow).where(MessageRow.event_id == seed_event).order_by(MessageRow.id).limit(1)
        ).one()
        assert row.platform_id != "cold-1"  # one of the seed's posts
        row.deleted_at = datetime.now(UTC)
    return seed_event


def _totals(html: str) -> tuple[int, int]:
    found = re.search(r"Total contributors: (\d+)<br>\s*Total posts: (\d+)", html)
    assert found is not None, "no totals on the page"
    return int(found.group(1)), int(found.group(2))


def _post_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="post[^"]*" id="m(\d+)"', html)]


def test_the_first_request_answers_at_once_and_the_same_address_serves_the_full_page_when_analysed(
    web: RunningApp, large_chat: int, held_build: tuple[list[int], threading.Event]
) -> None:
    builds, release = held_build
    with httpx.Client(base_url=web.base_url, timeout=60, headers={"Accept": "text/html"}) as client:
        cold = client.get(f"/events/{large_chat}")
        assert cold.status_code == 200
        assert wait_for(lambda: builds, "the analysis, started in the background") == [171]
        assert "The analysis of this chat's 171 posts is being prepared: this page will refresh itself." in cold.text
        assert '<meta http-equiv="refresh" content="5">' in cold.text and "<script" not in cold.text
        assert cold.headers["cache-control"] == "no-store"
        for section in ("summary", "wheel", "word-cloud", "bio-cloud", "contributors", "cpd"):
            assert f'id="{section}"' not in cold.text, section
        assert _totals(cold.text) == (15, 171) and 'id="deleted-note">(not counting 1 deleted' in cold.text
        assert "#WeHCMs — Tuesday 25 February 2020 20:00 (Europe/London) Escalation" in cold.text
        assert len(re.findall(r"<li value=\"\d\">", cold.text)) == 6  # the questions, from the record
        assert "A1 &lt;script&gt;alert(&#39;cold&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in cold.text
        shown = _post_ids(cold.text)
        assert len(shown) == 171 and len(set(shown)) == 171

        again = client.get(f"/events/{large_chat}")  # a second visitor while the analysis runs: no second one
        assert again.status_code == 200 and "is being prepared" in again.text and builds == [171]
        transcript = client.get(f"/events/{large_chat}/transcript")
        assert transcript.status_code == 200 and 'id="preparing"' in transcript.text
        assert _post_ids(transcript.text) == shown and "&lt;script&gt;" in transcript.text
        assert "posts 1–171 of 171" in transcript.text
        picture = client.get(f"/events/{large_chat}/pictures/wheel.png")
        assert picture.status_code == 503 and picture.headers["retry-after"] == "5"

        release.set()
        full = wait_for(
            lambda: FULL in (r := client.get(f"/events/{large_chat}")).text and r, "the full page at the same address"
        )
        assert full.status_code == 200 and "is being prepared" not in full.text
        assert _totals(full.text) == _totals(cold.text)  # the cold page's totals were the analysed page's
        assert "A1 &lt;script&gt;alert(&#39;cold&#39;)&lt;/script&gt;" in full.text
        analysed = client.get(f"/events/{large_chat}/transcript")
        assert 'id="preparing"' not in analysed.text and "Q1." in analysed.text
        assert sorted(_post_ids(analysed.text)) == sorted(shown)  # the same posts, now under their questions
    assert builds == [171]


def test_a_private_chat_is_refused_to_a_stranger_before_anything_is_prepared(
    web: RunningApp, large_chat: int, held_build: tuple[list[int], threading.Event]
) -> None:
    builds, _ = held_build
    with web.db.session() as session:
        event = session.get(Event, large_chat)
        assert event is not None
        event.workspace = "T0SOMEONE"
    with httpx.Client(base_url=web.base_url, timeout=60, headers={"Accept": "text/html"}) as client:
        for path in ("", "/transcript", "/pictures/wheel.png"):
            response = client.get(f"/events/{large_chat}{path}")
            assert response.status_code == 401, path
            assert "&lt;script&gt;" not in response.text and "Total posts" not in response.text, path
        assert client.get(f"/events/{large_chat + 1000}").status_code == 404
    assert builds == []  # nothing analysed for a visitor who may not see it


def test_a_running_chats_transcript_pages_keep_their_order_when_the_analysis_arrives(
    web: RunningApp, held_build: tuple[list[int], threading.Event]
) -> None:
    """Posts timed to the second: the order posted is the analysed transcript's order, so paging stays put."""
    builds, release = held_build
    chat = store_shape(web.db, [START + timedelta(seconds=5 * i) for i in range(650)], status="running")

    def pages(client: httpx.Client) -> list[int]:
        ids: list[int] = []
        for start in (0, 500):
            response = client.get(f"/events/{chat}/transcript", params={"start": start})
            assert response.status_code == 200
            ids += _post_ids(response.text)
        return ids

    with httpx.Client(base_url=web.base_url, timeout=60, headers={"Accept": "text/html"}) as client:
        cold_page = client.get(f"/events/{chat}")
        assert "The analysis of this chat's 650 posts is being prepared" in cold_page.text
        assert f'href="/events/{chat}/transcript?start=200"' in cold_page.text
        cold = pages(client)
        assert len(cold) == 650 and _post_ids(cold_page.text) == cold[:200]
        release.set()
        wait_for(lambda: FULL in client.get(f"/events/{chat}").text, "the full page at the same address")
        assert pages(client) == cold
    assert builds == [650]


def test_the_stats_api_and_a_cpd_log_do_not_wait_for_a_large_chats_first_analysis(
    web: RunningApp, large_chat: int, held_build: tuple[list[int], threading.Event]
) -> None:
    """A script asking for the stats, and a nurse opening their CPD log, are told at once that the analysis
    is being prepared (503 with Retry-After; the person's page refreshes itself) instead of holding a
    request open for the whole analysis; one analysis serves them all, and then both answer in full."""
    builds, release = held_build
    stats_url, cpd_url = f"/api/chats/{large_chat}/stats", f"/events/{large_chat}/cpd?handle=AgencyNurse"
    with httpx.Client(base_url=web.base_url, timeout=60) as client:
        stats = client.get(stats_url)
        assert stats.status_code == 503 and stats.headers["retry-after"] == "5"
        assert "being prepared" in stats.json()["detail"]
        log = client.get(cpd_url, headers={"Accept": "text/html"})
        assert log.status_code == 503 and log.headers["retry-after"] == "5"
        assert '<meta http-equiv="refresh" content="5">' in log.text and "being prepared" in log.text
        assert log.headers["cache-control"] == "no-store"
        assert wait_for(lambda: builds, "the analysis, started in the background") == [171]

        release.set()
        ready = wait_for(lambda: (r := client.get(stats_url)).status_code == 200 and r, "the stats once analysed")
        assert ready.json()["contributors"] == 15 and ready.json()["messages"] == 171
        full_log = client.get(cpd_url, headers={"Accept": "text/html"})
        assert full_log.status_code == 200 and "AgencyNurse" in full_log.text
    assert builds == [171]
