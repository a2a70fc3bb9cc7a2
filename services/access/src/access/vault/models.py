"""The credential vault (anchor: HashiCorp Vault KV v2): entries, sealed versions, reveals."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import pydantic
from pydantic import BaseModel, SecretStr
from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from access.db import AccessModel
from servicekit.columns import UTCDateTime
from servicekit.ids import new_id
from servicekit.inputs import InputModel
from servicekit.units import UNIT_MAX_LENGTH


class AccessMethod(StrEnum):
    """How customs reaches the EPE's camera system (Decision I.2.1.a)."""

    INTERNET = "internet"
    SEPARATE_CHANNEL = "separate_channel"
    VPN = "vpn"


class VaultEntry(AccessModel, table=True):
    """The access an EPE hands to customs for one camera system (metadata only)."""

    __tablename__ = "vault_entries"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    unit: str = Field(max_length=UNIT_MAX_LENGTH, index=True)
    label: str = Field(max_length=200)
    access_method: str = Field(max_length=30)
    current_version: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class VaultSecretVersion(AccessModel, table=True):
    """One version of an entry's secret, sealed with its own data key; old ones destroyed."""

    __tablename__ = "vault_secret_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    entry_id: str = Field(foreign_key="vault_entries.id", index=True, max_length=36)
    version: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)
    key_version: int | None = Field(default=None, index=True)
    wrapped_key: bytes | None = None
    nonce: bytes | None = None
    ciphertext: bytes | None = None
    destroyed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RevealHandle(AccessModel, table=True):
    """A single-use, short-lived permission for one officer to open one secret version."""

    __tablename__ = "vault_reveal_handles"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    digest: str = Field(unique=True, max_length=64)
    entry_id: str = Field(foreign_key="vault_entries.id", index=True, max_length=36)
    version: int
    officer_id: str = Field(max_length=36)
    reason: str = Field(max_length=1000)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# API schemas ---------------------------------------------------------------------------------


class SecretFields(InputModel):
    """What customs needs to reach the camera system; write-only for the EPE."""

    access_url: SecretStr = pydantic.Field(
        description="URL of the camera system / NVR web client",
        json_schema_extra={"writeOnly": True},
    )
    account: SecretStr = pydantic.Field(json_schema_extra={"writeOnly": True})
    password: SecretStr = pydantic.Field(json_schema_extra={"writeOnly": True})
    notes: SecretStr | None = pydantic.Field(default=None, json_schema_extra={"writeOnly": True})

    @pydantic.field_validator("access_url", "account", "password")
    @classmethod
    def _present(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if not raw.strip() or len(raw) > 2000:
            raise ValueError("must be 1-2000 characters")
        return value

    @pydantic.field_validator("notes")
    @classmethod
    def _notes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) > 4000:
            raise ValueError("must be at most 4000 characters")
        return value


class VaultEntryCreate(SecretFields):
    """A new camera-system access entry of the calling EPE."""

    label: str = pydantic.Field(min_length=1, max_length=200, examples=["Main NVR"])
    access_method: AccessMethod


class VaultSecretWrite(SecretFields):
    """A new version of the secret; `cas` must equal the current version (check-and-set)."""

    cas: int = pydantic.Field(ge=0, description="the version this write replaces")
    access_method: AccessMethod | None = None


class VaultEntryPublic(BaseModel):
    """An entry's metadata: never the secret."""

    id: str
    epe_id: str
    unit: str
    label: str
    access_method: str
    current_version: int
    versions_kept: list[int]
    created_at: datetime
    updated_at: datetime


class VaultEntriesPage(BaseModel):
    data: list[VaultEntryPublic]
    next_cursor: str | None


class RevealRequest(InputModel):
    """Why the officer needs the account (recorded and published)."""

    reason: str = pydantic.Field(min_length=10, max_length=1000)
    version: int | None = pydantic.Field(default=None, ge=1)


class RevealHandleIssued(BaseModel):
    """A single-use handle: open it once, before it expires."""

    handle: str
    handle_id: str
    expires_at: datetime


class RevealOpen(InputModel):
    """The handle to open."""

    handle: str = pydantic.Field(min_length=10, max_length=200)


class RevealedSecret(BaseModel):
    """The camera-system access, returned once to the officer who opened the handle."""

    entry_id: str
    epe_id: str
    version: int
    access_method: str
    access_url: str
    account: str
    password: str
    notes: str | None


class MasterKeyStatus(BaseModel):
    """The master keyring and how many sealed values each version still wraps."""

    current_version: int
    min_decryption_version: int
    versions: list[int]
    rotatable: bool
    sealed_by_version: dict[str, int]


class RewrapResult(BaseModel):
    """The outcome of a master key rotation or re-wrap."""

    current_version: int
    rewrapped: int
