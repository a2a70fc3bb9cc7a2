"""Consumers of the registry's EPE events: keep `registry_epes` and follow unit changes."""

from __future__ import annotations

from sqlmodel import Session

from access.context import AuditContext
from access.epes.reconcile import REGISTRY_ACTOR, follow_registry
from access.epes.service import apply_registry_epe
from servicekit.clock import Clock
from servicekit.events import CloudEvent, EventHandler, PermanentError
from servicekit.telemetry import current_trace_id
from servicekit.units import UNIT_MAX_LENGTH

MAX_LENGTH = {"epe_id": 64, "unit": UNIT_MAX_LENGTH}
"""EPE ids and unit codes are as long as the registry allows. A longer value cannot be stored
here: such an event is refused as bad data (dead-lettered) rather than half applied."""


def _optional(event: CloudEvent, key: str) -> str | None:
    value = event.data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PermanentError(f"{event.type} {event.id}: {key} is not a string")
    return value


def _required(event: CloudEvent, key: str) -> str:
    value = _optional(event, key)
    if value is None:
        raise PermanentError(f"{event.type} {event.id} lacks {key}")
    if len(value) > MAX_LENGTH[key]:
        raise PermanentError(f"{event.type} {event.id}: {key} is longer than {MAX_LENGTH[key]}")
    return value


def make_epe_handler(clock: Clock) -> EventHandler:
    """The handler of `registry.epe.registered.v1` and `registry.epe.updated.v1` (idempotent:
    a redelivery or an older event changes nothing; fields it does not use are ignored)."""

    def handle_epe_event(event: CloudEvent, session: Session) -> None:
        epe_id = _required(event, "epe_id")
        unit = _required(event, "unit")
        name = _optional(event, "name")
        status = _optional(event, "status")
        applied, previous = apply_registry_epe(
            session,
            epe_id=epe_id,
            unit=unit,
            name=name[:500] if name is not None else None,
            status=status[:32] if status is not None else None,
            at=event.time,
            event_id=event.id[:64],
        )
        if not applied:
            return
        follow_registry(
            session,
            epe_id=epe_id,
            unit=unit,
            previous_unit=previous,
            context=AuditContext(actor=REGISTRY_ACTOR, trace_id=current_trace_id()),
            now=clock.now(),
            event_id=event.id,
            event_type=event.type,
        )

    return handle_epe_event
