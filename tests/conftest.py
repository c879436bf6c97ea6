"""Shared fixtures: a migrated database on every backend the run has, and the seed chat.

`db_url` is parametrised over SQLite (always) and PostgreSQL (when TEST_DATABASE_URL is set), so any
test that touches the record runs on both; each PostgreSQL test gets a database of its own, created
from the admin URL and dropped afterwards, so parallel runs and earlier failures never leak state.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config.settings import get_settings
from transcripts.db import Database
from transcripts.samples import SEED_CHAT

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if TEST_DATABASE_URL else ["sqlite"]


def pytest_report_header(config: pytest.Config) -> str:
    where = make_url(TEST_DATABASE_URL).render_as_string(hide_password=True) if TEST_DATABASE_URL else "not set"
    return f"huddlebot database backends: {', '.join(BACKENDS)} (TEST_DATABASE_URL: {where})"


@pytest.fixture(scope="session")
def seed_chat() -> Path:
    return SEED_CHAT


def _fresh_postgres_url() -> Iterator[str]:
    assert TEST_DATABASE_URL
    admin_url = make_url(TEST_DATABASE_URL)
    name = f"hb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'huddlebot.db'}"
    else:
        yield from _fresh_postgres_url()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A database migrated to head."""
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL pointed at an empty database for the command under test."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright. In CI a missing browser fails; locally it skips."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: scripts/test_services.sh installs it")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
