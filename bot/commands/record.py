"""`huddlebot import`: bring existing records into the database."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from bot.commands.common import one_line_errors, open_db
from transcripts.importers import import_path, parse_path


def register(app: typer.Typer) -> None:
    app.command("import")(import_files)


@one_line_errors
def import_files(
    files: list[Path] = typer.Argument(..., help="Chat pages, X API v2 JSON/JSONL files or Slack exports."),
) -> None:
    """Import files into the record, each in one transaction; prints the event id of each event."""
    for path in files:  # parse everything first: one bad file must not leave the others half-done
        parse_path(path)
    with open_db() as db, Progress(transient=True) as progress:
        task = progress.add_task("importing", total=len(files))
        results = []
        for path in files:
            results.extend(import_path(db, path))
            progress.advance(task)
    for event_id, new in results:
        typer.echo(f"{event_id}\t{new} new messages")
