"""The matching rules: each compares a gate event with customs data and explains itself.

Rules here (exits, and any movement for the last two); GPS, travel from the release point and
re-entries of exported containers are in ``gps``, ``travel`` and ``direction``:
- ``container_exit_uncleared``: a container leaves with no current export declaration
  cleared, nor release confirmed, within the window before the exit.
- ``plate_not_declared``: the container is cleared, but the vehicle at the gate is not one
  the declaration names (look-alike characters tolerated, with a score).
- ``container_unreadable``: a container read that no single look-alike repair makes valid.
- ``manual_traffic``: a movement the EPE logged by hand while its gate camera was down
  (the incidents service accepts gate logs only on open incidents).
- ``blind_window_traffic``: a movement while a gate camera of the EPE had no picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from risk.customs.models import CustomsRecord, RecordKind
from risk.gate.models import Direction, GateEvent, Origin
from risk.matching.lookups import Lookups
from risk.matching.reads import ContainerRead, plate_score, repair_container
from risk.settings import Settings
from risk.warnings.models import Severity


@dataclass(frozen=True)
class Finding:
    """A rule broken by a gate event, about one subject, with its explanation."""

    rule: str
    subject: str
    severity: Severity
    explanation: dict[str, Any] = field(default_factory=dict)


def link(record: CustomsRecord) -> dict[str, Any]:
    """How a warning names a customs record it compared."""
    return {
        "kind": record.kind,
        "number": record.number,
        "version": record.version,
        "id": record.id,
        "href": f"/customs/records/{record.id}",
    }


def instant(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value)).astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """The interval in which a clearance or release explains a gate exit."""

    start: datetime
    end: datetime

    @classmethod
    def before(cls, at: datetime, settings: Settings) -> Window:
        """When a clearance or release explains an exit at `at`."""
        return cls(
            at - timedelta(hours=settings.match_window_hours),
            at + timedelta(minutes=settings.match_tolerance_minutes),
        )

    @classmethod
    def after(cls, cleared: datetime, settings: Settings) -> Window:
        """When the gate should see the containers of a declaration cleared then."""
        return cls(
            cleared - timedelta(minutes=settings.match_tolerance_minutes),
            cleared + timedelta(hours=settings.match_window_hours),
        )

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment <= self.end

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _why_not(record: CustomsRecord, window: Window, tax_code: str | None) -> str | None:
    """Why a record does not clear the exit, or None when it does."""
    if record.superseded_by is not None:
        return "superseded by a later version"
    if tax_code and record.epe_tax_code and record.epe_tax_code != tax_code:
        return f"concerns enterprise {record.epe_tax_code}, not {tax_code}"
    if record.kind == RecordKind.DECLARATION.value:
        if record.data.get("flow") != "export":
            return "an import declaration"
        cleared = instant(record.data.get("cleared_at"))
        if cleared is None:
            return "not cleared"
        return None if window.holds(cleared) else "cleared outside the window"
    released = instant(record.data.get("released_at"))
    return None if window.holds(released) else "released outside the window"


def _compact(plate: str) -> str:
    return "".join(ch for ch in plate if ch.isalnum()).upper()


def gate_facts(event: GateEvent, read: ContainerRead | None = None) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "gate_event_id": event.id,
        "gate_event_href": f"/gate-events/{event.id}",
        "origin": event.origin,
        "manual": event.origin == Origin.MANUAL.value,
        "direction": event.direction,
        "occurred_at": event.occurred_at.isoformat(),
    }
    if read is not None:
        facts["container_read"] = read.read
        facts["container"] = read.number
        facts["repaired"] = read.repaired
        facts["repairs"] = list(read.repairs)
    return facts


def _container_findings(
    lookups: Lookups,
    event: GateEvent,
    read: ContainerRead,
    tax_code: str | None,
    settings: Settings,
) -> list[Finding]:
    window = Window.before(event.occurred_at, settings)
    candidates = lookups.records_naming(read.number)
    explained = [r for r in candidates if _why_not(r, window, tax_code) is None]
    facts = {**gate_facts(event, read), "window": window.as_dict()}
    if not explained:
        compared = [{**link(r), "why_not": _why_not(r, window, tax_code)} for r in candidates]
        facts["compared"] = compared
        facts["differs"] = "no cleared export declaration or release for this container"
        return [Finding("container_exit_uncleared", read.number, Severity.HIGH, facts)]
    declarations = [r for r in explained if r.kind == RecordKind.DECLARATION.value]
    declared = sorted({p for d in declarations for p in d.data.get("plates", [])})
    if not event.plate or not declared:
        return []
    scores = {p: plate_score(event.plate, _compact(p)) for p in declared}
    best = max(scores.values())
    if best >= settings.plate_min_score:
        return []
    facts["compared"] = [link(d) for d in declarations]
    facts["plate_read"] = event.plate
    facts["declared_plates"] = declared
    facts["plate_scores"] = scores
    facts["differs"] = "the vehicle at the gate is not one the declaration names"
    return [Finding("plate_not_declared", event.plate, Severity.MEDIUM, facts)]


def evaluate(
    session: Session, event: GateEvent, settings: Settings, lookups: Lookups | None = None
) -> list[Finding]:
    """Every rule the gate event breaks, as things stand now."""
    lookups = lookups or Lookups(session)
    findings: list[Finding] = []
    enterprise = lookups.enterprise(event.epe_id)
    tax_code = enterprise.tax_code if enterprise else None
    if event.origin == Origin.MANUAL.value:
        facts = {**gate_facts(event), "incident_id": event.incident_id}
        facts["differs"] = "logged by hand while the gate camera was interrupted"
        findings.append(Finding("manual_traffic", event.reference, Severity.MEDIUM, facts))
    blind = lookups.blind_cameras(event.epe_id, event.occurred_at)
    if blind and event.origin == Origin.CAMERA.value:
        facts = {**gate_facts(event), "blind_cameras": blind}
        facts["differs"] = "a gate camera of the enterprise had no picture at that time"
        findings.append(Finding("blind_window_traffic", event.id, Severity.LOW, facts))
    if event.direction != Direction.EXIT.value:
        return findings
    for raw in event.container_numbers:
        read = repair_container(raw)
        if read is None:
            facts = {**gate_facts(event), "container_read": raw}
            facts["differs"] = "not an ISO 6346 number, and no single look-alike repair fits"
            findings.append(Finding("container_unreadable", raw, Severity.LOW, facts))
            continue
        findings.extend(_container_findings(lookups, event, read, tax_code, settings))
    return findings


def taken_containers(event: GateEvent) -> list[str]:
    """The container numbers a gate event is taken to show, after repair."""
    reads = (repair_container(raw) for raw in event.container_numbers)
    return sorted({read.number for read in reads if read is not None})
