"""keyed audit chain and its anchor timer

Records from now on are MACed with the chain key (HMAC-SHA256 under a key the database never
holds), which this migration cannot do for the records already written: it has no key. So
existing records keep their plain SHA-256 and the head remembers where the keyed segment
starts (`keyed_from`); the first keyed record covers the last plain hash, and every anchor
carries `keyed_from`, so moving it later is detected.

Revision ID: 7c2e4a9d1f03
Revises: 530b57ce9471
Create Date: 2026-11-30 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import servicekit.columns

revision: str = "7c2e4a9d1f03"
down_revision: str | None = "530b57ce9471"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "audit_head",
        sa.Column("keyed_from", sa.Integer(), nullable=False, server_default="1"),
    )
    op.execute("UPDATE audit_head SET keyed_from = last_seq + 1")
    op.create_table(
        "audit_anchor_timer",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("due_at", servicekit.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("anchored_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("audit_anchor_timer")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("keyed_from")
