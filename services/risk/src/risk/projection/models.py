"""What risk knows about EPEs, cameras and outages, kept up to date from registry events."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from risk.db import RiskModel
from servicekit.columns import utc_field

GATE_POSITION = "epe_gate"
"""Position kind of a camera at the EPE's gates (Decision I.1.1.b): what gate events come from."""

REQUIRED_POSITIONS = frozenset(
    {GATE_POSITION, "storage_area_gate", "storage_area", "inside_storage_area"}
)
"""Positions whose data must be online (I.1.2.a), for cameras whose events predate the flag."""


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
    must_be_online: bool | None = Field(
        default=None, description="the registry's I.1.2.a flag; None before an event carried it"
    )
    latitude: float | None = Field(default=None, description="of the camera's area, if located")
    longitude: float | None = None
    last_event_at: datetime = utc_field()

    @property
    def is_gate(self) -> bool:
        """Whether the camera watches the EPE's gates."""
        return self.position_kind == GATE_POSITION and not self.removed

    @property
    def is_required(self) -> bool:
        """Whether its data must be online (I.1.2.a)."""
        return is_required(self.position_kind, self.removed, self.must_be_online)


def is_required(position_kind: str | None, removed: bool, must_be_online: bool | None) -> bool:
    """A camera whose data must be online: the registry's flag, else by position; not removed."""
    if removed:
        return False
    if must_be_online is not None:
        return must_be_online
    return position_kind in REQUIRED_POSITIONS


class Outage(RiskModel, table=True):
    """A window with no picture from a camera: traffic then is unseen, not absent."""

    __tablename__ = "camera_outage"

    outage_id: str = Field(primary_key=True, max_length=64)
    camera_id: str = Field(index=True, max_length=64)
    epe_id: str = Field(index=True, max_length=64)
    started_at: datetime = utc_field()
    ended_at: datetime | None = utc_field(nullable=True, default=None)
    planned: bool = False
