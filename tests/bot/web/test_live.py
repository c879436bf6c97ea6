"""The live view: a post captured while the page is open appears under its question within 5 seconds."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

from tests.bot.web.conftest import RunningApp
from tests.bot.web.huddle_data import HOSTILE
from transcripts.message import Author, Message
from transcripts.models import Event
from transcripts.store import store_messages


def _set_status(web: RunningApp, event_id: int, status: str) -> None:
    with web.db.session() as session:
        session.get(Event, event_id).status = status  # type: ignore[union-attr]


@pytest.mark.browser
def test_a_captured_post_appears_under_its_question_within_5_seconds(
    web: RunningApp, seed_event: int, browser: Any
) -> None:
    _set_status(web, seed_event, "running")  # imported as closed; the live view follows a running chat
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{web.base_url}/events/{seed_event}/live")
    assert page.locator("#total-messages").inner_text() == "171"
    assert page.locator("#q-3 .answer-count").inner_text() != ""
    before = int(page.locator("#q-3 .answer-count").inner_text())
    with web.db.session() as session:
        starts = session.get(Event, seed_event).starts_at  # type: ignore[union-attr]
    text = "A3 escalate early and say what you need " + HOSTILE
    post = Message(
        "x", "live-999", "#WeHCMs", Author("x", "u-live", "late_joiner", name="Late Joiner"), text,
        starts + timedelta(minutes=25),
    )  # fmt: skip
    with web.db.session() as session:
        assert store_messages(session, seed_event, [post]) == 1
    captured = time.monotonic()
    shown = page.locator("#q-3 li.post", has_text="escalate early and say what you need")
    shown.wait_for(timeout=5_000)
    elapsed = time.monotonic() - captured
    assert elapsed < 5, elapsed
    assert "@late_joiner" in shown.inner_text() and "<script>" in shown.inner_text()
    assert page.locator("#q-3 li.post img, #q-3 li.post script").count() == 0
    page.wait_for_function("() => document.getElementById('total-messages').textContent === '172'", timeout=5_000)
    assert int(page.locator("#q-3 .answer-count").inner_text()) == before + 1
    assert page.locator("#total-contributors").inner_text() == "15"
    assert "@wehcmanagers (51)" in page.locator("#top").inner_text()
    assert dialogs == [] and page.title() != "pwned"
    page.close()


def _polls(page: Any) -> list[str]:
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/live.json" in r.url and "before=" not in r.url else None)
    return polls


@pytest.mark.browser
def test_the_live_view_of_a_closed_chat_says_it_ended_and_does_not_poll(
    web: RunningApp, seed_event: int, browser: Any
) -> None:
    page = browser.new_page()
    polls = _polls(page)
    page.goto(f"{web.base_url}/events/{seed_event}/live")
    ended = page.locator("#ended")
    assert ended.is_visible() and "has ended" in ended.inner_text()
    assert ended.get_by_role("link").get_attribute("href") == f"/events/{seed_event}"
    assert page.locator("#live").get_attribute("data-polling") == "false"
    assert page.locator("#total-messages").inner_text() == "171"
    page.wait_for_timeout(3 * 2_000)  # three poll intervals: a page that polled would have by now
    assert polls == []
    page.close()


@pytest.mark.browser
def test_a_chat_that_closes_while_watched_says_so_and_stops_polling(
    web: RunningApp, seed_event: int, browser: Any
) -> None:
    _set_status(web, seed_event, "running")
    page = browser.new_page()
    polls = _polls(page)
    page.goto(f"{web.base_url}/events/{seed_event}/live")
    assert not page.locator("#ended").is_visible()
    page.wait_for_function("() => document.getElementById('live').dataset.polling === 'true'", timeout=5_000)
    _set_status(web, seed_event, "closed")
    page.locator("#ended").wait_for(state="visible", timeout=15_000)
    page.wait_for_function("() => document.getElementById('live').dataset.polling === 'false'", timeout=5_000)
    stopped_at = len(polls)
    page.wait_for_timeout(3 * 2_000)
    assert len(polls) == stopped_at
    page.close()
