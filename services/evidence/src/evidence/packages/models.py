"""Tables of uploaded files and sealed packages.

A file is created (tus `POST`) for a request, receives its bytes in chunks straight into an S3
multipart upload, and is complete when every byte arrived; its SHA-256 is computed on the way
(the hasher's state is kept between chunks, so any replica continues it). Sealing makes the
package: the files, a signed manifest, COMPLIANCE retention and an optional legal hold.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field

from evidence.db import EvidenceModel
from servicekit.columns import utc_field


class FileState(StrEnum):
    """A file is `uploading` until its last byte is stored, then `uploaded`."""

    UPLOADING = "uploading"
    UPLOADED = "uploaded"


class PackageFile(EvidenceModel, table=True):
    """One file of a request's answer; `package_id` is set when the request is sealed."""

    __tablename__ = "package_files"
    __table_args__ = (UniqueConstraint("request_id", "name", name="uq_package_files_name"),)

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(index=True, max_length=36)
    package_id: str | None = Field(default=None, index=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    name: str = Field(max_length=255)
    media_type: str = Field(max_length=100)
    camera: str = Field(max_length=64, description="the requested camera the footage is from")
    size: int = Field(sa_type=BigInteger, description="declared length (tus Upload-Length)")
    state: str = Field(default=FileState.UPLOADING.value, max_length=20)
    sha256: str | None = Field(default=None, max_length=64)
    declared_sha256: str | None = Field(
        default=None,
        max_length=64,
        description="the file's SHA-256 the vendor declared at creation (checked at the end)",
    )
    object_key: str = Field(max_length=300)
    version_id: str | None = Field(default=None, max_length=200)
    created_by: str = Field(max_length=200)
    created_at: datetime = utc_field()
    uploaded_at: datetime | None = utc_field(nullable=True, default=None)
    received: int = Field(
        default=0, sa_type=BigInteger, description="bytes stored so far (tus Upload-Offset)"
    )
    s3_upload_id: str | None = Field(default=None, max_length=1024)
    parts: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="stored S3 parts: number, etag, size",
    )
    hash_state: bytes | None = Field(
        default=None,
        sa_column=Column(LargeBinary, nullable=True),
        description="the SHA-256 hasher's state after `received` bytes (rehashes, not pickle)",
    )
    busy_until: datetime | None = utc_field(nullable=True, default=None)
    """A chunk is being received until then (a lease, so two writers never interleave)."""


class PackageState(StrEnum):
    """A package exists once sealed."""

    SEALED = "sealed"


class Package(EvidenceModel, table=True):
    """The sealed answer to a request: a signed manifest beside its files, under retention."""

    __tablename__ = "packages"

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(unique=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    state: str = Field(default=PackageState.SEALED.value, max_length=20)
    manifest_key: str = Field(max_length=300)
    manifest_version_id: str | None = Field(default=None, max_length=200)
    manifest_sha256: str = Field(max_length=64)
    envelope_key: str = Field(max_length=300)
    envelope_version_id: str | None = Field(default=None, max_length=200)
    key_id: str = Field(max_length=64, description="fingerprint of the signing public key")
    sealed_by: str = Field(max_length=200)
    sealed_at: datetime = utc_field(index=True)
    retain_until: datetime = utc_field()
    legal_hold: bool = False
    legal_hold_changed_by: str | None = Field(default=None, max_length=200)
    legal_hold_changed_at: datetime | None = utc_field(nullable=True, default=None)
