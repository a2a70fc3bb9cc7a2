"""Events about notices."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from incidents.incident.events import IncidentFacts


class NoticeFiled(IncidentFacts):
    """An EPE filed its Appendix II notice of interruption."""

    event_type: ClassVar[str] = "incidents.notice.filed.v1"
    notice_id: str
    filed_at: datetime
    estimated_restoration_at: datetime
    deadline_at: datetime
    linked_to_detected: bool
    previous_incident_id: str | None


class NoticeRevised(IncidentFacts):
    """An EPE revised its notice (a new revision; earlier ones are kept)."""

    event_type: ClassVar[str] = "incidents.notice.revised.v1"
    notice_id: str
    revision: int
    estimated_restoration_at: datetime
