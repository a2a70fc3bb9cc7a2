"""Matching a batch of new gate reads with set-based reads and writes.

The rules are those of `match_event`, run against `Prefetched` lookups (a few queries for the
whole batch instead of a dozen per read); their container rows, warnings, timeline entries and
outbox events are inserted with one multi-row statement each. A new gate event has no warning
yet, so every finding is raised. What a late exit may change elsewhere (an unseen-container
warning it answers, an entry it turns into a re-entry) is looked for with one query per batch
and, when found, handled by the one-event path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from risk.gate.models import Direction, GateEvent
from risk.matching.direction import later_entries, reentry_findings
from risk.matching.gps import gps_findings
from risk.matching.lookups import Prefetched, chunks
from risk.matching.models import GateContainer
from risk.matching.rules import Finding, evaluate, taken_containers
from risk.matching.service import MATCHER, check_declaration, match_event
from risk.matching.travel import travel_findings
from risk.matching.unseen import UNSEEN, unseen_records_explained_by
from risk.scoring.marks import mark_due
from risk.settings import Settings
from risk.warnings.events import WarningRaised
from risk.warnings.models import RiskWarning, TimelineEntry, WarningState
from servicekit.events import EventPayload, add_events
from servicekit.ids import new_id


def match_new_events(
    session: Session, events: Sequence[GateEvent], *, settings: Settings, now: datetime
) -> int:
    """Match gate events just stored (none has a warning yet); returns the warnings raised."""
    if not events:
        return 0
    mark_due(session.connection(), {e.epe_id for e in events})  # Core inserts skip the ORM marks
    taken = {e.id: taken_containers(e) for e in events}
    containers = [{"gate_event_id": e.id, "number": n} for e in events for n in taken[e.id]]
    if containers:
        session.connection().execute(insert(GateContainer), containers)
    lookups = Prefetched(
        session, events, {n for numbers in taken.values() for n in numbers}, settings
    )
    warnings: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    announced: list[tuple[EventPayload, str | None]] = []
    for event in events:
        findings = [
            *evaluate(session, event, settings, lookups),
            *gps_findings(session, event, settings, lookups),
            *travel_findings(session, event, settings, lookups),
            *reentry_findings(session, event, settings),
        ]
        unique = {(f.rule, f.subject): f for f in findings}  # as reconcile keys them
        enterprise = lookups.enterprise(event.epe_id)
        unit = enterprise.unit if enterprise else None
        for finding in unique.values():
            warning = _warning(event, finding, now)
            warnings.append(warning)
            entry = {"id": new_id(), "warning_id": warning["id"], "at": now, "actor": MATCHER}
            timeline.append(entry | {"action": "raised", "details": {"rule": finding.rule}})
            announced.append((_raised(warning, unit), warning["id"]))
    if warnings:
        connection = session.connection()
        connection.execute(insert(RiskWarning), warnings)
        connection.execute(insert(TimelineEntry), timeline)
        add_events(session, announced)
    _follow_late_exits(session, events, taken, settings=settings, now=now)
    return len(warnings)


def _warning(event: GateEvent, finding: Finding, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "epe_id": event.epe_id,
        "anchor": event.id,
        "gate_event_id": event.id,
        "record_id": None,
        "rule": finding.rule,
        "subject": finding.subject,
        "severity": finding.severity.value,
        "state": WarningState.NEW.value,
        "explanation": finding.explanation,
        "occurred_at": event.occurred_at,
        "raised_at": now,
        "updated_at": now,
    }


def _raised(warning: dict[str, Any], unit: str | None) -> WarningRaised:
    return WarningRaised(
        warning_id=warning["id"],
        epe_id=warning["epe_id"],
        unit=unit,
        gate_event_id=warning["gate_event_id"],
        record_id=None,
        rule=warning["rule"],
        subject=warning["subject"],
        severity=warning["severity"],
        occurred_at=warning["occurred_at"],
        raised_at=warning["raised_at"],
    )


def _follow_late_exits(
    session: Session,
    events: Sequence[GateEvent],
    taken: dict[str, list[str]],
    *,
    settings: Settings,
    now: datetime,
) -> None:
    """Exits may answer unseen-container warnings or make later entries re-entries: find the
    exits concerned with two queries, then follow each as the one-event path does."""
    exits = [e for e in events if e.direction == Direction.EXIT.value and taken[e.id]]
    if not exits:
        return
    numbers = sorted({n for e in exits for n in taken[e.id]})
    epes = sorted({e.epe_id for e in exits})
    concerned: set[tuple[str, str]] = set()
    for part in chunks(numbers):
        unseen = select(RiskWarning.epe_id, RiskWarning.subject).where(
            RiskWarning.rule == UNSEEN,
            col(RiskWarning.epe_id).in_(epes),
            col(RiskWarning.subject).in_(part),
        )
        concerned.update((str(epe), str(number)) for epe, number in session.exec(unseen))
        first = min(e.occurred_at for e in exits)
        last = max(e.occurred_at for e in exits) + timedelta(hours=settings.match_window_hours)
        entries = (
            select(GateEvent.epe_id, GateContainer.number)
            .join(GateContainer, col(GateContainer.gate_event_id) == col(GateEvent.id))
            .where(
                col(GateContainer.number).in_(part),
                col(GateEvent.epe_id).in_(epes),
                GateEvent.direction == Direction.ENTRY.value,
                col(GateEvent.occurred_at) > first,
                col(GateEvent.occurred_at) <= last,
            )
        )
        concerned.update((str(epe), str(number)) for epe, number in session.exec(entries))
    for event in exits:
        if not any((event.epe_id, n) in concerned for n in taken[event.id]):
            continue
        for record in unseen_records_explained_by(session, event, settings):
            check_declaration(session, record, settings=settings, now=now, because=event)
        for entry in later_entries(session, event, settings):
            match_event(session, entry, settings=settings, now=now, because=event)
