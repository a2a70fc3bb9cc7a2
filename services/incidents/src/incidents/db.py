"""The incidents service's own tables: a private SQLModel registry keeps its metadata apart."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from servicekit.events import attach_event_tables


class IncidentsModel(SQLModel, registry=registry()):
    """Base of every table the incidents service owns."""


metadata = IncidentsModel.metadata
attach_event_tables(metadata)


class AppendOnlyViolation(RuntimeError):
    """Raised when code tries to change or delete a record that is kept as written (seed 2 §3)."""


def append_only(model: type[Any]) -> type[Any]:
    """Class decorator: rows of this table are inserted, never updated or deleted."""

    def _refuse(_mapper: Any, _connection: Any, target: Any) -> None:
        raise AppendOnlyViolation(f"{type(target).__name__} records are append-only")

    event.listen(model, "before_update", _refuse)
    event.listen(model, "before_delete", _refuse)
    return model
