"""What risk knows about EPEs, cameras and outages, kept up to date from registry events."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from risk.db import RiskModel
from servicekit.columns import utc_field

GATE_POSITION = "epe_gate"
"""Position kind of a camera at the EPE's gates (Decision I.1.1.b): what gate events come from."""


class Enterprise(RiskModel, table=True):
    """An EPE: its unit (who supervises it) and tax code (how customs records name it)."""

    __tablename__ = "enterprise_projection"

    epe_id: str = Field(primary_key=True, max_length=64)
    tax_code: str | None = Field(default=None, index=True, max_length=20)
    unit: str | None = Field(default=None, index=True, max_length=64)
    last_event_at: datetime = utc_field()


class Camera(RiskModel, table=True):
    """A camera of an EPE as the registry last described it."""

    __tablename__ = "camera_projection"

    camera_id: str = Field(primary_key=True, max_length=64)
    epe_id: str = Field(index=True, max_length=64)
    position_kind: str | None = Field(default=None, max_length=50)
    removed: bool = False
    latitude: float | None = Field(default=None, description="of the camera's area, if located")
    longitude: float | None = None
    last_event_at: datetime = utc_field()

    @property
    def is_gate(self) -> bool:
        """Whether the camera watches the EPE's gates."""
        return self.position_kind == GATE_POSITION and not self.removed


class Outage(RiskModel, table=True):
    """A window with no picture from a camera: traffic then is unseen, not absent."""

    __tablename__ = "camera_outage"

    outage_id: str = Field(primary_key=True, max_length=64)
    camera_id: str = Field(index=True, max_length=64)
    epe_id: str = Field(index=True, max_length=64)
    started_at: datetime = utc_field()
    ended_at: datetime | None = utc_field(nullable=True, default=None)
    planned: bool = False
