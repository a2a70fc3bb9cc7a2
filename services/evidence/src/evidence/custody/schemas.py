"""What readers see of the custody trail and of a check of the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from servicekit.pagination import Page


class CustodyRecordPublic(BaseModel):
    """One custody record as officers, auditors and exports read it."""

    seq: int
    id: str
    action: str
    actor: str
    actor_role: str
    at: datetime
    source: str | None = Field(description="the client's IP address")
    request_id: str
    package_id: str | None
    file_id: str | None
    sha256: str | None
    details: dict[str, Any]
    prev: str
    mac: str


class CustodyPage(Page[CustodyRecordPublic]):
    """A page of a request's custody trail, oldest first."""

    next_cursor: str | None


class BrokenRecord(BaseModel):
    """The first record where the chain does not hold, and why."""

    seq: int | None
    id: str | None
    problem: str


class CustodyVerification(BaseModel):
    """The result of checking the whole custody chain against its key and anchors."""

    ok: bool
    records_checked: int
    last_seq: int
    anchors_checked: int
    first_broken: BrokenRecord | None = None
