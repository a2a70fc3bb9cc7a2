"""Composition root of the registry service."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

import registry.models  # noqa: F401  (every table on the metadata)
from registry.api import routers
from registry.cameras.events import CameraAdded, CameraChanged, CameraRemoved
from registry.coverage.events import CoverageGapClosed, CoverageGapFound
from registry.db import metadata
from registry.epes.events import EpeRegistered, EpeUpdated
from registry.health.background import detector_task, prober_task
from registry.health.events import CameraCameBack, CameraProbeRefused, CameraWentOffline
from registry.settings import Settings
from registry.subscriptions import subscriptions
from servicekit.app import ServiceSpec, create_service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

PUBLISHES = (
    EpeRegistered,
    EpeUpdated,
    CameraAdded,
    CameraChanged,
    CameraRemoved,
    CameraWentOffline,
    CameraCameBack,
    CameraProbeRefused,
    CoverageGapFound,
    CoverageGapClosed,
)


HEARTBEAT_BYTES_PER_CAMERA = 128
"""A camera report is about 60 bytes of JSON; twice that leaves room for indentation."""


def body_limits(settings: Settings) -> dict[str, int]:
    """Routes carrying more than the default: a full heartbeat batch, a diagram file."""
    heartbeats = settings.heartbeat_max_batch * HEARTBEAT_BYTES_PER_CAMERA
    return {
        "push_heartbeats": max(settings.max_body_bytes, heartbeats),
        "upload_diagram": settings.diagram_max_bytes,
    }


def create_app(settings: Settings | None = None, **overrides: Any) -> FastAPI:
    """Build the registry API: EPEs, areas, cameras, conformity, logbook and camera health."""
    settings = settings or Settings()
    spec = ServiceSpec(
        title="camwatch registry",
        description=(
            "EPEs and their camera systems under Decision 247/QD-TCHQ Part I.1: areas, cameras, "
            "coverage check, diagram versions, Appendix I conformity, the logbook, and live "
            "camera health (batched heartbeats, active probing, outages, maintenance, uptime)."
        ),
        settings=settings,
        metadata=metadata,
        routers=routers,
        publishes=PUBLISHES,
        subscriptions=subscriptions,
        background=(detector_task, prober_task),
        body_limits=body_limits(settings),
    )
    return create_service_app(spec, **overrides)
