"""Projections: EPEs with their unit, cameras, and officer-to-EPE assignments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from evidence.db import EvidenceModel
from servicekit.columns import utc_field
from servicekit.units import UNIT_MAX_LENGTH


class Enterprise(EvidenceModel, table=True):
    """An EPE and the customs unit supervising it."""

    __tablename__ = "enterprise_projection"

    epe_id: str = Field(primary_key=True, max_length=64)
    unit: str | None = Field(default=None, index=True, max_length=UNIT_MAX_LENGTH)
    last_event_at: datetime = utc_field()


class Camera(EvidenceModel, table=True):
    """A camera of an EPE: what a request may ask footage of."""

    __tablename__ = "camera_projection"

    camera_id: str = Field(primary_key=True, max_length=64)
    epe_id: str = Field(index=True, max_length=64)
    removed: bool = False
    last_event_at: datetime = utc_field()


class OfficerAssignment(EvidenceModel, table=True):
    """One assignment (access.assignment.changed.v1); officer_id is the token subject."""

    __tablename__ = "officer_assignment"
    __table_args__ = (Index("ix_officer_assignment_lookup", "officer_id", "epe_id", "active"),)

    assignment_id: str = Field(primary_key=True, max_length=64)
    officer_id: str = Field(max_length=200)
    epe_id: str = Field(max_length=64)
    unit: str = Field(max_length=UNIT_MAX_LENGTH)
    active: bool
    changed_at: datetime = utc_field()
