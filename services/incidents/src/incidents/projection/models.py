"""What incidents knows about EPEs and cameras, kept up to date from registry events."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from incidents.db import IncidentsModel
from servicekit.columns import UTCDateTime

GATE_POSITIONS = frozenset({"epe_gate", "gate", "enterprise_gate"})
"""Position kinds of a camera at the EPE's gates/doors (Decision I.1.1.b)."""


class Enterprise(IncidentsModel, table=True):
    """An EPE as the registry last described it (name, address and tax code go on notices)."""

    __tablename__ = "enterprise_projection"

    epe_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(default="", max_length=500)
    address: str = Field(default="", max_length=1000)
    tax_code: str = Field(default="", max_length=20)
    unit: str | None = Field(default=None, max_length=100, index=True)
    last_event_at: datetime = Field(sa_type=UTCDateTime)


class Camera(IncidentsModel, table=True):
    """A camera of an EPE as the registry last described it."""

    __tablename__ = "camera_projection"

    camera_id: str = Field(primary_key=True, max_length=64)
    epe_id: str = Field(index=True, max_length=64)
    number: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, max_length=300)
    position_kind: str | None = Field(default=None, max_length=50)
    must_be_online: bool = True
    online: bool = True
    removed: bool = False
    last_event_at: datetime = Field(sa_type=UTCDateTime)

    @property
    def is_gate(self) -> bool:
        """Whether the camera watches the EPE's gates/doors."""
        return (self.position_kind or "").lower() in GATE_POSITIONS
