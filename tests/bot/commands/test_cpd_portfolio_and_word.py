"""`huddlebot cpd`: honest logs, Word documents that survive any text, and the portfolio across events."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from bot.cli import app
from config.settings import get_settings
from transcripts.db import Database

ILLEGAL = "Oops\x0b wrong\x01 here\x1b and\ufffe there\x0c #"


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    Database(db_url).dispose()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("WEB_BASE_URL", "https://chats.example")
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def _import(*files: Path, extra: tuple[str, ...] = ()) -> list[int]:
    result = CliRunner().invoke(app, ["import", *map(str, files), *extra])
    assert result.exit_code == 0, result.output
    return [int(line.split("\t")[0]) for line in result.stdout.splitlines()]


def _page_with(seed_chat: Path, tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = seed_chat.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_xml_illegal_characters_crash_no_word_document(env: str, seed_chat: Path, tmp_path: Path) -> None:
    page = _page_with(seed_chat, tmp_path, "bad.txt", "Oops wrong #", ILLEGAL)
    [event] = _import(page)
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", str(event), "--out", str(out), "--cpd", "--no-pictures"])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists()
    assert len(list((out / "cpd").glob("*.docx"))) == 14
    text = "\n".join(p.text for p in Document(str(out / "cpd" / "Helen23Wilson.docx")).paragraphs)
    assert "wrong here and there" in text
    single = tmp_path / "helen.docx"
    result = CliRunner().invoke(
        app, ["cpd", str(event), "--participant", "Helen23Wilson", "--format", "docx", "--out", str(single)]
    )
    assert result.exit_code == 0, result.output
    assert single.exists()


def test_single_log_links_to_the_chat_page_as_evidence(env: str, seed_chat: Path, tmp_path: Path) -> None:
    [event] = _import(seed_chat)
    out = tmp_path / "helen.md"
    result = CliRunner().invoke(app, ["cpd", str(event), "--participant", "@Helen23Wilson", "--out", str(out)])
    assert result.exit_code == 0, result.output
    md = out.read_text(encoding="utf-8")
    assert f"](https://chats.example/events/{event})" in md
    assert "| Number of hours | 0.5 — *Drafted:" in md


def test_cohost_on_import_and_report_stops_them_answering(env: str, seed_chat: Path, tmp_path: Path) -> None:
    [event] = _import(seed_chat, extra=("--cohost", "@agclayland"))
    result = CliRunner().invoke(
        app, ["report", str(event), "--out", str(tmp_path / "r"), "--no-pictures", "--cohost", "Lyse_e"]
    )
    assert result.exit_code == 0, result.output
    import json

    stats = json.loads((tmp_path / "r" / "stats.json").read_text(encoding="utf-8"))
    answers = {p["handle"]: p["answers"] for p in stats["participants"]}
    assert answers["wehcmanagers"] == answers["agclayland"] == answers["Lyse_e"] == 0
    assert (stats["messages"], stats["contributors"], stats["reposts"]) == (171, 14, 5)
    bad = CliRunner().invoke(app, ["report", str(event), "--out", str(tmp_path / "x"), "--cohost", "not a handle"])
    assert bad.exit_code == 2 and "--cohost" in bad.stderr


def test_portfolio_across_events_with_running_totals(env: str, seed_chat: Path, tmp_path: Path) -> None:
    later = _page_with(seed_chat, tmp_path, "later.txt", "25th February 2020", "3rd March 2020")
    later.write_text(later.read_text(encoding="utf-8").replace("25 February 2020", "3 March 2020"), encoding="utf-8")
    _import(seed_chat, later)
    runner = CliRunner()
    md = tmp_path / "portfolio.md"
    args = ["cpd", "--participant", "@Helen23Wilson", "--all-events", "--period-end", "2022-12-31"]
    result = runner.invoke(app, [*args, "--out", str(md)])
    assert result.exit_code == 0, result.output
    text = md.read_text(encoding="utf-8")
    assert text.index("25 Feb 2020") < text.index("03 Mar 2020")
    assert "| 0.5 | 0.5 | 0.5 | 0.5 |" in text and "| 0.5 | 0.5 | 1 | 1 |" in text
    assert "1 of the NMC's 35 hours of CPD, 1 of the 20 participatory hours" in text
    out_csv = tmp_path / "hcpc.csv"
    assert runner.invoke(app, [*args, "--format", "csv", "--out", str(out_csv)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert [r["date"] for r in rows] == ["2020-02-25", "2020-03-03"]
    assert rows[0]["hours"] == "0.5" and rows[0]["evidence"].startswith("https://chats.example/events/")
    out_docx = tmp_path / "hcpc.docx"
    assert runner.invoke(app, [*args, "--format", "docx", "--out", str(out_docx)]).exit_code == 0
    cells = [c.text for t in Document(str(out_docx)).tables for row in t.rows for c in row.cells]
    assert "2020-03-03" in cells and "What i learned" in cells
    outside = runner.invoke(
        app, ["cpd", "--participant", "Helen23Wilson", "--all-events", "--out", str(tmp_path / "now.md")]
    )
    assert outside.exit_code == 0
    assert "before this period" in (tmp_path / "now.md").read_text(encoding="utf-8")


def test_portfolio_refuses_in_one_line(env: str, seed_chat: Path, tmp_path: Path) -> None:
    _import(seed_chat)
    runner = CliRunner()
    nobody = runner.invoke(app, ["cpd", "--participant", "nobody", "--all-events", "--out", str(tmp_path / "n.md")])
    assert nobody.exit_code == 2 and nobody.stderr.strip() == (
        "huddlebot: @nobody: took part in no event that offers CPD logs"
    )
    both = runner.invoke(app, ["cpd", "1", "--participant", "x", "--all-events", "--out", str(tmp_path / "b.md")])
    assert both.exit_code == 2 and "one of them" in both.stderr
    assert not (tmp_path / "n.md").exists() and not (tmp_path / "b.md").exists()


def test_a_reply_withheld_for_patient_details_leaves_the_rest_of_a_portfolio_whole(
    env: str, seed_chat: Path, tmp_path: Path
) -> None:
    """A huddle reply withheld because it looked like patient-identifiable information is kept out of
    pages and CPD logs. The portfolio must leave that huddle out as the logs do, not fail as a whole
    (the registrant's other events are still theirs to log), and must not count its hours."""
    from datetime import UTC, datetime

    from bot.huddles.definitions import add_definition
    from config.huddle_definition import HuddleDefinition
    from transcripts.models import Event, MessageRow, Participant

    _import(seed_chat)
    definition = HuddleDefinition(
        name="Ward 7", channel="CWARD", days=["mon"], time="07:45", prompts=["Incidents"], members=["U1"], cpd_logs=True
    )
    with Database(env).session() as s:
        at = datetime(2020, 3, 2, 7, 45, tzinfo=UTC)
        huddle = Event(
            kind="huddle", title="Ward 7 huddle", channel="CWARD", starts_at=at, ends_at=at.replace(minute=59),
            definition_id=add_definition(s, definition), status="closed",
        )  # fmt: skip
        person = Participant(platform="slack", platform_user_id="U1", handle="Helen23Wilson", name="Helen")
        s.add_all([huddle, person])
        s.flush()
        s.add(
            MessageRow(
                event_id=huddle.id, platform="slack", platform_id="CWARD:1583135200.000100", channel="CWARD",
                participant_id=person.id, text="[withheld: it looked like patient-identifiable information]",
                created_at=at.replace(minute=50), withheld_reason="an NHS number",
            )
        )  # fmt: skip
    md = tmp_path / "portfolio.md"
    args = ["cpd", "--participant", "@Helen23Wilson", "--all-events", "--period-end", "2022-12-31", "--out", str(md)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    text = md.read_text(encoding="utf-8")
    assert "25 Feb 2020" in text and "Ward 7" not in text and "02 Mar 2020" not in text
    assert "0.5 of the NMC's 35 hours of CPD" in text
