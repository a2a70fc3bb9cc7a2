"""Coverage gaps: what an EPE's camera system is missing, kept as found/closed windows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import Index, text
from sqlmodel import Field as SQLField

from registry.db import RegistryModel
from servicekit.columns import utc_field


class GapKind(StrEnum):
    """The kinds of gap the coverage check reports."""

    NO_ONLINE_CAMERA = "no_online_camera"  # a gate or storage area without an online camera
    NO_CAMERA = "no_camera"  # a gate that needs a camera but not online data (see docs)
    GATE_CAMERA_CANNOT_READ_PLATES = "gate_camera_cannot_read_plates"
    GATE_CAMERA_CANNOT_READ_CONTAINER_NUMBERS = "gate_camera_cannot_read_container_numbers"
    AREA_NOT_FULLY_COVERED = "area_not_fully_covered"


class CoverageGap(RegistryModel, table=True):
    """A gap from when the check first found it until it was closed."""

    __tablename__ = "coverage_gaps"
    __table_args__ = (
        Index(
            "uq_coverage_gaps_open",
            "epe_id",
            "gap_key",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: str = SQLField(primary_key=True, max_length=36)
    epe_id: str = SQLField(foreign_key="epes.id", max_length=64, index=True)
    gap_key: str = SQLField(max_length=200)
    kind: str = SQLField(max_length=64)
    area_id: str = SQLField(max_length=36)
    camera_id: str | None = SQLField(default=None, max_length=36)
    detail: str = SQLField(max_length=500)
    found_at: datetime = utc_field()
    closed_at: datetime | None = utc_field(nullable=True, default=None)


class GapPublic(BaseModel):
    """One gap of the coverage check."""

    kind: GapKind
    area_id: str
    area_code: str
    camera_id: str | None
    camera_number: str | None
    detail: str
    found_at: datetime | None


class CoverageReport(BaseModel):
    """The coverage check of an EPE."""

    epe_id: str
    complete: bool
    gaps: list[GapPublic]
    checked_at: datetime
