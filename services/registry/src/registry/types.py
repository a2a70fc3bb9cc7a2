"""Column helpers the registry's tables share (UTC timestamps come from `servicekit.columns`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy import inspect as sa_inspect


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
