"""Reminders and overdue requests: each event exactly once, across restarts and replicas.

No in-memory timers: each tick reads what is due from the database. Every emission is one
transaction whose conditional UPDATE (`... WHERE reminded_at IS NULL`, `... WHERE state IN
open`) claims the row together with the event's outbox row; a second replica's UPDATE of
the same row matches nothing (PostgreSQL re-checks the condition after the first commits,
SQLite serialises writers), so it emits nothing, and a restart finds the row already claimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import ColumnElement, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from evidence.projection.service import unit_of
from evidence.requests.events import RequestOverdue, RequestReminder
from evidence.requests.models import EvidenceRequest, RequestState
from evidence.settings import Settings
from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.events import EventPayload, add_event

log = logging.getLogger(__name__)

_OWING = [RequestState.REQUESTED.value, RequestState.UPLOADING.value]
"""States in which the EPE has not submitted yet (overdue is already reported)."""


def _claim(
    session: Session, request_id: str, values: dict[str, object], *where: ColumnElement[bool]
) -> bool:
    statement = update(EvidenceRequest).where(col(EvidenceRequest.id) == request_id, *where)
    result: CursorResult[object] = session.execute(  # type: ignore[assignment]
        statement.values(**values)
    )
    return result.rowcount == 1


def _emit(session: Session, payload: EventPayload, request_id: str) -> None:
    add_event(session, payload, subject=request_id)
    session.commit()


def overdue_once(session: Session, now: datetime) -> int:
    """Mark every request past its due date overdue, one event each."""
    due = session.exec(
        select(EvidenceRequest.id, EvidenceRequest.epe_id, EvidenceRequest.due_at).where(
            col(EvidenceRequest.state).in_(_OWING), col(EvidenceRequest.due_at) <= now
        )
    ).all()
    emitted = 0
    for request_id, epe_id, due_at in due:
        owing = col(EvidenceRequest.state).in_(_OWING)
        values = {"state": RequestState.OVERDUE.value, "updated_at": now}
        if not _claim(session, request_id, values, owing):
            session.rollback()
            continue
        payload = RequestOverdue(
            request_id=request_id,
            epe_id=epe_id,
            unit=unit_of(session, epe_id),
            due_at=due_at,
            overdue_at=now,
        )
        _emit(session, payload, request_id)
        emitted += 1
    return emitted


def remind_once(session: Session, now: datetime) -> int:
    """Remind of every request with one working day left, once."""
    due = session.exec(
        select(EvidenceRequest.id, EvidenceRequest.epe_id, EvidenceRequest.due_at).where(
            col(EvidenceRequest.state).in_(_OWING),
            col(EvidenceRequest.reminded_at).is_(None),
            col(EvidenceRequest.remind_at) <= now,
            col(EvidenceRequest.due_at) > now,
        )
    ).all()
    emitted = 0
    for request_id, epe_id, due_at in due:
        unclaimed = col(EvidenceRequest.reminded_at).is_(None)
        if not _claim(session, request_id, {"reminded_at": now}, unclaimed):
            session.rollback()
            continue
        payload = RequestReminder(
            request_id=request_id, epe_id=epe_id, unit=unit_of(session, epe_id), due_at=due_at
        )
        _emit(session, payload, request_id)
        emitted += 1
    return emitted


def watch_once(app: FastAPI) -> int:
    """One tick: overdue first (a request past due gets no reminder), then reminders."""
    clock: Clock = getattr(app.state, "clock", SYSTEM_CLOCK)
    now = clock.now()
    with Session(app.state.engine) as session:
        try:
            return overdue_once(session, now) + remind_once(session, now)
        except OperationalError as exc:  # SQLite busy under another replica: next tick
            session.rollback()
            log.info("request watch not done here: %s", type(exc).__name__)
            return 0


async def request_watcher(app: FastAPI, stop: asyncio.Event) -> None:
    """Watch every EVIDENCE_WATCH_SECONDS until the app stops."""
    settings: Settings = app.state.settings
    while not stop.is_set():
        try:
            await asyncio.to_thread(watch_once, app)
        except Exception:  # a bad tick must not end the task; the next one retries
            log.exception("request watch failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.watch_seconds)
