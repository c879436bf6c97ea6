"""slack inbox

A Slack message event is written here before it is acknowledged and taken out in the transaction that
stores it, so one acknowledged while the process was killed is stored by the next process: Slack never
sends an event again once it has had its 200. Slack's event_id is unique, so a retry of an event not
yet stored is the same row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transcripts.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_inbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("received_at", transcripts.models.UTCDateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("slack_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_slack_inbox_event_id", ["event_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("slack_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_slack_inbox_event_id")
    op.drop_table("slack_inbox")
