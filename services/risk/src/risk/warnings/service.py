"""The officer's workflow on warnings: who may see and act, and the allowed transitions.

Only officers assigned to the warning's EPE (access events) and the head of sub-department
of its unit see and act on it; only the head decides an escalated suspicion of commercial
fraud. Every step appends to the timeline and publishes risk.warning.transitioned.v1.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func
from sqlmodel import Session, col, select

from risk.assignments.service import assigned_epes
from risk.matching.service import timeline
from risk.projection.models import Enterprise
from risk.projection.service import unit_of
from risk.warnings.events import WarningTransitioned
from risk.warnings.models import RiskWarning, WarningState
from servicekit.auth import Principal, Role
from servicekit.errors import Conflict, Forbidden, NotFound
from servicekit.events import add_event

S = WarningState

ALLOWED: dict[str, frozenset[WarningState]] = {
    "acknowledge": frozenset({S.NEW}),
    "analyse": frozenset({S.ACKNOWLEDGED}),
    "propose": frozenset({S.ANALYSED}),
    "close": frozenset({S.ACTION_PROPOSED}),
    "escalate": frozenset({S.ACKNOWLEDGED, S.ANALYSED, S.ACTION_PROPOSED}),
    "decide": frozenset({S.ESCALATED}),
}
"""The states each step may start from."""


def is_head(principal: Principal) -> bool:
    """Whether the caller is a head of sub-department (acts on the whole unit)."""
    return principal.has(Role.HEAD_OF_SUBDEPARTMENT)


def visible(session: Session, principal: Principal) -> ColumnElement[bool]:
    """The warnings the caller may see: the unit's for its head, the assigned EPEs' for an
    officer."""
    if principal.unit is None:
        return false()
    unit_epes = select(Enterprise.epe_id).where(Enterprise.unit == principal.unit)
    in_unit = col(RiskWarning.epe_id).in_(unit_epes)
    if is_head(principal):
        return in_unit
    epes = assigned_epes(session, officer=principal.subject, unit=principal.unit)
    return in_unit & col(RiskWarning.epe_id).in_(epes)


def get_visible(
    session: Session, principal: Principal, warning_id: str, *, lock: bool = False
) -> RiskWarning:
    """The warning, or 404 when it does not exist or the caller may not see it."""
    query = select(RiskWarning).where(RiskWarning.id == warning_id, visible(session, principal))
    if lock:
        query = query.with_for_update()
    warning = session.exec(query).first()
    if warning is None:
        raise NotFound("warning")
    return warning


def transition(
    session: Session,
    warning: RiskWarning,
    *,
    step: str,
    to: WarningState,
    principal: Principal,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> RiskWarning:
    """Move a warning one step, record who/what/when and publish it."""
    if step == "decide" and not is_head(principal):
        raise Forbidden("only the head of sub-department decides on a suspected fraud")
    start = WarningState(warning.state)
    if start not in ALLOWED[step]:
        names = ", ".join(sorted(s.value for s in ALLOWED[step]))
        raise Conflict(f"cannot {step} a warning that is {start.value} (allowed: {names})")
    warning.state = to.value
    warning.updated_at = now
    timeline(session, warning, at=now, actor=principal.subject, action=step, details=details)
    add_event(
        session,
        WarningTransitioned(
            warning_id=warning.id,
            epe_id=warning.epe_id,
            unit=unit_of(session, warning.epe_id),
            rule=warning.rule,
            severity=warning.severity,
            action=step,
            from_state=start.value,
            to_state=to.value,
            actor=principal.subject,
            at=now,
        ),
        subject=warning.id,
    )
    return warning


def filtered(
    session: Session, principal: Principal, filters: Sequence[ColumnElement[bool]]
) -> list[ColumnElement[bool]]:
    """The caller's visibility and the queue filters together."""
    return [visible(session, principal), *filters]


def counts(
    session: Session, conditions: Sequence[ColumnElement[bool]]
) -> dict[str, dict[str, int]]:
    """Warnings by state, severity and rule."""
    result: dict[str, dict[str, int]] = {}
    for name, column in (
        ("state", RiskWarning.state),
        ("severity", RiskWarning.severity),
        ("rule", RiskWarning.rule),
    ):
        query = select(col(column), func.count()).where(*conditions).group_by(col(column))
        result[name] = {str(key): int(n) for key, n in session.exec(query)}
    return result
