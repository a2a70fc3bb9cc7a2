"""What officers send and see about warnings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field

from servicekit.inputs import InputModel
from servicekit.pagination import Page

NO_ACTION = "no_action"
"""The proposal that needs a reason."""

Text = Annotated[str, Field(min_length=1, max_length=4000)]


class AnalyseIn(InputModel):
    """What the officer compared and found (II.2.2.b)."""

    findings: Text


class ProposeIn(InputModel):
    """The action the officer proposes, from the configured list."""

    action: str = Field(min_length=1, max_length=60, description="see RISK_WARNING_ACTIONS")
    reason: Text | None = Field(default=None, description="required for no_action")


class NoteIn(InputModel):
    """A closing note."""

    note: Text | None = None


class EscalateIn(InputModel):
    """Why the officer suspects commercial fraud."""

    reason: Text


class Decision(StrEnum):
    """What the head of sub-department decides on an escalated warning."""

    ORGANISE_INSPECTION = "organise_inspection"
    RETURN = "return"
    """Back to the officer, analysed, for another proposal."""


class DecideIn(InputModel):
    """The head's decision on a suspected commercial fraud."""

    decision: Decision
    note: Text | None = None


class TimelinePublic(BaseModel):
    """One step of a warning's history."""

    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


class WarningPublic(BaseModel):
    """A warning as the queue shows it."""

    id: str
    epe_id: str
    unit: str | None
    gate_event_id: str | None
    record_id: str | None
    rule: str
    subject: str
    severity: str
    state: str
    explanation: dict[str, Any]
    occurred_at: datetime
    raised_at: datetime
    updated_at: datetime


class WarningDetail(WarningPublic):
    """A warning with its timeline."""

    timeline: list[TimelinePublic]


class WarningsPage(Page[WarningPublic]):
    """Warnings, oldest first."""

    next_cursor: str | None


class WarningCounts(BaseModel):
    """Counts for a dashboard, over the warnings the caller may see and the filters."""

    total: int
    by_state: dict[str, int]
    by_severity: dict[str, int]
    by_rule: dict[str, int]
