"""Tables whose rows are written once and never changed (seed 2 §3: data kept original).

Two guards, one per layer: the ORM refuses to flush an update or delete of such a row (a bug
fails loudly in the service's own code), and database triggers refuse UPDATE, DELETE and, on
PostgreSQL, TRUNCATE whoever connects. The triggers are created with the table
(`metadata.create_all`, tests) and by the Alembic migration that creates the table, which calls
`trigger_ddl` with the same arguments. Corrections are new rows pointing at the old ones.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import DDL, Table, event

Model = TypeVar("Model", bound=type[Any])


class AppendOnlyViolation(RuntimeError):
    """Code tried to change or delete a record that is kept as written."""


def trigger_ddl(table: str, dialect: str, message: str) -> list[str]:
    """The statements that make `table` refuse changes on `dialect` ('sqlite', 'postgresql')."""
    quoted = message.replace("'", "''")
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{quoted}'); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{quoted}'); END",
        ]
    if dialect == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{quoted}'; END; $$",
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()",
        ]
    return []


def drop_ddl(table: str, dialect: str) -> list[str]:
    """The statements a migration's downgrade runs to remove what `trigger_ddl` created."""
    if dialect == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
        ]
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_append_only()",
        ]
    return []


def protect_table(table: Table, message: str) -> None:
    """Create the triggers right after `table` is created, on SQLite and PostgreSQL."""
    for dialect in ("sqlite", "postgresql"):
        for sql in trigger_ddl(table.name, dialect, message):
            ddl = DDL(sql)  # type: ignore[no-untyped-call]
            event.listen(table, "after_create", ddl.execute_if(dialect=dialect))


def append_only(message: str) -> Any:
    """Class decorator for a table model: both guards, with `message` as the refusal."""

    def decorate(model: Model) -> Model:
        def refuse(_mapper: Any, _connection: Any, target: Any) -> None:
            raise AppendOnlyViolation(f"{type(target).__name__}: {message}")

        event.listen(model, "before_update", refuse)
        event.listen(model, "before_delete", refuse)
        protect_table(model.__table__, message)
        return model

    return decorate
