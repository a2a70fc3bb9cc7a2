"""The request context every domain of the service works in: calendar, settings and now.

Its own module (not the incident service's) so that a domain needing the time or the
calendar does not import the incident lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incidents.settings import Settings
from servicekit.workdays import WorkingCalendar


@dataclass(frozen=True)
class Context:
    """What domain functions need besides the session: the calendar, the settings and now."""

    calendar: WorkingCalendar
    settings: Settings
    now: datetime
