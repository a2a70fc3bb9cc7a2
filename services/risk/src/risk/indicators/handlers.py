"""Handlers of the incidents service's interruption events (idempotent: set once, kept)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from risk.indicators.models import IncidentFact
from servicekit.events import CloudEvent, PermanentError


def _instant(data: Mapping[str, Any], key: str) -> datetime:
    try:
        return datetime.fromisoformat(str(data[key])).astimezone(UTC)
    except (KeyError, ValueError) as exc:
        raise PermanentError(f"incident event without a valid {key}: {exc}") from exc


def _fact(session: Session, event: CloudEvent) -> IncidentFact:
    incident_id, epe_id = event.data.get("incident_id"), event.data.get("epe_id")
    if not incident_id or not epe_id:
        raise PermanentError(f"{event.type} {event.id} lacks incident_id or epe_id")
    fact = session.get(IncidentFact, str(incident_id))
    if fact is None:
        fact = IncidentFact(incident_id=str(incident_id), epe_id=str(epe_id))
        session.add(fact)
    fact.kind = fact.kind or event.data.get("kind")
    return fact


def handle_notice_filed(event: CloudEvent, session: Session) -> None:
    """incidents.notice.filed.v1: an interruption was opened."""
    fact = _fact(session, event)
    fact.opened_at = fact.opened_at or _instant(event.data, "filed_at")
    fact.deadline_at = fact.deadline_at or _instant(event.data, "deadline_at")


def handle_went_overdue(event: CloudEvent, session: Session) -> None:
    """incidents.incident.went_overdue.v1: the restoration deadline passed."""
    fact = _fact(session, event)
    fact.overdue_at = fact.overdue_at or event.time.astimezone(UTC)
    fact.deadline_at = fact.deadline_at or _instant(event.data, "deadline_at")


def handle_extension_missed(event: CloudEvent, session: Session) -> None:
    """incidents.extension.missed.v1: no notice of reasons after the missed deadline."""
    fact = _fact(session, event)
    fact.extension_missed_at = fact.extension_missed_at or event.time.astimezone(UTC)


def handle_extension_filed(event: CloudEvent, session: Session) -> None:
    """incidents.extension.filed.v1: the EPE gave its reasons and a new expected time."""
    fact = _fact(session, event)
    fact.extension_filed_at = fact.extension_filed_at or _instant(event.data, "filed_at")


def handle_restored(event: CloudEvent, session: Session) -> None:
    """incidents.incident.restored.v1: restored, with its promptness (I.2.3.c)."""
    fact = _fact(session, event)
    fact.restored_at = fact.restored_at or _instant(event.data, "restored_at")
    fact.promptness = fact.promptness or event.data.get("promptness")
