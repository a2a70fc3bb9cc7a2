"""Vietnam's working days now live in the kit (evidence due dates count them too)."""

from servicekit.workdays import (
    MAX_WORKING_DAYS,
    VIETNAM_TZ,
    DayInfo,
    DayKind,
    Deadline,
    Swaps,
    SwapsFileError,
    WorkingCalendar,
    load_swaps,
    parse_swaps,
)

__all__ = [
    "MAX_WORKING_DAYS",
    "VIETNAM_TZ",
    "DayInfo",
    "DayKind",
    "Deadline",
    "Swaps",
    "SwapsFileError",
    "WorkingCalendar",
    "load_swaps",
    "parse_swaps",
]
