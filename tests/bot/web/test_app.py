"""Every page, in Chromium, with markup in titles, questions, posts, names, bios, escalations and
reflections: all of it shows as text, none of it runs, and every response carries a no-inline-script CSP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.web.auth import signin_link
from tests.bot.web.conftest import RunningApp
from tests.bot.web.huddle_data import HOSTILE, T_OURS, add_huddles
from transcripts.message import Author, Message
from transcripts.models import Event, Prompt
from transcripts.store import store_messages

ATTACKS = [
    HOSTILE,
    '"><svg onload="document.title=\'pwned\'">',
    "javascript:alert(1)",
    "</textarea><script>alert('t')</script>",
]


def _hostile_chat(web: RunningApp) -> int:
    starts = datetime(2024, 5, 1, 19, 0, tzinfo=UTC)
    with web.db.session() as session:
        event = Event(kind="chat", title="Markup " + ATTACKS[1], topic=ATTACKS[0], hashtag="#WeTest",
                      host="host", starts_at=starts, ends_at=starts + timedelta(hours=1), timezone="Europe/London",
                      status="closed", platforms=["x"])  # fmt: skip
        session.add(event)
        session.flush()
        session.add(Prompt(event_id=event.id, kind="question", number=1, text="Q1 " + ATTACKS[3],
                           due_at=starts + timedelta(minutes=2), posted_at=starts + timedelta(minutes=2)))  # fmt: skip
        people = [Author("x", f"u{i}", f"nurse{i}", name=a, bio=a) for i, a in enumerate(ATTACKS)]
        store_messages(session, event.id, [
            Message("x", f"p{i}", "#WeTest", people[i % len(people)], f"A1 {a} @nurse{(i + 1) % 4} #WeTest",
                    starts + timedelta(minutes=3 + i), urls=(ATTACKS[2],))
            for i, a in enumerate(ATTACKS * 3)
        ])  # fmt: skip
        return event.id


@pytest.mark.browser
def test_no_user_text_runs_as_script_on_any_page(web: RunningApp, browser: Any) -> None:
    chat = _hostile_chat(web)
    huddles = add_huddles(web.db)
    context = browser.new_context(accept_downloads=True, timezone_id="Europe/London")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(f"{web.base_url}/events/{chat}/cpd?handle=nurse0")
    page.locator("#what_you_learned").fill(ATTACKS[3] + ATTACKS[0])
    page.locator("#save").check()
    with page.expect_download(timeout=30_000):  # the saved page starts it: the next goto would race it
        page.get_by_role("button", name="Download Markdown").click()
    page.locator("#keep-link").wait_for()
    page.goto(signin_link(web.settings, "U2", T_OURS))
    page.get_by_role("button", name="Continue to the dashboard").click()  # the link only asks
    page.wait_for_url("**/dashboard")

    pages = [
        "/?tz=Europe/London",
        f"/events/{chat}",
        f"/events/{chat}/live",
        f"/events/{chat}/cpd",
        f"/events/{chat}/cpd?handle=nurse0",
        "/dashboard",
        f"/events/{huddles.ours}",
        f"/events/{huddles.ours}/live",
        f"/events/{huddles.ours}/cpd?handle=sam.nurse",
    ]
    for url in pages:
        response = page.goto(web.base_url + url)
        assert response is not None and response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"], url
        page.wait_for_load_state("load")
        assert page.title() != "pwned", url
        assert page.evaluate("() => document.querySelectorAll('main script, main svg, main img[src=x]').length") == 0, (
            url
        )
        injected = page.evaluate(
            "() => [...document.querySelectorAll('[onerror],[onload],a[href^=javascript]')].map(e => e.outerHTML)"
        )
        assert injected == [], url
    page.goto(f"{web.base_url}/events/{chat}/cpd?handle=nurse0")
    assert page.locator("#what_you_learned").input_value() == ATTACKS[3] + ATTACKS[0]
    page.goto(f"{web.base_url}/events/{chat}")
    assert ATTACKS[0] in page.locator("#transcript").inner_text()
    assert dialogs == [] and violations == []  # nothing even tried to run and got blocked
    context.close()


def test_every_response_carries_the_security_headers(web: RunningApp) -> None:
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        for url in ("/", "/api/chats", "/static/style.css", "/dashboard", "/events/999"):
            response = client.get(url)
            assert "default-src 'none'" in response.headers["content-security-policy"], url
            assert response.headers["x-content-type-options"] == "nosniff", url
