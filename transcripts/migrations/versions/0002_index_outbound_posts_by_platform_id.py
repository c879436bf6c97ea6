"""index outbound posts by platform id

A reply in a huddle's thread is matched to its huddle by the opening post's platform id; without an
index that lookup scans every post the bot ever made.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 07:29:48.746566
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_posts", schema=None) as batch_op:
        batch_op.create_index("ix_outbound_posts_platform_id", ["platform", "platform_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbound_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_posts_platform_id")
