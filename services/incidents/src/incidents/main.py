"""Composition root of the incidents service."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from incidents.api import routers
from incidents.db import metadata
from incidents.deadlines.watcher import DeadlineWatcher
from incidents.gatelog.events import GateLogRecorded
from incidents.incident.events import (
    DeadlineApproached,
    ExtensionFiled,
    ExtensionMissed,
    FollowUpMissed,
    IncidentClosed,
    IncidentRestored,
    IncidentWentOverdue,
    NoticeRequested,
    PlanAgreed,
)
from incidents.notices.events import NoticeFiled, NoticeRevised
from incidents.settings import Settings
from incidents.subscriptions import subscriptions
from servicekit.app import ServiceSpec, create_service_app
from servicekit.clock import Clock, SystemClock
from servicekit.events import EventPayload
from servicekit.workdays import WorkingCalendar

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

PUBLISHES: list[type[EventPayload]] = [
    NoticeRequested,
    NoticeFiled,
    NoticeRevised,
    PlanAgreed,
    IncidentRestored,
    IncidentClosed,
    ExtensionFiled,
    DeadlineApproached,
    IncidentWentOverdue,
    ExtensionMissed,
    FollowUpMissed,
    GateLogRecorded,
]


async def run_deadline_watcher(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task: the deadline watcher of this replica (see deadlines/watcher.py)."""
    watcher: DeadlineWatcher = app.state.watcher
    await watcher.run(stop)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    calendar: WorkingCalendar | None = None,
    watcher_enabled: bool = True,
    **overrides: Any,
) -> FastAPI:
    """Build the incidents API; `clock` and `calendar` can be injected (tests)."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    calendar = calendar or WorkingCalendar(settings.swaps_file, tz=_zone(settings.timezone))
    spec = ServiceSpec(
        title="camwatch incidents",
        description=(
            "Interruption notices (Appendix II of Decision 247/QD-TCHQ), restoration deadlines "
            "on the Vietnamese working-day calendar, daily follow-up, the manual gate log and "
            "restoration promptness per EPE."
        ),
        settings=settings,
        metadata=metadata,
        routers=routers,
        publishes=PUBLISHES,
        subscriptions=subscriptions(calendar=calendar, settings=settings, clock=clock),
        background=[run_deadline_watcher] if watcher_enabled else [],
    )
    app = create_service_app(spec, **overrides)
    app.state.clock = clock
    app.state.calendar = calendar
    app.state.watcher = DeadlineWatcher(
        engine=app.state.engine, calendar=calendar, clock=clock, settings=settings
    )
    return app


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
