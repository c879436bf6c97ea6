"""`huddlebot chat add|list|cancel` as a user runs them: a bad definition is refused in one line, nothing stored."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from config.settings import Settings
from tests.bot.commands.conftest import count_rows
from transcripts.models import Event, Prompt

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "chats" / "wenurses-example.yaml"


def test_add_list_cancel(cli_db: str) -> None:
    runner = CliRunner()
    added = runner.invoke(app, ["chat", "add", str(EXAMPLE)])
    assert added.exit_code == 0, added.output
    event_id = added.stdout.split()[0]
    assert "#WeNurses" in added.stdout and "2026-12-03 20:00 GMT" in added.stdout
    cost_line = next(line for line in added.stdout.splitlines() if line.startswith("on X"))
    created, with_link, read, _days, users, _expected_posts = _numbers(cost_line)
    assert (created, with_link) == (9, 1)  # welcome, six questions, one reminder, close (with the page's link)
    prices = Settings(_env_file=None)
    assert (prices.x_price_post_created_usd, prices.x_price_post_created_with_url_usd) == (0.015, 0.200)
    assert (prices.x_price_post_read_usd, prices.x_price_user_read_usd) == (0.005, 0.010)
    expected = (
        (created - with_link) * prices.x_price_post_created_usd
        + with_link * prices.x_price_post_created_with_url_usd
        + read * prices.x_price_post_read_usd
        + users * prices.x_price_user_read_usd
    )
    assert f"${expected:.2f}" in cost_line and read >= 400 and f"prices of {prices.x_prices_as_of}" in cost_line
    assert count_rows(cli_db, Prompt) == 9
    listed = runner.invoke(app, ["chat", "list"])
    assert listed.exit_code == 0 and f"{event_id}\tscheduled\t2026-12-03 20:00 Europe/London" in listed.stdout
    assert f"X: estimated ${expected:.2f}, so far $0.00" in listed.stdout
    cancelled = runner.invoke(app, ["chat", "cancel", event_id])
    assert cancelled.exit_code == 0, cancelled.output
    assert event_id not in runner.invoke(app, ["chat", "list"]).stdout
    missing = runner.invoke(app, ["chat", "cancel", "999999"])
    assert missing.exit_code != 0 and "no chat 999999" in missing.output


def _numbers(line: str) -> list[int]:
    """The whole numbers of the cost line, in order (the date of the prices left out)."""
    return [int(w) for w in line.replace(",", " ").replace("(", " ").split() if w.isdigit()]


def test_a_bad_definition_is_refused_with_its_field_and_nothing_is_stored(cli_db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("Europe/London", "Europe/Londres"), encoding="utf-8")
    result = CliRunner().invoke(app, ["chat", "add", str(bad)])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "bad.yaml" in lines[0] and "timezone" in lines[0] and "Europe/Londres" in lines[0]
    assert count_rows(cli_db, Event) == 0
