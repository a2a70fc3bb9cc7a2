"""How promptly an EPE restores its system: counts by promptness and working days used."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from incidents.context import Context
from incidents.incident.models import UNRESTORED_STATES, Incident, IncidentKind, Promptness
from incidents.incident.service import working_days_used


class RestorationRecord(BaseModel):
    """One restored incident."""

    incident_id: str
    kind: IncidentKind
    opened_at: datetime
    restored_at: datetime
    deadline_at: datetime
    working_days_used: int
    promptness: Promptness
    closed: bool


class PromptnessSummary(BaseModel):
    """An EPE's record of restorations."""

    epe_id: str
    restored_incidents: int
    counts: dict[Promptness, int]
    early_or_on_time_ratio: float | None
    average_working_days_used: float | None
    open_incidents: int
    overdue_incidents: int
    recent: list[RestorationRecord]


def summarise(
    session: Session, ctx: Context, *, epe_id: str, recent: int = 20
) -> PromptnessSummary:
    """Promptness of every restoration of the EPE, newest first in `recent`."""
    restored = list(
        session.exec(
            select(Incident)
            .where(Incident.epe_id == epe_id, col(Incident.promptness).is_not(None))
            .order_by(col(Incident.restored_at).desc())
        )
    )
    counts = dict.fromkeys(Promptness, 0)
    records: list[RestorationRecord] = []
    for incident in restored:
        promptness = Promptness(incident.promptness or Promptness.ON_TIME)
        counts[promptness] += 1
        assert incident.restored_at is not None
        records.append(
            RestorationRecord(
                incident_id=incident.id,
                kind=IncidentKind(incident.kind),
                opened_at=incident.opened_at,
                restored_at=incident.restored_at,
                deadline_at=incident.deadline_at,
                working_days_used=working_days_used(ctx, incident),
                promptness=promptness,
                closed=incident.closed_at is not None,
            )
        )
    open_incidents = list(
        session.exec(
            select(Incident).where(
                Incident.epe_id == epe_id,
                col(Incident.state).in_([s.value for s in UNRESTORED_STATES]),
            )
        )
    )
    total = len(records)
    good = counts[Promptness.EARLY] + counts[Promptness.ON_TIME]
    return PromptnessSummary(
        epe_id=epe_id,
        restored_incidents=total,
        counts=counts,
        early_or_on_time_ratio=good / total if total else None,
        average_working_days_used=(
            sum(r.working_days_used for r in records) / total if total else None
        ),
        open_incidents=len(open_incidents),
        overdue_incidents=sum(1 for i in open_incidents if ctx.now >= i.deadline_at),
        recent=records[:recent],
    )
