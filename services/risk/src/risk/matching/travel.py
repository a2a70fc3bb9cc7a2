"""Travel between the release point and the gate: a container released at a customs-controlled
area reaching the EPE's gate faster than the distance allows, or far later than any trip."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from risk.customs.models import CustomsRecord, RecordKind
from risk.gate.models import GateEvent
from risk.matching.gps import distance_m, gate_location
from risk.matching.lookups import Lookups
from risk.matching.rules import (
    Finding,
    Window,
    gate_facts,
    instant,
    link,
    taken_containers,
)
from risk.settings import Settings
from risk.warnings.models import Severity

TRAVEL = "release_travel_implausible"


def _located_releases(
    lookups: Lookups, number: str, window: Window, tax_code: str | None
) -> list[CustomsRecord]:
    """Current releases of the container, from a located place, released in the window."""
    return [
        r
        for r in lookups.records_naming(number)
        if r.kind == RecordKind.RELEASE.value
        and r.superseded_by is None
        and not (tax_code and r.epe_tax_code and r.epe_tax_code != tax_code)
        and r.data.get("place_latitude") is not None
        and r.data.get("place_longitude") is not None
        and window.holds(instant(r.data.get("released_at")))
    ]


def _trip(
    record: CustomsRecord, event: GateEvent, gate: tuple[float, float], settings: Settings
) -> dict[str, Any] | None:
    """The trip's facts when it is implausible, else None."""
    place = (float(record.data["place_latitude"]), float(record.data["place_longitude"]))
    released = instant(record.data["released_at"])
    assert released is not None  # the window held it
    metres = distance_m(place, gate)
    elapsed = max(event.occurred_at - released, timedelta(0))
    least = timedelta(hours=metres / 1000 / settings.travel_max_speed_kmh)
    if elapsed < least:
        why = "too_fast"
    elif elapsed > least + timedelta(hours=settings.travel_max_dwell_hours):
        why = "too_slow"
    else:
        return None
    return {
        **link(record),
        "place": record.data.get("place"),
        "place_location": {"latitude": place[0], "longitude": place[1]},
        "released_at": released.isoformat(),
        "distance_m": round(metres),
        "elapsed_minutes": round(elapsed.total_seconds() / 60),
        "least_minutes": round(least.total_seconds() / 60),
        "why": why,
    }


def travel_findings(
    session: Session, event: GateEvent, settings: Settings, lookups: Lookups | None = None
) -> list[Finding]:
    """One finding per container whose release and gate times are implausibly far apart."""
    lookups = lookups or Lookups(session)
    gate = gate_location(lookups, event)
    if gate is None:
        return []
    enterprise = lookups.enterprise(event.epe_id)
    tax_code = enterprise.tax_code if enterprise else None
    window = Window.before(event.occurred_at, settings)
    findings: list[Finding] = []
    for number in taken_containers(event):
        trips = [
            _trip(r, event, gate, settings)
            for r in _located_releases(lookups, number, window, tax_code)
        ]
        compared = [trip for trip in trips if trip is not None]
        if not compared:
            continue
        facts: dict[str, Any] = {
            **gate_facts(event),
            "container": number,
            "gate_location": {"latitude": gate[0], "longitude": gate[1]},
            "window": window.as_dict(),
            "max_speed_kmh": settings.travel_max_speed_kmh,
            "max_dwell_hours": settings.travel_max_dwell_hours,
            "compared": compared,
            "differs": "the time between release and gate does not fit the distance",
        }
        findings.append(Finding(TRAVEL, number, Severity.MEDIUM, facts))
    return findings
