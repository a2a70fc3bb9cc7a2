"""What matching remembers of a gate event beyond the event itself."""

from __future__ import annotations

from sqlmodel import Field

from risk.db import RiskModel


class GateContainer(RiskModel, table=True):
    """A container number a gate event is taken to show (after repair): customs data that
    arrives later finds, through it, the gate events it may explain."""

    __tablename__ = "gate_event_container"

    gate_event_id: str = Field(primary_key=True, max_length=36)
    number: str = Field(primary_key=True, index=True, max_length=11)
