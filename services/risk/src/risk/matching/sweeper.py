"""The background task that looks for declared containers the gate never saw."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from risk.matching.service import sweep_unseen
from risk.settings import Settings
from servicekit.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)


def sweep_once(app: FastAPI) -> int:
    """One sweep in one transaction; another replica's sweep of the same rows wins."""
    settings: Settings = app.state.settings
    clock: Clock = getattr(app.state, "clock", SYSTEM_CLOCK)
    with Session(app.state.engine) as session:
        try:
            checked = sweep_unseen(session, settings=settings, now=clock.now())
            session.commit()
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            log.info("unseen sweep not done here: %s", type(exc).__name__)
            return 0
    return checked


async def unseen_sweeper(app: FastAPI, stop: asyncio.Event) -> None:
    """Sweep every RISK_UNSEEN_SWEEP_SECONDS until the app stops."""
    settings: Settings = app.state.settings
    while not stop.is_set():
        try:
            await asyncio.to_thread(sweep_once, app)
        except Exception:  # a bad sweep must not end the task; the next one retries
            log.exception("unseen sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.unseen_sweep_seconds)
