"""GPS against the gate: the vehicle the gate saw while its GPS fix put it elsewhere.

Distances are great-circle (haversine, mean Earth radius): at the scale of a gate tolerance
(hundreds of metres to kilometres) its error of under 0.5 % is far below GPS error, so a
geodesy library (geopy, pyproj) would add a dependency for no better decision.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from risk.customs.models import CustomsRecord
from risk.gate.models import GateEvent
from risk.matching.lookups import Lookups
from risk.matching.lookups import gate_plate as printed_plate
from risk.matching.rules import Finding, Window, gate_facts, link
from risk.settings import Settings
from risk.warnings.models import Severity

GPS_ELSEWHERE = "gps_elsewhere_at_gate"
EARTH_RADIUS_M = 6_371_008.8


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def gate_location(lookups: Lookups, event: GateEvent) -> tuple[float, float] | None:
    """Where the gate camera's area is, when the registry locates it."""
    camera = lookups.camera(event.camera_id) if event.camera_id else None
    if camera is None or camera.latitude is None or camera.longitude is None:
        return None
    return camera.latitude, camera.longitude


def gate_plate(event: GateEvent) -> str | None:
    """The plate read in its printed form, or None when the read is no valid plate."""
    return printed_plate(event.plate)


def gps_window(event: GateEvent, settings: Settings) -> Window:
    """GPS fixes in this interval are compared with the gate."""
    margin = timedelta(minutes=settings.gps_window_minutes)
    return Window(event.occurred_at - margin, event.occurred_at + margin)


def gps_findings(
    session: Session, event: GateEvent, settings: Settings, lookups: Lookups | None = None
) -> list[Finding]:
    """A finding when a fix of the vehicle within the window lies beyond the tolerance."""
    lookups = lookups or Lookups(session)
    plate, gate = gate_plate(event), gate_location(lookups, event)
    if plate is None or gate is None:
        return []
    window = gps_window(event, settings)
    far: list[dict[str, Any]] = []
    for record in lookups.gps_fixes(plate, window.start, window.end):
        where = (float(record.data["latitude"]), float(record.data["longitude"]))
        metres = round(distance_m(gate, where))
        if metres > settings.gps_tolerance_m:
            at = record.occurred_at.isoformat()
            fact = {**link(record), "at": at, "latitude": where[0], "longitude": where[1]}
            far.append({**fact, "distance_m": metres})
    if not far:
        return []
    facts: dict[str, Any] = {
        **gate_facts(event),
        "plate_read": event.plate,
        "plate": plate,
        "gate_location": {"latitude": gate[0], "longitude": gate[1]},
        "window": window.as_dict(),
        "tolerance_m": settings.gps_tolerance_m,
        "compared": far,
        "differs": "the vehicle's GPS placed it away from the gate at gate time",
    }
    return [Finding(GPS_ELSEWHERE, plate, Severity.MEDIUM, facts)]


def events_near_fix(session: Session, record: CustomsRecord, settings: Settings) -> list[GateEvent]:
    """Gate events a late GPS fix may concern: the vehicle's, within the window of the fix."""
    plate = str(record.data.get("plate", ""))
    compact = "".join(ch for ch in plate if ch.isalnum()).upper()
    margin = timedelta(minutes=settings.gps_window_minutes)
    query = select(GateEvent).where(
        GateEvent.plate == compact,
        col(GateEvent.occurred_at) >= record.occurred_at - margin,
        col(GateEvent.occurred_at) <= record.occurred_at + margin,
    )
    return list(session.exec(query))
