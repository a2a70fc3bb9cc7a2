"""Migrations applied to a database that holds data (the empty case is tests/migrations)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from access.main import MIGRATIONS_DIR
from access.officers.models import Unit, User
from servicekit import migrations
from servicekit.db import make_engine
from servicekit.units import UNIT_MAX_LENGTH

BEFORE_LONG_UNITS = "530b57ce9471"  # two revisions in one run: the first one writes


def test_unit_columns_grow_with_officers_referring_to_their_units(database):
    def upgrade(revision: str = "head") -> None:
        migrations.upgrade(
            url=database.url,
            schema=database.schema,
            migrations_dir=MIGRATIONS_DIR,
            revision=revision,
        )

    upgrade(BEFORE_LONG_UNITS)
    engine = make_engine(database.url, schema=database.schema)
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(Unit(code="HQ-KCX-BN", name="Bắc Ninh", created_at=now))
        session.flush()
        session.add(
            User(
                username="nguyen.van.a",
                full_name="Nguyễn Văn A",
                unit="HQ-KCX-BN",
                created_at=now,
                created_by="test",
            )
        )
        session.commit()
    upgrade()
    long_unit = "U" * UNIT_MAX_LENGTH
    with Session(engine) as session:
        session.add(Unit(code=long_unit, name="Long", created_at=now))
        session.flush()
        session.add(
            User(
                username="tran.thi.b",
                full_name="Trần Thị B",
                unit=long_unit,
                created_at=now,
                created_by="test",
            )
        )
        session.commit()
        assert session.get(Unit, "HQ-KCX-BN") is not None
        units = {u.username: u.unit for u in session.exec(select(User)).all()}
    assert units == {"nguyen.van.a": "HQ-KCX-BN", "tran.thi.b": long_unit}
    engine.dispose()
