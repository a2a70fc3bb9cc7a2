"""What risk keeps of the incidents service's events about an EPE's interruptions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from risk.db import RiskModel
from servicekit.columns import utc_field


class IncidentFact(RiskModel, table=True):
    """One interruption of an EPE's camera system, as incidents' events told it.

    Each column is set by one event type and never changed after (a redelivered event finds
    it already set), so the row is correct whatever order the events arrive in.
    """

    __tablename__ = "incident_fact"

    incident_id: str = Field(primary_key=True, max_length=64)
    epe_id: str = Field(index=True, max_length=64)
    kind: str | None = Field(default=None, max_length=40)
    opened_at: datetime | None = utc_field(nullable=True, default=None)
    deadline_at: datetime | None = utc_field(nullable=True, default=None)
    overdue_at: datetime | None = utc_field(nullable=True, default=None)
    extension_missed_at: datetime | None = utc_field(nullable=True, default=None)
    extension_filed_at: datetime | None = utc_field(nullable=True, default=None)
    restored_at: datetime | None = utc_field(nullable=True, default=None)
    promptness: str | None = Field(
        default=None, max_length=30, description="early, on_time, late_with_extension, ..."
    )
