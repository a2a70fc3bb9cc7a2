"""Declared containers the gate never saw: an export declaration cleared, and no exit of its
containers at the EPE's gate within the window after clearance.

A declaration version is checked once, when its window has passed (a marker row makes the
sweep exactly-once, also across replicas); a gate read arriving later resolves the warning.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Field, Session, col, select

from risk.customs.models import CustomsRecord, RecordKind
from risk.db import RiskModel
from risk.gate.models import Direction, GateEvent
from risk.matching.models import GateContainer
from risk.matching.rules import Finding, Window, instant, link, taken_containers
from risk.projection.models import Enterprise
from risk.projection.service import blind_cameras, enterprise_by_tax_code
from risk.settings import Settings
from risk.warnings.models import RiskWarning, Severity
from servicekit.columns import utc_field

UNSEEN = "declared_container_unseen"


class DeclarationCheck(RiskModel, table=True):
    """A declaration version whose window has been checked (never checked twice)."""

    __tablename__ = "declaration_check"

    record_id: str = Field(primary_key=True, max_length=36)
    checked_at: datetime = utc_field()


def clearance_window(record: CustomsRecord, settings: Settings) -> Window | None:
    """The window in which the gate should see the containers of a cleared export, if any."""
    if record.kind != RecordKind.DECLARATION.value or record.data.get("flow") != "export":
        return None
    cleared = instant(record.data.get("cleared_at"))
    return None if cleared is None else Window.after(cleared, settings)


def owner(session: Session, record: CustomsRecord) -> Enterprise | None:
    """The EPE a record names by tax code (None before the registry has described it)."""
    return enterprise_by_tax_code(session, record.epe_tax_code or "")


def unseen_findings(session: Session, record: CustomsRecord, settings: Settings) -> list[Finding]:
    """The containers of a current cleared export declaration no gate exit showed in time."""
    window = clearance_window(record, settings)
    enterprise = owner(session, record)
    if window is None or enterprise is None or record.superseded_by is not None:
        return []
    findings = []
    for number in sorted(set(record.data.get("container_numbers", []))):
        seen = session.exec(
            select(GateEvent.id)
            .join(GateContainer, col(GateContainer.gate_event_id) == col(GateEvent.id))
            .where(
                GateContainer.number == number,
                GateEvent.epe_id == enterprise.epe_id,
                GateEvent.direction == Direction.EXIT.value,
                col(GateEvent.occurred_at) >= window.start,
                col(GateEvent.occurred_at) <= window.end,
            )
        ).first()
        if seen is not None:
            continue
        blind = blind_cameras(session, epe_id=enterprise.epe_id, at=window.start)
        facts = {
            "compared": [link(record)],
            "container": number,
            "window": window.as_dict(),
            "blind_cameras_at_clearance": blind,
            "manual": False,
            "repaired": False,
            "differs": "no exit of this container at the enterprise's gate within the window",
        }
        findings.append(Finding(UNSEEN, number, Severity.MEDIUM, facts))
    return findings


def due(session: Session, settings: Settings, now: datetime, limit: int) -> list[CustomsRecord]:
    """Declaration versions not checked yet whose window may have passed (oldest first)."""
    checked = select(DeclarationCheck.record_id)
    horizon = now - timedelta(hours=settings.match_window_hours)  # registered <= cleared
    query = (
        select(CustomsRecord)
        .where(
            CustomsRecord.kind == RecordKind.DECLARATION.value,
            col(CustomsRecord.occurred_at) <= horizon,
            col(CustomsRecord.id).not_in(checked),
        )
        .order_by(col(CustomsRecord.occurred_at), col(CustomsRecord.id))
        .limit(limit)
    )
    return list(session.exec(query))


def unseen_records_explained_by(
    session: Session, event: GateEvent, settings: Settings
) -> list[CustomsRecord]:
    """Declarations with an unseen-container warning that this (late) exit may answer."""
    numbers = taken_containers(event)
    if not numbers:
        return []
    query = select(RiskWarning.record_id).where(
        RiskWarning.rule == UNSEEN,
        RiskWarning.epe_id == event.epe_id,
        col(RiskWarning.subject).in_(numbers),
    )
    ids = {rid for rid in session.exec(query) if rid}
    records = [session.get(CustomsRecord, rid) for rid in sorted(ids)]
    return [r for r in records if r is not None]
