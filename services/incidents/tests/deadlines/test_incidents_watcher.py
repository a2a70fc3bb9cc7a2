"""The deadline watcher emits each event exactly once: across restarts and with two replicas."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from incidents.deadlines.watcher import DeadlineWatcher
from incidents.main import create_app
from servicekit.db import make_engine
from servicekit.events.outbox import TABLES
from servicekit.workdays import DEFAULT_SWAPS_FILE, WorkingCalendar

APPROACHED = "incidents.deadline.approached.v1"
OVERDUE = "incidents.incident.went_overdue.v1"
EXTENSION_MISSED = "incidents.extension.missed.v1"
FOLLOW_UP_MISSED = "incidents.follow_up.missed.v1"


def events(engine) -> list[tuple[str, dict]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(TABLES.outbox.c.type, TABLES.outbox.c.envelope).order_by(
                TABLES.outbox.c.created_at
            )
        ).all()
    return [(row.type, json.loads(row.envelope)["data"]) for row in rows]


def counts(engine) -> Counter[str]:
    return Counter(event_type for event_type, _ in events(engine))


def new_watcher(settings, clock) -> DeadlineWatcher:
    """A watcher as a freshly started replica builds it: its own engine and calendar."""
    engine = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    return DeadlineWatcher(
        engine=engine, calendar=WorkingCalendar(DEFAULT_SWAPS_FILE), clock=clock, settings=settings
    )


def test_each_deadline_event_once_across_restarts(
    app, client, registry, file_notice, settings, clock, officer_headers
) -> None:
    incident_id = file_notice().json()["incident_id"]  # Monday 20 Jan 2025; last day Mon 10 Feb
    engine = app.state.engine
    watcher = new_watcher(settings, clock)

    clock.set(datetime(2025, 2, 7, 3, 0, tzinfo=UTC))  # Friday 7 Feb: two working days left
    watcher.run_once()
    assert counts(engine)[APPROACHED] == 0

    clock.set(datetime(2025, 2, 8, 3, 0, tzinfo=UTC))  # Saturday: only Monday 10 Feb is left
    emitted = watcher.run_once()
    assert [e.kind for e in emitted].count("deadline_approached") == 1
    assert watcher.run_once() == []  # nothing new on the next tick

    restarted = new_watcher(settings, clock)  # a restart: new process, same database
    assert restarted.run_once() == []

    clock.set(datetime(2025, 2, 11, 3, 0, tzinfo=UTC))  # Tuesday 11 Feb: overdue
    restarted.run_once()
    assert counts(engine)[OVERDUE] == 1
    assert counts(engine)[EXTENSION_MISSED] == 0  # the EPE has until 24:00 on Tuesday

    clock.set(datetime(2025, 2, 12, 3, 0, tzinfo=UTC))  # Wednesday: no extension came
    new_watcher(settings, clock).run_once()
    new_watcher(settings, clock).run_once()
    totals = counts(engine)
    assert totals[APPROACHED] == 1
    assert totals[OVERDUE] == 1
    assert totals[EXTENSION_MISSED] == 1
    # Follow-ups: every working day from 21 Jan to 11 Feb except Tet: 4 + 5 + 2 days.
    assert totals[FOLLOW_UP_MISSED] == 11
    days = sorted(d["day"] for t, d in events(engine) if t == FOLLOW_UP_MISSED)
    assert days[:4] == ["2025-01-21", "2025-01-22", "2025-01-23", "2025-01-24"]
    assert "2025-01-29" not in days and days[-1] == "2025-02-11"

    overdue = next(d for t, d in events(engine) if t == OVERDUE)
    assert overdue["incident_id"] == incident_id
    assert overdue["deadline_date"] == "2025-02-10"
    timeline = client.get(f"/incidents/{incident_id}/timeline", headers=officer_headers).json()
    actions = Counter(entry["action"] for entry in timeline["data"])
    assert actions["deadline_approached"] == actions["overdue"] == 1
    assert actions["extension_missed"] == 1
    incident = client.get(f"/incidents/{incident_id}", headers=officer_headers).json()
    assert incident["overdue"] is True
    assert incident["overdue_since"] == "2025-02-10T17:00:00Z"


def test_no_extension_missing_when_the_epe_sent_one(
    client, registry, file_notice, epe_headers, settings, clock, app
) -> None:
    incident_id = file_notice().json()["incident_id"]
    clock.set(datetime(2025, 2, 11, 3, 0, tzinfo=UTC))
    client.post(
        f"/incidents/{incident_id}/extensions",
        json={"reasons": "Chờ linh kiện", "expected_completion_at": "2025-02-14T10:00:00+07:00"},
        headers=epe_headers,
    )
    clock.set(datetime(2025, 2, 13, 3, 0, tzinfo=UTC))
    new_watcher(settings, clock).run_once()
    totals = counts(app.state.engine)
    assert totals[OVERDUE] == 1
    assert totals[EXTENSION_MISSED] == 0


def test_restored_incidents_raise_nothing_more(
    client, registry, file_notice, epe_headers, settings, clock, app
) -> None:
    incident_id = file_notice().json()["incident_id"]
    clock.set(datetime(2025, 1, 22, 3, 0, tzinfo=UTC))
    client.post(
        f"/incidents/{incident_id}/restoration",
        json={"restored_at": clock.now().isoformat()},
        headers=epe_headers,
    )
    clock.set(datetime(2025, 3, 3, 3, 0, tzinfo=UTC))
    new_watcher(settings, clock).run_once()
    totals = counts(app.state.engine)
    assert totals[APPROACHED] == totals[OVERDUE] == totals[EXTENSION_MISSED] == 0
    assert totals[FOLLOW_UP_MISSED] == 1  # Tuesday 21 Jan, before the restoration on Wednesday


def test_two_replicas_emit_each_event_once(
    client, registry, file_notice, notice, settings, clock, app
) -> None:
    for camera in ("cam-1", "cam-2", "gate-1"):
        file_notice(notice(camera_ids=[camera]))
    clock.set(datetime(2025, 2, 12, 3, 0, tzinfo=UTC))
    replicas = [new_watcher(settings, clock), new_watcher(settings, clock)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(watcher: DeadlineWatcher) -> None:
        try:
            barrier.wait()
            watcher.run_once()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # A tick that lost a race (or found SQLite busy) catches up on the next one.
    for watcher in replicas:
        watcher.run_once()
    totals = counts(app.state.engine)
    assert totals[OVERDUE] == 3
    assert totals[EXTENSION_MISSED] == 3
    assert totals[APPROACHED] == 0  # the deadline had already passed when the watchers ran
    assert totals[FOLLOW_UP_MISSED] == 3 * 11
    keys = [
        (d["incident_id"], d["day"]) for t, d in events(app.state.engine) if t == FOLLOW_UP_MISSED
    ]
    assert len(keys) == len(set(keys))


def test_the_watcher_runs_as_a_background_task(registry, settings, tokens, clock, app) -> None:
    clock.set(datetime(2025, 1, 20, 2, 0, tzinfo=UTC))
    background = create_app(
        settings.model_copy(update={"watcher_interval_seconds": 0.05}),
        clock=clock,
        token_verifier=tokens.verifier(),
    )
    with TestClient(background) as running:
        headers = {
            **tokens.headers(subject="v", roles=["epe_client"], epe_id="epe-1"),
            "Idempotency-Key": "bg-1",
        }
        body = {
            "epe_id": "epe-1",
            "kind": "transmission_channel",
            "channel": "internet",
            "description": "Mất kết nối Internet",
            "effects": "Không truyền hình ảnh",
            "estimated_restoration_at": "2025-01-22T17:00:00+07:00",
            "technician": {"name": "Lê Văn Tâm", "phone": "0912345678"},
        }
        assert running.post("/notices", json=body, headers=headers).status_code == 201
        clock.set(datetime(2025, 1, 24, 3, 0, tzinfo=UTC))  # channel deadline was Thu 23 Jan
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and counts(background.state.engine)[OVERDUE] == 0:
            time.sleep(0.05)
    assert counts(app.state.engine)[OVERDUE] == 1
    background.state.engine.dispose()
