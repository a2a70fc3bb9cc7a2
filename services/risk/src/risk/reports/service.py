"""Counting what the report shows, straight from the rows risk stores.

The period is [start 00:00, end+1 00:00) in Vietnam time. EPEs are those the registry places
in the unit; declarations are the current versions registered in the period (by the EPEs'
tax codes); violations are the warning workflow's findings by stage and the plan's
inspections with findings; warnings are those raised in the period, by rule and present
state; plan completion counts the slots of the unit's approved plans starting in the period;
incidents are the interruptions opened in the period, by how promptly they were restored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from risk.customs.models import CustomsRecord, RecordKind
from risk.indicators.models import IncidentFact
from risk.plan.models import MonitoringPlan, PlanSlot, PlanState, SlotState
from risk.projection.models import Enterprise
from risk.reports.models import Report, Row, Section
from risk.warnings.models import RiskWarning, TimelineEntry

CHANNELS = ("green", "yellow", "red")


def bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The period's instants: from start's midnight to the midnight after end, local time."""
    return (
        datetime.combine(start, time(), tz),
        datetime.combine(end + timedelta(days=1), time(), tz),
    )


def _section(
    name: str, title: str, columns: list[str], counts: Counter[tuple[str, ...]], *, rated: bool
) -> Section:
    total = sum(counts.values())
    rows = [
        Row(keys=list(keys), count=n, rate=round(n / total, 4) if rated and total else None)
        for keys, n in sorted(counts.items())
    ]
    return Section(name=name, title=title, columns=columns, rows=rows, total=total)


def _enterprises(session: Session, unit: str) -> list[Enterprise]:
    query = select(Enterprise).where(Enterprise.unit == unit).order_by(col(Enterprise.epe_id))
    return list(session.exec(query))


def _declarations(
    session: Session, tax_codes: list[str], since: datetime, until: datetime
) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter({(c,): 0 for c in CHANNELS})
    if not tax_codes:
        return counts
    rows = session.exec(
        select(CustomsRecord.data).where(
            CustomsRecord.kind == RecordKind.DECLARATION.value,
            col(CustomsRecord.epe_tax_code).in_(tax_codes),
            col(CustomsRecord.superseded_by).is_(None),
            col(CustomsRecord.occurred_at) >= since,
            col(CustomsRecord.occurred_at) < until,
        )
    )
    for data in rows:
        counts[(str(data.get("channel") or "unknown"),)] += 1
    return counts


def _violation_stage(action: str, details: Mapping[str, object]) -> str | None:
    if action == "propose" and details.get("action") != "no_action":
        return "action_proposed"
    if action == "escalate":
        return "escalated_suspected_fraud"
    if action == "decide" and details.get("decision") == "organise_inspection":
        return "inspection_ordered"
    return None


def _violations(
    session: Session, epe_ids: list[str], since: datetime, until: datetime
) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    steps = session.exec(
        select(TimelineEntry.action, TimelineEntry.details)
        .join(RiskWarning, col(RiskWarning.id) == col(TimelineEntry.warning_id))
        .where(
            col(RiskWarning.epe_id).in_(epe_ids),
            col(TimelineEntry.at) >= since,
            col(TimelineEntry.at) < until,
        )
    )
    for action, details in steps:
        stage = _violation_stage(action, details)
        if stage is not None:
            counts[(stage,)] += 1
    findings = _slots(session, epe_ids, since, until, recorded=True)
    counts[("inspection_findings",)] = sum(1 for s in findings if s == SlotState.FINDINGS)
    return counts


def _warnings(
    session: Session, epe_ids: list[str], since: datetime, until: datetime
) -> Counter[tuple[str, ...]]:
    rows = session.exec(
        select(RiskWarning.rule, RiskWarning.state).where(
            col(RiskWarning.epe_id).in_(epe_ids),
            col(RiskWarning.raised_at) >= since,
            col(RiskWarning.raised_at) < until,
        )
    )
    return Counter((rule, state) for rule, state in rows)


def _slots(
    session: Session, epe_ids: list[str], since: datetime, until: datetime, *, recorded: bool
) -> list[str]:
    """States of the slots of approved plans: starting in the period, or (recorded=True)
    whose result was recorded in it."""
    when = col(PlanSlot.recorded_at) if recorded else col(PlanSlot.starts_at)
    rows = session.exec(
        select(PlanSlot.state)
        .join(MonitoringPlan, col(MonitoringPlan.id) == col(PlanSlot.plan_id))
        .where(
            MonitoringPlan.state == PlanState.APPROVED,
            col(PlanSlot.epe_id).in_(epe_ids),
            when >= since,
            when < until,
        )
    )
    return list(rows)


def _completion(states: Iterable[str], overdue: int) -> Counter[tuple[str, ...]]:
    """Slots by state; the planned ones whose window has passed count as overdue."""
    counts: Counter[tuple[str, ...]] = Counter({(s.value,): 0 for s in SlotState})
    for state in states:
        counts[(state,)] += 1
    counts[("planned",)] -= overdue
    counts[("overdue",)] = overdue
    return counts


def _overdue(
    session: Session, epe_ids: list[str], since: datetime, until: datetime, now: datetime
) -> int:
    rows = session.exec(
        select(PlanSlot.id)
        .join(MonitoringPlan, col(MonitoringPlan.id) == col(PlanSlot.plan_id))
        .where(
            MonitoringPlan.state == PlanState.APPROVED,
            col(PlanSlot.epe_id).in_(epe_ids),
            col(PlanSlot.starts_at) >= since,
            col(PlanSlot.starts_at) < until,
            PlanSlot.state == SlotState.PLANNED,
            col(PlanSlot.ends_at) < now,
        )
    )
    return len(list(rows))


def _incidents(
    session: Session, epe_ids: list[str], since: datetime, until: datetime
) -> Counter[tuple[str, ...]]:
    rows = session.exec(
        select(IncidentFact.kind, IncidentFact.promptness, IncidentFact.restored_at).where(
            col(IncidentFact.epe_id).in_(epe_ids),
            col(IncidentFact.opened_at) >= since,
            col(IncidentFact.opened_at) < until,
        )
    )
    counts: Counter[tuple[str, ...]] = Counter()
    for kind, promptness, restored_at in rows:
        outcome = promptness or ("restored" if restored_at else "not_restored")
        counts[(kind or "unknown", outcome)] += 1
    return counts


def build_report(
    session: Session, *, unit: str, start: date, end: date, tz: ZoneInfo, now: datetime
) -> Report:
    """Every section of the report of `unit` for the days start..end (inclusive)."""
    since, until = bounds(start, end, tz)
    enterprises = _enterprises(session, unit)
    epe_ids = [e.epe_id for e in enterprises]
    tax_codes = [e.tax_code for e in enterprises if e.tax_code]
    epes: Counter[tuple[str, ...]] = Counter({(e.epe_id, e.tax_code or ""): 1 for e in enterprises})
    overdue = _overdue(session, epe_ids, since, until, now)
    sections = [
        _section(
            "enterprises",
            "Doanh nghiệp chịu sự giám sát",
            ["epe_id", "tax_code"],
            epes,
            rated=False,
        ),
        _section(
            "declarations",
            "Tờ khai đăng ký theo phân luồng",
            ["channel"],
            _declarations(session, tax_codes, since, until),
            rated=True,
        ),
        _section(
            "violations",
            "Vi phạm phát hiện theo khâu",
            ["stage"],
            _violations(session, epe_ids, since, until),
            rated=False,
        ),
        _section(
            "warnings",
            "Cảnh báo theo quy tắc và kết quả",
            ["rule", "state"],
            _warnings(session, epe_ids, since, until),
            rated=True,
        ),
        _section(
            "plan_completion",
            "Thực hiện kế hoạch giám sát",
            ["state"],
            _completion(_slots(session, epe_ids, since, until, recorded=False), overdue),
            rated=True,
        ),
        _section(
            "incidents",
            "Sự cố và mức độ khắc phục kịp thời",
            ["kind", "promptness"],
            _incidents(session, epe_ids, since, until),
            rated=True,
        ),
    ]
    return Report(unit=unit, start=start, end=end, generated_at=now, sections=sections)
