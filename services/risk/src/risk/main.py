"""Composition root of the risk service."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from risk.customs.routes import router as customs_router
from risk.customs.views import router as records_router
from risk.db import metadata
from risk.gate.routes import router as gate_router
from risk.matching.sweeper import unseen_sweeper
from risk.plan.events import InspectionRecorded
from risk.plan.routes import router as plan_router
from risk.reports.routes import router as reports_router
from risk.scoring.events import LevelChanged
from risk.scoring.marks import install as install_score_marks
from risk.scoring.routes import levels as levels_router
from risk.scoring.routes import scoring as scoring_router
from risk.scoring.scheduler import score_scheduler
from risk.selectivity.routes import router as selectivity_router
from risk.settings import Settings
from risk.subscriptions import subscriptions
from risk.warnings.events import WarningRaised, WarningResolved, WarningTransitioned
from risk.warnings.routes import router as warnings_router
from servicekit.app import ServiceSpec, create_service_app
from servicekit.workdays import WorkingCalendar

BATCH_ROUTES = (
    "ingest_declarations",
    "ingest_releases",
    "ingest_goods_notes",
    "ingest_manifests",
    "ingest_gps_fixes",
    "post_gate_events",
)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def body_limits(settings: Settings) -> dict[str, int]:
    """Batch ingestion carries up to BATCH_MAX records."""
    batch = max(settings.max_body_bytes, settings.ingest_batch_max_bytes)
    return {name: batch for name in BATCH_ROUTES}


def create_app(
    settings: Settings | None = None,
    *,
    sweeper_enabled: bool = True,
    scheduler_enabled: bool | None = None,
    **overrides: Any,
) -> FastAPI:
    """Build the risk API (the background tasks can be left out for tests that drive them)."""
    settings = settings or Settings()
    install_score_marks()
    scheduler = sweeper_enabled if scheduler_enabled is None else scheduler_enabled
    background = ((unseen_sweeper,) if sweeper_enabled else ()) + (
        (score_scheduler,) if scheduler else ()
    )
    spec = ServiceSpec(
        title="camwatch risk",
        description=(
            "Risk analysis of EPEs: gate events against declarations and GPS tracks (Part II "
            "of Decision 247). So far: customs data from VNACCS-side systems, gate events from EPE "
            "vendors and manual gate logs, camera outage windows."
        ),
        settings=settings,
        metadata=metadata,
        routers=[
            customs_router,
            records_router,
            gate_router,
            warnings_router,
            selectivity_router,
            plan_router,
            reports_router,
            levels_router,
            scoring_router,
        ],
        subscriptions=subscriptions(settings),
        background=background,
        publishes=[
            WarningRaised,
            WarningResolved,
            WarningTransitioned,
            LevelChanged,
            InspectionRecorded,
        ],
        body_limits=body_limits(settings),
    )
    app = create_service_app(spec, **overrides)
    app.state.calendar = WorkingCalendar(settings.swaps_file)
    return app
