"""Officer-to-EPE assignments as the access service last reported them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from risk.db import RiskModel
from servicekit.columns import utc_field
from servicekit.units import UNIT_MAX_LENGTH


class OfficerAssignment(RiskModel, table=True):
    """One assignment (access.assignment.changed.v1); officer_id is the token subject."""

    __tablename__ = "officer_assignment"
    __table_args__ = (Index("ix_officer_assignment_lookup", "officer_id", "epe_id", "active"),)

    assignment_id: str = Field(primary_key=True, max_length=64)
    officer_id: str = Field(max_length=200)
    epe_id: str = Field(max_length=64)
    unit: str = Field(max_length=UNIT_MAX_LENGTH)
    active: bool
    changed_at: datetime = utc_field()
