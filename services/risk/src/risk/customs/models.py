"""Stored customs records and their lookup rows.

Every kind of record (declaration, release, note, manifest, GPS fix) lives in one
append-only table keyed by kind, natural key and version: an amendment is a new row that
supersedes the older ones, and the input is kept as received (normalised) with its source
and receipt time. Containers and plates go to a lookup table so matching finds records by
what a gate camera reads.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field

from risk.db import RiskModel
from servicekit.columns import utc_field


class RecordKind(StrEnum):
    """What a customs record is."""

    DECLARATION = "declaration"
    RELEASE = "release"
    GOODS_NOTE = "goods_note"
    MANIFEST = "manifest"
    GPS_FIX = "gps_fix"


CURRENT_DECLARATION = "kind = 'declaration' AND superseded_by IS NULL"
RED = "(data ->> 'channel') = 'red'"


class CustomsRecord(RiskModel, table=True):
    """One version of one customs record, as received."""

    __tablename__ = "customs_record"
    __table_args__ = (
        UniqueConstraint("kind", "number", "version"),
        # The rescoring's indicators (`risk.indicators.service._declarations`): an EPE's
        # current declarations in the window, counted, and its Red ones, counted with the
        # latest shown; without them each pass read the whole table twice (1,000,000 rows).
        Index(
            "ix_customs_record_current_declarations",
            "epe_tax_code",
            "occurred_at",
            postgresql_where=text(CURRENT_DECLARATION),
            sqlite_where=text(CURRENT_DECLARATION),
        ),
        Index(
            "ix_customs_record_current_red_declarations",
            "epe_tax_code",
            "occurred_at",
            postgresql_where=text(f"{CURRENT_DECLARATION} AND {RED}"),
            sqlite_where=text(f"{CURRENT_DECLARATION} AND {RED}"),
        ),
    )

    id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=20)
    number: str = Field(max_length=80, description="natural key within the kind")
    version: int
    epe_tax_code: str | None = Field(default=None, index=True, max_length=14)
    occurred_at: datetime = utc_field(index=True)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    digest: str = Field(max_length=64, description="SHA-256 of the normalised record")
    source: str = Field(max_length=200, description="client that sent it")
    received_at: datetime = utc_field()
    superseded_by: str | None = Field(default=None, max_length=36)


class RecordRef(RiskModel, table=True):
    """A container number or plate a record names (what matching looks up)."""

    __tablename__ = "customs_record_ref"

    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(index=True, max_length=36)
    kind: str = Field(max_length=20)
    container_number: str | None = Field(default=None, index=True, max_length=11)
    plate: str | None = Field(default=None, index=True, max_length=20)
