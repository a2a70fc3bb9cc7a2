"""A request for camera data and its states."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from evidence.db import EvidenceModel
from servicekit.columns import utc_field


class RequestState(StrEnum):
    """Where a request is: requested -> uploading -> submitted -> sealed, or overdue/cancelled."""

    REQUESTED = "requested"
    UPLOADING = "uploading"
    SUBMITTED = "submitted"
    SEALED = "sealed"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


OPEN_STATES = frozenset({RequestState.REQUESTED, RequestState.UPLOADING, RequestState.OVERDUE})
"""States in which the EPE still owes data (what its vendor software lists by default)."""


class EvidenceRequest(EvidenceModel, table=True):
    """Camera data an officer asked an EPE for; cameras and time ranges are JSON lists."""

    __tablename__ = "evidence_request"

    id: str = Field(primary_key=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    cameras: list[str] = Field(sa_column=Column(JSON, nullable=False))
    time_ranges: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    reason: str = Field(max_length=4000)
    incident_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    warning_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    due_working_days: int
    due_at: datetime = utc_field(index=True)
    remind_at: datetime = utc_field(index=True)
    """24:00 Vietnam time of the working day before the last: one working day is left."""
    reminded_at: datetime | None = utc_field(nullable=True, default=None)
    state: str = Field(index=True, max_length=20)
    requested_by: str = Field(max_length=200)
    requested_at: datetime = utc_field(index=True)
    updated_at: datetime = utc_field()
    cancel_reason: str | None = Field(default=None, max_length=4000)
