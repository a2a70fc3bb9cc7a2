"""The background task that rescores EPEs marked by changes to their data."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from risk.scoring.service import recompute_due
from risk.settings import Settings
from servicekit.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)


def score_once(app: FastAPI) -> int:
    """One pass in one transaction; a replica that lost the race for a row skips it."""
    settings: Settings = app.state.settings
    clock: Clock = getattr(app.state, "clock", SYSTEM_CLOCK)
    with Session(app.state.engine) as session:
        try:
            done = recompute_due(
                session,
                now=clock.now(),
                debounce_seconds=settings.score_debounce_seconds,
                limit=settings.score_batch,
                refresh_after=timedelta(hours=settings.score_refresh_hours),
            )
            session.commit()
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            log.info("rescoring not done here: %s", type(exc).__name__)
            return 0
    return done


async def score_scheduler(app: FastAPI, stop: asyncio.Event) -> None:
    """Rescore due EPEs every RISK_SCORE_TICK_SECONDS (at once again while a batch was full)."""
    settings: Settings = app.state.settings
    while not stop.is_set():
        done = 0
        try:
            done = await asyncio.to_thread(score_once, app)
        except Exception:  # a bad pass must not end the task; the next one retries
            log.exception("rescoring failed")
        if done >= settings.score_batch:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.score_tick_seconds)
