"""Command tests run the CLI against a fresh database on each backend, with settings read afresh."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from config.settings import get_settings
from transcripts.db import Database


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL pointed at an empty database for the command under test."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def count_rows(url: str, model: type) -> int:
    """How many rows of `model` the database at `url` holds, read on a connection of its own."""
    database = Database(url)
    try:
        with database.session() as s:
            return s.scalar(select(func.count()).select_from(model)) or 0
    finally:
        database.dispose()
