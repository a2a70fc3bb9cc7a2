"""Rescoring EPE risk levels after a batch of new events (issue 12: 2,000 EPEs, 100,000
events, under 10 s).

    .venv/bin/python bench/risk_scoring.py [--epes 2000] [--events 100000]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Builds the risk schema in a fresh database (a temporary SQLite file, or a fresh schema of
`--database-url`), registers `--epes` EPEs with a gate and a storage camera each and a first
level, then stores a batch of `--events` new rows spread over what the indicators read: gate
events (60 %), warnings with their workflow steps (15 %), declarations (15 %, one in five Red),
camera outages (5 %) and incidents (5 %). They are written with bulk Core inserts and every EPE
is marked due (as the flush hook marks what the ORM writes). Then one scheduler pass is timed:
the indicators of every EPE (grouped queries), their scores with explanations, the levels,
the band changes and their outbox events, committed in one transaction.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlmodel import Session, func, select

from risk.customs.models import CustomsRecord
from risk.db import metadata
from risk.gate.models import GateEvent
from risk.indicators.models import IncidentFact
from risk.projection.models import Camera, Enterprise, Outage
from risk.scoring.marks import mark_due
from risk.scoring.models import LevelChange, RiskScore
from risk.scoring.service import recompute, recompute_due
from risk.warnings.models import RiskWarning, TimelineEntry
from servicekit.db import make_engine

NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
UNIT = "CC-HQ-KCX-BENCH"


def table(model: Any) -> Any:
    return model.__table__


def ago(rng: random.Random, days: float = 85) -> datetime:
    return NOW - timedelta(seconds=rng.uniform(60, days * 86400))


def seed_epes(engine: Engine, epes: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(table(Enterprise)),
            [
                {"epe_id": e, "tax_code": f"03{i:08d}", "unit": UNIT, "last_event_at": NOW}
                for i, e in enumerate(epes)
            ],
        )
        conn.execute(
            insert(table(Camera)),
            [
                {
                    "camera_id": f"{e}-{kind}",
                    "epe_id": e,
                    "position_kind": kind,
                    "removed": False,
                    "must_be_online": True,
                    "last_event_at": NOW,
                }
                for e in epes
                for kind in ("epe_gate", "storage_area")
            ],
        )


def batch(rng: random.Random, epes: list[str], events: int) -> dict[Any, list[dict[str, Any]]]:
    """The new rows, by table."""
    rows: dict[Any, list[dict[str, Any]]] = {m: [] for m in (GateEvent, RiskWarning, TimelineEntry)}
    rows |= {CustomsRecord: [], Outage: [], IncidentFact: []}
    for n in range(events):
        index = rng.randrange(len(epes))
        epe, share = epes[index], n % 20
        if share < 12:
            rows[GateEvent].append(gate_event(rng, epe, n))
        elif share < 15:
            warning = warning_row(rng, epe, n)
            rows[RiskWarning].append(warning)
            if n % 3 == 0:
                rows[TimelineEntry].append(
                    step(warning, "propose", {"action": "documentary_check"})
                )
        elif share < 18:
            rows[CustomsRecord].append(declaration(rng, index, n))
        elif share == 18:
            start = ago(rng)
            rows[Outage].append(
                {
                    "outage_id": f"o-{n}",
                    "camera_id": f"{epe}-epe_gate",
                    "epe_id": epe,
                    "started_at": start,
                    "ended_at": start + timedelta(hours=rng.uniform(0.1, 30)),
                    "planned": False,
                }
            )
        else:
            rows[IncidentFact].append(incident(rng, epe, n))
    return rows


def gate_event(rng: random.Random, epe: str, n: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "epe_id": epe,
        "origin": "camera",
        "reference": f"b-{n}",
        "camera_id": f"{epe}-epe_gate",
        "direction": rng.choice(["entry", "exit"]),
        "occurred_at": ago(rng),
        "plate": "51C12345",
        "container_numbers": ["CSQU3054383"],
        "digest": "0" * 64,
        "source": "bench",
        "received_at": NOW,
    }


def warning_row(rng: random.Random, epe: str, n: int) -> dict[str, Any]:
    at = ago(rng)
    return {
        "id": str(uuid.uuid4()),
        "epe_id": epe,
        "anchor": f"a-{n}",
        "rule": "plate_not_declared",
        "subject": "51C12345",
        "severity": "medium",
        "state": "action_proposed",
        "explanation": {},
        "occurred_at": at,
        "raised_at": at,
        "updated_at": at,
    }


def step(warning: dict[str, Any], action: str, details: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "warning_id": warning["id"],
        "at": warning["raised_at"],
        "actor": "officer-bench",
        "action": action,
        "details": details,
    }


def declaration(rng: random.Random, index: int, n: int) -> dict[str, Any]:
    channel = "red" if n % 5 == 0 else rng.choice(["green", "yellow"])
    return {
        "id": str(uuid.uuid4()),
        "kind": "declaration",
        "number": f"{n:012d}",
        "version": 1,
        "epe_tax_code": f"03{index:08d}",
        "occurred_at": ago(rng),
        "data": {"channel": channel, "flow": "export"},
        "digest": "0" * 64,
        "source": "bench",
        "received_at": NOW,
    }


def incident(rng: random.Random, epe: str, n: int) -> dict[str, Any]:
    opened = ago(rng)
    restored = opened + timedelta(days=rng.uniform(0.5, 12))
    return {
        "incident_id": f"inc-{n}",
        "epe_id": epe,
        "kind": "camera_equipment",
        "opened_at": opened,
        "deadline_at": opened + timedelta(days=10),
        "overdue_at": opened + timedelta(days=10)
        if restored > opened + timedelta(days=10)
        else None,
        "restored_at": restored if restored < NOW else None,
        "promptness": "early" if restored < opened + timedelta(days=9) else "late_with_extension",
    }


def engine_for(url: str | None) -> tuple[Engine, str, str | None]:
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="risk-scoring-")) / "risk.db"
        return make_engine(f"sqlite:///{path}"), "SQLite", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    return make_engine(url, schema=schema), "PostgreSQL", schema


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epes", type=int, default=2000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    rng = random.Random(12)
    engine, name, schema = engine_for(args.database_url)
    metadata.create_all(engine)
    epes = [f"EPE-{i:05d}" for i in range(args.epes)]
    seed_epes(engine, epes)
    with Session(engine) as session:  # a first level for every EPE, from no data
        recompute(session, epes, now=NOW - timedelta(days=1))
        session.commit()
    started = time.perf_counter()
    with engine.begin() as conn:
        for model, rows in batch(rng, epes, args.events).items():
            if rows:
                conn.execute(insert(table(model)), rows)
        mark_due(conn, epes)
    stored = time.perf_counter() - started
    started = time.perf_counter()
    with Session(engine) as session:
        done = recompute_due(session, now=NOW, debounce_seconds=0, limit=args.epes)
        session.commit()
    elapsed = time.perf_counter() - started
    with Session(engine) as session:
        changes = session.exec(select(func.count()).select_from(LevelChange)).one() - args.epes
        scores = session.exec(select(func.count()).select_from(RiskScore)).one()
        bands = session.exec(text("SELECT band, count(*) FROM risk_level GROUP BY band")).all()
    print(f"database            {name}")
    print(f"EPEs rescored       {done} of {args.epes} ({scores} scores stored in all)")
    print(f"new events          {args.events} (stored in {stored:.1f} s, not timed)")
    print(f"rescoring           {elapsed:.2f} s ({done / elapsed:.0f} EPEs/s)")
    print(f"band changes        {changes}; levels now {dict(bands)}")
    target = 10.0
    print(f"target              under {target:.0f} s: {'met' if elapsed < target else 'NOT met'}")
    if schema:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    return 0 if done == args.epes else 1


if __name__ == "__main__":
    sys.exit(main())
