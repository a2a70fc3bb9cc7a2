"""Custody records: one per action on evidence, append-only at the database level, each MACed
with the previous one under a key held outside the database (servicekit.chain)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DDL, Text, event
from sqlmodel import Field

from evidence.db import EvidenceModel
from servicekit.appendonly import protect_table, trigger_ddl
from servicekit.chain import GENESIS
from servicekit.columns import utc_field

CHAIN = "evidence-custody"
"""The chain's name: its key is derived from it and its anchors are stored under it."""


class CustodyAction(StrEnum):
    """What was done to a request, package or file."""

    REQUESTED = "requested"
    UPLOADED = "uploaded"
    UPLOAD_TERMINATED = "upload_terminated"
    SEALED = "sealed"
    VIEWED = "viewed"
    DOWNLOADED = "downloaded"
    STREAMED = "streamed"
    SHARED = "shared"
    SHARE_OPENED = "share_opened"
    SHARE_REVOKED = "share_revoked"
    VERIFIED = "verified"
    RETENTION_CHANGED = "retention_changed"
    LEGAL_HOLD_CHANGED = "legal_hold_changed"
    EXPORTED = "exported"


class CustodyRecord(EvidenceModel, table=True):
    """Who did what to which evidence, when and from where; `mac` covers every field and the
    previous record's `mac`."""

    __tablename__ = "custody_records"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    id: str = Field(unique=True, max_length=36)
    action: str = Field(max_length=40, index=True)
    actor: str = Field(max_length=200, index=True)
    actor_role: str = Field(max_length=40)
    at: datetime = utc_field(index=True)
    source: str | None = Field(default=None, max_length=100, description="client IP address")
    request_id: str = Field(max_length=36, index=True)
    package_id: str | None = Field(default=None, max_length=36, index=True)
    file_id: str | None = Field(default=None, max_length=36, index=True)
    sha256: str | None = Field(default=None, max_length=64)
    details: str = Field(default="{}", sa_type=Text, description="canonical JSON, no secrets")
    prev: str = Field(max_length=64)
    mac: str = Field(max_length=64)


class CustodyHead(EvidenceModel, table=True):
    """The chain's last record (one row); appenders lock it, so the chain never forks."""

    __tablename__ = "custody_head"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_seq: int = 0
    last_mac: str = Field(default=GENESIS, max_length=64)


APPEND_ONLY_MESSAGE = "custody records are append-only"

HEAD_SEED = (
    "INSERT INTO custody_head (id, last_seq, last_mac) "  # noqa: S608 - a constant
    f"VALUES (1, 0, '{GENESIS}')"
)


def append_only_ddl(dialect: str) -> list[str]:
    """Statements that make the custody table refuse UPDATE and DELETE (migrations use them)."""
    return trigger_ddl("custody_records", dialect, APPEND_ONLY_MESSAGE)


protect_table(EvidenceModel.metadata.tables["custody_records"], APPEND_ONLY_MESSAGE)
event.listen(
    EvidenceModel.metadata.tables["custody_head"],
    "after_create",
    DDL(HEAD_SEED),  # type: ignore[no-untyped-call]
)


class CustodyAnchorTimer(EvidenceModel, table=True):
    """When the head is next anchored outside the database (one row, shared by replicas): a
    replica anchors only after moving `due_at` forward in its own transaction."""

    __tablename__ = "custody_anchor_timer"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    due_at: datetime = utc_field()
    anchored_seq: int = Field(default=0, description="the last seq anchored")


class CustodyVerifyTimer(EvidenceModel, table=True):
    """When the chain is next verified for the daily log digest (one row, shared by replicas):
    a replica verifies only after moving `due_at` to the next day in its own transaction."""

    __tablename__ = "custody_verify_timer"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    due_at: datetime = utc_field()
