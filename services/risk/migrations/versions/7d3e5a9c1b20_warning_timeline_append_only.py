"""the warning timeline refuses UPDATE and DELETE at the database level

Revision ID: 7d3e5a9c1b20
Revises: 17cd647567d5
Create Date: 2026-11-30 15:30:00
"""

from collections.abc import Sequence

from alembic import op

from servicekit.appendonly import drop_ddl, trigger_ddl

revision: str = "7d3e5a9c1b20"
down_revision: str | None = "17cd647567d5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "risk_warning_timeline"
MESSAGE = "the warning timeline is append-only: record a new step instead"


def upgrade() -> None:
    for statement in trigger_ddl(TABLE, op.get_bind().dialect.name, MESSAGE):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_ddl(TABLE, op.get_bind().dialect.name):
        op.execute(statement)
