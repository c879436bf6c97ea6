"""Slack's tables in the record: slack_sdk's OAuth stores (multi-workspace install) and the event inbox.

slack_sdk reads and writes bot tokens and install states in the first three; declaring them here, with
the columns its builders make (frozen in migration 0003), lets Alembic create them in the record's
database and the migration test check them like every other table — without the record importing
slack_sdk. `bot.slack.install` hands slack_sdk the names.

`slack_inbox` holds each Slack message event from the moment before it is acknowledged until it is
stored: once Slack has its 200 it never sends the event again, so the event must already be on disk.
`SlackInbox.add` is the one write on the acknowledging path; `claim` takes the oldest rows out in the
transaction that stores them (`bot.slack.app`), so after a kill at any point each event is either
still here or stored, never both and never neither, and a restarted process stores what is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Engine, Index, Integer, String, Table, Text, delete, select
from sqlalchemy.dialects import postgresql, sqlite
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


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    team_id: str | None
    body: str


class SlackInbox:
    """The acknowledging path's one write: `add` inserts a Slack event and commits before the ack leaves.

    Its own small engine, not the record's: on SQLite a busy timeout of INBOX_WAIT_SECONDS instead of
    thirty, on PostgreSQL connect and statement timeouts and no pre-ping (a connection lost since its last
    use fails that one insert, the pool replaces it, and Slack retries). The insert is built once.
    """

    def __init__(self, db: Database) -> None:
        wait = INBOX_WAIT_SECONDS
        if isinstance(db.engine.pool, StaticPool):  # an in-memory SQLite database is only the record's engine
            self._engine: Engine = db.engine
        elif db.engine.dialect.name == "sqlite":
            self._engine = make_engine(db.url, connect_args={"timeout": wait, "check_same_thread": False})
        else:
            timeouts = {"connect_timeout": max(1, int(wait)), "options": f"-c statement_timeout={int(wait * 1000)}"}
            self._engine = make_engine(db.url, pool_pre_ping=False, connect_args=timeouts)
        dialect: Any = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        # A retry of an event still here is the same row; one already stored is kept once by the record.
        self._insert = dialect.insert(SLACK_INBOX).on_conflict_do_nothing(index_elements=["event_id"])

    def add(self, event_id: str | None, team_id: str | None, body: str) -> None:
        """Committed on return; raises if the database did not take it within INBOX_WAIT_SECONDS."""
        row = {"event_id": event_id, "team_id": team_id, "received_at": utcnow(), "body": body}
        with self._engine.begin() as conn:
            conn.execute(self._insert, row)


def claim(session: Session, most: int, ids: list[int] | None = None) -> list[InboxRow]:
    """Deletes and returns the oldest `most` rows (or those of `ids`) in arrival order, in the session's
    transaction: the caller stores them before it commits, so a rollback or a kill puts them back.

    The delete is the transaction's first statement, so it takes the write lock at once (SQLite) or
    locks the rows (PostgreSQL): a second process draining at the same time waits, then finds them gone.
    """
    which = select(SLACK_INBOX.c.id).order_by(SLACK_INBOX.c.id).limit(most)
    if ids is not None:
        which = which.where(SLACK_INBOX.c.id.in_(ids))
    taken = session.execute(
        delete(SLACK_INBOX)
        .where(SLACK_INBOX.c.id.in_(which.scalar_subquery()))
        .returning(SLACK_INBOX.c.id, SLACK_INBOX.c.team_id, SLACK_INBOX.c.body)
    )
    return sorted((InboxRow(*row) for row in taken), key=lambda row: row.id)
