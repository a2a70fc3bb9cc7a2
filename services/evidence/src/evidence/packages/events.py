"""Events the evidence service publishes about packages (ids and hashes, never contents)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class PackageSealed(EventPayload):
    """The EPE submitted and the package is sealed: signed manifest, files under retention."""

    event_type: ClassVar[str] = "evidence.package.sealed.v1"
    package_id: str
    request_id: str
    epe_id: str
    unit: str | None
    files: int
    manifest_sha256: str
    key_id: str
    sealed_at: datetime
    retain_until: datetime


class LegalHoldChanged(EventPayload):
    """A legal hold was placed on or lifted from every object of a package."""

    event_type: ClassVar[str] = "evidence.package.legal_hold_changed.v1"
    package_id: str
    request_id: str
    epe_id: str
    unit: str | None
    legal_hold: bool
    changed_by: str
    changed_at: datetime
