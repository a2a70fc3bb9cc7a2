"""What a criterion sees of an EPE: its level, its indicators (names in
`risk.indicators.service.INDICATORS`) and counts of recent data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from risk.indicators.service import indicators_for
from risk.scoring.models import RiskLevel
from risk.warnings.models import RiskWarning

RECENT_DAYS = 30
OPEN_STATES = ("new", "acknowledged", "analysed", "action_proposed", "escalated")


def recent_counts(session: Session, epe_id: str, at: datetime) -> dict[str, int]:
    """Warnings of the EPE raised in the last RECENT_DAYS, and those still open."""
    since = at - timedelta(days=RECENT_DAYS)
    base = select(func.count()).select_from(RiskWarning).where(RiskWarning.epe_id == epe_id)
    raised = session.exec(
        base.where(col(RiskWarning.raised_at) >= since, col(RiskWarning.raised_at) <= at)
    ).one()
    still_open = session.exec(base.where(col(RiskWarning.state).in_(OPEN_STATES))).one()
    return {"warnings_30d": int(raised), "open_warnings": int(still_open)}


def current_levels(session: Session, epe_ids: list[str]) -> dict[str, str]:
    """The current band (green / yellow / red) of each EPE that has been scored."""
    if not epe_ids:
        return {}
    rows = session.exec(
        select(RiskLevel.epe_id, RiskLevel.band).where(col(RiskLevel.epe_id).in_(epe_ids))
    )
    return dict(rows.all())


def epe_inputs(session: Session, epe_id: str, at: datetime) -> dict[str, Any]:
    """The activation of the CEL criteria for one EPE at one instant."""
    return {
        "level": current_levels(session, [epe_id]).get(epe_id),
        "indicators": indicators_for(session, epe_id, at),
        "recent": recent_counts(session, epe_id, at),
    }
