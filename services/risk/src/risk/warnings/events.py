"""Events the risk service publishes about warnings."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class WarningRaised(EventPayload):
    """Matching found a gate event customs data does not explain (or a declared container
    the gate never saw)."""

    event_type: ClassVar[str] = "risk.warning.raised.v1"
    warning_id: str
    epe_id: str
    unit: str | None
    gate_event_id: str | None
    record_id: str | None
    rule: str
    subject: str
    severity: str
    occurred_at: datetime
    raised_at: datetime


class WarningResolved(EventPayload):
    """Customs data that arrived later explains the movement; the warning needs no action."""

    event_type: ClassVar[str] = "risk.warning.resolved.v1"
    warning_id: str
    epe_id: str
    unit: str | None
    rule: str
    subject: str
    resolved_at: datetime


class WarningTransitioned(EventPayload):
    """An officer (or the head) moved a warning along its workflow."""

    event_type: ClassVar[str] = "risk.warning.transitioned.v1"
    warning_id: str
    epe_id: str
    unit: str | None
    rule: str
    severity: str
    action: str
    from_state: str
    to_state: str
    actor: str
    at: datetime
