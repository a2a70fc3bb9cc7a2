"""Database engine and sessions for SQLModel: SQLite (WAL) by default, PostgreSQL via psycopg 3."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Connection, CursorResult, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs given without one."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> Engine:
    """Build an engine; SQLite gets WAL and a busy timeout, PostgreSQL a per-service schema."""
    url = normalise_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if ":memory:" in url or url in {"sqlite://", "sqlite:///"}:
            kwargs["poolclass"] = NullPool
    elif schema:
        kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif schema:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def insert_new(
    connection: Connection, table: Table, rows: list[dict[str, Any]]
) -> CursorResult[Any]:
    """INSERT the rows, skipping those whose key another transaction already wrote (ON
    CONFLICT DO NOTHING, which SQLite and PostgreSQL both have but SQLAlchemy spells per
    dialect); the result's rowcount is the number inserted (kept on purpose: SQLAlchemy
    keeps an INSERT's rowcount only when asked, and psycopg's is gone once it is not)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(rows).on_conflict_do_nothing()
    return connection.execute(statement.execution_options(preserve_rowcount=True))


def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session bound to the engine; the caller (route or handler) commits."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: one session per request on the app's engine; the route commits."""
    yield from session_scope(request.app.state.engine)


SessionDep = Annotated[Session, Depends(get_session)]
