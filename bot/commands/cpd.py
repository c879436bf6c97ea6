"""`huddlebot cpd`: one participant's prefilled CPD log of an event, or their portfolio across events."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from bot.commands.common import CommandError, one_line_errors, open_db, settings


class Format(StrEnum):
    md = "md"
    docx = "docx"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.command("cpd")(cpd)


def _page_url(event_id: int | None = None) -> str:
    """The chat page on the web app, the evidence each log links to."""
    base = settings().web_base_url.rstrip("/") + "/events/"
    return base + ("{event_id}" if event_id is None else str(event_id))


@one_line_errors
def cpd(
    event: int | None = typer.Argument(None, help="Event id (or --all-events for the portfolio)."),
    participant: str = typer.Option(..., "--participant", help="The participant's handle, e.g. @evelyn_prodger."),
    fmt: Format = typer.Option(Format.md, "--format", help="md or docx; for --all-events also csv (HCPC list)."),
    out: Path = typer.Option(..., "--out", help="File to write."),
    all_events: bool = typer.Option(
        False, "--all-events", help="The portfolio: every event the participant joined, with running totals."
    ),
    period_end: str | None = typer.Option(
        None, "--period-end", help="Last day of the three-year revalidation period (YYYY-MM-DD; today if not given)."
    ),
) -> None:
    """Write a participant's CPD log (NMC fields, prefilled from the record), or their portfolio."""
    if out.is_dir():
        raise CommandError(f"{out}: is a folder; give a file name")
    if (event is None) == (not all_events):
        raise CommandError("cpd: give an EVENT id or --all-events (one of them)")
    if all_events:
        _portfolio(participant, fmt, out, period_end)
    else:
        if fmt is Format.csv:
            raise CommandError("--format csv: only for the portfolio (--all-events); use md or docx")
        assert event is not None
        _one_log(event, participant, fmt, out)
    typer.echo(str(out))


def _one_log(event: int, participant: str, fmt: Format, out: Path) -> None:
    from analysis.answers import assign_answers
    from analysis.cpd import build_cpd_log, to_markdown, write_docx
    from analysis.cpd_offer import cpd_offered
    from transcripts.exporters.atomic import write_text_atomic
    from transcripts.snapshot import load_event

    with open_db() as db, db.session() as session:
        snapshot = load_event(session, event)
        if not cpd_offered(session, event):
            raise CommandError(
                f"event {event}: this huddle's definition does not offer CPD logs (set cpd_logs: true to offer them)"
            )
    log = build_cpd_log(snapshot, participant, assign_answers(snapshot), evidence_url=_page_url(event))
    if fmt is Format.docx:
        write_docx(log, out)
    else:
        write_text_atomic(out, to_markdown(log))


def _portfolio(participant: str, fmt: Format, out: Path, period_end: str | None) -> None:
    from analysis.portfolio import build_portfolio, write_portfolio

    end = None
    if period_end is not None:
        try:
            end = date.fromisoformat(period_end)
        except ValueError:
            raise CommandError(f"--period-end: {period_end!r} is not a date like 2026-03-31") from None
    with open_db() as db:
        portfolio = build_portfolio(db, participant, period_end=end, page_url=_page_url())
    write_portfolio(portfolio, out, fmt.value)
