"""Direction: a container cleared for export and seen leaving that the gate then sees coming
back in, within the window of its clearance: the goods declared exported may not have been.

An entry alone proves nothing (empty containers come in to be loaded), so only an entry after
an exit of the same container since its export clearance is flagged.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from risk.customs.models import CustomsRecord, RecordKind
from risk.gate.models import Direction, GateEvent
from risk.matching.lookups import Lookups
from risk.matching.models import GateContainer
from risk.matching.rules import (
    Finding,
    Window,
    gate_facts,
    instant,
    link,
    taken_containers,
)
from risk.projection.models import Enterprise
from risk.settings import Settings
from risk.warnings.models import Severity

REENTERED = "exported_container_reentered"


def _exports(
    session: Session, number: str, window: Window, tax_code: str | None
) -> list[tuple[CustomsRecord, datetime]]:
    """Current export declarations of the container cleared in the window, with clearance."""
    found = []
    for record in Lookups(session).records_naming(number):
        cleared = instant(record.data.get("cleared_at"))
        if (
            record.kind == RecordKind.DECLARATION.value
            and record.superseded_by is None
            and record.data.get("flow") == "export"
            and not (tax_code and record.epe_tax_code and record.epe_tax_code != tax_code)
            and cleared is not None
            and window.holds(cleared)
        ):
            found.append((record, cleared))
    return found


def _exits(
    session: Session, event: GateEvent, number: str, since: datetime, until: datetime
) -> list[GateEvent]:
    """Exits at the EPE's gate showing the container in [since, until)."""
    shown = select(GateContainer.gate_event_id).where(GateContainer.number == number)
    query = select(GateEvent).where(
        col(GateEvent.id).in_(shown),
        GateEvent.epe_id == event.epe_id,
        GateEvent.direction == Direction.EXIT.value,
        col(GateEvent.occurred_at) >= since,
        col(GateEvent.occurred_at) < until,
    )
    return list(session.exec(query.order_by(col(GateEvent.occurred_at))))


def reentry_findings(session: Session, event: GateEvent, settings: Settings) -> list[Finding]:
    """One finding per container an entry brings back after its export exit."""
    if event.direction != Direction.ENTRY.value:
        return []
    enterprise = session.get(Enterprise, event.epe_id)
    tax_code = enterprise.tax_code if enterprise else None
    window = Window.before(event.occurred_at, settings)
    tolerance = timedelta(minutes=settings.match_tolerance_minutes)
    findings: list[Finding] = []
    for number in taken_containers(event):
        exports = _exports(session, number, window, tax_code)
        if not exports:
            continue
        since = min(cleared for _record, cleared in exports) - tolerance
        exits = _exits(session, event, number, since, event.occurred_at)
        if not exits:
            continue
        facts: dict[str, Any] = {
            **gate_facts(event),
            "container": number,
            "window": window.as_dict(),
            "compared": [{**link(r), "cleared_at": c.isoformat()} for r, c in exports],
            "exits": [
                {
                    "id": e.id,
                    "href": f"/gate-events/{e.id}",
                    "occurred_at": e.occurred_at.isoformat(),
                }
                for e in exits
            ],
            "differs": "a container cleared for export and seen leaving came back in",
        }
        findings.append(Finding(REENTERED, number, Severity.MEDIUM, facts))
    return findings


def later_entries(session: Session, event: GateEvent, settings: Settings) -> list[GateEvent]:
    """Entries after an exit that may now be re-entries (the exit's read arrived late)."""
    numbers = taken_containers(event)
    shown = select(GateContainer.gate_event_id).where(col(GateContainer.number).in_(numbers))
    window = timedelta(hours=settings.match_window_hours)
    query = select(GateEvent).where(
        col(GateEvent.id).in_(shown),
        GateEvent.epe_id == event.epe_id,
        GateEvent.direction == Direction.ENTRY.value,
        col(GateEvent.occurred_at) > event.occurred_at,
        col(GateEvent.occurred_at) <= event.occurred_at + window,
    )
    return list(session.exec(query))
