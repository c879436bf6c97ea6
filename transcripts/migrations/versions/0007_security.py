"""security

The installation's own generated secret (its signing key when SECRET_KEY is unset), the sign-in
links already used (so each works once), and CPD reflections kept per writer's key rather than one
per handle (so nobody can claim a handle's reflections first and lock its owner out).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transcripts.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "installation_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", transcripts.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "used_signin_tokens",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", transcripts.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    with op.batch_alter_table("used_signin_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_used_signin_tokens_expires_at"), ["expires_at"], unique=False)
    with op.batch_alter_table("cpd_entries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_cpd_event_participant", type_="unique")
        batch_op.create_unique_constraint("uq_cpd_owner_key", ["owner_key_hash"])
        batch_op.create_index("ix_cpd_event_participant", ["event_id", "participant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cpd_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_cpd_event_participant")
        batch_op.drop_constraint("uq_cpd_owner_key", type_="unique")
        batch_op.create_unique_constraint("uq_cpd_event_participant", ["event_id", "participant_id"])
    with op.batch_alter_table("used_signin_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_signin_tokens_expires_at"))
    op.drop_table("used_signin_tokens")
    op.drop_table("installation_secrets")
