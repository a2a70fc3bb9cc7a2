"""Cameras customs may show, each EPE's viewing policy, and the watch wall's answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import pydantic
from pydantic import BaseModel
from sqlmodel import Field

from access.db import AccessModel
from servicekit.columns import UTCDateTime
from servicekit.inputs import InputModel
from servicekit.units import UNIT_MAX_LENGTH


class ViewableCamera(AccessModel, table=True):
    """A camera as the registry last described it (`registry.camera.*` events)."""

    __tablename__ = "view_cameras"

    camera_id: str = Field(primary_key=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    unit: str = Field(max_length=UNIT_MAX_LENGTH)
    number: str = Field(max_length=32)
    position_kind: str = Field(max_length=32)
    must_be_online: bool = True
    stream_url: str | None = Field(default=None, max_length=1000)
    removed: bool = False
    event_time: datetime = Field(sa_type=UTCDateTime)
    """The CloudEvents time of the event applied last; older events are ignored."""


class CameraViewPolicy(AccessModel, table=True):
    """Whether customs' server may use an EPE's vault account to show its cameras."""

    __tablename__ = "camera_view_policies"

    epe_id: str = Field(primary_key=True, max_length=64)
    unit: str = Field(max_length=UNIT_MAX_LENGTH)
    entry_id: str = Field(foreign_key="vault_entries.id", max_length=36)
    server_side: bool
    set_by: str = Field(max_length=200)
    set_at: datetime = Field(sa_type=UTCDateTime)


# API schemas ---------------------------------------------------------------------------------


class CameraViewPolicyWrite(InputModel):
    """Which vault entry holds the camera account, and whether customs' server may use it."""

    entry_id: str = pydantic.Field(min_length=1, max_length=36)
    server_side: bool = pydantic.Field(
        description="true: assigned officers watch through customs' server, which signs in "
        "with the account (the password is never shown); false: only the reveal-once flow"
    )


class CameraViewPolicyPublic(BaseModel):
    epe_id: str
    unit: str
    entry_id: str
    server_side: bool
    set_by: str
    set_at: datetime


class WallTile(BaseModel):
    """One camera of the wall: refresh `snapshot_url` every few seconds, open `live_url`."""

    camera_id: str
    epe_id: str
    epe_name: str
    camera_number: str
    position_kind: str
    viewable: bool = pydantic.Field(
        description="the EPE allows viewing through customs and the camera has an HTTP stream"
    )
    snapshot_url: str
    live_url: str


class WatchWall(BaseModel):
    """The required cameras of the officer's EPEs."""

    order: Literal["assignment"] = pydantic.Field(
        description="EPEs in the order they were assigned to the officer (the risk service "
        "publishes no risk level per EPE yet), cameras by number"
    )
    tiles: list[WallTile]
