"""Drafting a month's monitoring plan for 500 EPEs and 40 officers (issue 12: under 5 s).

    .venv/bin/python bench/risk_plan.py [--epes 500] [--officers 40] [--month 2026-02]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench] [--schema risk_bench]

Fills a fresh risk database (SQLite in a temporary directory by default) with `--epes` EPEs of
one unit, each assigned to two of `--officers` officers (drawn with a fixed seed), and the
lanes of a selection run putting a tenth of them in the Red lane and a tenth in the Yellow
lane; then times `draft_plan` (read EPEs and assignments, place every visit, write the plan and
its slots, commit) for the month (Tet February 2026 by default: 15 working days). Prints the
time, the slots, the officers' least and largest load, and checks every EPE has a slot and
every slot lies in a working window.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from risk.assignments.models import OfficerAssignment
from risk.db import metadata
from risk.plan.service import draft_plan, parse_windows, working_days
from risk.projection.models import Enterprise
from risk.settings import Settings
from servicekit.db import make_engine
from servicekit.workdays import WorkingCalendar

UNIT = "CC-HQ-KCX-BENCH"


def fill(session: Session, epes: int, officers: int, now: datetime) -> dict[str, str]:
    """EPEs, two officers each, and the lanes of a selection run."""
    lanes: dict[str, str] = {}
    for n in range(epes):
        epe_id = f"EPE-{n:04}"
        session.add(Enterprise(epe_id=epe_id, tax_code=f"03{n:08}", unit=UNIT, last_event_at=now))
        for k in random.Random(n).sample(range(officers), 2):
            session.add(
                OfficerAssignment(
                    assignment_id=f"{epe_id}-{k}",
                    officer_id=f"officer-{k:02}",
                    epe_id=epe_id,
                    unit=UNIT,
                    active=True,
                    changed_at=now,
                )
            )
        if n % 10 == 0:
            lanes[epe_id] = "red"
        elif n % 5 == 1:
            lanes[epe_id] = "yellow"
    session.commit()
    return lanes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epes", type=int, default=500)
    parser.add_argument("--officers", type=int, default=40)
    parser.add_argument("--month", default="2026-02")
    parser.add_argument("--database-url")
    parser.add_argument("--schema")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'risk.db'}"
        engine = make_engine(url, schema=args.schema)
        metadata.drop_all(engine)
        metadata.create_all(engine)
        settings = Settings(database_url=url)
        calendar = WorkingCalendar()
        windows = parse_windows(settings.plan_windows)
        now = datetime.now(UTC)
        with Session(engine) as session:
            lanes = fill(session, args.epes, args.officers, now)
        started = time.perf_counter()
        with Session(engine) as session:
            _, slots = draft_plan(
                session,
                unit=UNIT,
                month=args.month,
                by="head-bench",
                now=now,
                calendar=calendar,
                windows=windows,
                visits=settings.plan_visits,
                levels={},
                lanes=lanes,
                selection_run_id=None,
            )
            session.commit()
            elapsed = time.perf_counter() - started
            days = set(working_days(calendar, args.month))
            starts = {w.start for w in windows}
            for slot in slots:
                local = slot.starts_at.astimezone(calendar.tz)
                assert local.date() in days and local.time() in starts, slot
            assert {s.epe_id for s in slots} == {f"EPE-{n:04}" for n in range(args.epes)}
            load = Counter(s.officer_id for s in slots)
        engine.dispose()
    print(f"drafted {args.month} for {args.epes} EPEs, {args.officers} officers: {elapsed:.2f} s")
    print(
        f"slots {len(slots)} over {len(days)} working days;",
        f"officer load {min(load.values())}-{max(load.values())}",
    )
    print("PASS" if elapsed < 5 else "FAIL (over 5 s)")


if __name__ == "__main__":
    main()
