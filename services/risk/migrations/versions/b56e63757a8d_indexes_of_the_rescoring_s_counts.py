"""indexes of the rescoring's counts: current (and Red) declarations, an EPE's warnings by
time with their state, the timeline steps that confirm a warning

Revision ID: b56e63757a8d
Revises: 487300da665a
Create Date: 2026-12-01 04:32:16
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b56e63757a8d"
down_revision: str | None = "487300da665a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = "kind = 'declaration' AND superseded_by IS NULL"
RED = f"{CURRENT} AND (data ->> 'channel') = 'red'"
CONFIRMING = "action IN ('propose', 'escalate', 'decide')"
PARTIAL = (
    (
        "ix_customs_record_current_declarations",
        "customs_record",
        ["epe_tax_code", "occurred_at"],
        CURRENT,
    ),
    (
        "ix_customs_record_current_red_declarations",
        "customs_record",
        ["epe_tax_code", "occurred_at"],
        RED,
    ),
    ("ix_risk_warning_timeline_confirming", "risk_warning_timeline", ["warning_id"], CONFIRMING),
)


def upgrade() -> None:
    for name, table, columns, where in PARTIAL:
        op.create_index(
            name, table, columns, postgresql_where=sa.text(where), sqlite_where=sa.text(where)
        )
    op.create_index(
        "ix_risk_warning_epe_id_raised_at", "risk_warning", ["epe_id", "raised_at", "state"]
    )
    op.drop_index("ix_risk_warning_epe_id", table_name="risk_warning")


def downgrade() -> None:
    op.create_index("ix_risk_warning_epe_id", "risk_warning", ["epe_id"])
    op.drop_index("ix_risk_warning_epe_id_raised_at", table_name="risk_warning")
    for name, table, _columns, _where in reversed(PARTIAL):
        op.drop_index(name, table_name=table)
