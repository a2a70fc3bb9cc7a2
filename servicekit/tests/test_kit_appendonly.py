"""Append-only tables refuse changes in the ORM and in the database, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel

from servicekit.appendonly import AppendOnlyViolation, append_only, drop_ddl
from servicekit.db import make_engine


class _Base(SQLModel, registry=registry()):
    pass


@append_only("entries are kept as written: add one that corrects it")
class Entry(_Base, table=True):
    __tablename__ = "kit_entries"

    id: int = Field(primary_key=True)
    text: str


@pytest.fixture
def engine(database):
    engine = make_engine(database.url, schema=database.schema)
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Entry(id=1, text="as written"))
        session.commit()
    yield engine
    engine.dispose()


def test_the_orm_refuses_update_and_delete(engine):
    with Session(engine) as session:
        entry = session.get(Entry, 1)
        entry.text = "edited"
        with pytest.raises(AppendOnlyViolation, match="kept as written"):
            session.commit()
    with Session(engine) as session:
        session.delete(session.get(Entry, 1))
        with pytest.raises(AppendOnlyViolation):
            session.commit()


@pytest.mark.parametrize(
    "sql", ["UPDATE kit_entries SET text = 'edited'", "DELETE FROM kit_entries"]
)
def test_the_database_refuses_whoever_connects(engine, sql):
    with pytest.raises((DBAPIError, IntegrityError), match="kept as written"), engine.begin() as c:
        c.execute(text(sql))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT text FROM kit_entries")).scalar_one() == "as written"


def test_inserts_pass_and_the_downgrade_removes_the_triggers(engine):
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO kit_entries (id, text) VALUES (2, 'second')"))
        for statement in drop_ddl("kit_entries", conn.dialect.name):
            conn.execute(text(statement))
        conn.execute(text("DELETE FROM kit_entries WHERE id = 2"))
