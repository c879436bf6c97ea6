"""The archive and the chat page, in headless Chromium: the seed chat is listed, searchable, and its page
shows every section with the seed's own totals; upcoming chats show in the visitor's own time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from analysis.activity import MAX_ROWS
from bot.web.page_cache import built_report
from tests.analysis.spans import SHAPES, store_shape
from tests.bot.web.conftest import RunningApp
from transcripts.models import Event, MessageRow, Prompt

SECTIONS = ["details", "contributors", "wheel", "word-cloud", "bio-cloud", "summary", "cpd", "transcript", "stats"]


def _upcoming_chat(web: RunningApp) -> tuple[int, datetime]:
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(hour=19, minute=0, second=0, microsecond=0)
    with web.db.session() as session:
        event = Event(
            kind="chat",
            title="Safe staffing",
            hashtag="#WeNurses",
            host="wenurses",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            timezone="Europe/London",
            status="scheduled",
            platforms=["x"],
        )
        session.add(event)
        session.flush()
        session.add(Prompt(event_id=event.id, kind="question", number=1, text="What does safe staffing mean to you?",
                           due_at=starts + timedelta(minutes=5)))  # fmt: skip
        return event.id, starts


@pytest.mark.browser
def test_archive_lists_the_seed_chat_and_upcoming_chats_in_the_visitors_zone(
    web: RunningApp, seed_event: int, browser: Any
) -> None:
    _, starts = _upcoming_chat(web)
    context = browser.new_context(timezone_id="Pacific/Auckland")
    page = context.new_page()
    page.goto(web.base_url + "/")
    page.wait_for_url("**tz=Pacific*", timeout=15_000)  # the page asked for the browser's own zone
    chats = page.locator("#chats").inner_text()
    assert "#WeHCMs Escalation" in chats and "171" in chats
    assert "26 Feb 2020 09:00" in chats and "(20:00 Europe/London)" in chats  # the visitor's time, and the chat's
    upcoming = page.locator("#upcoming").inner_text()
    local = starts.astimezone(ZoneInfo("Pacific/Auckland"))
    assert local.strftime("%A %d %B %Y, %H:%M") in upcoming
    assert "What does safe staffing mean to you?" in upcoming
    assert (starts + timedelta(minutes=5)).astimezone(ZoneInfo("Pacific/Auckland")).strftime("%H:%M") in upcoming
    page.get_by_role("link", name="#WeHCMs Escalation").click()
    page.wait_for_url(f"**/events/{seed_event}", timeout=30_000)
    for section in SECTIONS:
        assert page.locator(f"#{section} h2").count() == 1, section
    stats = page.locator("#stats").inner_text()
    assert "Total contributors: 14" in stats and "Total posts: 171" in stats
    assert page.locator("#details ol.questions li").count() == 6
    assert page.locator("#contributors tbody tr").count() == 14
    assert page.locator("#transcript article.post").count() == 171
    for picture in ("#wheel img", "#word-cloud img", "#contributors img"):  # the seed has no bios to cloud
        page.locator(picture).wait_for(timeout=15_000)
        assert page.locator(picture).evaluate("img => img.complete && img.naturalWidth") > 0, picture
    assert page.locator("#cpd a", has_text="CPD log for @evelyn_prodger").count() == 1
    context.close()


def test_archive_search_by_hashtag_title_and_date(web: RunningApp, seed_event: int) -> None:
    _upcoming_chat(web)
    with httpx.Client(base_url=web.base_url, timeout=30) as client:

        def listed(**params: str) -> str:
            response = client.get("/", params={"tz": "Europe/London", **params})
            assert response.status_code == 200
            return response.text.split('id="chats"', 1)[1]

        assert "Escalation" in listed(hashtag="wehcms") and "Safe staffing" not in listed(hashtag="wehcms")
        assert "Safe staffing" in listed(q="staffing") and "Escalation" not in listed(q="staffing")
        assert "Escalation" in listed(date="2020-02-25") and "Escalation" not in listed(date="2020-02-26")
        assert client.get("/", params={"tz": "Mars/Olympus"}).status_code == 400


def test_pictures_are_drawn_once_per_version_and_redrawn_after_a_change(web: RunningApp, seed_event: int) -> None:
    """The page links its pictures without waiting for them; the first picture request draws the version's set."""
    drawings = Path(web.settings.output_dir) / "web"

    def wheel_of(client: httpx.Client, html: str) -> httpx.Response:
        src = re.search(r'id="wheel".*?<img src="([^"]+)"', html, re.S)
        assert src is not None
        return client.get(src.group(1).replace("&amp;", "&"))

    with httpx.Client(base_url=web.base_url, timeout=60) as client:
        first = client.get(f"/events/{seed_event}")
        assert first.status_code == 200 and wheel_of(client, first.text).status_code == 200
        before = sorted(drawings.glob("event-*/*"))
        assert len(before) == 1
        assert client.get(f"/events/{seed_event}").text == first.text
        assert wheel_of(client, first.text).status_code == 200
        assert sorted(drawings.glob("event-*/*")) == before  # served from the cache, nothing redrawn
        with web.db.session() as session:
            row = session.scalars(select(MessageRow).where(MessageRow.event_id == seed_event).limit(1)).one()
            row.deleted_at = datetime.now(UTC)
        second = client.get(f"/events/{seed_event}")
        assert "Total posts: 170" in second.text
        wheel = wheel_of(client, second.text)
        assert wheel.status_code == 200 and wheel.headers["content-type"] == "image/png"
        after = sorted(drawings.glob("event-*/*"))
        assert len(after) == 1 and after != before


def test_a_stored_post_dated_9999_makes_a_small_chat_page_not_a_hang(web: RunningApp) -> None:
    """One wild date in the record: the page, its timeline and the stats API are bounded by the posts."""
    event_id = store_shape(web.db, SHAPES["a chat and one post dated 9999-12-31"], timezone="Europe/London")
    with httpx.Client(base_url=web.base_url, timeout=120) as client:
        response = client.get(f"/events/{event_id}")
        assert response.status_code == 200
        assert len(response.content) < 2_000_000 and "Total posts: 171" in response.text
        src = re.search(r'<img src="([^"]+timeline[^"]+)"', response.text)
        assert src is not None
        timeline = client.get(src.group(1).replace("&amp;", "&"))
        assert timeline.status_code == 200 and len(timeline.content) < 400_000
        assert client.get(f"/api/chats/{event_id}/stats").json()["messages"] == 171
    assert len(built_report(web.db, event_id).report.stats.activity) <= MAX_ROWS


def _chat_on(web: RunningApp, starts: datetime, title: str, status: str = "closed") -> int:
    with web.db.session() as session:
        event = Event(
            kind="chat", title=title, hashtag="#WeEdge", host="edge", starts_at=starts, ends_at=starts,
            timezone="Pacific/Auckland", status=status, platforms=["x"],
        )  # fmt: skip
        session.add(event)
        session.flush()
        session.add(Prompt(event_id=event.id, kind="question", number=1, text="Edge?", due_at=starts))
        return event.id


@pytest.mark.parametrize(
    "query",
    [
        {"date": "9999-12-31"},
        {"date": "9999-12-31", "tz": "Pacific/Kiritimati"},
        {"date": "0001-01-01", "tz": "America/Adak"},
        {"date": "0001-01-01", "tz": "Asia/Tokyo"},
        {"date": "0001-01-01"},
    ],
)
def test_dates_at_the_calendars_ends_answer_an_empty_list_never_500(web: RunningApp, query: dict[str, str]) -> None:
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        page = client.get("/", params=query)
        assert page.status_code == 200, page.text
        assert "No chats match." in page.text
        api = client.get("/api/chats", params=query)
        assert api.status_code == 200 and api.json() == [], api.text


def test_chats_stored_at_the_ends_of_the_calendar_are_listed_not_fatal(web: RunningApp) -> None:
    """Older records may hold any date: every visitor's archive still answers, and search finds them."""
    earliest = _chat_on(web, datetime(1, 1, 1, 0, 30, tzinfo=UTC), "Year one")
    latest = _chat_on(web, datetime(9999, 12, 31, 23, 0, tzinfo=UTC), "Year 9999", status="scheduled")
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        for zone in ("Europe/London", "America/New_York", "America/Adak", "Pacific/Auckland", "UTC"):
            page = client.get("/", params={"tz": zone})
            assert page.status_code == 200, (zone, page.text)
            assert f'href="/events/{earliest}"' in page.text and f'href="/events/{latest}"' in page.text
            assert "Year 9999" in page.text.split('id="upcoming"', 1)[1].split("</section>", 1)[0]
            api = client.get("/api/chats", params={"tz": zone})
            assert api.status_code == 200 and {c["id"] for c in api.json()} >= {earliest, latest}
        found = client.get("/api/chats", params={"date": "0001-01-01", "tz": "UTC"}).json()
        assert [c["id"] for c in found] == [earliest]
        found = client.get("/api/chats", params={"date": "9999-12-31", "tz": "UTC"}).json()
        assert [c["id"] for c in found] == [latest]
        assert client.get(f"/events/{earliest}/live").status_code == 200
