"""Database-level protection of the logbook: UPDATE, DELETE (and TRUNCATE) are refused.

The same statements are run when the table is created (`metadata.create_all`, tests) and by
the Alembic migration, so every database holding the logbook refuses edits, whoever connects.
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

MESSAGE = "the logbook is append-only: write a correcting entry instead"

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS logbook_entries_no_update BEFORE UPDATE ON logbook_entries "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    "CREATE TRIGGER IF NOT EXISTS logbook_entries_no_delete BEFORE DELETE ON logbook_entries "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION logbook_entries_append_only() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$",
    "DROP TRIGGER IF EXISTS logbook_entries_no_change ON logbook_entries",
    "CREATE TRIGGER logbook_entries_no_change BEFORE UPDATE OR DELETE ON logbook_entries "
    "FOR EACH ROW EXECUTE FUNCTION logbook_entries_append_only()",
    "DROP TRIGGER IF EXISTS logbook_entries_no_truncate ON logbook_entries",
    "CREATE TRIGGER logbook_entries_no_truncate BEFORE TRUNCATE ON logbook_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION logbook_entries_append_only()",
]


def statements(dialect: str) -> list[str]:
    """The trigger DDL for a dialect ('sqlite' or 'postgresql')."""
    return {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(dialect, [])


def install_on_create(table: Table) -> None:
    """Create the triggers right after the table, on SQLite and PostgreSQL."""
    for dialect in ("sqlite", "postgresql"):
        for sql in statements(dialect):
            ddl = DDL(sql)  # type: ignore[no-untyped-call]
            event.listen(table, "after_create", ddl.execute_if(dialect=dialect))
