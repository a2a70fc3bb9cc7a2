"""UTC timestamp columns: aware in, aware UTC out, comparable in SQL, on SQLite and PostgreSQL."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from servicekit.columns import UTCDateTime
from servicekit.db import make_engine
from servicekit.testing.database import TestDatabase

HANOI = timezone(timedelta(hours=7))

metadata = MetaData()
moments = Table(
    "moments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=True),
)


@pytest.fixture
def engine(database: TestDatabase) -> Iterator[Engine]:
    engine = make_engine(database.url, schema=database.schema)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_an_aware_value_comes_back_aware_in_utc(engine: Engine) -> None:
    local = datetime(2026, 3, 1, 9, 30, tzinfo=HANOI)
    with engine.begin() as conn:
        conn.execute(moments.insert().values(id=1, at=local))
        conn.execute(moments.insert().values(id=2, at=None))
        rows = dict(conn.execute(select(moments.c.id, moments.c.at)).all())
    assert rows[1] == local
    assert rows[1].tzinfo is not None and rows[1].utcoffset() == timedelta(0)
    assert rows[2] is None


def test_comparisons_in_sql_use_the_instant_not_the_wall_time(engine: Engine) -> None:
    # 08:00 in Hanoi is 01:00 UTC: earlier than 02:00 UTC though its wall time is later.
    with engine.begin() as conn:
        conn.execute(moments.insert().values(id=1, at=datetime(2026, 3, 1, 8, tzinfo=HANOI)))
        conn.execute(moments.insert().values(id=2, at=datetime(2026, 3, 1, 2, tzinfo=UTC)))
        ordered = conn.execute(select(moments.c.id).order_by(moments.c.at)).scalars().all()
        before = conn.execute(
            select(moments.c.id).where(moments.c.at < datetime(2026, 3, 1, 8, tzinfo=HANOI))
        )
        assert ordered == [1, 2]
        assert before.scalars().all() == []


def test_sqlite_keeps_utc_without_an_offset_so_older_rows_stay_readable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(moments.insert().values(id=1, at=datetime(2026, 3, 1, 8, tzinfo=HANOI)))
        # a row an earlier writer stored (naive UTC text, as SQLAlchemy writes it)
        conn.execute(text("INSERT INTO moments VALUES (2, '2026-03-01 01:00:00.000000')"))
        stored = conn.execute(text("SELECT at FROM moments ORDER BY id")).scalars().all()
        read = conn.execute(select(moments.c.at).order_by(moments.c.id)).scalars().all()
    assert stored == ["2026-03-01 01:00:00.000000", "2026-03-01 01:00:00.000000"]
    assert read == [datetime(2026, 3, 1, 1, tzinfo=UTC)] * 2
    engine.dispose()


def test_a_naive_value_is_refused(engine: Engine) -> None:
    with (
        pytest.raises(StatementError, match="naive datetimes are not stored"),
        engine.begin() as conn,
    ):
        conn.execute(moments.insert().values(id=1, at=datetime(2026, 3, 1, 8)))
