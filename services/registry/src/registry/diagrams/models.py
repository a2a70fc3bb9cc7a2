"""Versions of an EPE's diagram of storage and camera positions (I.1.1.e.1)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import UniqueConstraint
from sqlmodel import Field as SQLField

from registry.db import RegistryModel
from servicekit.columns import utc_field


class DiagramVersion(RegistryModel, table=True):
    """One uploaded version; the object lives in S3 under a versioned key."""

    __tablename__ = "diagram_versions"
    __table_args__ = (
        UniqueConstraint("epe_id", "version", name="uq_diagram_versions_epe_version"),
    )

    id: str = SQLField(primary_key=True, max_length=36)
    epe_id: str = SQLField(foreign_key="epes.id", max_length=64, index=True)
    version: int
    object_key: str = SQLField(max_length=300)
    content_type: str = SQLField(max_length=100)
    size: int
    sha256: str = SQLField(max_length=64)
    filename: str | None = SQLField(default=None, max_length=255)
    uploaded_by: str = SQLField(max_length=200)
    uploaded_at: datetime = utc_field()


class DiagramPublic(BaseModel):
    """Metadata of a diagram version."""

    id: str
    epe_id: str
    version: int
    content_type: str
    size: int
    sha256: str
    filename: str | None
    uploaded_by: str
    uploaded_at: datetime
    download_path: str
