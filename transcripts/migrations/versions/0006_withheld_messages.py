"""withheld messages, level actions, huddle actions and harm events

A huddle reply that looked like patient-identifiable information is kept out of summaries, pages and
CPD logs until its author edits it; its text is not kept meanwhile, only why it was withheld. A level
change records the level's agreed actions as they stood when it was declared. Actions agreed at a
huddle (what, owner, due) are followed up at the next; harm events give the days-since-last-harm tally.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transcripts.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withheld_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("level_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actions_taken", sa.JSON(), nullable=True))
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=True),
        sa.Column("team_channel", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("due_at", transcripts.models.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", transcripts.models.UTCDateTime(), nullable=False),
        sa.Column("done_at", transcripts.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.create_index("ix_actions_team_status", ["team_channel", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_workspace"), ["workspace"], unique=False)
    op.create_table(
        "harm_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=True),
        sa.Column("team_channel", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("occurred_at", transcripts.models.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", transcripts.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("harm_events", schema=None) as batch_op:
        batch_op.create_index("ix_harm_events_team_kind", ["team_channel", "kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_harm_events_workspace"), ["workspace"], unique=False)


def downgrade() -> None:
    op.drop_table("harm_events")
    op.drop_table("actions")
    with op.batch_alter_table("level_changes", schema=None) as batch_op:
        batch_op.drop_column("actions_taken")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("withheld_reason")
