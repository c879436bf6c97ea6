"""chat captures

Where capture of a chat has got to on each platform (the platform's own cursor, so a restarted
worker resumes the search rather than rescanning it) and what it has read and created there (what
X's pay-per-use API bills).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transcripts.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=True),
        sa.Column("posts_read", sa.Integer(), nullable=False),
        sa.Column("users_read", sa.Integer(), nullable=False),
        sa.Column("posts_created", sa.Integer(), nullable=False),
        sa.Column("posts_created_with_url", sa.Integer(), nullable=False),
        sa.Column("deletions_checked_at", transcripts.models.UTCDateTime(), nullable=True),
        sa.Column("reposts", sa.Integer(), nullable=True),
        sa.Column("updated_at", transcripts.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "platform", name="uq_chat_capture_event_platform"),
    )


def downgrade() -> None:
    op.drop_table("chat_captures")
