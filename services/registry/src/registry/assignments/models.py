"""Projection of the access service's officer-to-EPE assignments (access.assignment.changed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field as SQLField

from registry.db import RegistryModel
from servicekit.columns import utc_field
from servicekit.units import UNIT_MAX_LENGTH


class OfficerAssignment(RegistryModel, table=True):
    """One assignment as last reported by the access service."""

    __tablename__ = "officer_assignments"
    __table_args__ = (Index("ix_officer_assignments_lookup", "officer_id", "epe_id", "active"),)

    assignment_id: str = SQLField(primary_key=True, max_length=64)
    officer_id: str = SQLField(max_length=200)
    epe_id: str = SQLField(max_length=64)
    unit: str = SQLField(max_length=UNIT_MAX_LENGTH)
    active: bool
    changed_at: datetime = utc_field()
