"""index messages by event and platform

Every page and API request asks whether its event holds any Slack post (the visibility rule in
bot/web/visibility.py); without an index that question reads every post of the event: 27 ms on a
50,000-post chat, for every live-view poll.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_event_platform", ["event_id", "platform"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_event_platform")
