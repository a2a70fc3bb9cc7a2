"""The daily log digest: a day's counts and checks, kept and never edited.

Seed 2 §3 asks for the daily log to be saved and checked. Each digest covers one day in
Vietnam (00:00 to 24:00 Asia/Ho_Chi_Minh) and holds the counts the IT operator reads first
(sign-ins, failures, lockouts, reveals, authority changes, dead-lettered events) and the
result of verifying the audit chain against its anchors; anomalies are listed in it and raised
as an event. Digests are append-only: a later run for the same day is another digest.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import pydantic
from pydantic import BaseModel
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field

from access.db import AccessModel
from servicekit.appendonly import append_only
from servicekit.columns import UTCDateTime
from servicekit.ids import new_id
from servicekit.inputs import Day, InputModel


class Trigger(StrEnum):
    SCHEDULED = "scheduled"  # the daily timer
    ON_DEMAND = "on_demand"  # an IT operator or auditor asked


COUNTED_ACTIONS: dict[str, tuple[str, ...]] = {
    "signins": ("signin.succeeded",),
    "signin_failures": ("signin.failed", "step_up.failed"),
    "lockouts": ("signin.locked_out",),
    "reveals": ("vault.revealed",),
    "reveal_refusals": ("vault.reveal_refused",),
}
"""Each count and the audit actions it counts."""

AUTHORITY_PREFIXES = ("authority.", "grant.", "officer.moved", "officer.deactivated")
"""Audit actions that change who may do what (prepared, approved, revoked, moved...)."""


@append_only("log digests are append-only: run the digest again for a new one")
class LogDigest(AccessModel, table=True):
    """One run of the digest over one day."""

    __tablename__ = "log_digests"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    day: date = Field(index=True, description="the day in Vietnam it covers")
    period_start: datetime = Field(sa_type=UTCDateTime)
    period_end: datetime = Field(sa_type=UTCDateTime)
    trigger: str = Field(max_length=20)
    requested_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    audit_chain: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    anomalies: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ok: bool
    custody_chain: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


class ServerErrorCount(AccessModel, table=True):
    """5xx answers of one route and status in one window of one gateway process, as the
    gateway published them (`gateway.server_errors.counted.v1`); one row per route and status
    of an event, so a redelivered event (same id) adds nothing."""

    __tablename__ = "server_error_counts"
    __table_args__ = (UniqueConstraint("event_id", "service", "method", "route", "status"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    event_id: str = Field(max_length=64, index=True)
    gateway: str = Field(max_length=100)
    window_start: datetime = Field(sa_type=UTCDateTime, index=True)
    window_end: datetime = Field(sa_type=UTCDateTime)
    service: str = Field(max_length=40)
    method: str = Field(max_length=10)
    route: str = Field(max_length=300)
    status: int
    count: int


class CustodyCheck(AccessModel, table=True):
    """The evidence service's daily check of its custody chain (`evidence.custody.verified.v1`),
    kept by event id (a redelivery changes nothing)."""

    __tablename__ = "custody_checks"

    event_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(index=True)
    verified: bool
    records_checked: int
    anchors_checked: int
    last_seq: int
    head_mac: str | None = Field(default=None, max_length=128)
    first_broken_seq: int | None = None
    problem: str | None = Field(default=None, max_length=500)
    checked_at: datetime = Field(sa_type=UTCDateTime)


class CustodyVerifiedData(BaseModel):
    """What the digest reads of `evidence.custody.verified.v1` (its schema is evidence's)."""

    day: date
    verified: bool
    records_checked: int = pydantic.Field(ge=0)
    anchors_checked: int = pydantic.Field(ge=0)
    last_seq: int = pydantic.Field(ge=0)
    head_mac: str | None = pydantic.Field(default=None, max_length=128)
    first_broken_seq: int | None = None
    problem: str | None = pydantic.Field(default=None, max_length=500)
    checked_at: datetime


class LogDigestTimer(AccessModel, table=True):
    """When the next daily digest is due (one row, shared by replicas): a replica runs it only
    after moving `due_at` forward in its own transaction, so of two replicas one runs it."""

    __tablename__ = "log_digest_timer"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    due_at: datetime = Field(sa_type=UTCDateTime)


class RouteServerErrors(BaseModel):
    """The day's 5xx answers of one route, as the gateway counted them."""

    service: str
    method: str
    route: str = pydantic.Field(description="the OpenAPI path template, or `*` when unknown")
    count: int
    by_status: dict[str, int]


class DigestCounts(BaseModel):
    """A day's counts; `dead_letters` is null when the event bus was not read (events off)."""

    signins: int
    signin_failures: int
    lockouts: int
    reveals: int
    reveal_refusals: int
    authority_changes: int
    dead_letters: int | None
    dead_letters_by_consumer: dict[str, int] = pydantic.Field(default_factory=dict)
    server_errors: int = 0
    server_errors_by_route: list[RouteServerErrors] = pydantic.Field(default_factory=list)


class CustodyChainCheck(BaseModel):
    """The evidence service's verification of its custody chain for the day (the latest it
    published), as the digest shows it."""

    verified: bool
    checked_at: datetime
    records_checked: int
    anchors_checked: int
    last_seq: int
    head_mac: str | None
    first_broken_seq: int | None = None
    problem: str | None = None


class AuditChainCheck(BaseModel):
    """The audit chain verified against its anchors when the digest ran."""

    ok: bool
    records_checked: int
    anchors_checked: int
    first_broken_seq: int | None = None
    problem: str | None = None


class LogDigestPublic(BaseModel):
    """A digest as the IT operator and auditors read it."""

    id: str
    day: date
    period_start: datetime
    period_end: datetime
    trigger: Trigger
    requested_by: str | None
    created_at: datetime
    counts: DigestCounts
    audit_chain: AuditChainCheck
    custody_chain: CustodyChainCheck | None = pydantic.Field(
        description="null: the evidence service published no verification for the day"
    )
    anomalies: list[str]
    ok: bool


class LogDigestPage(BaseModel):
    """A page of digests, newest first."""

    data: list[LogDigestPublic]
    next_cursor: str | None


class LogDigestRun(InputModel):
    """Run the digest now for one day (default: yesterday in Vietnam; today gives the day so
    far)."""

    day: Day | None = None
