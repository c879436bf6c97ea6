"""The report's CPD section appears only where CPD logs are offered (chats always; huddles by definition)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from tests.bot.web.huddle_data import add_huddles
from transcripts.db import Database
from transcripts.models import Definition


def _report(event_id: int, out: Path) -> str:
    result = CliRunner().invoke(app, ["report", str(event_id), "--out", str(out), "--no-pictures"])
    assert result.exit_code == 0, result.output
    return (out / "index.html").read_text(encoding="utf-8")


def test_a_huddle_without_cpd_logs_has_no_cpd_section_and_one_with_them_has(
    db: Database, cli_db: str, tmp_path: Path
) -> None:
    huddles = add_huddles(db)
    assert 'id="cpd"' in _report(huddles.ours, tmp_path / "offered")
    with db.session() as session:
        definition = session.scalars(select(Definition)).one()
        definition.body = {**definition.body, "cpd_logs": False}
    page = _report(huddles.ours, tmp_path / "not-offered")
    assert 'id="cpd"' not in page and "participatory learning" not in page
