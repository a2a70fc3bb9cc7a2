"""Notice tables (a notice and its append-only revisions) and API schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field

from incidents.db import IncidentsModel, append_only
from incidents.incident.models import ChannelType, IncidentKind
from incidents.schemas import Instant, Phone, ShortText, Text
from servicekit.columns import UTCDateTime
from servicekit.inputs import InputModel


class Notice(IncidentsModel, table=True):
    """A filed notice; its content is the latest of its revisions."""

    __tablename__ = "notice"

    id: str = Field(primary_key=True, max_length=36)
    incident_id: str = Field(unique=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    revision: int = 1
    filed_at: datetime = Field(sa_type=UTCDateTime)
    filed_by: str = Field(max_length=200)


@append_only
class NoticeRevision(IncidentsModel, table=True):
    """The full text of a notice as filed or revised; revisions are never changed."""

    __tablename__ = "notice_revision"
    __table_args__ = (UniqueConstraint("notice_id", "revision", name="uq_notice_revision"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: str = Field(index=True, max_length=36)
    revision: int
    kind: str = Field(max_length=30)
    channel: str | None = Field(default=None, max_length=30)
    camera_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    description: str = Field(max_length=4000)
    effects: str = Field(max_length=4000)
    estimated_restoration_at: datetime = Field(sa_type=UTCDateTime)
    technician_name: str = Field(max_length=200)
    technician_phone: str = Field(max_length=200)
    technician_email: str | None = Field(default=None, max_length=200)
    document_number: str | None = Field(default=None, max_length=200)
    place: str | None = Field(default=None, max_length=200)
    signatory_name: str | None = Field(default=None, max_length=200)
    enterprise_name: str = Field(max_length=500)
    enterprise_address: str = Field(max_length=1000)
    enterprise_tax_code: str = Field(max_length=20)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)


class IdempotencyRecord(IncidentsModel, table=True):
    """A create request already served: (EPE, Idempotency-Key) -> request fingerprint, notice."""

    __tablename__ = "notice_idempotency"

    epe_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    notice_id: str = Field(max_length=36)
    created_at: datetime = Field(sa_type=UTCDateTime)


# -- API schemas -------------------------------------------------------------------------------

CameraId = Annotated[str, PydanticField(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


class Technician(InputModel):
    """Field 5: contact of the enterprise's technician."""

    name: ShortText
    phone: Phone
    email: Annotated[
        str | None,
        PydanticField(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    ] = None


class TechnicianPublic(BaseModel):
    """Field 5 as filed (notices filed before a rule tightened are still shown)."""

    name: str
    phone: str
    email: str | None = None


class NoticeContent(InputModel):
    """What the EPE writes on the Appendix II form (name, address, tax code: from the registry)."""

    kind: IncidentKind
    camera_ids: list[CameraId] = PydanticField(
        default_factory=list,
        max_length=500,
        description="Affected cameras (required for camera_equipment); must belong to the EPE",
    )
    channel: ChannelType | None = PydanticField(
        default=None, description="Affected channel (required for transmission_channel)"
    )
    description: Text = PydanticField(
        description="Field 2: current status and causes (location, quantity per the diagram)"
    )
    effects: Text = PydanticField(description="Field 3: effects on customs supervision")
    estimated_restoration_at: Instant = PydanticField(description="Field 4: estimated restoration")
    technician: Technician
    document_number: ShortText | None = PydanticField(
        default=None, description="The enterprise's own number of the notice ('Số: ...')"
    )
    place: ShortText | None = PydanticField(
        default=None, description="Place written before the date, e.g. 'Bình Dương'"
    )
    signatory_name: ShortText | None = PydanticField(
        default=None, description="Legal representative signing the notice"
    )

    @model_validator(mode="after")
    def _affected(self) -> Self:
        if self.kind is IncidentKind.CAMERA_EQUIPMENT and not self.camera_ids:
            raise ValueError("camera_ids: a camera equipment notice names the affected cameras")
        if self.kind is IncidentKind.TRANSMISSION_CHANNEL and self.channel is None:
            raise ValueError("channel: a transmission channel notice names the channel")
        if self.kind is IncidentKind.CAMERA_EQUIPMENT and self.channel is not None:
            raise ValueError("channel: only a transmission channel notice names a channel")
        if len(set(self.camera_ids)) != len(self.camera_ids):
            raise ValueError("camera_ids: each camera is listed once")
        return self


class NoticeCreate(NoticeContent):
    """A new notice for the caller's EPE (EPE clients carry their EPE in the token)."""

    epe_id: Annotated[str, PydanticField(min_length=1, max_length=64)]


class NoticeUpdate(NoticeContent):
    """A revision replaces the notice's content as a whole (send the full form)."""


class EnterpriseOnNotice(BaseModel):
    """Field 1: the enterprise as the registry describes it."""

    name: str
    address: str
    tax_code: str


class NoticePublic(BaseModel):
    """A notice as filed, at its latest revision."""

    id: str
    incident_id: str
    epe_id: str
    revision: int
    enterprise: EnterpriseOnNotice
    kind: IncidentKind
    camera_ids: list[str]
    channel: ChannelType | None
    description: str
    effects: str
    estimated_restoration_at: datetime
    technician: TechnicianPublic
    document_number: str | None
    place: str | None
    signatory_name: str | None
    filed_at: datetime
    filed_by: str
    revised_at: datetime
    revised_by: str
