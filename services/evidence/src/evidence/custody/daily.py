"""The daily custody check: the chain verified against its anchors and the result published
(`evidence.custody.verified.v1`, outbox) for the daily log digest of the access service, which
may not read this service's tables.

The timer is a row in the database (`custody_verify_timer`), like the anchoring timer and the
access service's digest timer: every `custody_verify_tick` seconds each replica tries to move
`due_at` to the next run (`custody_verify_minute_of_day` after midnight in Vietnam, before the
digest at 00:30) in one `UPDATE ... WHERE due_at <= now`; only the replica whose update took the
row verifies, so two replicas verify once. A new installation (no row yet) verifies at once. A
failed run moves the timer back to retry in five minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, datetime, time, timedelta

from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from evidence.custody import service as custody
from evidence.custody.events import CustodyVerified
from evidence.custody.models import CHAIN, CustodyVerifyTimer
from servicekit.chain import Anchor, AnchorStore
from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.events import add_event
from servicekit.objectstore import STORAGE_ERRORS
from servicekit.workdays import VIETNAM_TZ

log = logging.getLogger(__name__)

RETRY = timedelta(minutes=5)


def yesterday(now: datetime) -> date:
    """The last whole day in Vietnam before `now`."""
    return now.astimezone(VIETNAM_TZ).date() - timedelta(days=1)


def next_due(now: datetime, *, minute_of_day: int) -> datetime:
    """`minute_of_day` minutes after midnight in Vietnam, strictly after `now`."""
    local = now.astimezone(VIETNAM_TZ)
    due = datetime.combine(local.date(), time(0), tzinfo=VIETNAM_TZ) + timedelta(
        minutes=minute_of_day
    )
    if due <= local:
        due += timedelta(days=1)
    return due.astimezone(now.tzinfo)


def claim(engine: Engine, *, now: datetime, until: datetime) -> bool:
    """Move the timer to `until` if it is due; whether this caller got the run. With no row
    yet, the row is made due now, so a new installation verifies at once."""
    with Session(engine) as session:
        if session.get(CustodyVerifyTimer, 1) is None:
            session.add(CustodyVerifyTimer(id=1, due_at=now))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
        moved = session.execute(
            update(CustodyVerifyTimer)
            .where(col(CustodyVerifyTimer.id) == 1)
            .where(col(CustodyVerifyTimer.due_at) <= now)
            .values(due_at=until)
        )
        session.commit()
        return getattr(moved, "rowcount", 0) == 1


def release(engine: Engine, *, now: datetime) -> None:
    """A claimed run failed: try again after RETRY."""
    with Session(engine) as session:
        session.execute(
            update(CustodyVerifyTimer)
            .where(col(CustodyVerifyTimer.id) == 1)
            .values(due_at=now + RETRY)
        )
        session.commit()


def verify_and_publish(
    engine: Engine, anchors: list[Anchor] | None, *, day: date, now: datetime
) -> CustodyVerified:
    """Verify the chain (`anchors` None: they could not be read, so it is not verified) and
    put the result in the outbox, in one transaction."""
    with Session(engine) as session:
        result = custody.verify_chain(session, anchors=anchors or ())
        head = custody.head(session)
        broken = result.first_broken
        problem = broken.problem if broken else None
        if anchors is None and problem is None:
            problem = "the anchors could not be read from object storage"
        payload = CustodyVerified(
            day=day,
            verified=result.ok and anchors is not None,
            records_checked=result.records_checked,
            anchors_checked=result.anchors_checked,
            last_seq=head.last_seq,
            head_mac=head.last_mac if head.last_seq else None,
            first_broken_seq=broken.seq if broken else None,
            problem=problem[:500] if problem else None,
            checked_at=now,
        )
        add_event(session, payload, subject=f"custody:{day.isoformat()}")
        session.commit()
    return payload


def read_anchors(store: AnchorStore) -> list[Anchor] | None:
    try:
        return list(store.read(CHAIN))
    except STORAGE_ERRORS:
        log.exception("reading the custody anchors for the daily check failed")
        return None


async def tick(app: FastAPI) -> CustodyVerified | None:
    """Verify for yesterday if the timer is due and this replica claimed it."""
    settings = app.state.settings
    clock: Clock = getattr(app.state, "clock", SYSTEM_CLOCK)
    now = clock.now()
    until = next_due(now, minute_of_day=settings.custody_verify_minute_of_day)
    engine: Engine = app.state.engine
    if not await run_in_threadpool(claim, engine, now=now, until=until):
        return None
    try:
        anchors = await run_in_threadpool(read_anchors, app.state.anchor_store)
        result = await run_in_threadpool(
            verify_and_publish, engine, anchors, day=yesterday(now), now=now
        )
    except Exception:
        await run_in_threadpool(release, engine, now=now)
        raise
    if result.verified:
        log.info("custody chain verified for %s: %d records", result.day, result.records_checked)
    else:
        log.error("custody chain NOT verified for %s: %s", result.day, result.problem)
    return result


async def verify_task(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task: read the timer every `custody_verify_tick` seconds."""
    settings = app.state.settings
    if not settings.custody_verify_enabled:
        return
    while not stop.is_set():
        try:
            await tick(app)
        except Exception:
            log.exception("the daily custody check failed; retrying in %s", RETRY)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.custody_verify_tick)
