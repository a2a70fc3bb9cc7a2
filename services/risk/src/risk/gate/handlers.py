"""Manual gate log entries from the incidents service become gate events marked manual."""

from __future__ import annotations

from sqlmodel import Session

from risk.gate.service import GateRefusal, record_manual_event
from servicekit.clock import utc_now
from servicekit.events import CloudEvent, PermanentError

REQUIRED = ("entry_id", "incident_id", "epe_id", "direction", "occurred_at")


def handle_gate_log_recorded(event: CloudEvent, session: Session) -> None:
    """incidents.gate_log.recorded.v1 (a redelivery is unchanged)."""
    missing = [k for k in REQUIRED if not event.data.get(k)]
    if missing:
        raise PermanentError(f"{event.type} {event.id} lacks {', '.join(missing)}")
    try:
        record_manual_event(session, event.data, now=utc_now())
    except GateRefusal as exc:
        raise PermanentError(f"{event.type} {event.id}: {exc.message}") from exc
