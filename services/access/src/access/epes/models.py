"""The projection of the registry's EPEs (from `registry.epe.registered/updated.v1`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Field

from access.db import AccessModel
from servicekit.columns import UTCDateTime
from servicekit.units import UNIT_MAX_LENGTH

CLOSED = "closed"
"""The registry's status of an EPE no longer under supervision: no new assignments."""


class RegistryEpe(AccessModel, table=True):
    """An EPE as the registry last described it; the registry is the authority on its unit."""

    __tablename__ = "registry_epes"

    epe_id: str = Field(primary_key=True, max_length=64)
    unit: str = Field(max_length=UNIT_MAX_LENGTH, index=True)
    name: str = Field(default="", max_length=500)
    status: str = Field(default="", max_length=32)
    event_time: datetime = Field(sa_type=UTCDateTime)
    """The CloudEvents time of the event applied last; older events are ignored."""
    event_id: str = Field(max_length=64)


@dataclass(frozen=True)
class Supervision:
    """Which unit supervises an EPE, and where the access service learned it."""

    epe_id: str
    unit: str
    source: Literal["registry", "vendor_client"]
    status: str | None = None

    @property
    def closed(self) -> bool:
        return self.status == CLOSED
