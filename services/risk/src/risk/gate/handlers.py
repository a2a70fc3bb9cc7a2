"""Manual gate log entries from the incidents service become gate events marked manual."""

from __future__ import annotations

from sqlmodel import Session

from risk.customs.schemas import Outcome
from risk.gate.service import GateRefusal, record_manual_event
from risk.matching.service import match_event
from risk.settings import Settings
from servicekit.clock import utc_now
from servicekit.events import CloudEvent, EventHandler, PermanentError

REQUIRED = ("entry_id", "incident_id", "epe_id", "direction", "occurred_at")


def gate_log_handler(settings: Settings) -> EventHandler:
    """The handler of incidents.gate_log.recorded.v1 (a redelivery is unchanged)."""

    def handle(event: CloudEvent, session: Session) -> None:
        missing = [k for k in REQUIRED if not event.data.get(k)]
        if missing:
            raise PermanentError(f"{event.type} {event.id} lacks {', '.join(missing)}")
        now = utc_now()
        try:
            row, outcome = record_manual_event(session, event.data, now=now)
        except GateRefusal as exc:
            raise PermanentError(f"{event.type} {event.id}: {exc.message}") from exc
        if outcome == Outcome.CREATED:
            match_event(session, row, settings=settings, now=now)

    return handle
