"""What vendors and officers see of files and packages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from servicekit.inputs import InputModel


class FilePublic(BaseModel):
    """A file of a request: its upload progress, then its hash."""

    id: str
    request_id: str
    package_id: str | None
    name: str
    media_type: str
    camera: str
    size: int
    received: int = Field(description="bytes stored so far")
    state: str
    sha256: str | None
    created_at: datetime
    uploaded_at: datetime | None


class FilesOut(BaseModel):
    """The files of a request, in upload order."""

    data: list[FilePublic]


class PackagePublic(BaseModel):
    """A sealed package (officers, the unit's head, auditors)."""

    id: str
    request_id: str
    epe_id: str
    state: str
    manifest_sha256: str
    key_id: str
    sealed_by: str
    sealed_at: datetime
    retain_until: datetime
    legal_hold: bool
    legal_hold_changed_by: str | None
    legal_hold_changed_at: datetime | None


class LegalHoldIn(InputModel):
    """Place (`true`) or lift (`false`) a legal hold on every object of the package."""

    on: bool


class PublicKeyOut(BaseModel):
    """The Ed25519 public key manifests are signed with."""

    algorithm: str = "Ed25519"
    key_id: str
    public_key_pem: str


class SealReceipt(BaseModel):
    """What the EPE gets back on submitting: ids and the manifest's hash (not the package)."""

    request_id: str
    state: str
    package_id: str
    manifest_sha256: str
    sealed_at: datetime


class FindingOut(BaseModel):
    """One problem the verifier found."""

    kind: str = Field(description="signature, manifest, missing, size, hash or extra")
    file: str | None
    detail: str


class VerificationOut(BaseModel):
    """The verifier's answer for a stored package."""

    ok: bool
    package_id: str | None
    request_id: str | None
    files_checked: int
    findings: list[FindingOut]
