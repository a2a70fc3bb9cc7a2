"""Composition root of the evidence service."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from evidence.custody.anchoring import anchor_task
from evidence.custody.daily import verify_task
from evidence.custody.events import CustodyVerified
from evidence.custody.models import CHAIN
from evidence.custody.routes import router as custody_router
from evidence.custody.service import bind_key
from evidence.db import metadata
from evidence.packages.dsse import Signer
from evidence.packages.events import LegalHoldChanged, PackageSealed
from evidence.packages.routes import router as uploads_router
from evidence.packages.sealed_routes import router as packages_router
from evidence.reading.routes import router as reading_router
from evidence.requests.events import (
    RequestCancelled,
    RequestCreated,
    RequestOverdue,
    RequestReminder,
)
from evidence.requests.routes import router as requests_router
from evidence.requests.watcher import request_watcher
from evidence.settings import Settings
from evidence.shares.events import ShareCreated, ShareRevoked
from evidence.shares.routes import public_router as shared_router
from evidence.shares.routes import router as shares_router
from evidence.storage import evidence_store, require_object_lock
from evidence.subscriptions import subscriptions
from evidence.trail.routes import router as trail_router
from servicekit.app import ServiceSpec, create_service_app
from servicekit.chain import AnchorStore, ChainKey
from servicekit.objectstore import s3_client
from servicekit.settings import Environment
from servicekit.workdays import WorkingCalendar

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(
    settings: Settings | None = None,
    *,
    calendar: WorkingCalendar | None = None,
    watcher_enabled: bool = True,
    **overrides: Any,
) -> FastAPI:
    """Build the evidence API; `calendar` can be injected and the watcher left out (tests)."""
    settings = settings or Settings()
    spec = ServiceSpec(
        title="camwatch evidence",
        description=(
            "Camera data exported on customs' request (Decision I.2.2.b, I.2.2.d, I.2.3.b). So "
            "far: officers' requests to an EPE with a due date in working days, listed for the "
            "EPE's vendor software, with reminder and overdue events."
        ),
        settings=settings,
        metadata=metadata,
        routers=[
            requests_router,
            uploads_router,
            packages_router,
            custody_router,
            reading_router,
            shares_router,
            trail_router,
        ],
        public_routers=[shared_router],
        untraced_paths=["/shared/"],  # a share link's path carries its token
        body_limits={"patch_upload": settings.upload_max_file_bytes},
        subscriptions=subscriptions(),
        background=(request_watcher, anchor_task, verify_task) if watcher_enabled else (),
        publishes=[
            RequestCreated,
            RequestCancelled,
            RequestReminder,
            RequestOverdue,
            PackageSealed,
            LegalHoldChanged,
            ShareCreated,
            ShareRevoked,
            CustodyVerified,
        ],
        startup=[require_object_lock] if settings.environment == Environment.PRODUCTION else [],
    )
    app = create_service_app(spec, **overrides)
    app.state.calendar = calendar or WorkingCalendar(settings.swaps_file)
    app.state.evidence_store = evidence_store(settings)
    app.state.signer = Signer(settings.signing_key.get_secret_value().encode())
    app.state.custody_key = ChainKey(
        settings.audit_hmac_key.get_secret_value().encode(), chain=CHAIN
    )
    bind_key(app.state.engine, app.state.custody_key)
    app.state.anchor_store = AnchorStore(
        s3_client(settings),
        settings.evidence_bucket,
        retention=timedelta(days=settings.retention_days),
    )
    return app
