"""`huddlebot chat add|list|cancel`, `huddlebot worker` and `huddlebot demo`."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from bot.commands.common import CommandError, console, one_line_errors, open_db, settings

chat_app = typer.Typer(help="Define, list and cancel tweet chats.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(chat_app, name="chat")
    app.command("worker")(worker)
    app.command("demo")(demo)


@chat_app.command("add")
@one_line_errors
def chat_add(file: Path = typer.Argument(..., help="A chat definition (YAML); see config/chats/.")) -> None:
    """Check a chat definition and schedule it; prints the event id and the likely cost on X."""
    from bot.chats.cost import x_cost_estimate
    from bot.chats.setup import add_chat
    from config.chat_definition import load_chat_definition

    definition = load_chat_definition(file)
    with open_db() as db, db.session() as session:
        event_id = add_chat(session, definition, source=file.name)
    typer.echo(f"{event_id}\t{definition.hashtag} {definition.title} at {definition.starts_at():%Y-%m-%d %H:%M %Z}")
    usage = x_cost_estimate(definition, settings())
    if usage is not None:
        created = usage.posts_created + usage.posts_created_with_url
        typer.echo(
            f"on X (pay-per-use, prices of {settings().x_prices_as_of}): about {created} posts created "
            f"({usage.posts_created_with_url} with a link), {usage.posts_read} posts read "
            f"(each post once on the day and once a day for {settings().deleted_check_days} days of deletion "
            f"checks) and {usage.users_read} users read, for {definition.expected_posts} expected posts "
            f"= ${usage.dollars(settings()):.2f}"
        )


@chat_app.command("list")
@one_line_errors
def chat_list() -> None:
    """Upcoming and running chats, with their cost on X: estimated, and so far as counted by the worker."""
    from bot.chats.setup import chat_costs, upcoming_chats

    with open_db() as db, db.session() as session:
        for event in upcoming_chats(session):
            local = event.starts_at.astimezone(ZoneInfo(event.timezone))
            when = f"{local:%Y-%m-%d %H:%M} {event.timezone}"
            line = f"{event.id}\t{event.status}\t{when}\t{event.hashtag}\t{event.title}"
            costs = chat_costs(session, event, settings())
            if costs is not None:
                estimated, actual = costs
                line += f"\tX: estimated ${estimated:.2f}, so far ${actual:.2f}"
            typer.echo(line)


@chat_app.command("cancel")
@one_line_errors
def chat_cancel(event_id: int = typer.Argument(..., help="The chat's event id.")) -> None:
    """Cancel a chat: nothing more is posted or captured."""
    from bot.chats.setup import cancel_chat

    with open_db() as db, db.session() as session:
        if not cancel_chat(session, event_id):
            raise CommandError(f"chat cancel: no chat {event_id}")
    typer.echo(f"cancelled {event_id}")


@one_line_errors
def worker(
    terminal: bool = typer.Option(
        False, "--terminal", help="Lines typed here are posts to the local chat whose #hashtag they carry."
    ),
) -> None:
    """Run the scheduler and pollers (one process; a second worker waits as a standby)."""
    import logging
    import sys

    from bot.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_worker(settings(), terminal=sys.stdin if terminal else None)


@one_line_errors
def demo(
    speed: float = typer.Option(120.0, "--speed", min=1.0, help="How many times faster than real time."),
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the chat page and CPD logs."),
    database: str | None = typer.Option(None, "--database", help="Database URL (default: DATABASE_URL)."),
) -> None:
    """Replay the real #WeHCMs chat through the local platform and write its chat page and CPD logs."""
    from bot.demo import run_demo

    result = run_demo(database or settings().database_url, out, speed=speed, console=console, settings=settings())
    typer.echo(f"chat page: {result.index}")
    typer.echo(f"CPD logs: {out / 'cpd'}")
    typer.echo(f"{result.messages} messages from {result.contributors} contributors")
