"""Column types shared by the registry's tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Table
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("a datetime is required")
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a time zone")
        utc: datetime = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def utc_field(*, nullable: bool = False, index: bool = False, default: Any = ...) -> Any:
    """A SQLModel field stored as a UTC timestamp column."""
    from sqlalchemy import Column
    from sqlmodel import Field

    column: Column[datetime] = Column(UTCDateTime(), nullable=nullable, index=index)
    if default is ...:
        return Field(sa_column=column)
    return Field(default=default, sa_column=column)


def json_field(*, default_factory: Any = list, nullable: bool = False) -> Any:
    """A SQLModel field stored as a JSON column."""
    from sqlalchemy import JSON, Column
    from sqlmodel import Field

    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=nullable))


def table_of(model: type[Any]) -> Table:
    """The Core table of a SQLModel table class, for set-based statements."""
    table = sa_inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table
