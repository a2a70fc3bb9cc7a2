"""The coverage check reacts to what changes it: cameras declared, moved or removed, areas
declared, changed or retired, and cameras' live state (see ``registry.reactions``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from registry.areas.changes import AreaChanged
from registry.cameras.events import CameraAdded, CameraChanged, CameraRemoved
from registry.coverage.service import refresh_coverage
from registry.health.changes import CameraStatesChanged
from registry.reactions import subscribe


def _epes_of(fact: object) -> set[str]:
    if isinstance(fact, CameraStatesChanged):
        return set(fact.epe_ids)
    if isinstance(fact, AreaChanged | CameraAdded | CameraChanged | CameraRemoved):
        return {fact.epe_id}
    return set()


@subscribe(CameraAdded, CameraChanged, CameraRemoved, AreaChanged, CameraStatesChanged)
def recheck_coverage(session: Session, facts: list[object], now: datetime) -> None:
    """Re-run the coverage check of every EPE these facts touch, once each."""
    epe_ids: set[str] = set()
    for fact in facts:
        epe_ids |= _epes_of(fact)
    refresh_coverage(session, epe_ids, now=now)
