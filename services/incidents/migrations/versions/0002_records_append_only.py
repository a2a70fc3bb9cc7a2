"""the records kept as written refuse UPDATE and DELETE at the database level

Revision ID: 5b8d2f4e7a11
Revises: c42dbc0c3a01
Create Date: 2026-11-30 15:30:00
"""

from collections.abc import Sequence

from alembic import op

from servicekit.appendonly import drop_ddl, trigger_ddl

revision: str = "5b8d2f4e7a11"
down_revision: str | None = "c42dbc0c3a01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "incident_follow_up",
    "gate_log_entry",
    "notice_revision",
    "incident_extension",
    "incident_timeline",
)
MESSAGE = "records are append-only: add a new record instead"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        for statement in trigger_ddl(table, dialect, MESSAGE):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        for statement in drop_ddl(table, dialect):
            op.execute(statement)
