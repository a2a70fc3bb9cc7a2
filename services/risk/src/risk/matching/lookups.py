"""What the rules read from the database, behind one object so a batch can read it at once.

`Lookups` asks the database each time (one gate event, late data). `Prefetched` answers the
same questions for a whole batch of gate reads from a few set-based queries made up front
(candidate records of every container read, GPS fixes of every plate over the batch's time
span, the outage windows of its EPEs), and falls back to the database for anything it did not
load, so a rule gets the same answer either way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from risk.customs.models import CustomsRecord, RecordKind, RecordRef
from risk.gate.models import GateEvent
from risk.projection.models import GATE_POSITION, Camera, Enterprise, Outage
from risk.projection.service import blind_cameras
from risk.settings import Settings
from servicekit.vehicles import normalise_plate

MATCHED_KINDS = (RecordKind.DECLARATION.value, RecordKind.RELEASE.value)
"""Records that may explain (or contradict) a container at the gate."""

CHUNK = 900
"""Values per IN list (well under SQLite's bound variables limit)."""


def chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    """`values` in slices of CHUNK."""
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def gate_plate(plate: str | None) -> str | None:
    """A plate read in its printed form, or None when the read is no valid plate."""
    try:
        return normalise_plate(plate) if plate else None
    except ValueError:
        return None


class Lookups:
    """The rules' reads, one query each."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def enterprise(self, epe_id: str) -> Enterprise | None:
        return self.session.get(Enterprise, epe_id)

    def camera(self, camera_id: str) -> Camera | None:
        return self.session.get(Camera, camera_id)

    def blind_cameras(self, epe_id: str, at: datetime) -> list[str]:
        return blind_cameras(self.session, epe_id=epe_id, at=at)

    def records_naming(self, number: str) -> list[CustomsRecord]:
        """Every stored version of declarations and releases naming a container."""
        query = (
            select(CustomsRecord)
            .join(RecordRef, col(RecordRef.record_id) == col(CustomsRecord.id))
            .where(RecordRef.container_number == number, col(RecordRef.kind).in_(MATCHED_KINDS))
            .order_by(col(CustomsRecord.occurred_at))
        )
        return list(self.session.exec(query))

    def gps_fixes(self, plate: str, start: datetime, end: datetime) -> list[CustomsRecord]:
        """GPS fixes of a plate (printed form) in [start, end], in time order."""
        query = (
            select(CustomsRecord)
            .join(RecordRef, col(RecordRef.record_id) == col(CustomsRecord.id))
            .where(RecordRef.kind == RecordKind.GPS_FIX.value, RecordRef.plate == plate)
            .where(col(CustomsRecord.occurred_at) >= start)
            .where(col(CustomsRecord.occurred_at) <= end)
            .order_by(col(CustomsRecord.occurred_at))
        )
        return list(self.session.exec(query))


class Prefetched(Lookups):
    """The reads of a batch of gate events, loaded with a few queries."""

    def __init__(
        self,
        session: Session,
        events: Sequence[GateEvent],
        containers: Iterable[str],
        settings: Settings,
    ) -> None:
        super().__init__(session)
        epes = sorted({e.epe_id for e in events})
        cameras = sorted({e.camera_id for e in events if e.camera_id})
        self._enterprises = {
            e.epe_id: e
            for e in session.exec(select(Enterprise).where(col(Enterprise.epe_id).in_(epes)))
        }
        self._cameras = {
            c.camera_id: c
            for c in session.exec(select(Camera).where(col(Camera.camera_id).in_(cameras)))
        }
        times = [e.occurred_at for e in events]
        self._span = (min(times), max(times)) if times else None
        self._outages = self._load_outages(epes)
        self._records = self._load_records(sorted(set(containers)))
        margin = timedelta(minutes=settings.gps_window_minutes)
        located = [e for e in events if self._located(e.camera_id)]
        plates = sorted({p for e in located if (p := gate_plate(e.plate))})
        self._fix_span: tuple[datetime, datetime] | None = None
        self._fixes: dict[str, list[CustomsRecord]] = {}
        if plates and self._span:
            self._fix_span = (self._span[0] - margin, self._span[1] + margin)
            self._fixes = self._load_fixes(plates, *self._fix_span)

    def _located(self, camera_id: str | None) -> bool:
        camera = self._cameras.get(camera_id or "")
        return camera is not None and camera.latitude is not None

    def _load_outages(self, epes: list[str]) -> dict[str, list[Outage]]:
        """Gate camera outages of the batch's EPEs that overlap its time span."""
        found: dict[str, list[Outage]] = defaultdict(list)
        if self._span is None:
            return found
        first, last = self._span
        query = (
            select(Outage)
            .join(Camera, col(Camera.camera_id) == col(Outage.camera_id))
            .where(
                col(Outage.epe_id).in_(epes),
                col(Outage.started_at) <= last,
                col(Outage.ended_at).is_(None) | (col(Outage.ended_at) > first),
                Camera.position_kind == GATE_POSITION,
            )
        )
        for outage in self.session.exec(query):
            found[outage.epe_id].append(outage)
        return found

    def _load_records(self, numbers: list[str]) -> dict[str, list[CustomsRecord]]:
        found: dict[str, list[CustomsRecord]] = {n: [] for n in numbers}
        for part in chunks(numbers):
            query = (
                select(RecordRef.container_number, CustomsRecord)
                .join(RecordRef, col(RecordRef.record_id) == col(CustomsRecord.id))
                .where(
                    col(RecordRef.container_number).in_(part),
                    col(RecordRef.kind).in_(MATCHED_KINDS),
                )
                .order_by(col(CustomsRecord.occurred_at))
            )
            for number, record in self.session.exec(query):
                found[str(number)].append(record)
        return found

    def _load_fixes(
        self, plates: list[str], start: datetime, end: datetime
    ) -> dict[str, list[CustomsRecord]]:
        found: dict[str, list[CustomsRecord]] = {p: [] for p in plates}
        for part in chunks(plates):
            query = (
                select(RecordRef.plate, CustomsRecord)
                .join(RecordRef, col(RecordRef.record_id) == col(CustomsRecord.id))
                .where(RecordRef.kind == RecordKind.GPS_FIX.value, col(RecordRef.plate).in_(part))
                .where(col(CustomsRecord.occurred_at) >= start)
                .where(col(CustomsRecord.occurred_at) <= end)
                .order_by(col(CustomsRecord.occurred_at))
            )
            for plate, record in self.session.exec(query):
                found[str(plate)].append(record)
        return found

    def enterprise(self, epe_id: str) -> Enterprise | None:
        if epe_id in self._enterprises:
            return self._enterprises[epe_id]
        return super().enterprise(epe_id)

    def camera(self, camera_id: str) -> Camera | None:
        if camera_id in self._cameras:
            return self._cameras[camera_id]
        return super().camera(camera_id)

    def blind_cameras(self, epe_id: str, at: datetime) -> list[str]:
        if self._span is None or not self._span[0] <= at <= self._span[1]:
            return super().blind_cameras(epe_id, at)
        return sorted(
            {
                o.camera_id
                for o in self._outages.get(epe_id, [])
                if o.started_at <= at and (o.ended_at is None or o.ended_at > at)
            }
        )

    def records_naming(self, number: str) -> list[CustomsRecord]:
        if number in self._records:
            return list(self._records[number])
        return super().records_naming(number)

    def gps_fixes(self, plate: str, start: datetime, end: datetime) -> list[CustomsRecord]:
        span = self._fix_span
        if plate not in self._fixes or span is None or start < span[0] or end > span[1]:
            return super().gps_fixes(plate, start, end)
        return [r for r in self._fixes[plate] if start <= r.occurred_at <= end]
