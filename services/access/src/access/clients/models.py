"""Machine clients: customs systems, EPE vendor software and resource servers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import pydantic
from pydantic import BaseModel, model_validator
from sqlmodel import Field

from access.db import AccessModel
from access.officers.models import UNIT_PATTERN
from servicekit.columns import UTCDateTime
from servicekit.inputs import InputModel
from servicekit.units import UNIT_MAX_LENGTH

CLIENT_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
EPE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class ClientKind(StrEnum):
    """What a machine client is; decides its roles and what it may do."""

    CUSTOMS_SYSTEM = "customs_system"
    EPE_VENDOR = "epe_vendor"
    RESOURCE_SERVER = "resource_server"


class OAuthClient(AccessModel, table=True):
    """A confidential client; its secret is stored only as an argon2id hash."""

    __tablename__ = "oauth_clients"

    client_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    secret_hash: str = Field(max_length=300)
    epe_id: str | None = Field(default=None, index=True, max_length=64)
    unit: str | None = Field(default=None, max_length=UNIT_MAX_LENGTH)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)
    secret_rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EpeBinding(AccessModel, table=True):
    """The unit an EPE's vendor clients are bound to; it stands in for the registry until the
    registry's event about the EPE arrives (`access.epes`), then follows the registry."""

    __tablename__ = "epe_bindings"

    epe_id: str = Field(primary_key=True, max_length=64)
    unit: str = Field(max_length=UNIT_MAX_LENGTH, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ClientCreate(InputModel):
    """A new machine client; EPE vendor clients are bound to one EPE and its unit."""

    client_id: str = pydantic.Field(pattern=CLIENT_ID_PATTERN, examples=["epe-0312345678-vendor"])
    name: str = pydantic.Field(min_length=2, max_length=200)
    kind: ClientKind
    epe_id: str | None = pydantic.Field(default=None, pattern=EPE_ID_PATTERN)
    unit: str | None = pydantic.Field(default=None, pattern=UNIT_PATTERN)

    @model_validator(mode="after")
    def _binding(self) -> ClientCreate:
        if self.kind is ClientKind.EPE_VENDOR and (not self.epe_id or not self.unit):
            raise ValueError("an EPE vendor client needs epe_id and unit")
        if self.kind is not ClientKind.EPE_VENDOR and self.epe_id:
            raise ValueError("only EPE vendor clients are bound to an EPE")
        return self


class ClientPublic(BaseModel):
    """A machine client (never its secret)."""

    client_id: str
    name: str
    kind: str
    epe_id: str | None
    unit: str | None
    active: bool
    created_at: datetime
    registry_unit: str | None = pydantic.Field(
        default=None,
        description="EPE vendor clients: the unit the registry gives the EPE (null while the "
        "registry has not described it)",
    )
    unit_mismatch: bool = pydantic.Field(
        default=False,
        description="the client is bound to another unit than the registry's: it is refused "
        "tokens until the EPE gets a client bound to the right unit",
    )


class ClientsPage(BaseModel):
    data: list[ClientPublic]
    next_cursor: str | None


class ClientCreated(BaseModel):
    """The new client and its secret, shown only in this response."""

    client: ClientPublic
    client_secret: str
