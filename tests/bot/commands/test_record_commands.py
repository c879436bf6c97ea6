"""`huddlebot import` and `huddlebot report` as a user runs them: one line on bad input, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from config.settings import get_settings
from transcripts.db import Database
from transcripts.models import MessageRow


def _messages(url: str) -> int:
    database = Database(url)
    try:
        with database.session() as s:
            return s.scalar(select(func.count()).select_from(MessageRow)) or 0
    finally:
        database.dispose()


def test_import_then_report_latest(cli_db: str, seed_chat: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["import", str(seed_chat)])
    assert result.exit_code == 0, result.output
    assert result.stdout.split()[0].isdigit()
    again = runner.invoke(app, ["import", str(seed_chat)])
    assert again.exit_code == 0 and "0 new messages" in again.stdout
    assert _messages(cli_db) == 171
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", "--latest", "--out", str(out), "--no-pictures"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{out / 'index.html'}\t171 messages from 14 contributors"
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert (stats["messages"], stats["contributors"]) == (171, 14)


def test_bad_files_exit_non_zero_with_one_line_and_write_nothing(cli_db: str, seed_chat: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(seed_chat), str(empty)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"huddlebot: {empty}: file is empty"]
    assert _messages(cli_db) == 0  # the good file before it was not imported either


def test_report_of_unknown_event_is_one_line(cli_db: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "42", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.stderr.strip() == "huddlebot: report: no event 42"
    assert not (tmp_path / "o").exists()


def test_bad_setting_is_named_in_one_line_without_its_value(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POLL_INTERVAL_SECONDS", "-5")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-token-value")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["report", "--latest", "--out", str(tmp_path / "o")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("huddlebot: bad settings: POLL_INTERVAL_SECONDS:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "xoxb-secret-token-value" not in result.output
