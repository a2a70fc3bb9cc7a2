"""The daily digest's timer, held in the database like the audit anchors' timer.

A replica runs the digest only after moving `due_at` to the next day in its own transaction,
so with two replicas the day's digest is made exactly once; if the run then fails, the timer
is moved back to retry after a short lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from access.audit.anchoring import read_anchors
from access.logdigest import service as digests
from access.logdigest.models import LogDigest, LogDigestTimer, Trigger
from access.runtime import Runtime
from servicekit.chain import Anchor
from servicekit.events import DeadLetter, EventRuntime
from servicekit.objectstore import STORAGE_ERRORS

log = logging.getLogger(__name__)

RETRY = timedelta(minutes=5)
DEAD_LETTERS_READ = 10_000


def claim(engine: Engine, *, now: datetime, until: datetime) -> bool:
    """Move the timer to `until` if it is due; whether this caller got the run. The first
    call ever only sets the timer (the first digest is the next day's)."""
    with Session(engine) as session:
        moved = session.execute(
            update(LogDigestTimer)
            .where(col(LogDigestTimer.id) == 1)
            .where(col(LogDigestTimer.due_at) <= now)
            .values(due_at=until)
        )
        if getattr(moved, "rowcount", 0) == 1:
            session.commit()
            return True
        if session.get(LogDigestTimer, 1) is None:
            session.add(LogDigestTimer(id=1, due_at=until))
            with contextlib.suppress(IntegrityError):
                session.commit()
        return False


def release(engine: Engine, *, now: datetime) -> None:
    """A claimed run failed: try again after RETRY."""
    with Session(engine) as session:
        session.execute(
            update(LogDigestTimer).where(col(LogDigestTimer.id) == 1).values(due_at=now + RETRY)
        )
        session.commit()


async def read_dead_letters(app: FastAPI) -> list[DeadLetter] | None:
    """Every dead letter kept in the bus's stream (None when events are off or NATS fails)."""
    events: EventRuntime | None = getattr(app.state, "events", None)
    if events is None:
        return None
    try:
        return await events.bus.dead_letters(limit=DEAD_LETTERS_READ)
    except Exception:
        log.exception("reading the dead letters for the log digest failed")
        return None


def anchors_or_none(runtime: Runtime) -> Sequence[Anchor] | None:
    try:
        return read_anchors(runtime)
    except STORAGE_ERRORS:
        log.exception("reading the audit anchors for the log digest failed")
        return None


async def run_digest(
    app: FastAPI, *, day: date, trigger: Trigger, requested_by: str | None
) -> LogDigest:
    """Make and store one digest (committed); its anomalies go out through the outbox."""
    runtime: Runtime = app.state.runtime
    letters = await read_dead_letters(app)

    def build() -> LogDigest:
        anchors = anchors_or_none(runtime)
        with Session(app.state.engine, expire_on_commit=False) as session:
            digest = digests.build(
                session,
                day=day,
                trigger=trigger,
                requested_by=requested_by,
                now=runtime.clock.now(),
                dead_letters=letters,
                anchors=anchors,
                thresholds=digests.Thresholds(
                    signin_failures=runtime.settings.log_digest_max_signin_failures,
                    lockouts=runtime.settings.log_digest_max_lockouts,
                    server_errors=runtime.settings.log_digest_max_server_errors,
                ),
                events_on=runtime.settings.events_enabled,
            )
            session.commit()
            return digest

    digest = await run_in_threadpool(build)
    log.info("log digest of %s: %s", day, "; ".join(digest.anomalies) or "no anomaly")
    return digest


async def tick(app: FastAPI) -> LogDigest | None:
    """Run yesterday's digest if the timer is due and this replica claimed it."""
    runtime: Runtime = app.state.runtime
    now = runtime.clock.now()
    until = digests.next_due(now, minute_of_day=runtime.settings.log_digest_minute_of_day)
    if not await run_in_threadpool(claim, app.state.engine, now=now, until=until):
        return None
    try:
        return await run_digest(
            app, day=digests.yesterday(now), trigger=Trigger.SCHEDULED, requested_by=None
        )
    except Exception:
        await run_in_threadpool(release, app.state.engine, now=now)
        raise


async def digest_task(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task: read the timer every `log_digest_tick` seconds."""
    settings = app.state.runtime.settings
    if not settings.log_digest_enabled:
        return
    while not stop.is_set():
        try:
            await tick(app)
        except Exception:
            log.exception("the daily log digest failed; retrying in %s", RETRY)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.log_digest_tick)
