"""Selectivity criteria versions, selection runs and their per-EPE outcomes; API schemas."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field

from risk.db import RiskModel
from servicekit.columns import utc_field
from servicekit.inputs import InputModel
from servicekit.units import UNIT_MAX_LENGTH


class Lane(StrEnum):
    """Lanes as customs channels: red (physical), yellow (documents), green (none)."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


SEVERITY = {Lane.GREEN: 0, Lane.YELLOW: 1, Lane.RED: 2}
"""Order of the lanes: the most severe one an EPE reaches is its lane."""


class VersionState(StrEnum):
    """A criteria version's life: proposed, then approved (current) or returned."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    RETURNED = "returned"
    SUPERSEDED = "superseded"


class CriteriaVersion(RiskModel, table=True):
    """One version of a unit's selectivity criteria (maker-checker: proposer != approver)."""

    __tablename__ = "selectivity_version"
    __table_args__ = (UniqueConstraint("unit", "version", name="uq_selectivity_version"),)

    id: str = Field(primary_key=True, max_length=36)
    unit: str = Field(index=True, max_length=UNIT_MAX_LENGTH)
    version: int
    state: str = Field(max_length=20)
    criteria: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    random_rates: dict[str, float] = Field(sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, max_length=2000)
    proposed_by: str = Field(max_length=200)
    proposed_at: datetime = utc_field()
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = utc_field(nullable=True, default=None)
    decision_reason: str | None = Field(default=None, max_length=2000)


class SelectionRun(RiskModel, table=True):
    """One selection over a unit's EPEs: the seed and version that re-derive every lane."""

    __tablename__ = "selection_run"

    id: str = Field(primary_key=True, max_length=36)
    unit: str = Field(index=True, max_length=UNIT_MAX_LENGTH)
    version_id: str = Field(index=True, max_length=36)
    seed: str = Field(max_length=40)
    run_by: str = Field(max_length=200)
    run_at: datetime = utc_field()


class Selection(RiskModel, table=True):
    """The lane of one EPE in a run, with the inputs, hits and random draw behind it."""

    __tablename__ = "selection"
    __table_args__ = (UniqueConstraint("run_id", "epe_id", name="uq_selection_run_epe"),)

    id: str = Field(primary_key=True, max_length=36)
    run_id: str = Field(index=True, max_length=36)
    version_id: str = Field(index=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    lane: str = Field(max_length=10)
    random_lane: str | None = Field(default=None, max_length=10)
    draw: float
    hits: list[str] = Field(sa_column=Column(JSON, nullable=False))
    errors: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    inputs: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    selected_at: datetime = utc_field()


# -- API schemas ---------------------------------------------------------------------------------


class CriterionIn(InputModel):
    """A criterion: a CEL expression over `level`, `indicators` and `recent`, giving a lane."""

    name: str = PydanticField(min_length=1, max_length=80, pattern=r"^[a-z0-9_]+$")
    expression: str = PydanticField(min_length=1, max_length=2000)
    lane: Lane
    expected_rate: float = PydanticField(ge=0, le=1, description="target share of EPEs hit")
    description: str | None = PydanticField(default=None, max_length=500)


class RandomRatesIn(InputModel):
    """Minimum random selection rates: an EPE not selected is put in the lane with this chance."""

    red: float = PydanticField(default=0.0, ge=0, le=1)
    yellow: float = PydanticField(default=0.0, ge=0, le=1)


class ProposalIn(InputModel):
    """A new version of the unit's criteria, proposed by a head of sub-department."""

    criteria: list[CriterionIn] = PydanticField(max_length=100)
    random_rates: RandomRatesIn
    note: str | None = PydanticField(default=None, max_length=2000)


class DecisionIn(InputModel):
    """Another head approves, or returns with a reason."""

    approve: bool
    reason: str | None = PydanticField(default=None, max_length=2000)


class CriterionStats(BaseModel):
    """A criterion as approved, with how often it hit in the runs of its version."""

    name: str
    expression: str
    lane: Lane
    expected_rate: float
    description: str | None
    hit_count: int
    evaluated: int
    hit_rate: float | None


class VersionPublic(BaseModel):
    id: str
    unit: str
    version: int
    state: VersionState
    criteria: list[CriterionStats]
    random_rates: dict[str, float]
    note: str | None
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


class RunIn(InputModel):
    """Run the unit's current criteria over its EPEs now."""

    unit: str | None = PydanticField(default=None, max_length=UNIT_MAX_LENGTH)


class SelectionPublic(BaseModel):
    epe_id: str
    lane: Lane
    random_lane: Lane | None
    draw: float
    hits: list[str]
    errors: dict[str, str]
    inputs: dict[str, Any]


class RunPublic(BaseModel):
    id: str
    unit: str
    version_id: str
    seed: str
    run_by: str
    run_at: datetime
    selections: list[SelectionPublic]


class Rederivation(BaseModel):
    """An audit of a run: each lane derived again from the recorded seed, inputs and version."""

    run_id: str
    matches: bool
    mismatched_epes: list[str]
