"""insert_new skips rows whose key is already stored, on SQLite and PostgreSQL."""

from sqlalchemy import Column, Integer, MetaData, String, Table, select

from servicekit.db import insert_new, make_engine

_metadata = MetaData()
_things = Table(
    "kit_insert_new", _metadata, Column("id", Integer, primary_key=True), Column("name", String)
)


def test_rows_already_stored_are_skipped_and_counted_out(database):
    engine = make_engine(database.url, schema=database.schema)
    _metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            assert insert_new(connection, _things, [{"id": 1, "name": "first"}]).rowcount == 1
        with engine.begin() as connection:
            rows = [{"id": 1, "name": "again"}, {"id": 2, "name": "second"}]
            assert insert_new(connection, _things, rows).rowcount == 1
            stored = connection.execute(select(_things).order_by(_things.c.id)).all()
        assert [tuple(row) for row in stored] == [(1, "first"), (2, "second")]
    finally:
        _metadata.drop_all(engine)
        engine.dispose()
