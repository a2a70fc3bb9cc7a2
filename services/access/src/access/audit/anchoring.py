"""Anchoring the audit chain's head outside the database, at least hourly and on demand.

The timer lives in the database (`audit_anchor_timer`): a replica anchors only after moving
`due_at` forward in its own transaction, so of two replicas only one anchors a given tick. The
claim is a short lease: if the S3 write fails or the process dies, another try comes after it.
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

from access.audit import service as audit
from access.audit.events import AuditAnchored
from access.audit.models import CHAIN, AuditAnchorTimer
from access.runtime import Runtime
from servicekit.chain import Anchor
from servicekit.events import add_event

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


def _claim(session: Session, *, now: datetime, until: datetime, force: bool) -> bool:
    """Move the timer to `until` if it is due (or `force`); whether this caller got it."""
    statement = update(AuditAnchorTimer).where(col(AuditAnchorTimer.id) == 1)
    if not force:
        statement = statement.where(col(AuditAnchorTimer.due_at) <= now)
    if getattr(session.execute(statement.values(due_at=until)), "rowcount", 0) == 1:
        return True
    if session.get(AuditAnchorTimer, 1) is not None:
        return False
    session.add(AuditAnchorTimer(id=1, due_at=until))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True


def anchor(engine: Engine, runtime: Runtime, *, force: bool = False) -> Anchor | None:
    """Anchor the head if the timer is due (or `force`) and it moved; the anchor or None."""
    now = runtime.clock.now()
    interval = timedelta(seconds=runtime.settings.audit_anchor_interval)
    with Session(engine) as session:
        if not _claim(session, now=now, until=now + min(LEASE, interval), force=force):
            return None
        head = audit.head(session)
        timer = session.get(AuditAnchorTimer, 1, populate_existing=True)
        anchored_seq = timer.anchored_seq if timer else 0
        if head.last_seq == 0 or (head.last_seq == anchored_seq and not force):
            session.execute(
                update(AuditAnchorTimer)
                .where(col(AuditAnchorTimer.id) == 1)
                .values(due_at=now + interval)
            )
            session.commit()
            return None
        result = Anchor(
            chain=CHAIN,
            seq=head.last_seq,
            mac=head.last_hash,
            keyed_from=head.keyed_from,
            key_id=runtime.chain_key.key_id,
            anchored_at=now,
        )
        session.commit()
    store = runtime.anchor_store
    object_key = store.write(result)
    with Session(engine) as session:
        session.execute(
            update(AuditAnchorTimer)
            .where(col(AuditAnchorTimer.id) == 1)
            .values(due_at=now + interval, anchored_seq=result.seq)
        )
        add_event(
            session,
            AuditAnchored(**result.model_dump(), bucket=store.bucket, object_key=object_key),
            subject=f"{CHAIN}:{result.seq}",
        )
        session.commit()
    log.info("anchored the audit chain at record %d (%s)", result.seq, object_key)
    return result


def read_anchors(runtime: Runtime) -> list[Anchor]:
    """Every anchor of the audit chain ([] when anchoring is off, e.g. in development)."""
    if not runtime.settings.audit_anchor_enabled:
        return []
    return runtime.anchor_store.read(CHAIN)


async def anchor_task(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task: read the timer every `audit_anchor_tick` seconds and anchor when due."""
    runtime: Runtime = app.state.runtime
    settings = runtime.settings
    if not settings.audit_anchor_enabled:
        return
    while not stop.is_set():
        try:
            await run_in_threadpool(anchor, app.state.engine, runtime)
        except Exception:
            log.exception("anchoring the audit chain failed; retrying after the lease")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.audit_anchor_tick)
