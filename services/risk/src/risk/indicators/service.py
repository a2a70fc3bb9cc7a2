"""Risk indicators of EPEs over a trailing window, computed from what the service stores.

`indicators_for(session, epe_id, at)` gives the values (the names in `INDICATORS`);
`compute_indicators` does the same for many EPEs with one grouped query per source (the
scoring recomputes thousands at once) and keeps the records behind each value, so a score
can show why. Every count is over the window `(at - window_days, at]`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from risk.customs.models import CustomsRecord, RecordKind
from risk.gate.models import GateEvent
from risk.indicators.models import IncidentFact
from risk.plan.models import PlanSlot, SlotState
from risk.projection.models import Camera, Enterprise, Outage, is_required
from risk.warnings.models import RiskWarning, TimelineEntry, WarningState

DEFAULT_WINDOW_DAYS = 90
RECORDS_SHOWN = 20
"""At most this many records are listed behind an indicator (the value counts them all)."""
CHUNK = 500
MIN_MOVEMENTS = 100
"""Rates per 100 movements divide by at least this many, so a quiet EPE's one warning is not
a rate of 50 %."""

Value = float | int

INDICATORS: dict[str, str] = {
    "gate_movements": "gate events (camera reads and manual log entries) in the window",
    "warnings_raised": "warnings raised in the window that later customs data did not resolve",
    "warnings_per_100_movements": "warnings_raised per 100 gate_movements (at least 100)",
    "warnings_confirmed": (
        "warnings an officer confirmed: an action other than no_action proposed, or escalated"
    ),
    "confirmed_per_100_movements": "warnings_confirmed per 100 gate_movements (at least 100)",
    "confirmed_violations": (
        "suspected commercial fraud the head decided to inspect (organise_inspection)"
    ),
    "required_cameras": "cameras whose data must be online (I.1.2.a), not removed",
    "blind_hours": "hours without picture of required cameras in the window, summed per camera",
    "camera_uptime_pct": "share of required camera-hours with picture in the window, in %",
    "incidents_opened": "interruption notices filed in the window (I.2.3)",
    "incidents_overdue": "interruptions whose restoration deadline passed in the window",
    "extensions_missed": "missed deadlines without the notice of reasons in the window",
    "restored_early": "interruptions restored before the deadline in the window (I.2.3.c)",
    "restored_late": "interruptions restored after the deadline in the window",
    "declarations": "current declarations of the EPE (by tax code) registered in the window",
    "declarations_red": "of those, declarations VNACCS put in the Red channel",
    "red_share_pct": "declarations_red per declarations, in %",
    "days_since_last_inspection": (
        "days since the EPE's last inspection on record; window_days when none is recorded"
    ),
}
"""Every indicator's name and meaning: the keys of `indicators_for` (selectivity reads them)."""


@dataclass
class Indicators:
    """One EPE's indicator values and the records behind each."""

    values: dict[str, Value] = field(default_factory=dict)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    totals: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def cite(self, name: str, record: dict[str, Any]) -> None:
        """Keep a record behind `name` (the first RECORDS_SHOWN)."""
        self.totals[name] += 1
        if len(self.records[name]) < RECORDS_SHOWN:
            self.records[name].append(record)


def indicators_for(
    session: Session, epe_id: str, at: datetime, *, window_days: int = DEFAULT_WINDOW_DAYS
) -> dict[str, Value]:
    """The indicator values of one EPE at `at` (names and meanings in `INDICATORS`)."""
    return compute_indicators(session, [epe_id], at, window_days=window_days)[epe_id].values


def compute_indicators(
    session: Session, epe_ids: Sequence[str], at: datetime, *, window_days: int
) -> dict[str, Indicators]:
    """Indicators of many EPEs at once, with the records behind them."""
    at = at.astimezone(UTC)
    start = at - timedelta(days=window_days)
    result = {epe_id: Indicators() for epe_id in epe_ids}
    for chunk in _chunks(list(epe_ids)):
        _gate_movements(session, chunk, start, at, result)
        _warnings(session, chunk, start, at, result)
        _cameras(session, chunk, start, at, result)
        _incidents(session, chunk, start, at, result)
        _declarations(session, chunk, start, at, result)
        _inspections(session, chunk, at, window_days, result)
    for indicators in result.values():
        _ratios(indicators.values)
    return result


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for index in range(0, len(items), CHUNK):
        yield items[index : index + CHUNK]


def _gate_movements(
    session: Session, epe_ids: list[str], start: datetime, at: datetime, out: dict[str, Indicators]
) -> None:
    rows = session.exec(
        select(GateEvent.epe_id, func.count())
        .where(col(GateEvent.epe_id).in_(epe_ids))
        .where(GateEvent.occurred_at > start, GateEvent.occurred_at <= at)
        .group_by(col(GateEvent.epe_id))
    ).all()
    counts = dict(rows)
    for epe_id in epe_ids:
        out[epe_id].values["gate_movements"] = int(counts.get(epe_id, 0))
        href = f"/gate-events?epe_id={epe_id}&since={start.isoformat()}&until={at.isoformat()}"
        out[epe_id].cite("gate_movements", {"kind": "gate_events", "href": href})


def _warnings(
    session: Session, epe_ids: list[str], start: datetime, at: datetime, out: dict[str, Indicators]
) -> None:
    """Counted in SQL, citing the latest RECORDS_SHOWN: an EPE's window holds every warning of
    the last 90 days (a million at full gate traffic), which must not be loaded per rescoring."""
    for epe_id in epe_ids:
        out[epe_id].values.update(warnings_raised=0, warnings_confirmed=0, confirmed_violations=0)
    in_window = (
        col(RiskWarning.epe_id).in_(epe_ids),
        col(RiskWarning.raised_at) > start,
        col(RiskWarning.raised_at) <= at,
        col(RiskWarning.state) != WarningState.RESOLVED.value,
    )
    counts = session.exec(
        select(RiskWarning.epe_id, func.count()).where(*in_window).group_by(RiskWarning.epe_id)
    ).all()
    rank = (
        func.row_number()
        .over(partition_by=col(RiskWarning.epe_id), order_by=col(RiskWarning.raised_at).desc())
        .label("rank")
    )
    ranked = sa_select(
        col(RiskWarning.id), col(RiskWarning.epe_id), col(RiskWarning.rule), rank
    ).where(*in_window)
    latest = ranked.subquery()
    shown = session.execute(
        sa_select(latest.c.id, latest.c.epe_id, latest.c.rule)
        .where(latest.c.rank <= RECORDS_SHOWN)
        .order_by(latest.c.epe_id, latest.c.rank)
    ).all()
    _counted(out, "warnings_raised", counts, [(e, _warning_link(w, r)) for w, e, r in shown])
    steps = session.exec(
        select(TimelineEntry.warning_id, TimelineEntry.action, TimelineEntry.details)
        .join(RiskWarning, col(RiskWarning.id) == col(TimelineEntry.warning_id))
        .where(col(RiskWarning.epe_id).in_(epe_ids))
        .where(RiskWarning.raised_at > start, RiskWarning.raised_at <= at)
        .where(col(TimelineEntry.action).in_(["propose", "escalate", "decide"]))
        .where(TimelineEntry.at <= at)
    ).all()
    confirmed: set[str] = set()
    inspected: set[str] = set()
    for warning_id, action, details in steps:
        if action == "escalate" or (action == "propose" and details.get("action") != "no_action"):
            confirmed.add(warning_id)
        if action == "decide" and details.get("decision") == "organise_inspection":
            inspected.add(warning_id)
    acted = sorted(confirmed | inspected)
    warnings: list[tuple[datetime, str, str, str]] = []
    for index in range(0, len(acted), CHUNK):
        warnings += session.exec(
            select(RiskWarning.raised_at, RiskWarning.id, RiskWarning.epe_id, RiskWarning.rule)
            .where(*in_window)
            .where(col(RiskWarning.id).in_(acted[index : index + CHUNK]))
        ).all()
    warnings.sort(key=lambda row: row[0], reverse=True)
    for _raised, warning_id, epe_id, rule in warnings:
        if warning_id in confirmed:
            _count(out[epe_id], "warnings_confirmed", _warning_link(warning_id, rule))
        if warning_id in inspected:
            _count(out[epe_id], "confirmed_violations", _warning_link(warning_id, rule))


def _counted(
    out: dict[str, Indicators],
    name: str,
    counts: Iterable[tuple[str, int]],
    shown: Iterable[tuple[str, dict[str, Any]]],
) -> None:
    """An indicator counted in SQL: its value and total per EPE, and the records shown."""
    for epe_id, count in counts:
        out[epe_id].values[name] = int(count)
        out[epe_id].totals[name] = int(count)
    for epe_id, record in shown:
        out[epe_id].records[name].append(record)


def _warning_link(warning_id: str, rule: str) -> dict[str, Any]:
    return {"kind": "warning", "id": warning_id, "rule": rule, "href": f"/warnings/{warning_id}"}


def _count(indicators: Indicators, name: str, record: dict[str, Any]) -> None:
    indicators.values[name] = int(indicators.values.get(name, 0)) + 1
    indicators.cite(name, record)


def _cameras(
    session: Session, epe_ids: list[str], start: datetime, at: datetime, out: dict[str, Indicators]
) -> None:
    cameras = session.execute(
        sa_select(
            col(Camera.camera_id),
            col(Camera.epe_id),
            col(Camera.position_kind),
            col(Camera.removed),
            col(Camera.must_be_online),
        ).where(col(Camera.epe_id).in_(epe_ids))
    ).all()
    required = {row[0]: row[1] for row in cameras if is_required(*row[2:])}
    for epe_id in epe_ids:
        out[epe_id].values.update(required_cameras=0, blind_hours=0.0)
    for epe_id in required.values():
        out[epe_id].values["required_cameras"] = int(out[epe_id].values["required_cameras"]) + 1
    outages = session.execute(
        sa_select(
            col(Outage.outage_id),
            col(Outage.camera_id),
            col(Outage.started_at),
            col(Outage.ended_at),
        )
        .where(col(Outage.camera_id).in_(list(required) or [""]))
        .where(col(Outage.started_at) < at)
        .where(or_(col(Outage.ended_at).is_(None), col(Outage.ended_at) > start))
        .order_by(col(Outage.started_at).desc())
    ).all()
    for outage in outages:
        epe_id = required[outage.camera_id]
        begin, end = max(outage.started_at, start), min(outage.ended_at or at, at)
        hours = max((end - begin).total_seconds(), 0.0) / 3600
        indicators = out[epe_id]
        indicators.values["blind_hours"] = float(indicators.values["blind_hours"]) + hours
        indicators.cite(
            "blind_hours",
            {
                "kind": "camera_outage",
                "id": outage.outage_id,
                "camera_id": outage.camera_id,
                "started_at": outage.started_at.isoformat(),
                "ended_at": outage.ended_at.isoformat() if outage.ended_at else None,
                "hours_in_window": round(hours, 2),
            },
        )
    window_hours = (at - start).total_seconds() / 3600
    for epe_id in epe_ids:
        values = out[epe_id].values
        values["blind_hours"] = round(float(values["blind_hours"]), 2)
        possible = int(values["required_cameras"]) * window_hours
        seen = 1 - float(values["blind_hours"]) / possible if possible else 1.0
        values["camera_uptime_pct"] = round(100 * max(seen, 0.0), 2)


INCIDENT_DATES = {
    "incidents_opened": "opened_at",
    "incidents_overdue": "overdue_at",
    "extensions_missed": "extension_missed_at",
}


def _incidents(
    session: Session, epe_ids: list[str], start: datetime, at: datetime, out: dict[str, Indicators]
) -> None:
    names = [*INCIDENT_DATES, "restored_early", "restored_late"]
    for epe_id in epe_ids:
        out[epe_id].values.update(dict.fromkeys(names, 0))
    facts = session.execute(
        sa_select(
            col(IncidentFact.incident_id),
            col(IncidentFact.epe_id),
            col(IncidentFact.opened_at),
            col(IncidentFact.overdue_at),
            col(IncidentFact.extension_missed_at),
            col(IncidentFact.restored_at),
            col(IncidentFact.promptness),
        )
        .where(col(IncidentFact.epe_id).in_(epe_ids))
        .where(
            or_(
                *(col(getattr(IncidentFact, c)) > start for c in INCIDENT_DATES.values()),
                col(IncidentFact.restored_at) > start,
            )
        )
        .order_by(col(IncidentFact.incident_id).desc())
    ).all()
    for incident_id, epe_id, opened, overdue, missed, restored, promptness in facts:
        link = {"kind": "incident", "id": incident_id}
        link["href"] = f"/api/incidents/incidents/{incident_id}"
        dates = dict(zip(INCIDENT_DATES, (opened, overdue, missed), strict=True))
        for name, moment in dates.items():
            if _within(moment, start, at):
                _count(out[epe_id], name, link)
        if _within(restored, start, at) and promptness and promptness != "on_time":
            name = "restored_early" if promptness == "early" else "restored_late"
            _count(out[epe_id], name, {**link, "promptness": promptness})


def _within(moment: datetime | None, start: datetime, at: datetime) -> bool:
    return moment is not None and start < moment <= at


def _declarations(
    session: Session, epe_ids: list[str], start: datetime, at: datetime, out: dict[str, Indicators]
) -> None:
    for epe_id in epe_ids:
        out[epe_id].values.update(declarations=0, declarations_red=0)
    tax_codes = dict(
        session.exec(
            select(Enterprise.tax_code, Enterprise.epe_id)
            .where(col(Enterprise.epe_id).in_(epe_ids))
            .where(col(Enterprise.tax_code).is_not(None))
        ).all()
    )
    if not tax_codes:
        return
    current = (
        col(CustomsRecord.kind) == RecordKind.DECLARATION.value,
        col(CustomsRecord.epe_tax_code).in_(list(tax_codes)),
        col(CustomsRecord.superseded_by).is_(None),
        col(CustomsRecord.occurred_at) > start,
        col(CustomsRecord.occurred_at) <= at,
    )
    by_tax_code = col(CustomsRecord.epe_tax_code)
    counts = session.exec(
        select(by_tax_code, func.count()).where(*current).group_by(by_tax_code)
    ).all()
    for tax_code, count in counts:
        out[tax_codes[str(tax_code)]].values["declarations"] = int(count)
    red = (*current, col(CustomsRecord.data)["channel"].as_string() == "red")
    rank = (
        func.row_number()
        .over(partition_by=by_tax_code, order_by=col(CustomsRecord.occurred_at).desc())
        .label("rank")
    )
    total = func.count().over(partition_by=by_tax_code).label("total")
    ranked = sa_select(col(CustomsRecord.id), col(CustomsRecord.number), by_tax_code, rank, total)
    latest = ranked.where(*red).subquery()  # one pass over the red ones: counts and the latest
    shown = session.execute(
        sa_select(latest.c.id, latest.c.number, latest.c.epe_tax_code, latest.c.total)
        .where(latest.c.rank <= RECORDS_SHOWN)
        .order_by(latest.c.epe_tax_code, latest.c.rank)
    ).all()
    _counted(
        out,
        "declarations_red",
        {(tax_codes[str(tax_code)], count) for _, _, tax_code, count in shown},
        [
            (
                tax_codes[str(tax_code)],
                {
                    "kind": "declaration",
                    "id": record_id,
                    "number": number,
                    "href": f"/customs/records/{record_id}",
                },
            )
            for record_id, number, tax_code, _ in shown
        ],
    )


def last_inspections(session: Session, epe_ids: list[str], at: datetime) -> dict[str, datetime]:
    """When each EPE was last inspected: the latest result of a monitoring-plan slot that was
    carried out (done, or done with findings) recorded by `at`. An EPE never inspected is
    absent, and the indicator counts the whole window."""
    if not epe_ids:
        return {}
    carried_out = [SlotState.DONE.value, SlotState.FINDINGS.value]
    rows = session.execute(
        sa_select(col(PlanSlot.epe_id), func.max(col(PlanSlot.recorded_at)))
        .where(
            col(PlanSlot.epe_id).in_(epe_ids),
            col(PlanSlot.state).in_(carried_out),
            col(PlanSlot.recorded_at) <= at,
        )
        .group_by(col(PlanSlot.epe_id))
    ).all()
    return {epe_id: last for epe_id, last in rows if last is not None}


def _inspections(
    session: Session, epe_ids: list[str], at: datetime, window_days: int, out: dict[str, Indicators]
) -> None:
    last = last_inspections(session, epe_ids, at)
    for epe_id in epe_ids:
        inspected = last.get(epe_id)
        days = window_days if inspected is None else min((at - inspected).days, window_days)
        out[epe_id].values["days_since_last_inspection"] = days


def _ratios(values: dict[str, Value]) -> None:
    per_100 = 100 / max(int(values["gate_movements"]), MIN_MOVEMENTS)
    values["warnings_per_100_movements"] = round(int(values["warnings_raised"]) * per_100, 2)
    values["confirmed_per_100_movements"] = round(int(values["warnings_confirmed"]) * per_100, 2)
    declarations = int(values["declarations"])
    red = int(values["declarations_red"])
    values["red_share_pct"] = round(100 * red / declarations, 2) if declarations else 0.0
