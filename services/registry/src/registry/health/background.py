"""The registry's background tasks (`ServiceSpec.background`): detector and prober loops."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from registry.health.detector import Thresholds, run_tick
from registry.health.prober import Prober
from registry.settings import Settings
from servicekit.clock import utc_now

log = logging.getLogger(__name__)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def detector_task(app: FastAPI, stop: asyncio.Event) -> None:
    """Run the health detector every `detector_tick` seconds until the app stops."""
    settings: Settings = app.state.settings
    if not settings.detector_enabled:
        return
    thresholds = Thresholds(
        silence=settings.offline_after_silence,
        grace=settings.fault_grace,
        batch=settings.detector_batch,
    )
    while not stop.is_set():
        try:
            result = await asyncio.to_thread(
                run_tick, app.state.engine, now=utc_now(), thresholds=thresholds
            )
            if result.went_offline or result.came_back:
                log.info(
                    "health: %d offline, %d back, %d first seen",
                    len(result.went_offline),
                    len(result.came_back),
                    len(result.first_seen),
                )
        except DBAPIError as exc:  # a lock timeout or deadlock: the next tick retries
            log.warning("health detector tick failed: %s", type(exc.orig).__name__)
        except Exception:
            log.exception("health detector tick failed")
        await _sleep(stop, settings.detector_tick)


async def prober_task(app: FastAPI, stop: asyncio.Event) -> None:
    """Probe reachable cameras until the app stops."""
    settings: Settings = app.state.settings
    if not settings.prober_enabled:
        return
    prober = Prober(
        app.state.engine,
        interval=settings.probe_interval,
        timeout=settings.probe_timeout,
        concurrency=settings.probe_concurrency,
        claim=settings.probe_claim_seconds,
        grace=settings.fault_grace,
        policy=settings.probe_policy(),
    )
    # Straight to the checked camera addresses: no redirects, no proxy from the environment.
    async with httpx.AsyncClient(follow_redirects=False, verify=True, trust_env=False) as client:
        while not stop.is_set():
            try:
                results = await prober.run_round(client, utc_now())
            except DBAPIError as exc:
                log.warning("prober round failed: %s", type(exc.orig).__name__)
                results = {}
            except Exception:
                log.exception("prober round failed")
                results = {}
            await _sleep(stop, 0.2 if results else 1.0)
