"""package file declared sha256 (the vendor's, checked when the last chunk arrives)

Revision ID: b7d2e41c9a53
Revises: a01e140d0391
Create Date: 2026-12-01 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b7d2e41c9a53"
down_revision: str | None = "a01e140d0391"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("package_files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("declared_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("package_files", schema=None) as batch_op:
        batch_op.drop_column("declared_sha256")
