"""Running the rules: on a new gate event, and again when customs data arrives late.

Warnings are keyed by (anchor, rule, subject), the anchor being the gate event (or, for a
container never seen, the declaration version), so matching again raises nothing twice. A
warning whose finding no longer holds (a late declaration or release now explains the exit)
is resolved, once, while no officer has proposed an action on it, and reopened if an
amendment takes the explanation back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from risk.customs.models import CustomsRecord, RecordKind, RecordRef
from risk.gate.models import Direction, GateEvent
from risk.matching.direction import later_entries, reentry_findings
from risk.matching.gps import events_near_fix, gps_findings
from risk.matching.models import GateContainer
from risk.matching.rules import Finding, evaluate, link, taken_containers
from risk.matching.travel import travel_findings
from risk.matching.unseen import (
    UNSEEN,
    DeclarationCheck,
    clearance_window,
    due,
    owner,
    unseen_findings,
    unseen_records_explained_by,
)
from risk.projection.service import unit_of
from risk.settings import Settings
from risk.warnings.events import WarningRaised, WarningResolved
from risk.warnings.models import OPEN_STATES, RiskWarning, TimelineEntry, WarningState
from servicekit.events import add_event
from servicekit.ids import new_id

MATCHER = "risk-matching"
"""The actor named in timelines for what matching does."""

LATE_KINDS = frozenset({RecordKind.DECLARATION.value, RecordKind.RELEASE.value})
"""Records that may explain a gate exit after the fact."""


def timeline(
    session: Session,
    warning: RiskWarning,
    *,
    at: datetime,
    actor: str,
    action: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry to a warning's timeline."""
    session.add(
        TimelineEntry(
            id=new_id(),
            warning_id=warning.id,
            at=at,
            actor=actor,
            action=action,
            details=details or {},
        )
    )


def _raise(
    session: Session,
    finding: Finding,
    now: datetime,
    *,
    epe_id: str,
    occurred_at: datetime,
    gate_event_id: str | None = None,
    record_id: str | None = None,
) -> RiskWarning:
    warning = RiskWarning(
        id=new_id(),
        epe_id=epe_id,
        anchor=gate_event_id or record_id or "",
        gate_event_id=gate_event_id,
        record_id=record_id,
        rule=finding.rule,
        subject=finding.subject,
        severity=finding.severity.value,
        state=WarningState.NEW.value,
        explanation=finding.explanation,
        occurred_at=occurred_at,
        raised_at=now,
        updated_at=now,
    )
    session.add(warning)
    facts = {"rule": finding.rule}
    timeline(session, warning, at=now, actor=MATCHER, action="raised", details=facts)
    _announce(session, warning, now)
    return warning


def _announce(session: Session, warning: RiskWarning, now: datetime) -> None:
    add_event(
        session,
        WarningRaised(
            warning_id=warning.id,
            epe_id=warning.epe_id,
            unit=unit_of(session, warning.epe_id),
            gate_event_id=warning.gate_event_id,
            record_id=warning.record_id,
            rule=warning.rule,
            subject=warning.subject,
            severity=warning.severity,
            occurred_at=warning.occurred_at,
            raised_at=now,
        ),
        subject=warning.id,
    )


def _cause(because: CustomsRecord | GateEvent | None) -> dict[str, Any]:
    """How the timeline names the late data that changed a warning."""
    if isinstance(because, CustomsRecord):
        return {"by_record": link(because)}
    if isinstance(because, GateEvent):
        return {"by_gate_event": {"id": because.id, "href": f"/gate-events/{because.id}"}}
    return {}


def _resolve(
    session: Session,
    warning: RiskWarning,
    now: datetime,
    because: CustomsRecord | GateEvent | None,
) -> None:
    warning.state = WarningState.RESOLVED.value
    warning.updated_at = now
    details = _cause(because)
    action = "resolved_by_late_data"
    timeline(session, warning, at=now, actor=MATCHER, action=action, details=details)
    add_event(
        session,
        WarningResolved(
            warning_id=warning.id,
            epe_id=warning.epe_id,
            unit=unit_of(session, warning.epe_id),
            rule=warning.rule,
            subject=warning.subject,
            resolved_at=now,
        ),
        subject=warning.id,
    )


def _reopen(
    session: Session,
    warning: RiskWarning,
    finding: Finding,
    now: datetime,
    because: CustomsRecord | GateEvent | None,
) -> None:
    """An amendment took back what explained the movement: the warning is new again."""
    warning.state = WarningState.NEW.value
    warning.explanation = finding.explanation
    warning.updated_at = now
    details = _cause(because)
    action = "reopened_by_late_data"
    timeline(session, warning, at=now, actor=MATCHER, action=action, details=details)
    _announce(session, warning, now)


Key = tuple[str, str]


def reconcile(
    session: Session,
    *,
    anchor: str,
    findings: list[Finding],
    raise_one: Callable[[Finding], RiskWarning],
    now: datetime,
    because: CustomsRecord | GateEvent | None,
    rules: frozenset[str] | None = None,
) -> list[RiskWarning]:
    """Bring the warnings about `anchor` in line with `findings` (only `rules`, when given):
    raise the new, resolve the open ones that no longer hold, reopen resolved ones that hold
    again. Returns the warnings raised."""
    found: dict[Key, Finding] = {(f.rule, f.subject): f for f in findings}
    query = select(RiskWarning).where(RiskWarning.anchor == anchor)
    if rules is not None:
        query = query.where(col(RiskWarning.rule).in_(rules))
    existing = {(w.rule, w.subject): w for w in session.exec(query)}
    raised = [raise_one(f) for key, f in found.items() if key not in existing]
    for key, warning in existing.items():
        if key not in found and WarningState(warning.state) in OPEN_STATES:
            _resolve(session, warning, now, because)
        elif key in found and warning.state == WarningState.RESOLVED.value:
            _reopen(session, warning, found[key], now, because)
    session.flush()
    return raised


def match_event(
    session: Session,
    event: GateEvent,
    *,
    settings: Settings,
    now: datetime,
    because: CustomsRecord | GateEvent | None = None,
) -> list[RiskWarning]:
    """Raise the warnings the event now deserves and resolve those it no longer does;
    returns the warnings raised."""
    for number in taken_containers(event):
        if session.get(GateContainer, (event.id, number)) is None:
            session.add(GateContainer(gate_event_id=event.id, number=number))
    session.flush()

    def raise_one(finding: Finding) -> RiskWarning:
        return _raise(
            session,
            finding,
            now,
            epe_id=event.epe_id,
            occurred_at=event.occurred_at,
            gate_event_id=event.id,
        )

    findings = [
        *evaluate(session, event, settings),
        *gps_findings(session, event, settings),
        *travel_findings(session, event, settings),
        *reentry_findings(session, event, settings),
    ]
    raised = reconcile(
        session, anchor=event.id, findings=findings, raise_one=raise_one, now=now, because=because
    )
    if because is None and event.direction == Direction.EXIT.value:
        for record in unseen_records_explained_by(session, event, settings):  # a list
            check_declaration(session, record, settings=settings, now=now, because=event)
        for entry in later_entries(session, event, settings):  # a list
            match_event(session, entry, settings=settings, now=now, because=event)
    return raised


def rematch_for_record(
    session: Session, record: CustomsRecord, *, settings: Settings, now: datetime
) -> None:
    """Late data: match again the gate events a new declaration or release may explain (or,
    when an amendment drops a container, no longer explain), or a GPS fix may contradict."""
    if record.kind == RecordKind.GPS_FIX.value:
        for event in events_near_fix(session, record, settings):
            match_event(session, event, settings=settings, now=now, because=record)
        return
    if record.kind not in LATE_KINDS:
        return
    versions = select(CustomsRecord.id).where(
        CustomsRecord.kind == record.kind, CustomsRecord.number == record.number
    )
    numbers = select(RecordRef.container_number).where(col(RecordRef.record_id).in_(versions))
    window = timedelta(hours=settings.match_window_hours)
    tolerance = timedelta(minutes=settings.match_tolerance_minutes)
    shown = select(GateContainer.gate_event_id).where(col(GateContainer.number).in_(numbers))
    query = select(GateEvent).where(
        col(GateEvent.id).in_(shown),
        col(GateEvent.occurred_at) >= record.occurred_at - tolerance,
        col(GateEvent.occurred_at) <= _latest_clearance(record) + window,
    )
    for event in list(session.exec(query)):  # matching flushes: read them all first
        match_event(session, event, settings=settings, now=now, because=record)
    checked = select(DeclarationCheck.record_id)
    earlier = select(CustomsRecord).where(
        col(CustomsRecord.id).in_(versions), col(CustomsRecord.id).in_(checked)
    )
    for version in list(session.exec(earlier)):
        check_declaration(session, version, settings=settings, now=now, because=record)


def rematch_for_records(
    session: Session, records: Sequence[CustomsRecord], *, settings: Settings, now: datetime
) -> None:
    """`rematch_for_record` for each record of a batch that may concern a gate event, found
    with one query per CHUNK of them: a GPS fix with a gate event of its plate within the
    window, a declaration or release naming a container seen at a gate, or one with other
    versions (an amendment may take an explanation back). The others match nothing: skipping
    them spares thousands of empty queries per customs batch."""
    concerned: set[str] = set()
    fixes = [r for r in records if r.kind == RecordKind.GPS_FIX.value]
    documents = [r for r in records if r.kind in LATE_KINDS]
    margin = timedelta(minutes=settings.gps_window_minutes)
    for part in _chunks(fixes):
        plates = {_compact(str(r.data.get("plate", ""))) for r in part}
        first = min(r.occurred_at for r in part) - margin
        last = max(r.occurred_at for r in part) + margin
        seen: dict[str, list[datetime]] = defaultdict(list)
        query = select(GateEvent.plate, GateEvent.occurred_at).where(
            col(GateEvent.plate).in_(sorted(plates)),
            col(GateEvent.occurred_at) >= first,
            col(GateEvent.occurred_at) <= last,
        )
        for plate, at in session.exec(query):
            seen[str(plate)].append(at)
        for r in part:
            times = seen.get(_compact(str(r.data.get("plate", ""))), [])
            if any(abs(at - r.occurred_at) <= margin for at in times):
                concerned.add(r.id)
    for part in _chunks(documents):
        numbers = sorted({r.number for r in part})
        kinds = sorted({r.kind for r in part})
        amended = (
            select(CustomsRecord.kind, CustomsRecord.number)
            .where(col(CustomsRecord.kind).in_(kinds), col(CustomsRecord.number).in_(numbers))
            .group_by(col(CustomsRecord.kind), col(CustomsRecord.number))
            .having(func.count() > 1)
        )
        versioned = {(str(k), str(n)) for k, n in session.exec(amended)}
        containers = {str(c) for r in part for c in r.data.get("container_numbers") or [] if c}
        shown = select(GateContainer.number).where(
            col(GateContainer.number).in_(sorted(containers))
        )
        seen_numbers = {str(n) for n in session.exec(shown.distinct())} if containers else set()
        for r in part:
            named = set(r.data.get("container_numbers") or [])
            if (r.kind, r.number) in versioned or named & seen_numbers:
                concerned.add(r.id)
    for record in records:
        if record.id in concerned:
            rematch_for_record(session, record, settings=settings, now=now)


CHUNK = 900
"""Values per IN list (well under SQLite's bound variables limit)."""


def _chunks(records: Sequence[CustomsRecord]) -> Iterator[Sequence[CustomsRecord]]:
    for start in range(0, len(records), CHUNK):
        yield records[start : start + CHUNK]


def _compact(plate: str) -> str:
    """A plate as gate events store it (see `events_near_fix`)."""
    return "".join(ch for ch in plate if ch.isalnum()).upper()


def _latest_clearance(record: CustomsRecord) -> datetime:
    """The last instant the record may clear an exit from (its clearance or release)."""
    for key in ("cleared_at", "released_at"):
        value = record.data.get(key)
        if value:
            return datetime.fromisoformat(str(value))
    return record.occurred_at


def check_declaration(
    session: Session,
    record: CustomsRecord,
    *,
    settings: Settings,
    now: datetime,
    because: CustomsRecord | GateEvent | None = None,
) -> list[RiskWarning]:
    """Raise or resolve the unseen-container warnings of one declaration version."""
    enterprise = owner(session, record)
    window = clearance_window(record, settings)
    # unseen_findings finds nothing without an owner and a window
    epe_id = enterprise.epe_id if enterprise else ""
    start = window.start if window else record.occurred_at

    def raise_one(finding: Finding) -> RiskWarning:
        return _raise(session, finding, now, epe_id=epe_id, occurred_at=start, record_id=record.id)

    return reconcile(
        session,
        anchor=record.id,
        findings=unseen_findings(session, record, settings),
        raise_one=raise_one,
        now=now,
        because=because,
        rules=frozenset({UNSEEN}),
    )


def sweep_unseen(session: Session, *, settings: Settings, now: datetime, limit: int = 500) -> int:
    """Check each declaration version whose window has passed, once; returns how many were
    checked. The caller commits (a concurrent sweep breaks the marker's key and rolls back)."""
    checked = 0
    for record in due(session, settings, now, limit):
        window = clearance_window(record, settings)
        if window is not None and window.end > now:
            continue  # cleared later than registered: not due yet
        session.add(DeclarationCheck(record_id=record.id, checked_at=now))
        check_declaration(session, record, settings=settings, now=now)
        checked += 1
    session.flush()
    return checked
