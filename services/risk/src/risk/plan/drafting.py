"""Drafting a month's inspections: a pure function of needs, working days and officers.

Each EPE gets its visits spread over the month's working days (the k-th of n near the
(k + offset)/n point of the month, the offset differing per EPE so that EPEs of the same
frequency do not all fall on the same days), in the working-hour windows, never twice on
one day. Each visit goes to the least loaded officer assigned to the EPE who is free in a
window nearest its target day; the EPEs with the fewest officers are placed first, while
there is most room. A last pass hands a visit from an officer to another officer of the same
EPE, free in the same window, whenever that narrows their loads, until none does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

GOLDEN = 0.6180339887498949
"""Successive multiples modulo 1 are evenly spread: the offsets of successive EPEs."""


@dataclass(frozen=True)
class Need:
    """How many inspections an EPE needs and who may inspect it."""

    epe_id: str
    visits: int
    officers: tuple[str, ...]


@dataclass(frozen=True)
class Window:
    """A working-hour window in local time."""

    start: time
    end: time


@dataclass(frozen=True)
class DraftSlot:
    epe_id: str
    officer_id: str | None
    starts_at: datetime
    ends_at: datetime


@dataclass
class _Placed:
    need: Need
    officer: str | None
    day: int
    window: int


@dataclass
class _Board:
    days: Sequence[date]
    windows: Sequence[Window]
    tz: ZoneInfo
    load: Counter[str]
    busy: set[tuple[str, int, int]]
    epe_days: set[tuple[str, int]]

    def around(self, target: int) -> Iterator[int]:
        """Day indices by distance from the target, nearest first."""
        yield target
        for delta in range(1, len(self.days)):
            for day in (target + delta, target - delta):
                if 0 <= day < len(self.days):
                    yield day

    def slot(self, need: Need, officer: str | None, day: int, window: int) -> _Placed:
        if officer is not None:
            self.busy.add((officer, day, window))
            self.load[officer] += 1
        self.epe_days.add((need.epe_id, day))
        return _Placed(need, officer, day, window)

    def rebalance(self, placed: list[_Placed]) -> None:
        """Move visits to a less loaded officer of the same EPE free in the same window (each
        move lowers the sum of squared loads, so this ends)."""
        moved = True
        while moved:
            moved = False
            for visit in placed:
                if visit.officer is None:
                    continue
                for other in visit.need.officers:
                    free = (other, visit.day, visit.window) not in self.busy
                    if free and self.load[other] + 1 < self.load[visit.officer]:
                        self.busy.discard((visit.officer, visit.day, visit.window))
                        self.load[visit.officer] -= 1
                        self.busy.add((other, visit.day, visit.window))
                        self.load[other] += 1
                        visit.officer, moved = other, True
                        break

    def draft(self, visit: _Placed) -> DraftSlot:
        local = self.days[visit.day]
        w = self.windows[visit.window]
        return DraftSlot(
            epe_id=visit.need.epe_id,
            officer_id=visit.officer,
            starts_at=datetime.combine(local, w.start, self.tz).astimezone(UTC),
            ends_at=datetime.combine(local, w.end, self.tz).astimezone(UTC),
        )

    def place(self, need: Need, target: int, turn: int) -> _Placed:
        """The visit in the least loaded free officer's window nearest the target day."""
        order = [(turn + i) % len(self.windows) for i in range(len(self.windows))]
        for officer in sorted(need.officers, key=lambda o: (self.load[o], o)):
            for day in self.around(target):
                if (need.epe_id, day) in self.epe_days:
                    continue
                for window in order:
                    if (officer, day, window) not in self.busy:
                        return self.slot(need, officer, day, window)
        day = next(
            (d for d in self.around(target) if (need.epe_id, d) not in self.epe_days), target
        )
        return self.slot(need, None, day, order[0])


def draft_slots(
    needs: Sequence[Need], days: Sequence[date], windows: Sequence[Window], tz: ZoneInfo
) -> list[DraftSlot]:
    """Every need's visits (at most one a day) placed in the month; an EPE nobody may inspect
    still gets its slots, without an officer, so the gap shows."""
    if not days or not windows:
        raise ValueError("a month needs working days and working-hour windows")
    board = _Board(days, windows, tz, Counter(), set(), set())
    ordered = sorted(needs, key=lambda n: (len(n.officers) or 10**6, -n.visits, n.epe_id))
    placed = []
    for index, need in enumerate(ordered):
        offset = (index * GOLDEN) % 1
        visits = min(need.visits, len(days))
        for k in range(visits):
            target = min(int((k + offset) / visits * len(days)), len(days) - 1)
            placed.append(board.place(need, target, index + k))
    board.rebalance(placed)
    slots = [board.draft(visit) for visit in placed]
    return sorted(slots, key=lambda s: (s.starts_at, s.epe_id))
