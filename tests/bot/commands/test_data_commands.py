"""`huddlebot forget|export-person|purge|db upgrade` as an operator runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from config.settings import get_settings
from transcripts.db import Database, alembic_config
from transcripts.importers import import_path
from transcripts.models import Event, MessageRow, Participant
from transcripts.samples import SEED_CHAT
from transcripts.snapshot import REMOVED_TEXT


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def seeded(cli_db: str) -> str:
    database = Database(cli_db)
    try:
        import_path(database, SEED_CHAT)
    finally:
        database.dispose()
    return cli_db


def _removed(url: str) -> int:
    database = Database(url)
    try:
        with database.session() as s:
            return s.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.text == REMOVED_TEXT)) or 0
    finally:
        database.dispose()


def test_db_upgrade_prints_the_revision(cli_db: str) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"database at revision {head}" in result.output


def test_forget_asks_first_and_erases_with_yes(seeded: str) -> None:
    runner = CliRunner()
    declined = runner.invoke(app, ["forget", "@evelyn_prodger"], input="n\n")
    assert declined.exit_code != 0
    assert _removed(seeded) == 0
    done = runner.invoke(app, ["forget", "evelyn_prodger", "--yes"])
    assert done.exit_code == 0, done.output
    assert "41 message(s) removed" in done.output
    assert _removed(seeded) == 41
    database = Database(seeded)
    try:
        with database.session() as s:
            assert not s.scalars(select(Participant).where(Participant.handle == "evelyn_prodger")).all()
    finally:
        database.dispose()


def test_unknown_person_is_one_line_error(seeded: str) -> None:
    result = CliRunner().invoke(app, ["forget", "nobody_here", "--yes"])
    assert result.exit_code == 2
    assert result.output.strip() == "huddlebot: nobody_here: no such person in the record"


def test_export_person_writes_json(seeded: str, tmp_path: Path) -> None:
    out = tmp_path / "evelyn.json"
    result = CliRunner().invoke(app, ["export-person", "evelyn_prodger", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text())["messages"]) == 41
    missing = tmp_path / "nobody.json"
    failed = CliRunner().invoke(app, ["export-person", "nobody_here", "--out", str(missing)])
    assert failed.exit_code == 2 and not missing.exists()


def test_purge_needs_days_or_retention(cli_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = CliRunner().invoke(app, ["purge"])
    assert refused.exit_code == 2
    assert refused.output.strip() == "huddlebot: purge: give --days N or set RETENTION_DAYS"
    assert CliRunner().invoke(app, ["purge", "--days", "30"]).exit_code == 0
    monkeypatch.setenv("RETENTION_DAYS", "90")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["purge"])
    assert result.exit_code == 0, result.output
    assert "older than 90 day(s)" in result.output


def test_forget_a_short_handle_leaves_every_other_word_of_the_chat(seeded: str) -> None:
    """`forget @ed` on the seed chat (full of "escalated", "needed", "Ed…"): only @ed's own post changes."""
    database = Database(seeded)
    try:
        with database.session() as s:
            event = s.scalars(select(Event)).one()
            ed = Participant(platform="x", platform_user_id="ed-1", handle="ed", name="Ed")
            s.add(ed)
            s.flush()
            s.add(MessageRow(event_id=event.id, platform="x", platform_id="ed-post", participant_id=ed.id,
                             text="A2 escalate early", created_at=event.starts_at))  # fmt: skip
        with database.session() as s:
            before = {m.platform_id: m.text for m in s.scalars(select(MessageRow))}
            title = s.scalars(select(Event.title)).one()
        assert sum("ed" in t.lower() for t in before.values()) > 50
        done = CliRunner().invoke(app, ["forget", "@ed", "--yes"])
        assert done.exit_code == 0, done.output
        with database.session() as s:
            after = {m.platform_id: m.text for m in s.scalars(select(MessageRow))}
            assert s.scalars(select(Event.title)).one() == title
        assert after.pop("ed-post") == REMOVED_TEXT
        before.pop("ed-post")
        assert after == before
    finally:
        database.dispose()
