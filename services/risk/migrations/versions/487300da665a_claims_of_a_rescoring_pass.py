"""claims of a rescoring pass: marks leave risk_score_due in a short transaction of their own

Revision ID: 487300da665a
Revises: 7d3e5a9c1b20
Create Date: 2026-12-01 04:19:47
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.columns

revision: str = "487300da665a"
down_revision: str | None = "7d3e5a9c1b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_score_claim",
        sa.Column("epe_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("claimed_at", servicekit.columns.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("epe_id"),
    )


def downgrade() -> None:
    op.drop_table("risk_score_claim")
