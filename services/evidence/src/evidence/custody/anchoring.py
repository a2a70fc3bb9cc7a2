"""Anchoring the custody chain's head outside the database (Object-Locked S3), on a timer kept
in the database and on demand (after each seal).

A replica anchors only after moving `due_at` forward in its own transaction, so two replicas
never anchor the same tick; a replica that dies mid-way leaves only a short lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from evidence.custody import service as custody
from evidence.custody.models import CHAIN, CustodyAnchorTimer
from servicekit.chain import Anchor, AnchorStore, ChainKey
from servicekit.clock import SYSTEM_CLOCK

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


def _claim(session: Session, *, now: datetime, until: datetime, force: bool) -> bool:
    statement = update(CustodyAnchorTimer).where(col(CustodyAnchorTimer.id) == 1)
    if not force:
        statement = statement.where(col(CustodyAnchorTimer.due_at) <= now)
    if getattr(session.execute(statement.values(due_at=until)), "rowcount", 0) == 1:
        return True
    if session.get(CustodyAnchorTimer, 1) is not None:
        return False
    session.add(CustodyAnchorTimer(id=1, due_at=until))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True


def anchor(
    engine: Engine,
    store: AnchorStore,
    key: ChainKey,
    *,
    now: datetime,
    interval: timedelta,
    force: bool = False,
) -> Anchor | None:
    """Anchor the head if the timer is due (or `force`) and it moved; the anchor or None."""
    with Session(engine) as session:
        if not _claim(session, now=now, until=now + min(LEASE, interval), force=force):
            return None
        current = custody.head(session)
        timer = session.get(CustodyAnchorTimer, 1, populate_existing=True)
        if current.last_seq == 0 or (timer is not None and timer.anchored_seq == current.last_seq):
            _set_timer(session, due_at=now + interval)
            session.commit()
            return None
        result = Anchor(
            chain=CHAIN,
            seq=current.last_seq,
            mac=current.last_mac,
            keyed_from=1,
            key_id=key.key_id,
            anchored_at=now,
        )
        session.commit()
    object_key = store.write(result)
    with Session(engine) as session:
        _set_timer(session, due_at=now + interval, anchored_seq=result.seq)
        session.commit()
    log.info("anchored the custody chain at record %d (%s)", result.seq, object_key)
    return result


def _set_timer(session: Session, *, due_at: datetime, anchored_seq: int | None = None) -> None:
    values: dict[str, object] = {"due_at": due_at}
    if anchored_seq is not None:
        values["anchored_seq"] = anchored_seq
    session.execute(
        update(CustodyAnchorTimer).where(col(CustodyAnchorTimer.id) == 1).values(**values)
    )


async def anchor_task(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task: every `custody_anchor_tick` seconds anchor the head when due (on the
    wall clock, not the app's: the S3 server counts the anchors' retention)."""
    settings = app.state.settings
    interval = timedelta(seconds=settings.custody_anchor_seconds)
    while not stop.is_set():
        try:
            await run_in_threadpool(
                anchor,
                app.state.engine,
                app.state.anchor_store,
                app.state.custody_key,
                now=SYSTEM_CLOCK.now(),
                interval=interval,
            )
        except Exception:
            log.exception("anchoring the custody chain failed; retrying after the lease")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.custody_anchor_tick)
