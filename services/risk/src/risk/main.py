"""Composition root of the risk service."""

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from risk.db import metadata
from risk.settings import Settings
from servicekit.app import ServiceSpec, create_service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, **overrides: Any) -> FastAPI:
    """Build the risk API."""
    spec = ServiceSpec(
        title="camwatch risk",
        description=(
            "Risk analysis of EPEs: gate events against declarations and GPS tracks (Part II "
            "of Decision 247). Only the service frame exists so far."
        ),
        settings=settings or Settings(),
        metadata=metadata,
        routers=[],
    )
    return create_service_app(spec, **overrides)
