"""Anchoring the audit chain's head outside the database, at least hourly and on demand.

The timer lives in the database (`audit_anchor_timer`; the kit's `anchor_head` claims it, so
of two replicas only one anchors a given tick).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from access.audit import service as audit
from access.audit.events import AuditAnchored
from access.audit.models import CHAIN, AuditAnchorTimer
from access.runtime import Runtime
from servicekit.chain import Anchor
from servicekit.chain.anchoring import anchor_head
from servicekit.events import add_event

log = logging.getLogger(__name__)


def anchor(engine: Engine, runtime: Runtime, *, force: bool = False) -> Anchor | None:
    """Anchor the head if the timer is due and it moved (or `force`: now, even unchanged); the
    anchor or None. The anchor is announced as an event with the timer's update."""
    store = runtime.anchor_store

    def announce(session: Session, result: Anchor, object_key: str) -> None:
        add_event(
            session,
            AuditAnchored(**result.model_dump(), bucket=store.bucket, object_key=object_key),
            subject=f"{CHAIN}:{result.seq}",
        )

    return anchor_head(
        engine,
        audit.STORE,
        name=CHAIN,
        timer=AuditAnchorTimer,
        store=store,
        now=runtime.clock.now(),
        interval=timedelta(seconds=runtime.settings.audit_anchor_interval),
        force=force,
        unchanged_too=force,
        anchored=announce,
    )


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
