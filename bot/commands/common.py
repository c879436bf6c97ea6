"""What every command shares: settings, the database, and turning known failures into one line."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from config.errors import InputError
from config.settings import Settings, SettingsError, get_settings
from transcripts.db import Database, DatabaseUnavailable

P = ParamSpec("P")
R = TypeVar("R")

console = Console(stderr=True)


class CommandError(Exception):
    """A failure the user can act on; printed as one line, exit status 2."""


def one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print InputError/SettingsError/CommandError/DatabaseUnavailable as `huddlebot: <where>: <why>`, exit 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (InputError, SettingsError, CommandError) as exc:
            print(f"huddlebot: {exc}", file=sys.stderr)
            raise typer.Exit(2) from None
        except DatabaseUnavailable as exc:
            print(f"huddlebot: DATABASE_URL ({exc.where}): {exc.reason}", file=sys.stderr)
            raise typer.Exit(2) from None

    return wrapper


def settings() -> Settings:
    return get_settings()


@contextmanager
def open_db(url: str | None = None) -> Iterator[Database]:
    """The configured database, migrated to head, disposed of afterwards."""
    database = Database(url or settings().database_url)
    try:
        yield database
    finally:
        database.dispose()
