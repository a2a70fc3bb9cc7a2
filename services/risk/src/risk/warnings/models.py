"""Warnings and their append-only timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field

from risk.db import RiskModel
from servicekit.appendonly import append_only
from servicekit.columns import utc_field


class Severity(StrEnum):
    """How urgent a warning is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class WarningState(StrEnum):
    """Where a warning is in the officer's workflow (Decision II.2.2.b, II.2.3)."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ANALYSED = "analysed"
    ACTION_PROPOSED = "action_proposed"
    CLOSED = "closed"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    """Customs data arriving later explained the movement; no officer action needed."""


OPEN_STATES = frozenset({WarningState.NEW, WarningState.ACKNOWLEDGED, WarningState.ANALYSED})
"""States in which later customs data may still resolve a warning by itself."""


class RiskWarning(RiskModel, table=True):
    """One rule that a gate event (or a declaration) broke, about one subject.

    It keeps no unit: who supervises the EPE is read from the registry projection when the
    warning is read, so a warning raised before the registry's event arrived (or an EPE
    moved to another unit) is seen by the right officers.
    """

    __tablename__ = "risk_warning"
    __table_args__ = (
        UniqueConstraint("anchor", "rule", "subject"),
        # An EPE's warnings (the queue's filter) and, read from the index alone, the
        # rescoring's count of those raised in the window and not resolved.
        Index("ix_risk_warning_epe_id_raised_at", "epe_id", "raised_at", "state"),
    )

    id: str = Field(primary_key=True, max_length=36)
    epe_id: str = Field(max_length=64)
    anchor: str = Field(max_length=36, description="the gate event or record it is about")
    gate_event_id: str | None = Field(default=None, index=True, max_length=36)
    record_id: str | None = Field(default=None, index=True, max_length=36)
    rule: str = Field(index=True, max_length=60)
    subject: str = Field(max_length=40, description="the container or plate concerned")
    severity: str = Field(max_length=10)
    state: str = Field(index=True, max_length=20)
    explanation: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    occurred_at: datetime = utc_field(index=True)
    raised_at: datetime = utc_field(index=True)
    updated_at: datetime = utc_field()


CONFIRMING = "action IN ('propose', 'escalate', 'decide')"


@append_only("the warning timeline is append-only: record a new step instead")
class TimelineEntry(RiskModel, table=True):
    """Who did what to a warning, and when (never updated: database triggers refuse it)."""

    __tablename__ = "risk_warning_timeline"
    __table_args__ = (
        # The rescoring reads the steps that confirm a warning: a few among a "raised" each.
        Index(
            "ix_risk_warning_timeline_confirming",
            "warning_id",
            postgresql_where=text(CONFIRMING),
            sqlite_where=text(CONFIRMING),
        ),
    )

    id: str = Field(primary_key=True, max_length=36)
    warning_id: str = Field(index=True, max_length=36)
    at: datetime = utc_field()
    actor: str = Field(max_length=200)
    action: str = Field(max_length=40)
    details: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
