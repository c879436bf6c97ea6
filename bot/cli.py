"""The `huddlebot` command: one Typer app whose groups live in `bot.commands`."""

from __future__ import annotations

import importlib

import typer

from bot.commands import COMMAND_MODULES

app = typer.Typer(
    help="Tweet chats, Slack huddles, transcripts and CPD logs for health and care communities.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """huddlebot: run chats and huddles, and turn what was said into a record people can use."""


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


if __name__ == "__main__":
    app()
