"""unit codes as long as the registry's

Every `unit` column (and `units.code`) grows from 50 to 64 characters, the limit declared once
in `servicekit.units`, so a unit the registry accepts is never dead-lettered here. On SQLite
the tables are rebuilt (batch mode) with foreign keys off and checked afterwards, since
`users.unit` refers to `units.code` (dropping the old `units` would otherwise fail).

Revision ID: 9d41b6e2c8a5
Revises: 7c2e4a9d1f03
Create Date: 2026-11-30 12:10:00
"""

from collections.abc import Sequence

import sqlmodel
from alembic import op

revision: str = "9d41b6e2c8a5"
down_revision: str | None = "7c2e4a9d1f03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    ("units", "code", False),
    ("users", "unit", False),
    ("epe_bindings", "unit", False),
    ("oauth_clients", "unit", True),
    ("registry_epes", "unit", False),
    ("vault_entries", "unit", False),
    ("authority_requests", "unit", False),
    ("epe_assignments", "unit", False),
    ("role_grants", "unit", False),
]


def _resize(old: int, new: int) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _foreign_keys_off()
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=old),
                type_=sqlmodel.sql.sqltypes.AutoString(length=new),
                existing_nullable=nullable,
            )
    if sqlite and op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").first():
        raise RuntimeError("rebuilding the unit columns broke a foreign key")


def _foreign_keys_off() -> None:
    """SQLite's recipe for rebuilding a referenced table: foreign keys off, checked after.

    The pragma is a no-op inside a transaction, and an earlier revision of the same run may
    have opened one (pysqlite opens one at the first DML): that work is committed first, as
    if each revision had its own transaction. The migration's connection is discarded after
    the run, so the setting does not outlive it.
    """
    dbapi = op.get_bind().connection.dbapi_connection
    if dbapi is not None and dbapi.in_transaction:
        dbapi.commit()
    op.execute("PRAGMA foreign_keys = OFF")


def upgrade() -> None:
    _resize(50, 64)


def downgrade() -> None:
    _resize(64, 50)
