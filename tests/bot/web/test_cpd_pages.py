"""The CPD log in Chromium: pick a handle, write reflections, download .docx and Markdown; saved
reflections come back only to whoever holds the key."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document
from playwright.sync_api import expect
from sqlalchemy import select

from tests.bot.web.conftest import RunningApp, sign_in
from tests.bot.web.huddle_data import T_OURS, add_huddles
from transcripts.models import CPDEntry, Definition, Event

LEARNED = "Escalating early <script>alert('x')</script> beats waiting & hoping."
CHANGED = "I now say which OPEL level we are at in every handover."


def _docx_text(path: Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.mark.browser
def test_cpd_log_is_prefilled_filled_in_and_downloaded_as_docx(
    web: RunningApp, seed_event: int, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{web.base_url}/events/{seed_event}")
    page.get_by_role("link", name="CPD log for @evelyn_prodger").click()
    page.wait_for_selector("#cpd-form", timeout=30_000)
    assert page.locator("#hours").inner_text() == "1"
    assert page.locator("#contributions li").count() == 41
    assert page.locator("#record ol.questions li").count() == 6
    assert "Participatory learning" in page.locator("#nature_of_activity").input_value()
    page.locator("#what_you_learned").fill(LEARNED)
    page.locator("#how_you_changed_practice").fill(CHANGED)
    page.locator("#relevance_to_code").fill("Preserve safety")
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Download Word (.docx)").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.suffix == ".docx"
    text = _docx_text(target)
    assert LEARNED in text and CHANGED in text and "Preserve safety" in text and "@evelyn_prodger" in text
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Download Markdown").click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert "I now say which OPEL level" in markdown and "<script>" not in markdown
    with web.db.session() as session:
        assert session.scalars(select(CPDEntry)).all() == []  # not asked to save: nothing kept
    assert dialogs == []
    context.close()


@pytest.mark.browser
def test_saved_reflections_come_back_only_with_the_key(web: RunningApp, seed_event: int, browser: Any) -> None:
    owner = browser.new_context(accept_downloads=True)
    page = owner.new_page()
    cpd_url = f"{web.base_url}/events/{seed_event}/cpd"
    page.goto(cpd_url)
    page.locator("#handle").select_option("evelyn_prodger")
    page.get_by_role("button", name="Open my CPD log").click()
    page.wait_for_selector("#cpd-form", timeout=30_000)
    page.locator("#what_you_learned").fill(LEARNED)
    page.locator("#save").check()
    with page.expect_download(timeout=30_000) as saved_download:  # saving does not swallow the download
        page.get_by_role("button", name="Download Markdown").click()
    assert "beats waiting & hoping." in Path(saved_download.value.path()).read_text(encoding="utf-8")
    link = page.locator("#keep-link").get_attribute("href")
    assert link and "#key=" in link and "?key" not in link  # the key never goes to the server in a URL
    key = link.split("#key=", 1)[1]
    with web.db.session() as session:
        [entry] = session.scalars(select(CPDEntry)).all()
        assert entry.owner_key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert entry.reflections["what_you_learned"] == LEARNED
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Download Word (.docx)").click()
    assert LEARNED in _docx_text(Path(download.value.path()))
    page.goto(f"{cpd_url}?handle=evelyn_prodger")  # same browser: the cookie holds the key
    assert page.locator("#what_you_learned").input_value() == LEARNED

    stranger = browser.new_context()
    other = stranger.new_page()
    other.goto(f"{cpd_url}?handle=evelyn_prodger")
    assert other.locator("#what_you_learned").input_value() == ""
    other.locator("#open-saved summary").click()
    other.locator("#key").fill("not-the-key")
    with other.expect_response(lambda r: r.url.endswith("/cpd/open")) as refused:
        other.get_by_role("button", name="Open my reflections").click()
    assert refused.value.status == 403 and LEARNED not in other.content()
    other.goto(link)  # the kept link: its #key is filled in, and used once the person chooses to
    expect(other.locator("#key-link-notice")).to_be_visible(timeout=15_000)
    other.get_by_role("button", name="Open my reflections").click()
    expect(other.locator("#what_you_learned")).to_have_value(LEARNED, timeout=15_000)
    assert "key" not in other.url
    owner.close()
    stranger.close()

    with httpx.Client(base_url=web.base_url, timeout=30, headers={"Origin": web.base_url}) as client:
        overwrite = client.post(  # someone else saving for the same handle gets an entry of their own
            f"/events/{seed_event}/cpd",
            data={"handle": "evelyn_prodger", "what_you_learned": "mine now", "save": "yes"},
        )
        assert overwrite.status_code == 200 and LEARNED not in overwrite.text
        fresh = httpx.Client(base_url=web.base_url, timeout=30, headers={"Origin": web.base_url})
        with fresh:
            peek = fresh.post(f"/events/{seed_event}/cpd/download", data={"handle": "evelyn_prodger", "format": "md"})
        assert peek.status_code == 403 and LEARNED not in peek.text
    with web.db.session() as session:
        owners = session.scalars(
            select(CPDEntry).where(CPDEntry.owner_key_hash == hashlib.sha256(key.encode()).hexdigest())
        )
        assert owners.one().reflections["what_you_learned"] == LEARNED


def test_cpd_for_someone_who_did_not_take_part_is_not_found(web: RunningApp, seed_event: int) -> None:
    with httpx.Client(base_url=web.base_url, timeout=30, headers={"Origin": web.base_url}) as client:
        assert client.get(f"/events/{seed_event}/cpd", params={"handle": "nobody_here"}).status_code == 404
        response = client.post(f"/events/{seed_event}/cpd", data={"handle": "evelyn_prodger", "format": "pdf"})
        assert response.status_code == 400


def _offer_cpd_logs(web: RunningApp, offered: bool) -> None:
    """Set the huddle definition's `cpd_logs`, as a manager editing it would."""
    with web.db.session() as session:
        definition = session.scalars(select(Definition)).one()
        definition.body = {**definition.body, "cpd_logs": offered}


def test_a_huddle_that_offers_no_cpd_logs_does_not_invite_its_members_to_log_it(web: RunningApp) -> None:
    """A daily huddle is everyday practice, which the NMC does not count as CPD: unless its definition
    says `cpd_logs: true`, its page must not tell a registrant it "counts as participatory learning",
    nor link to logs that would only answer 404."""
    huddles = add_huddles(web.db)
    _offer_cpd_logs(web, False)
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        sign_in(client, web, "U2", T_OURS)
        page = client.get(f"/events/{huddles.ours}")
        assert page.status_code == 200 and "Ward 7 safety huddle" in page.text
        assert 'id="cpd"' not in page.text and "participatory learning" not in page.text
        assert "/cpd?handle=" not in page.text
        assert client.get(f"/events/{huddles.ours}/cpd", params={"handle": "sam.nurse"}).status_code == 404


def test_turning_a_huddles_cpd_logs_off_takes_the_invitation_off_its_page_at_once(web: RunningApp) -> None:
    """The page is cached per version of the record; a change to the huddle itself (its definition's
    `cpd_logs`, its title) is a new version as much as a new reply is, or a manager who turns CPD logs
    off would leave the page telling registrants the huddle counts for revalidation."""
    huddles = add_huddles(web.db)
    _offer_cpd_logs(web, True)
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        sign_in(client, web, "U2", T_OURS)
        page = client.get(f"/events/{huddles.ours}")
        assert page.status_code == 200 and 'id="cpd"' in page.text and "/cpd?handle=" in page.text
        _offer_cpd_logs(web, False)
        with web.db.session() as session:
            session.get(Event, huddles.ours).title = "Ward 7 safety huddle (renamed)"
        page = client.get(f"/events/{huddles.ours}")
        assert page.status_code == 200 and "Ward 7 safety huddle (renamed)" in page.text
        assert 'id="cpd"' not in page.text and "participatory learning" not in page.text
        assert "/cpd?handle=" not in page.text
