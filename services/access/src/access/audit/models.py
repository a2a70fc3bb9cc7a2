"""The audit log: append-only records in a keyed chain (servicekit.chain), its head, and the
timer that anchors the head outside the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pydantic
from pydantic import BaseModel
from sqlalchemy import DDL, Text, event
from sqlmodel import Field

from access.db import AccessModel
from servicekit.appendonly import protect_table, trigger_ddl
from servicekit.chain import GENESIS
from servicekit.columns import UTCDateTime
from servicekit.inputs import InputModel

GENESIS_HASH = GENESIS
CHAIN = "access-audit"
"""The chain's name: its key is derived from it and its anchors are stored under it."""


class AuditRecord(AccessModel, table=True):
    """One attributable action; `hash` covers every field and the previous record's hash.

    From the head's `keyed_from` on, `hash` is an HMAC-SHA256 under the chain key (held outside
    the database); records before it keep the plain SHA-256 they were written with.
    """

    __tablename__ = "audit_records"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    id: str = Field(unique=True, max_length=36)
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=200, index=True)
    action: str = Field(max_length=100, index=True)
    target: str | None = Field(default=None, max_length=300, index=True)
    reason: str | None = Field(default=None, sa_type=Text)
    outcome: str = Field(max_length=20)
    request_id: str | None = Field(default=None, max_length=200)
    trace_id: str | None = Field(default=None, max_length=64)
    details: str = Field(sa_type=Text, description="canonical JSON; secrets only as salted HMACs")
    corrects: int | None = Field(default=None, description="seq of the record this corrects")
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(AccessModel, table=True):
    """The last record of the chain (one row); appenders lock it, so the chain never forks."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_seq: int = 0
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)
    keyed_from: int = Field(
        default=1, description="first record MACed with the chain key (earlier ones: SHA-256)"
    )


class AuditAnchorTimer(AccessModel, table=True):
    """When the head is next anchored outside the database (one row, shared by replicas).

    A replica anchors only after moving `due_at` forward in its own transaction, so two
    replicas never anchor the same tick; a replica that dies mid-way leaves a short lease.
    """

    __tablename__ = "audit_anchor_timer"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    due_at: datetime = Field(sa_type=UTCDateTime)
    anchored_seq: int = Field(default=0, description="the last seq anchored")


class AuditRecordPublic(BaseModel):
    """An audit record as auditors read and export it."""

    seq: int
    id: str
    occurred_at: datetime
    actor: str
    action: str
    target: str | None
    reason: str | None
    outcome: str
    request_id: str | None
    trace_id: str | None
    details: dict[str, Any]
    corrects: int | None
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    """A page of audit records."""

    data: list[AuditRecordPublic]
    next_cursor: str | None


class BrokenRecord(BaseModel):
    """The first record whose chain does not hold, and why."""

    seq: int | None
    id: str | None
    problem: str


class AnchorPublic(BaseModel):
    """An anchor: the chain's head as written outside the database."""

    seq: int
    mac: str
    anchored_at: datetime


class ChainVerification(BaseModel):
    """The result of checking the whole chain."""

    ok: bool
    records_checked: int
    last_seq: int
    anchors_checked: int = pydantic.Field(
        default=0, description="anchors read from object storage and compared"
    )
    last_anchor: AnchorPublic | None = None
    first_broken: BrokenRecord | None = None


class CorrectionCreate(InputModel):
    """A correction: a new record pointing at the one it corrects (records are never edited)."""

    reason: str = pydantic.Field(min_length=3, max_length=2000)
    details: dict[str, str] = pydantic.Field(default_factory=dict, max_length=20)


APPEND_ONLY_MESSAGE = "audit records are append-only"


def append_only_ddl(dialect: str) -> list[str]:
    """Statements that make the audit table refuse UPDATE and DELETE at the database level."""
    return trigger_ddl("audit_records", dialect, APPEND_ONLY_MESSAGE)


protect_table(AccessModel.metadata.tables["audit_records"], APPEND_ONLY_MESSAGE)

_head_table = AccessModel.metadata.tables["audit_head"]
event.listen(
    _head_table,
    "after_create",
    DDL(  # type: ignore[no-untyped-call]
        "INSERT INTO audit_head (id, last_seq, last_hash, keyed_from) "  # noqa: S608
        f"VALUES (1, 0, '{GENESIS_HASH}', 1)"
    ),
)
