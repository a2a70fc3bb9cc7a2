"""epe projection from registry

The access service keeps the registry's EPEs (`registry.epe.registered.v1` /
`registry.epe.updated.v1`) as the source of which unit supervises each EPE. Only a new table:
the audit-log triggers of the initial revision are untouched.

Revision ID: 530b57ce9471
Revises: ea39d74cc1db
Create Date: 2026-11-25 10:07:54.466747
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import servicekit.columns

revision: str = "530b57ce9471"
down_revision: str | None = "ea39d74cc1db"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registry_epes",
        sa.Column("epe_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("event_time", servicekit.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("epe_id"),
    )
    with op.batch_alter_table("registry_epes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_epes_unit"), ["unit"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("registry_epes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_epes_unit"))
    op.drop_table("registry_epes")
