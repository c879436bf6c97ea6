"""`huddlebot web`: the chat archive, live view, CPD logs, huddle dashboard and JSON API under uvicorn."""

from __future__ import annotations

import typer

from bot.commands.common import one_line_errors, settings


def register(app: typer.Typer) -> None:
    app.command("web")(web)


@one_line_errors
def web(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 behind a PaaS router)."),
    port: int = typer.Option(8000, "--port", envvar="PORT", help="Port to listen on ($PORT on a PaaS)."),
) -> None:
    """Serve the web app; the database is migrated to head first."""
    import uvicorn

    from bot.web.app import create_app
    from transcripts.db import Database

    config = settings()
    uvicorn.run(create_app(config, Database(config.database_url)), host=host, port=port, log_level="info")
