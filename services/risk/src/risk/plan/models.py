"""Monthly plans, their inspection slots and amendments; API schemas."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column
from sqlmodel import Field

from risk.db import RiskModel
from servicekit.columns import utc_field
from servicekit.inputs import InputModel
from servicekit.units import UNIT_MAX_LENGTH

MONTH_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"


class PlanState(StrEnum):
    """A draft is approved (then only amended) or returned with a reason (then drafted anew)."""

    DRAFT = "draft"
    APPROVED = "approved"
    RETURNED = "returned"


class SlotState(StrEnum):
    """An inspection slot: planned, then its result; cancelled only by an amendment."""

    PLANNED = "planned"
    DONE = "done"
    FINDINGS = "findings"
    NOT_DONE = "not_done"
    CANCELLED = "cancelled"


class MonitoringPlan(RiskModel, table=True):
    """A unit's plan for one month."""

    __tablename__ = "monitoring_plan"

    id: str = Field(primary_key=True, max_length=36)
    unit: str = Field(index=True, max_length=UNIT_MAX_LENGTH)
    month: str = Field(index=True, max_length=7)
    state: str = Field(max_length=20)
    selection_run_id: str | None = Field(default=None, max_length=36)
    basis: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    drafted_by: str = Field(max_length=200)
    drafted_at: datetime = utc_field()
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = utc_field(nullable=True, default=None)
    return_reason: str | None = Field(default=None, max_length=2000)


class PlanSlot(RiskModel, table=True):
    """One planned inspection of an EPE by an officer, and its result."""

    __tablename__ = "plan_slot"

    id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(index=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    officer_id: str | None = Field(default=None, index=True, max_length=200)
    starts_at: datetime = utc_field()
    ends_at: datetime = utc_field()
    state: str = Field(max_length=20)
    result_note: str | None = Field(default=None, max_length=4000)
    recorded_by: str | None = Field(default=None, max_length=200)
    recorded_at: datetime | None = utc_field(nullable=True, default=None)


class PlanAmendment(RiskModel, table=True):
    """A recorded change to an approved plan: what the slot was, what it became, why, by whom."""

    __tablename__ = "plan_amendment"

    id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(index=True, max_length=36)
    slot_id: str = Field(max_length=36)
    kind: str = Field(max_length=20)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reason: str = Field(max_length=2000)
    amended_by: str = Field(max_length=200)
    amended_at: datetime = utc_field()


# -- API schemas ---------------------------------------------------------------------------------


class DraftIn(InputModel):
    """Draft the caller's unit's plan for a month (YYYY-MM)."""

    month: str = PydanticField(pattern=MONTH_PATTERN, examples=["2026-02"])


class PlanDecisionIn(InputModel):
    """The head approves the draft, or returns it with a reason."""

    approve: bool
    reason: str | None = PydanticField(default=None, min_length=1, max_length=2000)


class AmendmentKind(StrEnum):
    MOVE = "move"
    REASSIGN = "reassign"
    CANCEL = "cancel"
    ADD = "add"


class AmendmentIn(InputModel):
    """A change to an approved plan: move or reassign or cancel a slot, or add one."""

    kind: AmendmentKind
    reason: str = PydanticField(min_length=1, max_length=2000)
    slot_id: str | None = PydanticField(default=None, max_length=36)
    epe_id: str | None = PydanticField(default=None, max_length=64)
    officer_id: str | None = PydanticField(default=None, max_length=200)
    starts_at: datetime | None = None


class Outcome(StrEnum):
    DONE = "done"
    FINDINGS = "findings"
    NOT_DONE = "not_done"


class ResultIn(InputModel):
    """The inspection's result: done, findings (described), or not done (with a reason)."""

    outcome: Outcome
    note: str | None = PydanticField(default=None, min_length=1, max_length=4000)


class SlotPublic(BaseModel):
    id: str
    epe_id: str
    officer_id: str | None
    starts_at: datetime
    ends_at: datetime
    state: SlotState
    overdue: bool
    result_note: str | None
    recorded_by: str | None
    recorded_at: datetime | None


class PlanPublic(BaseModel):
    id: str
    unit: str
    month: str
    state: PlanState
    selection_run_id: str | None
    basis: dict[str, Any]
    drafted_by: str
    drafted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    return_reason: str | None
    slot_count: int
    overdue_count: int


class PlanDetail(PlanPublic):
    slots: list[SlotPublic]


class AmendmentPublic(BaseModel):
    id: str
    plan_id: str
    slot_id: str
    kind: AmendmentKind
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str
    amended_by: str
    amended_at: datetime
