"""`huddlebot huddle add|list|cancel|level` as a user runs them; bad definitions refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from config.settings import get_settings
from tests.bot.commands.conftest import count_rows
from transcripts.models import Definition, LevelChange

HUDDLES = Path(__file__).resolve().parents[3] / "config" / "huddles"


def test_add_list_cancel_both_examples(cli_db: str) -> None:
    runner = CliRunner()
    ids = []
    for name in ("ward-safety-huddle.yaml", "weekly-team-check-in.yaml"):
        added = runner.invoke(app, ["huddle", "add", str(HUDDLES / name)])
        assert added.exit_code == 0, added.output
        ids.append(added.output.split("\t")[0])
    listed = runner.invoke(app, ["huddle", "list"])
    assert "Ward 7 safety huddle" in listed.output and "Weekly team check-in" in listed.output
    assert "07:45 Europe/London\t10m" in listed.output
    assert runner.invoke(app, ["huddle", "cancel", ids[0]]).exit_code == 0
    assert "Ward 7" not in runner.invoke(app, ["huddle", "list"]).output
    missing = runner.invoke(app, ["huddle", "cancel", "999"])
    assert missing.exit_code == 2 and "no such huddle" in missing.output


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("name: x\nchannel: C1\ndays: [mon]\ntime: '25:00'\nprompts: [a]\n", "time"),
        ("name: x\nchannel: C1\ndays: [funday]\ntime: '07:00'\nprompts: [a]\n", "days"),
        ("name: x\nchannel: C1\ndays: [mon]\ntime: '07:00'\ntimezone: Mars/Base\nprompts: [a]\n", "timezone"),
        ("name: x\nchannel: C1\ndays: [mon]\ntime: '07:00'\nprompts: [a]\nwindow: 5m\nreminders: [10m]\n", "reminder"),
        (
            "name: x\nchannel: C1\ndays: [mon]\ntime: '07:00'\nprompts: [a]\nescalation_levels: "
            "[{number: 2, name: b}]\n",
            "numbered 1, 2, 3",
        ),
        ("name: x\nchannel: [C1\n", "not valid YAML"),
    ],
)
def test_bad_definitions_are_refused_in_one_line(cli_db: str, tmp_path: Path, yaml_text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    result = CliRunner().invoke(app, ["huddle", "add", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"huddlebot: {path}") and expected in lines[0]
    assert count_rows(cli_db, Definition) == 0


def test_level_set_is_recorded_with_who_and_why(cli_db: str) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["huddle", "level", "C1", "2", "--by", "U1", "--reason", "ED boarding", "--no-announce"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "C1\t2 OPEL 2"
    bad = runner.invoke(app, ["huddle", "level", "C1", "7", "--by", "U1", "--reason", "x", "--no-announce"])
    assert bad.exit_code == 2 and "not one of this team's levels" in bad.output
    assert count_rows(cli_db, LevelChange) == 1


def test_per_workspace_installs_need_each_huddles_workspace(
    cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a single bot token a huddle with no workspace could never be posted: refused at `add`."""
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "app-client-secret")
    get_settings.cache_clear()
    runner = CliRunner()
    bare = runner.invoke(app, ["huddle", "add", str(HUDDLES / "ward-safety-huddle.yaml")])
    assert bare.exit_code == 2 and bare.output.strip().endswith("installed per workspace here")
    assert "app-client-secret" not in bare.output and count_rows(cli_db, Definition) == 0

    path = tmp_path / "ward.yaml"
    path.write_text((HUDDLES / "ward-safety-huddle.yaml").read_text() + "workspace: T1WARD\n")
    assert runner.invoke(app, ["huddle", "add", str(path)]).exit_code == 0
    level = runner.invoke(app, ["huddle", "level", "C0WARD7", "3", "--by", "U1", "--reason", "two RNs short"])
    assert level.exit_code == 2
    expected = "huddlebot: C0WARD7: workspace T1WARD has not installed huddlebot (open /slack/install from it)"
    assert level.output.strip() == expected
    assert count_rows(cli_db, LevelChange) == 0


def test_level_with_slack_unreachable_is_one_line_saying_it_was_recorded(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{closed}/api/")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["huddle", "level", "C1", "3", "--by", "U1", "--reason", "ED full"])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("huddlebot: C1: level 3 was recorded, but announcing it in Slack failed (")
    assert "xoxb-test-token" not in result.output and "Traceback" not in result.output
    assert count_rows(cli_db, LevelChange) == 1
