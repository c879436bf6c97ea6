"""event revised_at

When something other than a new, edited or deleted post changed what an event shows: an erasure rewrites
the person's posts, their mentions in other people's and their profile without touching the columns that
follow the posts. The web app's page versions read every event column, so setting this one is what makes
a running web process drop the pages and pictures it built before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transcripts.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revised_at", transcripts.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("revised_at")
