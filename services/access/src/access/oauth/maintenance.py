"""Housekeeping: expired sign-in transactions, codes and token records are deleted (the audit
log keeps the history), so these tables do not grow without bound."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import delete
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from access.oauth.models import AuthorizationCode, DeviceCode, IssuedAccessToken, RefreshToken
from access.runtime import Runtime
from access.signin.models import SigninTransaction
from access.vault.models import RevealHandle

log = logging.getLogger(__name__)

GRACE = timedelta(days=1)


def purge_expired(session: Session, *, now: datetime) -> int:
    """Delete rows that expired more than a day ago; returns how many."""
    cutoff = now - GRACE
    removed = 0
    for table, column in (
        (SigninTransaction, SigninTransaction.expires_at),
        (AuthorizationCode, AuthorizationCode.expires_at),
        (DeviceCode, DeviceCode.expires_at),
        (IssuedAccessToken, IssuedAccessToken.expires_at),
        (RefreshToken, RefreshToken.expires_at),
        (RevealHandle, RevealHandle.expires_at),
    ):
        result = session.execute(delete(table).where(col(column) < cutoff))
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


async def purge_task(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task of the service: purge every `purge_interval` seconds."""
    runtime: Runtime = app.state.runtime
    interval = runtime.settings.purge_interval

    def run_once() -> int:
        with Session(app.state.engine) as session:
            removed = purge_expired(session, now=runtime.clock.now())
            session.commit()
            return removed

    while not stop.is_set():
        try:
            removed = await run_in_threadpool(run_once)
            if removed:
                log.info("purged %d expired sign-in/token rows", removed)
        except Exception:
            log.exception("purging expired rows failed; retrying later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
