"""Composition root of the evidence service."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from evidence.db import metadata
from evidence.settings import Settings
from servicekit.app import ServiceSpec, create_service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, **overrides: Any) -> FastAPI:
    """Build the evidence API."""
    spec = ServiceSpec(
        title="camwatch evidence",
        description=(
            "Camera data exported on customs' request with chain of custody (Decision "
            "I.2.2.d). Only the service frame exists so far."
        ),
        settings=settings or Settings(),
        metadata=metadata,
        routers=[],
    )
    return create_service_app(spec, **overrides)
