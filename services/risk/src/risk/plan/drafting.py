"""Drafting a month's inspections: a pure function of needs, working days and officers.

Each EPE gets its visits spread over the month's working days (the k-th of n near the
(k + offset)/n point of the month, the offset differing per EPE so that EPEs of the same
frequency do not all fall on the same days), in the working-hour windows, never twice on
one day. Each visit goes to the least loaded officer assigned to the EPE who is free in a
window nearest its target day; the EPEs with the fewest officers are placed first, while
there is most room. A last pass evens the loads: visits are handed along chains of officers
who share EPEs (each free in the visit's window) while that narrows the spread.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
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
        """Shift visits along chains of officers sharing EPEs until no officer can hand one,
        directly or through others, to an officer with at least two fewer (each shift lowers
        the sum of squared loads, so this ends)."""
        while (path := self._shift_path(placed)) is not None:
            for visit, officer in path:
                assert visit.officer is not None
                self.busy.discard((visit.officer, visit.day, visit.window))
                self.load[visit.officer] -= 1
                self.busy.add((officer, visit.day, visit.window))
                self.load[officer] += 1
                visit.officer = officer

    def _shift_path(self, placed: list[_Placed]) -> list[tuple[_Placed, str]] | None:
        """Breadth-first from the most loaded officers: visits to hand on, ending at one with
        at least two visits fewer than the start; None when there is none."""
        held: dict[str, list[_Placed]] = defaultdict(list)
        for visit in placed:
            if visit.officer is not None:
                held[visit.officer].append(visit)
        for source in sorted(held, key=lambda o: (-self.load[o], o)):
            came: dict[str, tuple[str, _Placed] | None] = {source: None}
            queue = deque([source])
            while queue:
                giver = queue.popleft()
                for visit in held[giver]:
                    for taker in visit.need.officers:
                        if taker in came or (taker, visit.day, visit.window) in self.busy:
                            continue
                        came[taker] = (giver, visit)
                        if self.load[taker] + 1 < self.load[source]:
                            return self._path(came, taker)
                        queue.append(taker)
        return None

    @staticmethod
    def _path(came: dict[str, tuple[str, _Placed] | None], end: str) -> list[tuple[_Placed, str]]:
        path = []
        step = came[end]
        taker = end
        while step is not None:
            giver, visit = step
            path.append((visit, taker))
            taker, step = giver, came[giver]
        return path

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
