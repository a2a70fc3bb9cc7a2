"""What officers send to share evidence, and what officers and recipients see of a share."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from servicekit.inputs import CleanStr, InputModel
from servicekit.pagination import Page

Name = Annotated[CleanStr, Field(min_length=1, max_length=200)]
Text = Annotated[CleanStr, Field(min_length=1, max_length=4000)]


class ShareIn(InputModel):
    """One named recipient of another authority, until when, and how many downloads."""

    recipient_name: Name
    recipient_authority: Name = Field(description="the authority the recipient acts for")
    purpose: Text
    expires_at: datetime = Field(description="the link stops working then (UTC on the wire)")
    max_downloads: int = Field(
        ge=1, le=100, description="how many times the package's size may be served"
    )


class RevokeIn(InputModel):
    """Why the link is withdrawn."""

    reason: Text


class ShareState(StrEnum):
    """Whether a link still opens."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    EXHAUSTED = "exhausted"


class SharePublic(BaseModel):
    """A share as officers see it (never its token)."""

    id: str
    package_id: str
    epe_id: str
    recipient_name: str
    recipient_authority: str
    purpose: str
    expires_at: datetime
    max_downloads: int
    bytes_allowed: int
    bytes_served: int
    opened_count: int
    last_opened_at: datetime | None
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    state: ShareState


class ShareWithToken(SharePublic):
    """The new share with its token, shown this once (only its hash is kept)."""

    token: str
    path: str = Field(description="the link's path behind the gateway")


class SharesPage(Page[SharePublic]):
    """A package's shares, oldest first."""

    next_cursor: str | None


class SharedFile(BaseModel):
    """A file the recipient may fetch, with the hash to check it against."""

    id: str
    name: str
    media_type: str
    size: int
    sha256: str | None


class SharedPackage(BaseModel):
    """What the link opens: the package's files and what is left of the allowance."""

    package_id: str
    recipient_name: str
    recipient_authority: str
    sealed_at: datetime
    expires_at: datetime
    bytes_left: int
    files: list[SharedFile]
