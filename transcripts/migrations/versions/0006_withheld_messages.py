"""withheld messages and the actions a level change committed to

A huddle reply that looked like patient-identifiable information is kept out of summaries, pages and
CPD logs until its author edits it; its text is not kept meanwhile, only why it was withheld. A level
change records the level's agreed actions as they stood when it was declared.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-23 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withheld_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("level_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actions_taken", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("level_changes", schema=None) as batch_op:
        batch_op.drop_column("actions_taken")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("withheld_reason")
