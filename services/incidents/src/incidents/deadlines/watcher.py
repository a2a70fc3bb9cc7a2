"""The deadline watcher: emits each deadline event exactly once, across restarts and replicas.

There are no in-memory timers. Each tick reads what is due from the database. Every emission
is one transaction that inserts a `WatcherMarker` row (unique per incident, kind and key)
together with the event's outbox row and a timeline entry: the event exists if and only if the
marker does. Two replicas that find the same due work race on the unique key; the loser's
transaction fails as a whole and it moves on, so nothing is emitted twice, and a restart
finds the markers already there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from incidents.followup.service import missed_days
from incidents.incident.events import (
    DeadlineApproached,
    ExtensionMissed,
    FollowUpMissed,
    IncidentWentOverdue,
)
from incidents.incident.models import UNRESTORED_STATES, Incident, WatcherMarker
from incidents.incident.service import (
    assigned_officers,
    facts,
    has_extension,
    mark_overdue,
    record,
)
from incidents.permissions import SYSTEM
from incidents.settings import Settings
from servicekit.clock import Clock
from servicekit.events import EventPayload, add_event
from servicekit.workdays import WorkingCalendar

log = logging.getLogger(__name__)

APPROACHED = "deadline_approached"
OVERDUE = "overdue"
EXTENSION_MISSED = "extension_missed"
FOLLOW_UP_MISSED = "follow_up_missed"

_UNRESTORED = [s.value for s in UNRESTORED_STATES]


@dataclass(frozen=True)
class Emission:
    """One event the watcher emitted (returned by `run_once`, for logs and tests)."""

    incident_id: str
    kind: str
    key: str
    event_id: str


class DeadlineWatcher:
    """Finds due deadline work in the database and emits it once."""

    def __init__(
        self, *, engine: Engine, calendar: WorkingCalendar, clock: Clock, settings: Settings
    ) -> None:
        self.engine = engine
        self.calendar = calendar
        self.clock = clock
        self.settings = settings

    # -- one pass ------------------------------------------------------------------------------

    def run_once(self) -> list[Emission]:
        """Emit everything due now; safe to run concurrently in several processes."""
        now = self.clock.now()
        emitted: list[Emission] = []
        for incident_id, deadline_key in self._due(
            (col(Incident.approaching_at) <= now) & (col(Incident.deadline_at) > now), APPROACHED
        ):
            emitted += self._emit(incident_id, APPROACHED, deadline_key, now, self._approached)
        for incident_id, deadline_key in self._due(col(Incident.deadline_at) <= now, OVERDUE):
            emitted += self._emit(incident_id, OVERDUE, deadline_key, now, self._overdue)
        for incident_id, deadline_key in self._due(
            col(Incident.extension_due_at) <= now, EXTENSION_MISSED
        ):
            emitted += self._emit(
                incident_id, EXTENSION_MISSED, deadline_key, now, self._extension_missed
            )
        emitted += self._follow_ups(now)
        return emitted

    def _due(self, condition: ColumnElement[bool], kind: str) -> list[tuple[str, str]]:
        """Unrestored incidents meeting `condition` whose marker for this deadline is absent."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(col(Incident.id), col(Incident.deadline_date))
                .where(col(Incident.state).in_(_UNRESTORED))
                .where(condition)
                .order_by(col(Incident.deadline_at))
            ).all()
            out: list[tuple[str, str]] = []
            for incident_id, deadline_date in rows:
                key = deadline_date.isoformat()
                if not _marked(session, incident_id, kind, key):
                    out.append((incident_id, key))
            return out

    def _emit(
        self,
        incident_id: str,
        kind: str,
        key: str,
        now: datetime,
        build: Callable[[Session, Incident, datetime], EventPayload | None],
        *,
        unrestored_only: bool = True,
    ) -> list[Emission]:
        """Claim (incident, kind, key) and emit in one transaction; [] if another got it."""
        with Session(self.engine) as session:
            incident = session.get(Incident, incident_id)
            if incident is None or (unrestored_only and incident.state not in _UNRESTORED):
                return []
            payload = build(session, incident, now)
            if payload is None:
                return []
            event = add_event(session, payload, subject=incident.id)
            session.add(
                WatcherMarker(
                    incident_id=incident.id, kind=kind, key=key, event_id=event.id, created_at=now
                )
            )
            record(
                session,
                incident,
                actor=SYSTEM,
                action=kind,
                at=now,
                details={"key": key, "event_id": event.id},
            )
            try:
                session.commit()
            except (IntegrityError, OperationalError) as exc:
                # Another replica claimed it first (unique marker), or SQLite was busy: the
                # whole transaction, outbox row included, is gone; the next tick re-checks.
                session.rollback()
                log.info(
                    "watcher: %s %s for %s not emitted here: %s",
                    kind,
                    key,
                    incident_id,
                    type(exc).__name__,
                )
                return []
            log.info("watcher: emitted %s %s for incident %s", kind, key, incident_id)
            return [Emission(incident_id, kind, key, event.id)]

    # -- what each event says ------------------------------------------------------------------

    def _approached(self, session: Session, incident: Incident, _now: datetime) -> EventPayload:
        return DeadlineApproached(
            **facts(session, incident),
            deadline_date=incident.deadline_date,
            deadline_at=incident.deadline_at,
        )

    def _overdue(self, session: Session, incident: Incident, now: datetime) -> EventPayload:
        mark_overdue(session, incident, now)
        return IncidentWentOverdue(
            **facts(session, incident),
            deadline_date=incident.deadline_date,
            deadline_at=incident.deadline_at,
        )

    def _extension_missed(
        self, session: Session, incident: Incident, _now: datetime
    ) -> EventPayload | None:
        if has_extension(session, incident.id):
            return None
        return ExtensionMissed(
            **facts(session, incident),
            deadline_at=incident.deadline_at,
            extension_due_at=incident.extension_due_at,
        )

    # -- follow-ups ------------------------------------------------------------------------------

    def _follow_ups(self, now: datetime) -> list[Emission]:
        """One reminder per incident per working day that ended without a follow-up."""
        today = self.calendar.local_date(now)
        lookback = self.settings.follow_up_lookback_days
        since = now - timedelta(days=lookback + 1)
        with Session(self.engine) as session:
            incidents = session.exec(
                select(Incident).where(
                    col(Incident.state).in_(_UNRESTORED) | (col(Incident.restored_at) >= since)
                )
            ).all()
            due: list[tuple[str, str]] = []
            for incident in incidents:
                for day in missed_days(
                    session, self.calendar, incident, today=today, lookback_days=lookback
                ):
                    key = day.isoformat()
                    if not _marked(session, incident.id, FOLLOW_UP_MISSED, key):
                        due.append((incident.id, key))
        emitted: list[Emission] = []
        for incident_id, key in due:
            emitted += self._emit_follow_up(incident_id, key, now)
        return emitted

    def _emit_follow_up(self, incident_id: str, key: str, now: datetime) -> list[Emission]:
        day = date.fromisoformat(key)

        def build(session: Session, incident: Incident, _now: datetime) -> EventPayload:
            return FollowUpMissed(
                **facts(session, incident),
                day=day,
                assigned_officers=assigned_officers(session, incident.id),
            )

        return self._emit(incident_id, FOLLOW_UP_MISSED, key, now, build, unrestored_only=False)

    # -- the background task ---------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until stopped; a failed tick is logged and retried at the next interval."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:
                log.exception("deadline watcher tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.watcher_interval_seconds)


def _marked(session: Session, incident_id: str, kind: str, key: str) -> bool:
    return (
        session.exec(
            select(WatcherMarker.id).where(
                WatcherMarker.incident_id == incident_id,
                WatcherMarker.kind == kind,
                WatcherMarker.key == key,
            )
        ).first()
        is not None
    )
