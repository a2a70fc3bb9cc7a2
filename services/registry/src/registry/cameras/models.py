"""Cameras: position on the diagram, addresses, declared specs and capabilities."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from sqlalchemy import Index, text
from sqlmodel import Field as SQLField

from registry.cameras.urls import ONVIF_SCHEMES, STREAM_SCHEMES, check_camera_url
from registry.db import RegistryModel
from registry.types import json_field
from servicekit.columns import utc_field
from servicekit.inputs import InputModel

CAMERA_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$"
RESOLUTION_PATTERN = r"^[1-9]\d{2,4}x[1-9]\d{2,4}$"


class PositionKind(StrEnum):
    """Where a camera stands (I.1.2.a); `other` is a camera outside the four positions."""

    EPE_GATE = "epe_gate"
    STORAGE_AREA_GATE = "storage_area_gate"
    STORAGE_AREA = "storage_area"
    INSIDE_STORAGE_AREA = "inside_storage_area"
    OTHER = "other"


def _stream_url(value: str) -> str:
    return check_camera_url(value, schemes=STREAM_SCHEMES)


def _onvif_url(value: str) -> str:
    return check_camera_url(value, schemes=ONVIF_SCHEMES)


StreamUrl = Annotated[
    str,
    Field(max_length=1000, examples=["rtsp://10.0.0.21:554/Streaming/Channels/101"]),
    AfterValidator(_stream_url),
]
OnvifUrl = Annotated[
    str,
    Field(max_length=1000, examples=["http://10.0.0.21/onvif/device_service"]),
    AfterValidator(_onvif_url),
]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class CameraSpecs(InputModel):
    """Specifications the EPE declares for a camera (compared with Appendix I)."""

    sensor_format: Annotated[str, Field(pattern=r'^1/[1-9]\d?(\.\d{1,2})?"?$')] | None = Field(
        default=None, description='optical format, e.g. 1/2.8"', examples=['1/2.8"']
    )
    sensor_technology: Annotated[str, StringConstraints(max_length=20)] | None = Field(
        default=None, examples=["CMOS"]
    )
    day_night: bool | None = None
    resolution: Annotated[str, Field(pattern=RESOLUTION_PATTERN)] | None = Field(
        default=None, examples=["1920x1080"]
    )
    white_balance: bool | None = None
    compression: list[Short] | None = Field(default=None, max_length=20, examples=[["H.265"]])
    focal_length_min_mm: Annotated[float, Field(gt=0, le=1000)] | None = None
    focal_length_max_mm: Annotated[float, Field(gt=0, le=1000)] | None = None
    panning_angle_deg: Annotated[float, Field(ge=0, le=360)] | None = None
    frame_rate_fps: Annotated[float, Field(gt=0, le=1000)] | None = None
    network_protocols: list[Short] | None = Field(default=None, max_length=30)
    hlc_db: Annotated[float, Field(ge=0, le=300)] | None = None
    hlc_resolution: Annotated[str, Field(pattern=RESOLUTION_PATTERN)] | None = Field(
        default=None, description="resolution at which hlc_db was measured"
    )
    ingress_protection: list[Annotated[str, Field(pattern=r"^IP[0-6X][0-9X]K?$")]] | None = Field(
        default=None, max_length=5, examples=[["IP67"]]
    )
    max_operating_temperature_c: Annotated[float, Field(ge=-100, le=200)] | None = None
    low_light_color_lux: Annotated[float, Field(ge=0, le=1000)] | None = None
    low_light_ir_lux: Annotated[float, Field(ge=0, le=1000)] | None = None
    onvif: bool | None = None
    safety_standards: list[Short] | None = Field(default=None, max_length=10)


class CameraCapabilities(InputModel):
    """What the EPE declares the camera does at its position (I.1.1.b-d)."""

    reads_plates: bool = False
    reads_container_numbers: bool = False
    covers_whole_area: bool = False


class Camera(RegistryModel, table=True):
    """A camera of an EPE's surveillance system."""

    __tablename__ = "cameras"
    __table_args__ = (
        Index(
            "uq_cameras_epe_number_active",
            "epe_id",
            "number",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
    )

    id: str = SQLField(primary_key=True, max_length=36)
    epe_id: str = SQLField(foreign_key="epes.id", max_length=64, index=True)
    number: str = SQLField(max_length=32, description="number on the diagram")
    position_kind: str = SQLField(max_length=32)
    area_id: str | None = SQLField(default=None, foreign_key="areas.id", max_length=36)
    vendor: str | None = SQLField(default=None, max_length=100)
    model: str | None = SQLField(default=None, max_length=100)
    stream_url: str | None = SQLField(default=None, max_length=1000)
    onvif_url: str | None = SQLField(default=None, max_length=1000)
    probe_enabled: bool = False
    specs: dict[str, Any] = json_field(default_factory=dict)
    reads_plates: bool = False
    reads_container_numbers: bool = False
    covers_whole_area: bool = False
    must_be_online: bool = True
    must_be_online_reason: str = SQLField(max_length=300)
    monitored_since: datetime | None = utc_field(nullable=True, default=None)
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()
    removed_at: datetime | None = utc_field(nullable=True, default=None)


class CameraCreate(InputModel):
    """Declare a camera; whether it must be online is derived from its position."""

    number: Annotated[str, Field(pattern=CAMERA_NUMBER_PATTERN, examples=["C01"])]
    position_kind: PositionKind
    area_id: str | None = Field(default=None, max_length=36)
    vendor: Short | None = None
    model: Short | None = None
    stream_url: StreamUrl | None = None
    onvif_url: OnvifUrl | None = None
    probe_enabled: bool = Field(
        default=False, description="customs can reach the camera: probe it actively"
    )
    specs: CameraSpecs = Field(default_factory=CameraSpecs)
    capabilities: CameraCapabilities = Field(default_factory=CameraCapabilities)


class CameraUpdate(InputModel):
    """Change a camera; omitted fields stay as they are."""

    position_kind: PositionKind | None = None
    area_id: str | None = Field(default=None, max_length=36)
    vendor: Short | None = None
    model: Short | None = None
    stream_url: StreamUrl | None = None
    onvif_url: OnvifUrl | None = None
    probe_enabled: bool | None = None
    specs: CameraSpecs | None = None
    capabilities: CameraCapabilities | None = None


class CameraPublic(BaseModel):
    """A camera as the API shows it, with its live state."""

    id: str
    epe_id: str
    number: str
    position_kind: PositionKind
    area_id: str | None
    vendor: str | None
    model: str | None
    stream_url: str | None
    onvif_url: str | None
    probe_enabled: bool
    specs: CameraSpecs
    capabilities: CameraCapabilities
    must_be_online: bool
    must_be_online_reason: str
    state: str
    created_at: datetime
    updated_at: datetime
