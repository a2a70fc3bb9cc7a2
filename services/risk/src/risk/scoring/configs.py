"""Maker-checker of scoring configurations: one head proposes, another head approves.

As for authority grants in the access service, nobody decides what they proposed. A decided
version is never edited; a new one is proposed instead. Approving it rescores the unit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from risk.scoring.marks import mark_due
from risk.scoring.models import ConfigState, ScoringConfig
from risk.scoring.schemas import ScoringConfigIn
from risk.scoring.service import unit_epes
from servicekit.auth import Principal
from servicekit.errors import Conflict, Forbidden, NotFound
from servicekit.ids import new_id


def _unit_of(principal: Principal) -> str:
    if principal.unit is None:
        raise Forbidden("a head of sub-department acts for a unit; the token names none")
    return principal.unit


def propose(
    session: Session, body: ScoringConfigIn, *, principal: Principal, now: datetime
) -> ScoringConfig:
    """A new pending version of the caller's unit's configuration."""
    unit = _unit_of(principal)
    latest = session.exec(
        select(func.max(ScoringConfig.version)).where(ScoringConfig.unit == unit)
    ).one()
    config = ScoringConfig(
        id=new_id(),
        unit=unit,
        version=(latest or 0) + 1,
        state=ConfigState.PENDING.value,
        window_days=body.window_days,
        weights={name: w.model_dump() for name, w in body.weights.items()},
        yellow_from=body.yellow_from,
        red_from=body.red_from,
        note=body.note,
        proposed_by=principal.subject,
        proposed_at=now,
    )
    session.add(config)
    return config


def get_config(session: Session, config_id: str, *, principal: Principal) -> ScoringConfig:
    """A configuration of the caller's unit, or 404."""
    config = session.get(ScoringConfig, config_id)
    if config is None or config.unit != principal.unit:
        raise NotFound("scoring configuration")
    return config


def decide(
    session: Session,
    config: ScoringConfig,
    *,
    approve: bool,
    principal: Principal,
    now: datetime,
    reason: str | None = None,
) -> ScoringConfig:
    """Approve (the unit is then rescored with it) or reject a pending version."""
    if config.proposed_by == principal.subject:
        raise Forbidden("nobody may decide a configuration they proposed")
    if config.state != ConfigState.PENDING.value:
        raise Conflict(f"the configuration is already {config.state}")
    config.state = (ConfigState.APPROVED if approve else ConfigState.REJECTED).value
    config.decided_by, config.decided_at, config.decision_reason = principal.subject, now, reason
    if approve:
        session.flush()
        mark_due(session.connection(), unit_epes(session, config.unit))
    return config
