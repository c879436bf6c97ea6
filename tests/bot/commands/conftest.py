"""Helpers for the command tests (their `cli_db` fixture is in tests/conftest.py, shared with the report tests)."""

from __future__ import annotations

from sqlalchemy import func, select

from transcripts.db import Database


def count_rows(url: str, model: type) -> int:
    """How many rows of `model` the database at `url` holds, read on a connection of its own."""
    database = Database(url)
    try:
        with database.session() as s:
            return s.scalar(select(func.count()).select_from(model)) or 0
    finally:
        database.dispose()
