"""Marking EPEs for rescoring whenever the data behind their indicators changes.

A SQLAlchemy `after_flush` hook looks at the rows each flush of a risk session writes (gate
events, warnings, declarations, outages, cameras, incidents, enterprises) and marks their
EPEs in `risk_score_due` in the same transaction, so nothing that changes an indicator can
forget to ask for a new score. Code that writes with Core statements (bulk inserts) bypasses
the hook and calls `mark_due` itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import col, select

from risk.customs.models import CustomsRecord, RecordKind
from risk.gate.models import GateEvent
from risk.indicators.models import IncidentFact
from risk.plan.models import PlanSlot
from risk.projection.models import Camera, Enterprise, Outage
from risk.scoring.models import ScoreDue
from risk.warnings.models import RiskWarning
from servicekit.db import insert_new

BY_EPE = (GateEvent, RiskWarning, Outage, Camera, IncidentFact, Enterprise, PlanSlot)
"""Rows that name their EPE and feed an indicator."""


def mark_due(connection: Connection, epe_ids: Iterable[str]) -> None:
    """Ask for a new score of these EPEs (an EPE already waiting keeps its place)."""
    rows = [{"epe_id": epe_id, "due_at": None} for epe_id in sorted(set(epe_ids))]
    if not rows:
        return
    table: Any = ScoreDue.__table__  # type: ignore[attr-defined]
    insert_new(connection, table, rows)


def mark_declarations_due(connection: Connection, tax_codes: Iterable[str]) -> None:
    """Ask for a new score of the EPEs with these tax codes (their declarations changed)."""
    query = select(Enterprise.epe_id).where(col(Enterprise.tax_code).in_(sorted(set(tax_codes))))
    mark_due(connection, connection.execute(query).scalars())


def _touched(session: OrmSession) -> tuple[set[str], set[str]]:
    """EPE ids and declaration tax codes of the rows this flush wrote."""
    epe_ids: set[str] = set()
    tax_codes: set[str] = set()
    for row in (*session.new, *session.dirty):
        if isinstance(row, BY_EPE):
            epe_ids.add(row.epe_id)
        elif (
            isinstance(row, CustomsRecord)
            and row.kind == RecordKind.DECLARATION.value
            and row.epe_tax_code
        ):
            tax_codes.add(row.epe_tax_code)
    return epe_ids, tax_codes


def _after_flush(session: OrmSession, _flush: UOWTransaction) -> None:
    epe_ids, tax_codes = _touched(session)
    if not epe_ids and not tax_codes:
        return
    connection = session.connection()
    mark_due(connection, epe_ids)
    if tax_codes:
        mark_declarations_due(connection, tax_codes)


def install() -> None:
    """Register the hook once per process (idempotent)."""
    if not event.contains(OrmSession, "after_flush", _after_flush):
        event.listen(OrmSession, "after_flush", _after_flush)
