"""Migrations are serialised: processes starting together on a new database all find it migrated."""

from __future__ import annotations

import threading

from sqlalchemy import inspect

from transcripts.db import Database


def test_simultaneous_first_migrations_all_succeed(db_url: str) -> None:
    """Six openers of one new database at once (SQLite file lock, PostgreSQL advisory lock)."""
    start = threading.Barrier(6)
    errors: list[BaseException] = []
    opened: list[Database] = []

    def open_it() -> None:
        start.wait()
        try:
            opened.append(Database(db_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    try:
        assert errors == [] and len(opened) == 6
        assert "events" in inspect(opened[0].engine).get_table_names()
    finally:
        for database in opened:
            database.dispose()
