"""Command tests run the CLI against a fresh database on each backend, with settings read afresh."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from config.settings import get_settings


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL pointed at an empty database for the command under test."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()
