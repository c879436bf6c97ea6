"""The chat page in headless Chromium at 1280 px and 390 px: nothing scrolls sideways, pictures are full
width, the site's navigation and favicon are there, links and @handles are links (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from config.settings import get_settings
from tests.bot.web.conftest import RunningApp

WIDTHS = [1280, 390]


def _check_layout(page: Any, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways at {width} px ({scroll} px wide)"
    table = page.locator("#contributors-table")
    assert table.is_visible()
    box = table.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    for name in ("#word-cloud img", "#wheel img"):
        img = page.locator(name)
        section = page.locator(name.split()[0]).bounding_box()
        shown = img.bounding_box()
        assert section and shown and shown["width"] >= 0.85 * (section["width"] - 40), name
        assert page.evaluate(f"document.querySelector('{name}').naturalWidth") > 0, name
    assert page.locator("#no-followers").is_visible()
    assert "453,257" in page.locator("#published").inner_text()
    handle_link = page.locator("#transcript a[href='https://x.com/wehcmanagers']").first
    assert handle_link.is_visible() and handle_link.inner_text() == "@wehcmanagers"
    assert page.locator("#transcript a[href^='https://t.co/']").count() > 0


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_served_chat_page_fits_and_has_the_site_navigation(
    web: RunningApp, seed_event: int, browser: Any, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{web.base_url}/events/{seed_event}")
    page.wait_for_load_state("load")
    _check_layout(page, width)
    nav = page.locator("nav[aria-label=Site]")
    assert nav.get_by_role("link", name="Chat archive").is_visible()
    assert page.locator("link[rel=icon]").count() == 1
    page.goto(f"{web.base_url}/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and page.request.get(web.base_url + icon).status == 200
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_written_chat_page_fits_a_phone_and_a_desktop(
    db_url: str, seed_chat: Path, tmp_path: Path, browser: Any, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(seed_chat)]).exit_code == 0
    result = runner.invoke(app, ["report", "--latest", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    get_settings.cache_clear()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto((tmp_path / "out" / "index.html").as_uri())
    page.wait_for_load_state("load")
    _check_layout(page, width)
    assert page.locator("link[rel=icon]").get_attribute("href", timeout=5_000).startswith("data:image/svg+xml")
    context.close()
