"""A large chat's report pages its transcript: the chat page holds the first posts, transcript-2.html… the rest.

Run through `huddlebot import` and `huddlebot report`. Together the pages hold every post exactly once,
escaped, in the order the one-page report would show them (deleted posts' places included), and each
page links to the next; a smaller report written into the same folder afterwards leaves no old page behind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from analysis.report import FIRST_SCREEN, PAGE_ENTRIES, PAGED_OVER, build_report, render_page
from benchmarks.generate_x_chat import generate
from bot.cli import app
from config.settings import get_settings
from transcripts.db import Database
from transcripts.models import Event, MessageRow
from transcripts.snapshot import load_event

POSTS = 12_000
SCRIPT = "<script>alert(1)</script> & <b>bold</b>"
NEXT = re.compile(r'<a href="(transcript-\d+\.html)"(?: rel="next")?>(?:Next part|The rest of the transcript)')
ENTRY = re.compile(r'<article class="post[^"]*" id="m(\d+)">|<p class="post deleted muted"><span class="muted">([^<]*)')


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _section(html: str, name: str) -> str:
    start = html.index(f'<section id="{name}"')
    return html[start : html.index("</section>", start)]


def _entries(html: str) -> list[str]:
    """The transcript's entries in order: a post's id, or `deleted HH:MM` for a deleted post's place."""
    return [m.group(1) or f"deleted {m.group(2)}" for m in ENTRY.finditer(html)]


def _large_chat(cli: CliRunner, db: Database, folder: Path) -> tuple[int, set[str]]:
    """A generated chat with markup in some posts, some deleted, and its last minutes after the chat's end."""
    done = cli.invoke(app, ["import", str(generate(POSTS, folder / "chat.jsonl"))])
    assert done.exit_code == 0, done.output
    event_id = int(done.stdout.split("\t")[0])
    with db.session() as session:
        rows = select(MessageRow.id).where(MessageRow.event_id == event_id).order_by(MessageRow.id)
        ids = list(session.scalars(rows))
        session.execute(update(MessageRow).where(MessageRow.id.in_(ids[3::53])).values(text=SCRIPT))
        deleted = ids[10::401]
        session.execute(update(MessageRow).where(MessageRow.id.in_(deleted)).values(deleted_at=MessageRow.created_at))
        event = session.get(Event, event_id)
        assert event is not None and event.ends_at is not None
        event.ends_at -= timedelta(minutes=2)
    return event_id, {str(i) for i in set(ids) - set(deleted)}


def test_a_large_chats_pages_hold_every_post_once_escaped_in_order_each_linking_the_next(
    cli: CliRunner, db: Database, seed_chat: Path, tmp_path: Path
) -> None:
    event_id, shown = _large_chat(cli, db, tmp_path)
    out = tmp_path / "out"

    done = cli.invoke(app, ["report", str(event_id), "--no-pictures", "--out", str(out)])

    assert done.exit_code == 0, done.output
    with db.session() as session:
        one_page = render_page(build_report(load_event(session, event_id)), {})
    expected = _entries(_section(one_page, "transcript"))
    assert len(expected) > PAGED_OVER
    index = (out / "index.html").read_text(encoding="utf-8")
    comments = _entries(_section(index, "comments"))
    assert comments and comments == _entries(_section(one_page, "comments"))
    pages, seen, name = [], [], "index.html"
    while name:
        html = (out / name).read_text(encoding="utf-8")
        pages.append(name)
        seen += _entries(_section(html, "transcript"))
        assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
        found = NEXT.search(html)
        name = found.group(1) if found else ""
        if found:
            assert name == f"transcript-{len(pages) + 1}.html"
    assert seen == expected
    assert sorted(p.name for p in out.glob("transcript-*.html")) == sorted(pages[1:])
    assert len(pages) == 1 + -(-(len(expected) - FIRST_SCREEN) // PAGE_ENTRIES) > 2
    posts = [e for e in seen + comments if not e.startswith("deleted")]
    assert len(posts) == len(set(posts)) and set(posts) == shown

    seed_id = cli.invoke(app, ["import", str(seed_chat)]).stdout.split("\t")[0]
    smaller = cli.invoke(app, ["report", seed_id, "--no-pictures", "--out", str(out)])

    assert smaller.exit_code == 0, smaller.output
    assert list(out.glob("transcript-*.html")) == []
    assert "transcript-more" not in (out / "index.html").read_text(encoding="utf-8")
