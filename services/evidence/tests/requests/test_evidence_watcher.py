"""Reminder and overdue events: once each, across restarts and with two replicas."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evidence.main import create_app
from evidence.requests.watcher import watch_once
from evidence.settings import Settings
from servicekit.clock import ManualClock
from servicekit.events.outbox import TABLES

from ..conftest import Feed

BODY: dict[str, Any] = {
    "epe_id": "epe-1",
    "cameras": ["cam-1"],
    "time_ranges": [{"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}],
    "reason": "Đối chiếu",
    "due_working_days": 4,
}
# made Monday 20 January 2025: due 24:00 Friday 24th (17:00Z), reminder 24:00 Thursday 23rd
REMIND = datetime(2025, 1, 23, 17, 0, tzinfo=UTC)
DUE = datetime(2025, 1, 24, 17, 0, tzinfo=UTC)


def _count(app: FastAPI, event_type: str) -> int:
    with app.state.engine.connect() as conn:
        query = select(func.count()).where(TABLES.outbox.c.type == event_type)
        return int(conn.execute(query).scalar_one())


def _replica(settings: Settings, tokens: Any, clock: ManualClock) -> FastAPI:
    """A freshly started replica: its own app and engine on the same database."""
    app = create_app(settings, token_verifier=tokens.verifier(), watcher_enabled=False)
    app.state.clock = clock
    return app


def test_reminder_then_overdue_once_across_restarts(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    officer_headers: dict[str, str],
    settings: Settings,
    tokens: Any,
    clock: ManualClock,
) -> None:
    request_id = client.post("/requests", json=BODY, headers=officer_headers).json()["id"]
    cancelled = client.post("/requests", json=BODY, headers=officer_headers).json()["id"]
    client.post(f"/requests/{cancelled}/cancel", json={"reason": "x"}, headers=officer_headers)
    assert watch_once(app) == 0
    clock.set(REMIND)
    assert watch_once(app) == 1
    assert watch_once(_replica(settings, tokens, clock)) == 0  # restarted: already sent
    assert _count(app, "evidence.request.reminder.v1") == 1
    clock.set(DUE)
    assert watch_once(app) == 1
    assert watch_once(_replica(settings, tokens, clock)) == 0
    assert _count(app, "evidence.request.overdue.v1") == 1
    answer = client.get(f"/requests/{request_id}", headers=officer_headers).json()
    assert answer["state"] == "overdue"
    open_ids = [
        r["id"]
        for r in client.get("/requests", params={"open": "true"}, headers=officer_headers).json()[
            "data"
        ]
    ]
    assert open_ids == [request_id]
    with app.state.engine.connect() as conn:
        row = conn.execute(
            select(TABLES.outbox.c.envelope).where(
                TABLES.outbox.c.type == "evidence.request.overdue.v1"
            )
        ).scalar_one()
    assert json.loads(row)["data"]["request_id"] == request_id


def test_a_request_found_past_due_is_overdue_without_a_reminder(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    officer_headers: dict[str, str],
    clock: ManualClock,
) -> None:
    client.post("/requests", json=BODY, headers=officer_headers)
    clock.set(DUE)
    assert watch_once(app) == 1
    assert _count(app, "evidence.request.reminder.v1") == 0
    assert _count(app, "evidence.request.overdue.v1") == 1


def test_two_replicas_emit_each_event_once(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    officer_headers: dict[str, str],
    settings: Settings,
    tokens: Any,
    clock: ManualClock,
) -> None:
    for _ in range(5):
        client.post("/requests", json=BODY, headers=officer_headers)
    later = {**BODY, "due_working_days": 10}
    for _ in range(5):
        client.post("/requests", json=later, headers=officer_headers)
    clock.set(DUE)  # the first five are overdue, the last five not yet reminded
    replicas = [_replica(settings, tokens, clock) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(replica: FastAPI) -> None:
        try:
            barrier.wait()
            watch_once(replica)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for replica in replicas:  # a tick that found SQLite busy catches up on the next one
        watch_once(replica)
        replica.state.engine.dispose()
    assert _count(app, "evidence.request.overdue.v1") == 5
    assert _count(app, "evidence.request.reminder.v1") == 0
