"""The chat page and its files, checked as a person would: totals, every section, and no injected script."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from analysis.report import write_report
from tests.analysis.pictures import assert_drawn
from transcripts.db import Database
from transcripts.importers import import_path

SECTIONS = [
    "details", "contributors", "wheel", "word-cloud", "bio-cloud", "summary", "comments", "cpd", "transcript", "stats",
]  # fmt: skip
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=\"document.title='pwned'\">"


def _hostile_seed(seed: Path, tmp_path: Path) -> Path:
    """The seed with two posts replaced by markup that would run if it were not escaped."""
    text = seed.read_text(encoding="utf-8")
    text = text.replace("@wehcmanagers #WeHCMs\n", f"@wehcmanagers {SCRIPT} #WeHCMs\n", 1)
    text = text.replace("Oops wrong # #WeHCMs", f"Oops {IMG} #WeHCMs", 1)
    path = tmp_path / "hostile.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def seed_report(db: Database, seed_chat: Path, tmp_path: Path) -> Path:
    [(event_id, _)] = import_path(db, _hostile_seed(seed_chat, tmp_path))
    return write_report(db, event_id, tmp_path / "out")


def test_report_writes_every_file_with_the_seed_totals(seed_report: Path) -> None:
    out = seed_report.parent
    for name in ("wheel.png", "wordcloud.png"):
        assert_drawn(out / name)
    assert all(f'id="{s}"' in (out / "index.html").read_text(encoding="utf-8") for s in SECTIONS)
    assert (out / "transcript.md").read_text(encoding="utf-8").count("\n") > 171
    stats: dict[str, Any] = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert (stats["messages"], stats["contributors"], stats["reposts"]) == (171, 14, 5)
    assert [(q["number"], q["posted_at"]) for q in stats["questions"]] == [
        (1, "20:03"), (2, "20:11"), (3, "20:18"), (4, "20:26"), (5, "20:36"), (6, "20:44"),
    ]  # fmt: skip
    counts = {p["handle"]: p["posts"] for p in stats["participants"]}
    assert counts["wehcmanagers"] == 51 and counts["evelyn_prodger"] == 41
    assert stats["impressions"] is None and stats["reach"] is None
    with (out / "messages.csv").open(encoding="utf-8", newline="") as rows:
        assert len(list(csv.DictReader(rows))) == 171  # one row a message, whatever newlines the posts hold


def test_without_pictures_the_page_still_has_every_section(db: Database, seed_chat: Path, tmp_path: Path) -> None:
    [(event_id, _)] = import_path(db, seed_chat)
    index = write_report(db, event_id, tmp_path / "plain", pictures=False)
    html = index.read_text(encoding="utf-8")
    assert all(f'id="{s}"' in html for s in SECTIONS)
    assert not list((tmp_path / "plain").glob("*.png"))


@pytest.mark.browser
def test_page_in_chromium_shows_every_section_and_runs_no_injected_markup(
    seed_report: Path, browser: Any, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(seed_report.as_uri())
    for section in SECTIONS:
        assert page.locator(f"#{section}").count() == 1, section
        assert page.locator(f"#{section} h2").inner_text().strip()
    assert "Total contributors: 14" in page.locator("#stats").inner_text()
    assert "Total posts: 171" in page.locator("#stats").inner_text()
    transcript = page.locator("#transcript").inner_text()
    assert SCRIPT in transcript and "onerror" in transcript  # shown as text...
    assert page.locator("#transcript script, #transcript img").count() == 0  # ...never as markup
    assert dialogs == [] and page.title() != "pwned"
    assert page.locator("#wheel img").evaluate("img => img.naturalWidth") > 0
    shot = tmp_path / "chat-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()


def test_posts_after_the_chat_are_post_chat_comments(db: Database, seed_chat: Path, tmp_path: Path) -> None:
    text = seed_chat.read_text(encoding="utf-8")
    later = "@Lyse_e\n26 February 2020 08:15\nStill thinking about SBAR from last night #WeHCMs\n"
    text = text.replace("\n\n\n\n\xa0Stats", "\n" + later + "\n\n\n\xa0Stats").replace(
        "Total tweets: 171", "Total tweets: 172"
    )
    path = tmp_path / "with-comment.txt"
    path.write_text(text, encoding="utf-8")
    [(event_id, new)] = import_path(db, path)
    assert new == 172
    html = write_report(db, event_id, tmp_path / "c", pictures=False).read_text(encoding="utf-8")
    comments = html[html.index('id="comments"') : html.index('id="cpd"')]
    transcript = html[html.index('id="transcript"') :]
    assert "Still thinking about SBAR" in comments and "Still thinking about SBAR" not in transcript
