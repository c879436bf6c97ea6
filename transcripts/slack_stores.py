"""slack_sdk's OAuth stores (multi-workspace install) as tables of our own metadata.

slack_sdk reads and writes bot tokens and install states in these tables; declaring them here, with
the columns its builders make (frozen in migration 0003), lets Alembic create them in the record's
database and the migration test check them like every other table — without the record importing
slack_sdk. `bot.slack.install` hands slack_sdk the names.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table

from transcripts.models import Base

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
