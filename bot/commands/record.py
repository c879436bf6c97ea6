"""`huddlebot import` and `huddlebot report`: bring records in, and publish what they say."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from bot.commands.common import CommandError, console, one_line_errors, open_db, settings
from transcripts.db import Database
from transcripts.models import Event

REPORT_STEPS = 6


def register(app: typer.Typer) -> None:
    app.command("import")(import_files)
    app.command("report")(report)


def progress_bar() -> Progress:
    """The report's steps: shown on a terminal only, so an error stays the only line of stderr."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def import_progress() -> Progress:
    """Bytes read of each file: shown on a terminal only, so an error stays the only line of stderr."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@one_line_errors
def import_files(
    files: list[Path] = typer.Argument(..., help="Chat pages, X API v2 JSON/JSONL files or Slack exports."),
    hashtag: str | None = typer.Option(None, "--hashtag", help="The chat's hashtag, when the file does not say."),
    title: str | None = typer.Option(None, "--title", help="The event's title, instead of one made from the file."),
    timezone: str | None = typer.Option(
        None,
        "--timezone",
        help="A Slack export's workspace time zone (IANA, e.g. America/Chicago); inferred if not given.",
    ),
    workspace: str | None = typer.Option(
        None, "--workspace", help="The Slack team id (T…) an export belongs to, when the export does not say."
    ),
    cohost: list[str] = typer.Option(
        [], "--cohost", help="A co-host or supporter of the chat (repeatable): their posts are not answers."
    ),
) -> None:
    """Import files into the record in one transaction; prints the event id of each event.

    Each file is read once and, if it is X JSONL, stored as it is read; a bad file anywhere refuses them
    all, leaving the record as it was (the transaction rolls back).
    """
    from transcripts.importers import ImportOptions, import_file  # the parsers (and emoji) load only to import

    options = ImportOptions(hashtag=hashtag, title=title, timezone=timezone, workspace=workspace)
    handles = cohost_handles(cohost)
    results: list[tuple[int, int]] = []
    notes: list[str] = []
    with open_db() as db, import_progress() as progress, db.session() as session:
        for path in files:
            task = progress.add_task(f"importing {path.name}", total=None)

            def read(done: int, size: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=size)

            stored, said = import_file(session, path, options, cohosts=handles, progress=read)
            results.extend(stored)
            notes.extend(said)
    for note in notes:
        print(f"huddlebot: note: {note}", file=sys.stderr)
    for event_id, new in results:
        typer.echo(f"{event_id}\t{new} new messages")


def resolve_event(db: Database, event: int | None, latest: bool) -> int:
    """The event named on the command line, or the latest one; a clear error when there is none."""
    if (event is None) == (not latest):
        raise CommandError("report: give an EVENT id or --latest (one of them)")
    with db.session() as session:
        if latest:
            found = session.scalars(select(Event.id).order_by(Event.starts_at.desc(), Event.id.desc())).first()
            if found is None:
                raise CommandError("report: the record has no events yet; import one first")
            return found
        if session.get(Event, event) is None:
            raise CommandError(f"report: no event {event}")
        return int(event)  # type: ignore[arg-type]


def cohost_handles(handles: list[str]) -> list[str]:
    """`--cohost` values as bare handles; a CommandError naming the option for anything else."""
    names = [h.strip().lstrip("@") for h in handles]
    for name in names:
        if not re.fullmatch(r"\w{1,50}", name):
            raise CommandError(f"--cohost: {name!r} is not a handle like @agclayland")
    return list(dict.fromkeys(names))


def add_cohosts(db: Database, event_id: int, handles: list[str]) -> None:
    """Keep the named co-hosts with the event, so every later report and CPD log knows them too."""
    names = cohost_handles(handles)
    with db.session() as session:
        row = session.get(Event, event_id)
        assert row is not None
        row.cohosts = list(dict.fromkeys([*(row.cohosts or ()), *names]))


@one_line_errors
def report(
    event: int | None = typer.Argument(None, help="Event id (see `huddlebot import` output)."),
    latest: bool = typer.Option(False, "--latest", help="Report the most recent event."),
    out: Path = typer.Option(Path("out"), "--out", help="Folder to write index.html and the files into."),
    pictures: bool = typer.Option(True, "--pictures/--no-pictures", help="Draw the wheel, clouds and timeline."),
    cpd: bool = typer.Option(False, "--cpd", help="Also write every contributor's CPD log into OUT/cpd/."),
    cohost: list[str] = typer.Option(
        [], "--cohost", help="Record a co-host or supporter of the chat (repeatable): their posts are not answers."
    ),
) -> None:
    """Write the chat page (index.html), transcript.md, messages.csv, record.json, stats.json and pictures.

    A chat of over 5,000 posts has the rest of its transcript in transcript-2.html, transcript-3.html….
    """
    with open_db() as db:
        event_id = resolve_event(db, event, latest)
        if cohost:
            add_cohosts(db, event_id, cohost)
        from analysis.report import write_report  # the analysis loads only for a report; drawing only to draw

        with progress_bar() as progress:
            task = progress.add_task("report", total=REPORT_STEPS)

            def step(label: str) -> None:
                progress.update(task, description=label)
                progress.advance(task)

            if cpd:
                from analysis.cpd import write_cpd_logs

                progress.update(task, description="writing CPD logs")
                write_cpd_logs(db, event_id, out / "cpd", formats=("md", "docx"))
            try:
                index = write_report(
                    db, event_id, out, pictures=pictures, progress=step, settings=settings(), fork=True
                )
            except OSError as exc:  # a full disk, a folder in a file's place: each file is whole or as it was
                raise CommandError(f"report: could not write {exc.filename or out}: {exc.strerror or exc}") from None
    totals = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    typer.echo(f"{index}\t{totals['messages']} messages from {totals['contributors']} contributors")
