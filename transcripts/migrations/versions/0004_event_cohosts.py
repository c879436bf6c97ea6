"""event cohosts and published totals

A chat's co-hosts and supporters post for the chat, as the host does: their posts are never answers
and they are never credited with answering. The handles are kept with the event. So are the totals a
source published that the record cannot recompute (a WeCommunities page's "Total reach: 453,257"),
to be shown as the source's.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cohosts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("published_totals", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("published_totals")
        batch_op.drop_column("cohosts")
