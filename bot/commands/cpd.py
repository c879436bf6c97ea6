"""`huddlebot cpd`: one participant's prefilled CPD log of an event, as Markdown or Word."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from bot.commands.common import CommandError, one_line_errors, open_db


class Format(StrEnum):
    md = "md"
    docx = "docx"


def register(app: typer.Typer) -> None:
    app.command("cpd")(cpd)


@one_line_errors
def cpd(
    event: int = typer.Argument(..., help="Event id."),
    participant: str = typer.Option(..., "--participant", help="The participant's handle, e.g. @evelyn_prodger."),
    fmt: Format = typer.Option(Format.md, "--format", help="md or docx."),
    out: Path = typer.Option(..., "--out", help="File to write."),
) -> None:
    """Write a participant's CPD log (NMC reflective account fields, prefilled from the record)."""
    from analysis.answers import assign_answers
    from analysis.cpd import build_cpd_log, to_markdown, write_docx
    from transcripts.exporters.atomic import write_text_atomic
    from transcripts.snapshot import load_event

    if out.is_dir():
        raise CommandError(f"{out}: is a folder; give a file name")
    with open_db() as db, db.session() as session:
        snapshot = load_event(session, event)
    log = build_cpd_log(snapshot, participant, assign_answers(snapshot))
    if fmt is Format.docx:
        write_docx(log, out)
    else:
        write_text_atomic(out, to_markdown(log))
    typer.echo(str(out))
