"""The report's CPD section appears only where CPD logs are offered (chats always; huddles by definition)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from tests.bot.web.huddle_data import add_huddles
from transcripts.db import Database
from transcripts.models import Definition


def test_a_huddle_without_cpd_logs_has_no_cpd_section_and_one_with_them_has(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    huddles = add_huddles(db)
    runner = CliRunner()
    env = {"DATABASE_URL": db_url}
    offered = runner.invoke(app, ["report", str(huddles.ours), "--out", str(tmp_path / "on"), "--no-pictures"], env=env)
    assert offered.exit_code == 0, offered.output
    assert 'id="cpd"' in (tmp_path / "on" / "index.html").read_text(encoding="utf-8")

    with db.session() as session:
        definition = session.scalars(select(Definition)).one()
        definition.body = {**definition.body, "cpd_logs": False}
    plain = runner.invoke(app, ["report", str(huddles.ours), "--out", str(tmp_path / "off"), "--no-pictures"], env=env)
    assert plain.exit_code == 0, plain.output
    page = (tmp_path / "off" / "index.html").read_text(encoding="utf-8")
    assert 'id="cpd"' not in page and "participatory learning" not in page
