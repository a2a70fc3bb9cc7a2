"""Drafting a month: every EPE covered, slots in working hours of working days, balanced load."""

from __future__ import annotations

from collections import Counter
from datetime import date, time

from risk.plan.drafting import Need, Window, draft_slots
from risk.plan.service import working_days
from servicekit.workdays import VIETNAM_TZ, WorkingCalendar

WINDOWS = [Window(time(7, 30), time(9, 30)), Window(time(13, 0), time(15, 0))]
TET_MONTH = "2026-02"  # Tet holidays 16-20 February 2026


def test_tet_month_working_days() -> None:
    days = working_days(WorkingCalendar(), TET_MONTH)
    assert len(days) == 15
    assert not {date(2026, 2, d) for d in range(16, 21)} & set(days)
    assert all(day.weekday() < 5 for day in days)


def test_every_epe_covered_in_working_windows_with_balanced_load() -> None:
    days = working_days(WorkingCalendar(), TET_MONTH)
    officers = [f"officer-{n}" for n in range(6)]
    needs = [
        Need(
            f"epe-{n:03}",
            visits=(1, 2, 4)[n % 3],
            officers=(officers[n % 6], officers[(n + 1) % 6]),
        )
        for n in range(60)
    ]
    needs.append(Need("epe-lonely", visits=1, officers=()))
    slots = draft_slots(needs, days, WINDOWS, VIETNAM_TZ)
    per_epe = Counter(s.epe_id for s in slots)
    assert {n.epe_id: n.visits for n in needs} == dict(per_epe)
    allowed = {(w.start, w.end) for w in WINDOWS}
    for slot in slots:
        local_start, local_end = (
            slot.starts_at.astimezone(VIETNAM_TZ),
            slot.ends_at.astimezone(VIETNAM_TZ),
        )
        assert local_start.date() in days
        assert (local_start.time(), local_end.time()) in allowed
    need_of = {n.epe_id: n for n in needs}
    assert all(s.officer_id in need_of[s.epe_id].officers for s in slots if s.officer_id)
    assert [s.epe_id for s in slots if s.officer_id is None] == ["epe-lonely"]
    booked = Counter((s.officer_id, s.starts_at) for s in slots if s.officer_id)
    assert max(booked.values()) == 1  # nobody in two places at once
    days_of = Counter((s.epe_id, s.starts_at.date()) for s in slots)
    assert max(days_of.values()) == 1  # an EPE at most once a day
    load = Counter(s.officer_id for s in slots if s.officer_id)
    assert max(load.values()) - min(load.values()) <= 1
    four = sorted(s.starts_at.date() for s in slots if s.epe_id == "epe-002")
    assert (four[-1] - four[0]).days >= 14  # spread over the month, not bunched


def test_visits_capped_at_one_a_day() -> None:
    days = [date(2026, 3, 2), date(2026, 3, 3)]
    slots = draft_slots([Need("epe-1", visits=5, officers=("a",))], days, WINDOWS, VIETNAM_TZ)
    assert sorted(s.starts_at.date() for s in slots) == days
