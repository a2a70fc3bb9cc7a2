"""Events the evidence service publishes about share links (never the token or its hash)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class ShareCreated(EventPayload):
    """Sealed evidence was handed to another authority through a link."""

    event_type: ClassVar[str] = "evidence.share.created.v1"
    share_id: str
    package_id: str
    request_id: str
    epe_id: str
    unit: str | None
    recipient_authority: str
    expires_at: datetime
    max_downloads: int
    created_by: str
    created_at: datetime


class ShareRevoked(EventPayload):
    """A share link was withdrawn before its expiry."""

    event_type: ClassVar[str] = "evidence.share.revoked.v1"
    share_id: str
    package_id: str
    epe_id: str
    unit: str | None
    revoked_by: str
    revoked_at: datetime
