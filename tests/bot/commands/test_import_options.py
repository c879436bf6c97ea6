"""`huddlebot import` options and what it says: a Slack export's workspace and zone, a chat's hashtag and title."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from tests.bot.commands.conftest import count_rows
from tests.transcripts.bad_inputs import slack_files, x_page
from transcripts.db import Database
from transcripts.models import Event, MessageRow


def _events(url: str) -> list[Event]:
    database = Database(url)
    try:
        with database.session() as s:
            return list(s.scalars(select(Event).order_by(Event.id)))
    finally:
        database.dispose()


def _slack_export(root: Path, *, team: bool = True, zipped: bool = False) -> Path:
    files = slack_files()
    if not team:
        for user in files["users.json"]:
            del user["team_id"]
    for name, value in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(json.dumps(value))
    return Path(shutil.make_archive(str(root), "zip", root)) if zipped else root


def test_a_slack_export_is_stored_as_its_workspaces_never_public(cli_db: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import", str(_slack_export(tmp_path / "export", zipped=True))])
    assert result.exit_code == 0, result.stderr
    assert [(e.workspace, e.channel) for e in _events(cli_db)] == [("T9", "C1")]
    assert "days read in UTC" in result.stderr  # the zone it inferred, said


def test_an_export_that_does_not_say_whose_it_is_needs_workspace(cli_db: str, tmp_path: Path) -> None:
    export = _slack_export(tmp_path / "export", team=False)
    refused = CliRunner().invoke(app, ["import", str(export)])
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == [
        f"huddlebot: {export}: no workspace (team id) in the export; give --workspace T… to say whose it is"
    ]
    assert count_rows(cli_db, Event) == 0
    given = CliRunner().invoke(app, ["import", str(export), "--workspace", "T0GIVEN", "--timezone", "Europe/London"])
    assert given.exit_code == 0, given.stderr
    assert [(e.workspace, e.timezone) for e in _events(cli_db)] == [("T0GIVEN", "Europe/London")]


def test_bad_workspace_or_zone_options_are_one_line(cli_db: str, tmp_path: Path) -> None:
    export = _slack_export(tmp_path / "export")
    for option, value in (("--workspace", "not a team"), ("--timezone", "Europe")):
        result = CliRunner().invoke(app, ["import", str(export), option, value])
        assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith(f"huddlebot: {option}: ")
    assert count_rows(cli_db, MessageRow) == 0


def test_hashtag_and_title_options_name_the_chat(cli_db: str, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps(x_page()))
    result = CliRunner().invoke(app, ["import", str(path), "--hashtag", "WeNurses", "--title", "Escalation night"])
    assert result.exit_code == 0, result.stderr
    assert [(e.hashtag, e.title) for e in _events(cli_db)] == [("#WeNurses", "Escalation night")]
