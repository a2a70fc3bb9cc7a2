"""Working days in Vietnam and restoration deadlines counted on them.

A day is a working day unless it is a Saturday or Sunday, a Labour Code holiday (article 112 of
the Labour Code 2019, computed by the `holidays` library, including the lunar Tet days, Hung
Kings Commemoration day and the compensatory days off), or an announced day off; announced
make-up working days (usually Saturdays) are working days. The announced swaps live in a TOML
file that an operator edits; it is read again whenever it changes.

Deadlines follow the Civil Code (articles 147-148): the day of notification is not counted;
the period ends at 24:00 local time of its last day (see docs/working-days.md).
"""

from __future__ import annotations

import logging
import threading
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

import holidays

log = logging.getLogger(__name__)

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_WORKING_DAYS = 3660
"""Upper bound on a count, so a request cannot make the calendar walk for ever."""
WORKING_HOURS_START = time(7, 30)
WORKING_HOURS_END = time(17, 0)
"""Default office hours of a customs sub-department (local time); services may configure
their own (a 24/7 monitoring team has other shifts)."""


class DayKind(StrEnum):
    """Why a day is or is not a working day."""

    WORKING_DAY = "working_day"
    WEEKEND = "weekend"
    PUBLIC_HOLIDAY = "public_holiday"
    ANNOUNCED_DAY_OFF = "announced_day_off"
    MAKE_UP_WORKING_DAY = "make_up_working_day"


@dataclass(frozen=True)
class DayInfo:
    """One calendar day: whether people work, and why."""

    day: date
    working: bool
    kind: DayKind
    name: str | None = None


@dataclass(frozen=True)
class Swaps:
    """Announced changes on top of the Labour Code calendar, as read from the swaps file."""

    days_off: dict[date, str] = field(default_factory=dict)
    working_days: dict[date, str] = field(default_factory=dict)


class SwapsFileError(ValueError):
    """The swaps file cannot be used (syntax or content); the previous version stays in force."""


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        raise SwapsFileError(f"{where}: expected a date, got a date-time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise SwapsFileError(f"{where}: {value!r} is not a YYYY-MM-DD date") from exc
    raise SwapsFileError(f"{where}: expected a date")


def parse_swaps(document: dict[str, Any]) -> Swaps:
    """Validate the TOML document: `[[swap]]` pairs plus standalone days off / working days."""
    days_off: dict[date, str] = {}
    working: dict[date, str] = {}
    for i, entry in enumerate(document.get("swap", [])):
        where = f"swap[{i}]"
        if not isinstance(entry, dict):
            raise SwapsFileError(f"{where}: expected a table")
        off = _as_date(entry.get("day_off"), f"{where}.day_off")
        on = _as_date(entry.get("working_day"), f"{where}.working_day")
        reason = str(entry.get("reason", "announced swap of working days"))
        days_off[off] = reason
        working[on] = reason
    for i, entry in enumerate(document.get("day_off", [])):
        where = f"day_off[{i}]"
        if not isinstance(entry, dict):
            raise SwapsFileError(f"{where}: expected a table")
        days_off[_as_date(entry.get("date"), f"{where}.date")] = str(
            entry.get("reason", "announced day off")
        )
    for i, entry in enumerate(document.get("working_day", [])):
        where = f"working_day[{i}]"
        if not isinstance(entry, dict):
            raise SwapsFileError(f"{where}: expected a table")
        working[_as_date(entry.get("date"), f"{where}.date")] = str(
            entry.get("reason", "announced make-up working day")
        )
    both = sorted(set(days_off) & set(working))
    if both:
        raise SwapsFileError(f"{both[0].isoformat()} is listed both as a day off and a working day")
    return Swaps(days_off=days_off, working_days=working)


def load_swaps(path: Path) -> Swaps:
    """Read and validate a swaps file."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SwapsFileError(f"{path}: {exc}") from exc
    return parse_swaps(document)


@dataclass(frozen=True)
class Deadline:
    """A restoration period counted in working days from a notification."""

    notified_on: date
    working_days: int
    last_day: date
    ends_at: datetime
    """24:00 local of the last day, in UTC."""
    approaching_at: datetime
    """24:00 local of the working day before the last day: one working day is left."""


DEFAULT_SWAPS_FILE = Path(__file__).resolve().with_name("swaps.toml")
"""The announced swaps shipped with camwatch; operators point `SWAPS_FILE` at their own copy."""


class WorkingCalendar:
    """Answers "is D a working day" and "N working days after D"; reloads the swaps file."""

    def __init__(
        self,
        swaps_file: Path | None = None,
        *,
        tz: ZoneInfo = VIETNAM_TZ,
        check_interval: float = 2.0,
    ) -> None:
        self.swaps_file = swaps_file
        self.tz = tz
        self._check_interval = check_interval
        self._lock = threading.RLock()
        self._holidays = holidays.country_holidays("VN", language="vi")
        self._swaps = Swaps()
        self._stamp: tuple[int, int] | None = None
        self._checked_at = float("-inf")
        self.last_error: str | None = None
        if swaps_file is not None:
            self._swaps = load_swaps(swaps_file)  # a broken file at start-up is fatal
            self._stamp = self._file_stamp()

    # -- the swaps file ------------------------------------------------------------------------

    def _file_stamp(self) -> tuple[int, int] | None:
        if self.swaps_file is None:
            return None
        try:
            stat = self.swaps_file.stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def refresh(self, *, force: bool = False) -> None:
        """Re-read the swaps file if it changed; a broken edit keeps the last good version."""
        if self.swaps_file is None:
            return
        now = monotonic()
        with self._lock:
            if not force and now - self._checked_at < self._check_interval:
                return
            self._checked_at = now
            stamp = self._file_stamp()
            if stamp == self._stamp and not force:
                return
            try:
                swaps = load_swaps(self.swaps_file) if stamp is not None else Swaps()
            except (OSError, SwapsFileError) as exc:
                self.last_error = str(exc)
                log.error("swaps file not reloaded, keeping the previous one: %s", exc)
                return
            self._swaps = swaps
            self._stamp = stamp
            self.last_error = None
            log.info(
                "working-day swaps loaded: %d days off, %d working days",
                len(swaps.days_off),
                len(swaps.working_days),
            )

    @property
    def swaps(self) -> Swaps:
        """The swaps in force (after a change check)."""
        self.refresh()
        return self._swaps

    # -- days ----------------------------------------------------------------------------------

    def day_info(self, day: date) -> DayInfo:
        """Whether `day` is a working day, and why."""
        swaps = self.swaps
        if day in swaps.working_days:
            return DayInfo(day, True, DayKind.MAKE_UP_WORKING_DAY, swaps.working_days[day])
        if day in swaps.days_off:
            return DayInfo(day, False, DayKind.ANNOUNCED_DAY_OFF, swaps.days_off[day])
        with self._lock:
            name = self._holidays.get(day)
            make_up = day in self._holidays.weekend_workdays
        if make_up:
            return DayInfo(day, True, DayKind.MAKE_UP_WORKING_DAY, "make-up working day")
        if name is not None:
            return DayInfo(day, False, DayKind.PUBLIC_HOLIDAY, str(name))
        if day.weekday() >= 5:
            return DayInfo(day, False, DayKind.WEEKEND, None)
        return DayInfo(day, True, DayKind.WORKING_DAY, None)

    def is_working_day(self, day: date) -> bool:
        """Whether people work on `day` under the calendar in force."""
        return self.day_info(day).working

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (start itself is not counted)."""
        if count < 0 or count > MAX_WORKING_DAYS:
            raise ValueError(f"count must be between 0 and {MAX_WORKING_DAYS}")
        day = start
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before `day`."""
        current = day - timedelta(days=1)
        while not self.is_working_day(current):
            current -= timedelta(days=1)
        return current

    def working_days_between(self, after: date, until: date) -> list[date]:
        """Working days d with after < d <= until."""
        days: list[date] = []
        day = after + timedelta(days=1)
        while day <= until:
            if self.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    # -- instants ------------------------------------------------------------------------------

    def local_date(self, instant: datetime) -> date:
        """The local calendar date of an instant."""
        return instant.astimezone(self.tz).date()

    def is_working_time(
        self,
        instant: datetime,
        *,
        start: time = WORKING_HOURS_START,
        end: time = WORKING_HOURS_END,
    ) -> bool:
        """Whether `instant` falls in working hours (local time, start inclusive, end
        exclusive) of a working day: officers supervise within working time (II.1.c)."""
        local = instant.astimezone(self.tz)
        return self.is_working_day(local.date()) and start <= local.time() < end

    def end_of_day(self, day: date) -> datetime:
        """24:00 local of `day` (= 00:00 of the next day), in UTC."""
        return datetime.combine(day + timedelta(days=1), time(0), self.tz).astimezone(UTC)

    def deadline(self, notified_at: datetime, working_days: int) -> Deadline:
        """The restoration deadline for a notification at `notified_at` (Civil Code counting)."""
        notified_on = self.local_date(notified_at)
        last_day = self.add_working_days(notified_on, working_days)
        before_last = self.previous_working_day(last_day)
        return Deadline(
            notified_on=notified_on,
            working_days=working_days,
            last_day=last_day,
            ends_at=self.end_of_day(last_day),
            approaching_at=self.end_of_day(before_last),
        )
