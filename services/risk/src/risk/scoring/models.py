"""Scoring configurations, scores (never overwritten), current levels and their changes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field

from risk.db import RiskModel
from servicekit.columns import utc_field
from servicekit.units import UNIT_MAX_LENGTH


class Band(StrEnum):
    """An EPE's risk level, in the customs channels' vocabulary (seed 2 section 4)."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class ConfigState(StrEnum):
    """Where a proposed configuration is in the maker-checker flow."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ScoringConfig(RiskModel, table=True):
    """One version of a unit's weights, caps, window and bands (never edited once decided).

    A head of the sub-department proposes it and another head of the same unit approves it;
    the unit's EPEs are then scored with the latest approved version.
    """

    __tablename__ = "risk_scoring_config"
    __table_args__ = (UniqueConstraint("unit", "version"),)

    id: str = Field(primary_key=True, max_length=36)
    unit: str = Field(max_length=UNIT_MAX_LENGTH, index=True)
    version: int
    state: str = Field(max_length=10, index=True)
    window_days: int
    weights: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    yellow_from: float
    red_from: float
    note: str | None = Field(default=None, max_length=1000)
    proposed_by: str = Field(max_length=200)
    proposed_at: datetime = utc_field()
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = utc_field(nullable=True, default=None)
    decision_reason: str | None = Field(default=None, max_length=1000)


class RiskScore(RiskModel, table=True):
    """One computation of an EPE's score, with the configuration version and the why."""

    __tablename__ = "risk_score"
    __table_args__ = (Index("ix_risk_score_epe_time", "epe_id", "computed_at"),)

    id: str = Field(primary_key=True, max_length=36)
    epe_id: str = Field(max_length=64)
    unit: str | None = Field(default=None, max_length=UNIT_MAX_LENGTH)
    config_id: str | None = Field(default=None, max_length=36, description="None: built-in")
    config_version: int = Field(description="0 is the built-in default")
    window_days: int
    score: float
    band: str = Field(max_length=10)
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    computed_at: datetime = utc_field()


class RiskLevel(RiskModel, table=True):
    """The EPE's current level: a pointer to its latest score (the scores stay)."""

    __tablename__ = "risk_level"

    epe_id: str = Field(primary_key=True, max_length=64)
    score_id: str = Field(max_length=36)
    score: float
    band: str = Field(max_length=10, index=True)
    config_version: int
    band_since: datetime = utc_field()
    computed_at: datetime = utc_field()


class LevelChange(RiskModel, table=True):
    """A band change (or an EPE's first level): the feed VNACCS-side systems read by cursor."""

    __tablename__ = "risk_level_change"

    seq: int | None = Field(default=None, primary_key=True)
    epe_id: str = Field(max_length=64, index=True)
    from_band: str | None = Field(default=None, max_length=10)
    to_band: str = Field(max_length=10)
    score: float
    score_id: str = Field(max_length=36)
    config_version: int
    changed_at: datetime = utc_field()


class ScoreDue(RiskModel, table=True):
    """An EPE whose data changed: recomputed once `due_at` passes (set by the scheduler when
    it first sees the row, so a burst of events gives one recomputation)."""

    __tablename__ = "risk_score_due"

    epe_id: str = Field(primary_key=True, max_length=64)
    due_at: datetime | None = utc_field(nullable=True, default=None, index=True)


class ScoreClaim(RiskModel, table=True):
    """An EPE a scheduler pass took off `risk_score_due` and has not rescored yet.

    The marks leave `risk_score_due` in a short transaction of their own, so a writer marking
    the EPE again (every gate batch does) never waits for a rescoring to finish; the claim is
    deleted in the rescoring's transaction, so a pass that dies leaves it for the next one.
    """

    __tablename__ = "risk_score_claim"

    epe_id: str = Field(primary_key=True, max_length=64)
    claimed_at: datetime = utc_field()
