"""Events of direct data corrections: the target service's operators and auditors hear them.

Only where the change happened and who decided: the values themselves stay in access."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class CorrectionApproved(EventPayload):
    """The head approved a correction plan; the IT operator may now apply it."""

    event_type: ClassVar[str] = "access.correction.approved.v1"

    correction_id: str
    service: str
    table: str
    prepared_by: str
    approved_by: str
    approved_at: datetime


class CorrectionApplied(EventPayload):
    """A correction was applied to the target service's database after a verified backup."""

    event_type: ClassVar[str] = "access.correction.applied.v1"

    correction_id: str
    service: str
    table: str
    columns: list[str]
    backup_id: str
    applied_by: str
    applied_at: datetime
    minutes_sha256: str
