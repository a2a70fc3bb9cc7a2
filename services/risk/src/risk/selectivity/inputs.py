"""What a criterion sees of an EPE: its level (current band), its indicators (names in
`risk.indicators.service.INDICATORS`) and counts of recent data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from risk.indicators.service import DEFAULT_WINDOW_DAYS, compute_indicators
from risk.scoring.service import current_bands
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


def epe_inputs(session: Session, epe_ids: Sequence[str], at: datetime) -> dict[str, dict[str, Any]]:
    """The activation of the CEL criteria for each EPE at one instant (indicators and levels
    read in bulk)."""
    levels = current_bands(session, epe_ids)
    indicators = compute_indicators(session, epe_ids, at, window_days=DEFAULT_WINDOW_DAYS)
    return {
        epe_id: {
            "level": levels.get(epe_id),
            "indicators": dict(indicators[epe_id].values),
            "recent": recent_counts(session, epe_id, at),
        }
        for epe_id in epe_ids
    }
