"""Slack's tables in the record: slack_sdk's OAuth stores (multi-workspace install) and the event inbox.

slack_sdk reads and writes bot tokens and install states in the first three; declaring them here, with
the columns its builders make (frozen in migration 0003), lets Alembic create them in the record's
database and the migration test check them like every other table — without the record importing
slack_sdk. `bot.slack.install` hands slack_sdk the names.

`slack_inbox` holds each Slack message event from the moment before it is acknowledged until it is
stored: once Slack has its 200 it never sends the event again, so the event must already be on disk.
`SlackInbox.add` is the one write on the acknowledging path; `taking` takes the oldest rows out in the
transaction that stores them (`bot.slack.app`), so after a kill at any point each event is either
still here or stored, never both and never neither, and a restarted process stores what is left.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Engine, Index, Integer, String, Table, Text, delete, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from transcripts.db import Database, make_engine
from transcripts.models import Base, UTCDateTime, utcnow

SLACK_BOTS = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("client_id", String(length=32), nullable=False),
    Column("app_id", String(length=32), nullable=False),
    Column("enterprise_id", String(length=32), nullable=True),
    Column("enterprise_name", String(length=200), nullable=True),
    Column("team_id", String(length=32), nullable=True),
    Column("team_name", String(length=200), nullable=True),
    Column("bot_token", String(length=200), nullable=True),
    Column("bot_id", String(length=32), nullable=True),
    Column("bot_user_id", String(length=32), nullable=True),
    Column("bot_scopes", String(length=1000), nullable=True),
    Column("bot_refresh_token", String(length=200), nullable=True),
    Column("bot_token_expires_at", DateTime(), nullable=True),
    Column("is_enterprise_install", Boolean(), nullable=False),
    Column("installed_at", DateTime(), nullable=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

SLACK_INSTALLATIONS = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("client_id", String(length=32), nullable=False),
    Column("app_id", String(length=32), nullable=False),
    Column("enterprise_id", String(length=32), nullable=True),
    Column("enterprise_name", String(length=200), nullable=True),
    Column("enterprise_url", String(length=200), nullable=True),
    Column("team_id", String(length=32), nullable=True),
    Column("team_name", String(length=200), nullable=True),
    Column("bot_token", String(length=200), nullable=True),
    Column("bot_id", String(length=32), nullable=True),
    Column("bot_user_id", String(length=32), nullable=True),
    Column("bot_scopes", String(length=1000), nullable=True),
    Column("bot_refresh_token", String(length=200), nullable=True),
    Column("bot_token_expires_at", DateTime(), nullable=True),
    Column("user_id", String(length=32), nullable=False),
    Column("user_token", String(length=200), nullable=True),
    Column("user_scopes", String(length=1000), nullable=True),
    Column("user_refresh_token", String(length=200), nullable=True),
    Column("user_token_expires_at", DateTime(), nullable=True),
    Column("incoming_webhook_url", String(length=200), nullable=True),
    Column("incoming_webhook_channel", String(length=200), nullable=True),
    Column("incoming_webhook_channel_id", String(length=200), nullable=True),
    Column("incoming_webhook_configuration_url", String(length=200), nullable=True),
    Column("is_enterprise_install", Boolean(), nullable=False),
    Column("token_type", String(length=32), nullable=True),
    Column("installed_at", DateTime(), nullable=False),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

SLACK_OAUTH_STATES = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("state", String(length=200), nullable=False),
    Column("expire_at", DateTime(), nullable=False),
)

SLACK_INBOX = Table(
    "slack_inbox",
    Base.metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),  # arrival order
    Column("event_id", String(length=64), nullable=True),  # Slack's, the same on every retry of an event
    Column("team_id", String(length=32), nullable=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("body", Text(), nullable=False),  # the request body as Slack sent it (JSON)
    Index("ix_slack_inbox_event_id", "event_id", unique=True),
)

# Slack waits three seconds for the acknowledgement; an insert still waiting at two (a locked SQLite
# file, a PostgreSQL that does not answer) is given up, so Slack is told of the failure and retries.
INBOX_WAIT_SECONDS = 2.0
# While another connection writes, the insert tries again this often. SQLite's own busy handler sleeps
# 1, 2, 5, 10, 15, 20, 25... ms between tries, so an ack could wait almost twice as long as the lock was held.
BUSY_POLL_SECONDS = 0.0005


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    team_id: str | None
    body: str


class Taken(Exception):
    """Another process took some of these events out of the inbox first, and stores them itself."""


class SlackInbox:
    """The acknowledging path's one write: `add` inserts a Slack event and commits before the ack leaves.

    On a SQLite file it keeps one connection of its own open, waiting at most INBOX_WAIT_SECONDS for
    the write lock rather than the record's thirty, and writes through the driver directly: SQLAlchemy's engine, pool
    and transaction would add more than the insert itself costs. On PostgreSQL an engine of its own,
    with connect and statement timeouts and no pre-ping (a connection lost since its last use fails
    that one insert, the pool replaces it, and Slack retries).
    """

    def __init__(self, db: Database) -> None:
        wait = INBOX_WAIT_SECONDS
        self._file: sqlite3.Connection | None = None
        self._engine: Engine = db.engine  # an in-memory SQLite database exists only in the record's engine
        path = make_url(db.url).database if db.engine.dialect.name == "sqlite" else None
        if path and path != ":memory:" and not path.startswith("file:"):
            # Autocommit: each insert is its own transaction. The file is in WAL mode already (transcripts.db),
            # where a commit at synchronous=NORMAL survives the process being killed; only losing power can
            # undo the newest. Checkpoints are left to the storing process's connections, off the acknowledging path.
            self._file = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
            self._file.execute("PRAGMA synchronous=NORMAL")
            self._file.execute("PRAGMA wal_autocheckpoint=0")
            self._lock = threading.Lock()
        elif not isinstance(db.engine.pool, StaticPool):
            timeouts = {"connect_timeout": max(1, int(wait)), "options": f"-c statement_timeout={int(wait * 1000)}"}
            self._engine = make_engine(db.url, pool_pre_ping=False, connect_args=timeouts)
        # Imported here: the models import this module, so every command would load both dialects.
        dialect: Any = import_module(f"sqlalchemy.dialects.{self._engine.dialect.name}")
        # A retry of an event still here is the same row; one already stored is kept once by the record.
        self._insert = dialect.insert(SLACK_INBOX).on_conflict_do_nothing(index_elements=["event_id"])

    def add(self, event_id: str | None, team_id: str | None, body: str) -> None:
        """Committed on return; raises if the database did not take it within INBOX_WAIT_SECONDS."""
        now = utcnow()
        if self._file is not None:
            # As SQLAlchemy stores a DateTime in SQLite: naive UTC, microseconds always written.
            row = (event_id, team_id, now.strftime("%Y-%m-%d %H:%M:%S.%f"), body)
            deadline = time.monotonic() + INBOX_WAIT_SECONDS
            with self._lock:  # a connection is one thread's at a time; with Bolt's pool several may ack
                while True:
                    try:
                        self._file.execute(SQLITE_INSERT, row)
                        return
                    except sqlite3.OperationalError as error:
                        busy = error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # any of its extended codes
                        if not busy or time.monotonic() >= deadline:
                            raise
                    time.sleep(BUSY_POLL_SECONDS)
        with self._engine.begin() as conn:
            conn.execute(self._insert, {"event_id": event_id, "team_id": team_id, "received_at": now, "body": body})


SQLITE_INSERT = (
    "INSERT INTO slack_inbox (event_id, team_id, received_at, body) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (event_id) DO NOTHING"
)


@contextmanager
def taking(session: Session, most: int, ids: list[int] | None = None) -> Iterator[list[InboxRow]]:
    """The oldest `most` events in the inbox (or those of `ids`), in arrival order, to store in the
    session's transaction; they leave the inbox in that same transaction, so a rollback or a kill
    leaves them there. Raises Taken on leaving if another process has taken any of them meanwhile: the
    caller's transaction then rolls back what it stored from them.

    On PostgreSQL they are deleted first (DELETE ... RETURNING): the rows stay locked until the commit,
    and a process draining at the same time waits on them, then finds them gone, having done no work.
    On SQLite they are deleted last: a writing transaction holds the database's one write lock from its
    first write to its commit, and every acknowledgement's insert waits for it - so the events are
    parsed, matched and checked before this transaction writes anything. Another process that stored
    them meanwhile had the lock first, so its commit is visible by then and the delete finds them gone.
    """
    columns = (SLACK_INBOX.c.id, SLACK_INBOX.c.team_id, SLACK_INBOX.c.body)
    oldest = select(*columns).order_by(SLACK_INBOX.c.id).limit(most)
    if ids is not None:
        oldest = oldest.where(SLACK_INBOX.c.id.in_(ids))
    if session.get_bind().dialect.name != "sqlite":
        which = select(oldest.subquery().c.id).scalar_subquery()
        deleted = session.execute(delete(SLACK_INBOX).where(SLACK_INBOX.c.id.in_(which)).returning(*columns))
        yield sorted((InboxRow(*row) for row in deleted), key=lambda row: row.id)
        return
    rows = [InboxRow(*row) for row in session.execute(oldest)]
    yield rows
    if rows and drop(session, [row.id for row in rows]) != len(rows):
        raise Taken


def drop(session: Session, ids: list[int]) -> int:
    """Deletes these events from the inbox in the session's transaction; how many were still there."""
    result = session.execute(delete(SLACK_INBOX).where(SLACK_INBOX.c.id.in_(ids)))
    return int(result.rowcount)  # type: ignore[attr-defined]
