"""What heads send about scoring configurations, and what callers read about levels."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator, model_validator

from risk.indicators.service import INDICATORS
from risk.scoring.models import Band, ConfigState
from servicekit.inputs import InputModel
from servicekit.pagination import Page

Reason = Annotated[str, Field(min_length=1, max_length=1000)]


class WeightIn(InputModel):
    """How much an indicator counts: points = weight * min(value, cap)."""

    weight: float = Field(ge=-1000, le=1000, allow_inf_nan=False)
    cap: float | None = Field(
        default=None, ge=0, le=1_000_000, allow_inf_nan=False, description="none: uncapped"
    )


class ScoringConfigIn(InputModel):
    """A proposed configuration of the caller's unit (another head approves it)."""

    window_days: int = Field(default=90, ge=7, le=730, description="trailing window of counts")
    weights: dict[str, WeightIn] = Field(
        max_length=len(INDICATORS), description="by indicator name; an indicator left out weighs 0"
    )
    yellow_from: float = Field(ge=-100_000, le=100_000, allow_inf_nan=False)
    red_from: float = Field(ge=-100_000, le=100_000, allow_inf_nan=False)
    note: Reason | None = None

    @field_validator("weights")
    @classmethod
    def _known_indicators(cls, weights: dict[str, WeightIn]) -> dict[str, WeightIn]:
        unknown = sorted(set(weights) - set(INDICATORS))
        if unknown:
            raise ValueError(f"unknown indicators: {', '.join(unknown)}")
        return weights

    @model_validator(mode="after")
    def _ordered_bands(self) -> ScoringConfigIn:
        if self.red_from <= self.yellow_from:
            raise ValueError("red_from must be above yellow_from")
        return self


class RejectIn(InputModel):
    """Why the head sends a proposal back."""

    reason: Reason


class ScoringConfigPublic(BaseModel):
    """A configuration version and who proposed and decided it."""

    id: str
    unit: str
    version: int
    state: ConfigState
    window_days: int
    weights: dict[str, Any]
    yellow_from: float
    red_from: float
    note: str | None
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


class ScoringConfigsPage(Page[ScoringConfigPublic]):
    next_cursor: str | None


class ExplanationItem(BaseModel):
    """One indicator's share of the score."""

    indicator: str
    description: str
    value: float
    weight: float
    cap: float | None
    counted: float = Field(description="the value as counted: min(value, cap)")
    points: float = Field(description="weight * counted, rounded to 2 decimals")
    records: list[dict[str, Any]] = Field(description="the records behind the value (links)")
    records_total: int = Field(description="how many records there are (the first 20 shown)")


class ScorePublic(BaseModel):
    """One computed score: the points of its items sum to `score`."""

    id: str
    epe_id: str
    unit: str | None
    config_version: int = Field(description="0 is the built-in default")
    window_days: int
    score: float
    band: Band
    computed_at: datetime
    items: list[ExplanationItem]


class ScoresPage(Page[ScorePublic]):
    next_cursor: str | None


class LevelPublic(BaseModel):
    """An EPE's current risk level."""

    epe_id: str
    band: Band
    score: float
    score_id: str
    config_version: int
    band_since: datetime
    computed_at: datetime


class LevelsPage(Page[LevelPublic]):
    next_cursor: str | None


class LevelDetail(LevelPublic):
    """The current level and why."""

    explanation: ScorePublic


class LevelChangePublic(BaseModel):
    """One band change, in the order the feed numbers them."""

    seq: int
    epe_id: str
    from_band: Band | None
    to_band: Band
    score: float
    score_id: str
    config_version: int
    changed_at: datetime


class LevelChangesPage(Page[LevelChangePublic]):
    next_cursor: str | None
