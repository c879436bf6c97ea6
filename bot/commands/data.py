"""`huddlebot forget`, `export-person`, `purge` and `db upgrade`: data protection and database operations."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bot.commands.common import CommandError, one_line_errors, open_db, settings


def register(app: typer.Typer) -> None:
    app.command("forget")(forget)
    app.command("export-person")(export_person_command)
    app.command("purge")(purge)
    db_app = typer.Typer(help="Database operations.", no_args_is_help=True)
    db_app.command("upgrade")(db_upgrade)
    app.add_typer(db_app, name="db")


@one_line_errors
def forget(
    handle: str = typer.Argument(..., help="The person's handle, e.g. @evelyn_prodger."),
    platform: str | None = typer.Option(None, "--platform", help="Only this platform (default: all)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Erase a person from every event (UK GDPR right to erasure); transcripts keep their shape.

    The web app's drawn pictures (word clouds of people's words, wheels of their names) are deleted too:
    it draws them again from the erased record when a page is next opened."""
    from bot.web.picture_files import remove_drawn_pictures
    from transcripts.privacy import forget_person

    if not yes:
        typer.confirm(f"Erase {handle} from every event? This cannot be undone", abort=True)
    with open_db() as db, db.session() as session:
        result = forget_person(session, handle, platform=platform)
        if not result.profiles:
            raise CommandError(f"{handle}: no such person in the record")
    pictures = remove_drawn_pictures(Path(settings().output_dir))
    scrubbed = sum(result.scrubbed.values())
    typer.echo(
        f"erased {handle}: {result.profiles} profile(s), {result.messages} message(s) removed, "
        f"{result.answers} answer(s) and {result.cpd_entries} CPD entr(ies) deleted, "
        + (f"{result.waiting_events} Slack event(s) not yet stored dropped, " if result.waiting_events else "")
        + f"{scrubbed} other row(s) scrubbed"
        + (f", the web app's pictures of {pictures} event(s) deleted" if pictures else "")
    )


@one_line_errors
def export_person_command(
    handle: str = typer.Argument(..., help="The person's handle."),
    out: Path = typer.Option(..., "--out", help="JSON file to write."),
) -> None:
    """Write everything held about a person as JSON (UK GDPR subject access request)."""
    from transcripts.exporters.atomic import write_text_atomic
    from transcripts.privacy import export_person

    if out.is_dir():
        raise CommandError(f"{out}: is a folder; give a file name")
    with open_db() as db, db.session() as session:
        data = export_person(session, handle)
    if not data["profiles"]:
        raise CommandError(f"{handle}: no such person in the record")
    write_text_atomic(out, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    typer.echo(f"wrote {out}: {len(data['messages'])} message(s)")


@one_line_errors
def purge(
    days: int | None = typer.Option(None, "--days", min=1, help="Age in days (default: RETENTION_DAYS)."),
) -> None:
    """Delete huddle sessions and resolved escalations older than the retention period, and stale install states.

    The pictures the web app drew of the purged huddles are deleted with them."""
    from bot.web.picture_files import remove_drawn_pictures
    from transcripts.privacy import (
        purge_closed_escalations_older_than,
        purge_expired_install_states,
        purge_older_than,
    )

    days = days or settings().retention_days
    if days is None:
        raise CommandError("purge: give --days N or set RETENTION_DAYS")
    with open_db() as db, db.session() as session:
        purged = purge_older_than(session, days)
        escalations = purge_closed_escalations_older_than(session, days)
        states = purge_expired_install_states(session)
    remove_drawn_pictures(Path(settings().output_dir), purged)
    typer.echo(
        f"purged {len(purged)} huddle session(s) and {escalations} resolved escalation(s) older than {days} day(s), "
        f"and {states} expired Slack install state(s)"
    )


@one_line_errors
def db_upgrade() -> None:
    """Migrate the database to the newest schema (run once per release, before starting web/worker)."""
    from alembic.runtime.migration import MigrationContext

    from transcripts.db import Database, upgrade

    database = Database(settings().database_url, migrate=False)
    try:
        upgrade(database.engine)
        with database.engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
    finally:
        database.dispose()
    typer.echo(f"database at revision {revision}")
