"""Areas of an EPE: its gates/doors, storage areas by kind and their gates/doors (I.1.1.a)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import Index, text
from sqlmodel import Field as SQLField

from registry.db import RegistryModel
from servicekit.columns import utc_field
from servicekit.inputs import InputModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class AreaKind(StrEnum):
    """What an area is; production areas (workshops, offices, canteens) are `other`."""

    EPE_GATE = "epe_gate"
    STORAGE_AREA = "storage_area"
    STORAGE_AREA_GATE = "storage_area_gate"
    OTHER = "other"


class StorageKind(StrEnum):
    """What a storage area holds (I.1.1.a)."""

    MATERIALS = "materials"
    SEMI_FINISHED = "semi_finished"
    FINISHED_PRODUCTS = "finished_products"
    SCRAP = "scrap"
    REFUSE = "refuse"
    OTHER_TAX_FREE = "other_tax_free"


class Area(RegistryModel, table=True):
    """A gate/door or storage area shown on the EPE's diagram."""

    __tablename__ = "areas"
    __table_args__ = (
        Index(
            "uq_areas_epe_code_active",
            "epe_id",
            "code",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
    )

    id: str = SQLField(primary_key=True, max_length=36)
    epe_id: str = SQLField(foreign_key="epes.id", max_length=64, index=True)
    code: str = SQLField(max_length=64, description="label on the diagram")
    name: str = SQLField(max_length=200)
    kind: str = SQLField(max_length=32)
    storage_kind: str | None = SQLField(default=None, max_length=32)
    parent_area_id: str | None = SQLField(default=None, foreign_key="areas.id", max_length=36)
    declared_fully_covered: bool = False
    latitude: float | None = SQLField(default=None, description="WGS 84, with longitude or not")
    longitude: float | None = None
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()
    removed_at: datetime | None = utc_field(nullable=True, default=None)


class AreaCreate(InputModel):
    """Declare an area; a storage area names its kind, a storage-area gate its storage area."""

    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")]
    name: Name
    kind: AreaKind
    storage_kind: StorageKind | None = None
    parent_area_id: str | None = Field(
        default=None, max_length=36, description="for a storage-area gate: its storage area"
    )
    declared_fully_covered: bool = Field(
        default=False,
        description="storage areas: the EPE declares its cameras together cover all of it",
    )
    latitude: Latitude | None = Field(
        default=None, description="WGS 84; with longitude (risk compares GPS fixes with gates)"
    )
    longitude: Longitude | None = None


class AreaUpdate(InputModel):
    """Rename an area, change its coverage declaration or its location (null clears it)."""

    name: Name | None = None
    declared_fully_covered: bool | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class AreaPublic(BaseModel):
    """An area as the API shows it."""

    id: str
    epe_id: str
    code: str
    name: str
    kind: AreaKind
    storage_kind: StorageKind | None
    parent_area_id: str | None
    declared_fully_covered: bool
    latitude: float | None
    longitude: float | None
    created_at: datetime
    updated_at: datetime
