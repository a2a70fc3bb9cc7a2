"""A share link of a sealed package for one recipient of another authority."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field

from evidence.db import EvidenceModel
from servicekit.columns import utc_field


class Share(EvidenceModel, table=True):
    """One link: who it is for, until when, how much it may serve, and whether it is revoked.

    The allowance is counted in bytes: `max_downloads` times the package's size may be
    served, so a video player seeking through a file spends only the bytes it fetches.
    """

    __tablename__ = "evidence_share"

    id: str = Field(primary_key=True, max_length=36)
    package_id: str = Field(index=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    token_hash: str = Field(unique=True, max_length=64)
    recipient_name: str = Field(max_length=200)
    recipient_authority: str = Field(max_length=200)
    purpose: str = Field(max_length=4000)
    expires_at: datetime = utc_field()
    max_downloads: int
    bytes_allowed: int = Field(sa_column=Column(BigInteger, nullable=False))
    bytes_served: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    opened_count: int = 0
    last_opened_at: datetime | None = utc_field(nullable=True, default=None)
    created_by: str = Field(max_length=200)
    created_at: datetime = utc_field(index=True)
    revoked_at: datetime | None = utc_field(nullable=True, default=None)
    revoked_by: str | None = Field(default=None, max_length=200)
    revoke_reason: str | None = Field(default=None, max_length=4000)
