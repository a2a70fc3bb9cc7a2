"""Anchoring the custody chain's head outside the database (Object-Locked S3), on a timer kept
in the database and on demand (after each seal).

The kit's `anchor_head` claims the timer first, so two replicas never anchor the same tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from evidence.custody import service as custody
from evidence.custody.models import CHAIN, CustodyAnchorTimer
from servicekit.chain import Anchor, AnchorStore
from servicekit.chain.anchoring import anchor_head
from servicekit.clock import SYSTEM_CLOCK

log = logging.getLogger(__name__)


def anchor(
    engine: Engine,
    store: AnchorStore,
    *,
    now: datetime,
    interval: timedelta,
    force: bool = False,
) -> Anchor | None:
    """Anchor the head if the timer is due (or `force`) and it moved; the anchor or None (the
    key is the one bound to the engine)."""
    return anchor_head(
        engine,
        custody.STORE,
        name=CHAIN,
        timer=CustodyAnchorTimer,
        store=store,
        now=now,
        interval=interval,
        force=force,
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
                now=SYSTEM_CLOCK.now(),
                interval=interval,
            )
        except Exception:
            log.exception("anchoring the custody chain failed; retrying after the lease")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.custody_anchor_tick)
