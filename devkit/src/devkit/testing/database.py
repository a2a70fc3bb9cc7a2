"""Fresh databases for tests: a SQLite file, or a new PostgreSQL schema when reachable."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from servicekit.db import normalise_url

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class TestDatabase:
    """A database URL plus the schema that isolates this test (PostgreSQL only)."""

    __test__ = False
    kind: str
    url: str
    schema: str | None = None


def postgres_unreachable_reason(url: str) -> str | None:
    """None when PostgreSQL answers at url, else why not (for the skip message)."""
    engine = create_engine(normalise_url(url), connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return None
    except OperationalError as exc:
        return f"PostgreSQL unreachable at {make_url(url).render_as_string()}: {exc.orig}"
    finally:
        engine.dispose()


@contextmanager
def sqlite_database(directory: Path) -> Iterator[TestDatabase]:
    """A new SQLite file in directory."""
    path = directory / f"{uuid.uuid4().hex}.db"
    yield TestDatabase("sqlite", f"sqlite:///{path}")


@contextmanager
def postgres_database(url: str) -> Iterator[TestDatabase]:
    """A new schema in the PostgreSQL database at url, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield TestDatabase("postgresql", url, schema)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()
