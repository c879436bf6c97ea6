"""`huddlebot huddle add|list|cancel|level|socket`: huddle definitions, the escalation level, Socket Mode."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.commands.common import CommandError, one_line_errors, open_db, settings

huddle_app = typer.Typer(
    help="Define, list and cancel Slack huddles; set a team's escalation level.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(huddle_app, name="huddle")


@huddle_app.command("add")
@one_line_errors
def huddle_add(file: Path = typer.Argument(..., help="A huddle definition (YAML); see config/huddles/.")) -> None:
    """Check a huddle definition and store it; the worker opens it on its days at its time."""
    from bot.huddles.definitions import add_definition
    from config.huddle_definition import load_huddle_definition

    definition = load_huddle_definition(file)
    if definition.workspace is None and settings().slack_multi_workspace:
        raise CommandError(f"{file}: workspace: give the Slack team id; huddlebot is installed per workspace here")
    with open_db() as db, db.session() as session:
        definition_id = add_definition(session, definition)
    days = ",".join(definition.days)
    typer.echo(
        f"{definition_id}\t{definition.name} in {definition.channel} {days} {definition.time} {definition.timezone}"
    )


@huddle_app.command("list")
@one_line_errors
def huddle_list() -> None:
    """Active huddle definitions."""
    from bot.huddles.definitions import active_definitions

    with open_db() as db, db.session() as session:
        for definition_id, d in active_definitions(session):
            typer.echo(f"{definition_id}\t{d.channel}\t{','.join(d.days)} {d.time} {d.timezone}\t{d.window}\t{d.name}")


@huddle_app.command("cancel")
@one_line_errors
def huddle_cancel(definition_id: int = typer.Argument(..., help="The huddle definition's id.")) -> None:
    """Stop a huddle: no more sessions open; past sessions stay in the record."""
    from transcripts.models import Definition

    with open_db() as db, db.session() as session:
        row = session.get(Definition, definition_id)
        if row is None or row.kind != "huddle":
            raise CommandError(f"huddle {definition_id}: no such huddle definition")
        row.status = "cancelled"
    typer.echo(f"{definition_id}\tcancelled")


@huddle_app.command("level")
@one_line_errors
def huddle_level(
    channel: str = typer.Argument(..., help="The team's Slack channel id."),
    level: int = typer.Argument(..., help="The new escalation level number."),
    by: str = typer.Option(..., "--by", help="Who decided (Slack user id or name)."),
    reason: str = typer.Option(..., "--reason", help="Why the level changed."),
    announce: bool = typer.Option(True, help="Post the change and its actions in the channel."),
) -> None:
    """Set a team's escalation level; recorded with who and why, and announced in the channel."""
    from slack_sdk.errors import SlackClientError

    from bot.escalation.levels import set_level
    from bot.huddles.definitions import definition_for_channel
    from bot.slack.tokens import NoSlackToken, slack_for

    config = settings()
    with open_db() as db:
        with db.session() as s:
            _, definition = definition_for_channel(s, channel)
        workspace = definition.workspace if definition else None
        try:
            client = slack_for(config, workspace, db) if announce else None
        except NoSlackToken as exc:
            raise CommandError(f"{channel}: {exc}") from None
        try:
            chosen = set_level(
                db, client, team_channel=channel, level=level, set_by=by, reason=reason, workspace=workspace
            )
        except (SlackClientError, OSError) as exc:  # raised by the announcement, after the level was saved
            raise CommandError(
                f"{channel}: level {level} was recorded, but announcing it in Slack failed ({_slack_reason(exc)})"
            ) from None
    typer.echo(f"{channel}\t{chosen.number} {chosen.name}")


def _slack_reason(exc: Exception) -> str:
    """One line on why Slack could not be reached or refused: the API's error code, or the network's."""
    response = getattr(exc, "response", None)
    error = response.get("error") if response is not None and hasattr(response, "get") else None
    if error:
        return str(error)
    reason = getattr(exc, "reason", None) or exc
    text = str(reason).splitlines()[0] if str(reason) else type(exc).__name__
    return text[:200]


@huddle_app.command("socket")
@one_line_errors
def huddle_socket() -> None:
    """Serve the Slack app over Socket Mode (SLACK_APP_TOKEN), for teams without a public address."""
    from bot.slack.socket_mode import socket_mode_handler

    with open_db() as db:
        socket_mode_handler(settings(), db).start()
