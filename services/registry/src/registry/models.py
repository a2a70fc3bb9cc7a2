"""Imports every table module so the registry's metadata is complete (migrations, create_all)."""

from registry.areas.models import Area
from registry.assignments.models import OfficerAssignment
from registry.cameras.models import Camera
from registry.conformity.models import ConformityDeclaration, ConformityReview
from registry.coverage.models import CoverageGap
from registry.db import metadata
from registry.diagrams.models import DiagramVersion
from registry.epes.models import Epe
from registry.health.models import CameraHealth, MaintenanceWindow, Outage
from registry.logbook.models import LogbookEntry

__all__ = [
    "Area",
    "Camera",
    "CameraHealth",
    "ConformityDeclaration",
    "ConformityReview",
    "CoverageGap",
    "DiagramVersion",
    "Epe",
    "LogbookEntry",
    "MaintenanceWindow",
    "OfficerAssignment",
    "Outage",
    "metadata",
]
