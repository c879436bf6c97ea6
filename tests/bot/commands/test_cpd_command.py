"""`huddlebot cpd` writes a log, or refuses in one line and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from bot.cli import app
from config.settings import get_settings
from transcripts.db import Database
from transcripts.importers import import_path


@pytest.fixture
def seeded(db_url: str, seed_chat: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    database = Database(db_url)
    [(event_id, _)] = import_path(database, seed_chat)
    database.dispose()
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield event_id
    get_settings.cache_clear()


def test_cpd_as_markdown_and_docx(seeded: int, tmp_path: Path) -> None:
    runner = CliRunner()
    md = tmp_path / "log.md"
    result = runner.invoke(app, ["cpd", str(seeded), "--participant", "@Lyse_e", "--out", str(md)])
    assert result.exit_code == 0, result.output
    assert "CPD log" in md.read_text(encoding="utf-8")
    docx = tmp_path / "log.docx"
    result = runner.invoke(app, ["cpd", str(seeded), "--participant", "Lyse_e", "--format", "docx", "--out", str(docx)])
    assert result.exit_code == 0, result.output
    assert any("Reflective account" in p.text for p in Document(str(docx)).paragraphs)


def test_unknown_participant_exits_non_zero_and_writes_nothing(seeded: int, tmp_path: Path) -> None:
    out = tmp_path / "nobody.md"
    result = CliRunner().invoke(app, ["cpd", str(seeded), "--participant", "nobody", "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"huddlebot: event {seeded}: no participant @nobody"
    assert not out.exists()
