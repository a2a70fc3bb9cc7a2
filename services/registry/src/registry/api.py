"""Every router of the registry (all require a valid access token)."""

from fastapi import APIRouter

from registry.areas.routes import router as areas
from registry.cameras.routes import router as cameras
from registry.conformity.routes import checks as conformity_checks
from registry.conformity.routes import router as conformity
from registry.coverage.routes import router as coverage
from registry.diagrams.routes import router as diagrams
from registry.epes.routes import router as epes
from registry.health.routes import router as health
from registry.logbook.routes import router as logbook

routers: list[APIRouter] = [
    epes,
    areas,
    cameras,
    coverage,
    diagrams,
    conformity,
    conformity_checks,
    logbook,
    health,
]
