"""The CPD form in Chromium: editable hours with how they were computed, the Code as checkboxes, drafted
and "to complete" marked, "Save" + "Download Word" downloads, and links on the address in use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document

from bot.web.app import create_app
from config.settings import Settings
from tests.bot.web.conftest import SECRET, RunningApp, local_socket, serve
from transcripts.db import Database


def _docx_text(path: Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.fixture
def web_without_base_url(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningApp]:
    """The app with WEB_BASE_URL unset, as a person running `huddlebot web --port N` has it."""
    monkeypatch.delenv("WEB_BASE_URL", raising=False)
    sock, base = local_socket()
    settings = Settings(_env_file=None, SECRET_KEY=SECRET, HUDDLEBOT_OUTPUT_DIR=str(tmp_path / "out"))  # type: ignore[call-arg]
    assert "web_base_url" not in settings.model_fields_set
    app = create_app(settings, db)
    for _ in serve(app, sock):
        yield RunningApp(base, settings, db, app)


@pytest.mark.browser
def test_hours_are_editable_the_code_is_ticked_and_marks_are_shown(
    web: RunningApp, seed_event: int, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{web.base_url}/events/{seed_event}/cpd?handle=AgencyNurse")
    page.wait_for_selector("#cpd-form", timeout=30_000)
    assert page.locator("#hours").inner_text() == "0.25"
    assert page.locator("#hours-input").input_value() == "0.25"
    assert "minimum of 15 minutes" in page.locator("#hours-basis").inner_text()
    assert page.locator("#code-themes input[type=checkbox]").count() == 4
    assert page.locator(".badge.todo").count() >= 4 and page.locator(".badge.drafted").count() >= 2
    evidence = page.locator("#evidence-link").get_attribute("href")
    assert evidence == f"{web.base_url}/events/{seed_event}"
    assert httpx.get(evidence, timeout=30).status_code == 200
    page.locator("#hours-input").fill("0.5")
    page.get_by_label("Preserve safety", exact=True).check()
    page.locator("#what_you_learned").fill("I learned from @evelyn_prodger that SBAR helps.")
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Download Word (.docx)").click()
    text = _docx_text(Path(download.value.path()))
    assert "☒ Preserve safety" in text and "☐ Prioritise people" in text
    assert "Number of hours\n0.5\n" in text
    assert "I learned from a colleague that SBAR helps." in text and "evelyn_prodger" not in text.split("Reflective")[1]
    context.close()


@pytest.mark.browser
def test_save_then_download_word_downloads_and_links_use_the_address_in_use(
    web_without_base_url: RunningApp, seed_event: int, browser: Any
) -> None:
    web = web_without_base_url
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{web.base_url}/events/{seed_event}/cpd?handle=Helen23Wilson")
    page.wait_for_selector("#cpd-form", timeout=30_000)
    page.locator("#what_you_learned").fill("Escalate early.")
    page.locator("#save").check()
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Download Word (.docx)").click()
    assert download.value.suggested_filename.endswith(".docx")
    assert "Escalate early." in _docx_text(Path(download.value.path()))
    link = page.locator("#keep-link").get_attribute("href")
    assert link is not None and link.startswith(f"{web.base_url}/events/{seed_event}/cpd?")
    context.close()


@pytest.mark.browser
def test_cpd_form_fits_a_phone(web: RunningApp, seed_event: int, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{web.base_url}/events/{seed_event}/cpd?handle=evelyn_prodger")
    page.wait_for_selector("#cpd-form", timeout=30_000)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the CPD form scrolls sideways on a phone ({width} px)"
    assert page.locator("#hours-input").is_visible() and page.locator("#code-themes").is_visible()
    context.close()


def test_portfolio_page_lists_activities_with_totals_and_exports(web: RunningApp, seed_event: int) -> None:
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        html = client.get("/cpd/portfolio", params={"handle": "@Helen23Wilson"})
        assert html.status_code == 200
        assert "25 Feb 2020" in html.text and "of the NMC&#39;s 35 hours of CPD" in html.text
        csv_body = client.get("/cpd/portfolio", params={"handle": "Helen23Wilson", "format": "csv"})
        assert csv_body.status_code == 200 and csv_body.text.splitlines()[1].startswith("2020-02-25,")
        assert f"{web.base_url}/events/{seed_event}" in csv_body.text
        docx = client.get("/cpd/portfolio", params={"handle": "Helen23Wilson", "format": "docx"})
        assert docx.status_code == 200 and docx.content[:2] == b"PK"
        assert client.get("/cpd/portfolio", params={"handle": "nobody"}).status_code == 404
        assert client.get("/cpd/portfolio", params={"handle": "x", "format": "exe"}).status_code == 400


def test_web_word_download_survives_xml_illegal_characters(web: RunningApp, seed_event: int) -> None:
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        form = {"handle": "Helen23Wilson", "what_you_learned": "learned\x0b this\x01\x1b\ufffe", "format": "docx"}
        answer = client.post(f"/events/{seed_event}/cpd", data=form, headers={"Origin": web.base_url})  # as a browser
        assert answer.status_code == 200 and answer.content[:2] == b"PK"
        path = Path(web.settings.output_dir) / "dl.docx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(answer.content)
        assert "learned this" in _docx_text(path)
