"""Checking a plan against the target database and applying it as one guarded UPDATE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    and_,
    select,
    text,
    update,
)
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.types import ARRAY, Float


class CorrectionRefused(RuntimeError):
    """The plan cannot be applied as it stands; nothing was changed."""


@dataclass(frozen=True)
class Plan:
    """An approved correction as access serves it."""

    id: str
    status: str
    service: str
    table: str
    primary_key: dict[str, Any]
    changes: dict[str, dict[str, Any]]

    @classmethod
    def from_api(cls, document: dict[str, Any]) -> Plan:
        return cls(
            id=document["id"],
            status=document["status"],
            service=document["service"],
            table=document["table"],
            primary_key=dict(document["primary_key"]),
            changes={c: dict(v) for c, v in document["changes"].items()},
        )

    @property
    def before(self) -> dict[str, Any]:
        return {c: v["from"] for c, v in self.changes.items()}

    @property
    def after(self) -> dict[str, Any]:
        return {c: v["to"] for c, v in self.changes.items()}


@dataclass(frozen=True)
class Outcome:
    """What the UPDATE did: the one row touched, its values before and after (as JSON)."""

    rows_touched: int
    before: dict[str, Any]
    after: dict[str, Any]


UNCORRECTABLE_TYPES = (JSON, ARRAY, LargeBinary)
"""Column types a plan's scalar `from`/`to` cannot state exactly."""


def append_only_tables(engine: Engine, schema: str | None) -> set[str]:
    """The tables `servicekit.appendonly` protects with triggers in this database."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(
                text(
                    "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                    "AND name = tbl_name || '_no_update'"
                )
            )
        else:
            rows = connection.execute(
                text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE t.tgname = c.relname || '_no_change' "
                    "AND n.nspname = coalesce(:schema, current_schema())"
                ),
                {"schema": schema},
            )
        return {str(name) for name in rows.scalars()}


def target_table(engine: Engine, schema: str | None, plan: Plan) -> Table:
    """The plan's table, reflected, once the plan fits it: not append-only, its primary key
    named in full, every changed column present, scalar and not part of the key."""
    if plan.table in append_only_tables(engine, schema):
        raise CorrectionRefused(
            f"{plan.service}.{plan.table} is append-only: correct it by appending a record"
        )
    try:
        table = Table(plan.table, MetaData(schema=schema), autoload_with=engine)
    except NoSuchTableError as exc:
        raise CorrectionRefused(f"{plan.service} has no table {plan.table}") from exc
    key = {c.name for c in table.primary_key.columns}
    if not key or key != set(plan.primary_key):
        raise CorrectionRefused(
            f"{plan.table}'s primary key is {sorted(key)}, the plan names "
            f"{sorted(plan.primary_key)}"
        )
    for name in plan.changes:
        column = table.columns.get(name)
        if column is None:
            raise CorrectionRefused(f"{plan.table} has no column {name}")
        if name in key:
            raise CorrectionRefused(f"{plan.table}.{name} is part of the primary key")
        if isinstance(column.type, UNCORRECTABLE_TYPES):
            raise CorrectionRefused(f"{plan.table}.{name} is not a scalar column")
    return table


def _instant(value: str, *, aware: bool) -> datetime:
    """An ISO 8601 instant in UTC (naive taken as UTC), naive where the column is."""
    moment = datetime.fromisoformat(value)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment if aware else moment.replace(tzinfo=None)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("not true or false")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or int(value) != value:
        raise ValueError("not an integer")
    return int(value)


def to_column(column: Column[Any], value: Any) -> Any:
    """A JSON value as the column stores it (timestamps in UTC, as the kit's columns keep
    them); CorrectionRefused when it cannot be one."""
    kind = column.type
    converters: list[tuple[type[Any], Any]] = [
        (DateTime, lambda v: _instant(str(v), aware=bool(getattr(kind, "timezone", False)))),
        (Date, lambda v: date.fromisoformat(str(v))),
        (Boolean, _boolean),
        (Integer, _integer),
        (Float, float),
        (Numeric, lambda v: Decimal(str(v))),
    ]
    if value is None:
        return None
    convert = next((f for t, f in converters if isinstance(kind, t)), None)
    if convert is None:
        return value
    try:
        return convert(value)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise CorrectionRefused(f"{column.name}: {value!r} does not fit the column") from exc


def _row_filter(table: Table, plan: Plan) -> Any:
    return and_(*(table.c[k] == to_column(table.c[k], v) for k, v in plan.primary_key.items()))


def _holds(column: Column[Any], value: Any) -> Any:
    stored = to_column(column, value)
    return column.is_(None) if stored is None else column == stored


def apply_change(engine: Engine, schema: str | None, plan: Plan) -> Outcome:
    """In one transaction: the row must exist, the UPDATE matches only if every `from` value
    still holds, and the row read back must hold every `to` value; otherwise roll back and
    raise CorrectionRefused."""
    table = target_table(engine, schema, plan)
    where = _row_filter(table, plan)
    changed = [table.c[name] for name in plan.changes]
    with engine.begin() as connection:
        found = connection.execute(select(*changed).where(where).with_for_update()).first()
        if found is None:
            raise CorrectionRefused(f"{plan.table} has no row {plan.primary_key}")
        guard = and_(*(_holds(table.c[c], v["from"]) for c, v in plan.changes.items()))
        result = connection.execute(
            update(table)
            .where(where, guard)
            .values({c: to_column(table.c[c], v["to"]) for c, v in plan.changes.items()})
        )
        if result.rowcount != 1:
            stale = [
                c.name
                for c, current in zip(changed, found, strict=True)
                if current != to_column(c, plan.changes[c.name]["from"])
            ]
            raise CorrectionRefused(
                "the row no longer holds the planned `from` value of "
                f"{', '.join(stale) or 'some column'}: nothing changed"
            )
        read_back = connection.execute(select(*changed).where(where)).one()
        for column, value in zip(changed, read_back, strict=True):
            if value != to_column(column, plan.changes[column.name]["to"]):
                raise CorrectionRefused(f"{column.name} did not take its planned value")
    return Outcome(rows_touched=1, before=plan.before, after=plan.after)
