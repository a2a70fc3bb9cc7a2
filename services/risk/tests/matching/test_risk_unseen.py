"""Declared containers the gate never saw: checked once after the window, answered late."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from devkit.testing.http import poll
from risk.db import metadata
from risk.main import create_app
from risk.matching.sweeper import sweep_once
from servicekit.clock import ManualClock

from ..conftest import Feed
from ..customs.test_risk_ingestion import declaration
from ..gate.test_risk_gate_events import read
from .test_risk_matching import outbox, timeline, warnings

PAST_WINDOW = timedelta(hours=73)  # the window is 72 h after clearance


def declare(client: TestClient, headers: dict[str, str], **changes: Any) -> None:
    response = client.post("/customs/declarations", json=declaration(**changes), headers=headers)
    assert response.status_code == 201, response.text


def test_a_cleared_container_never_seen_is_warned_once_after_the_window(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    assert sweep_once(app) == 0  # the window is still open: nothing checked
    clock.advance(PAST_WINDOW)
    assert sweep_once(app) == 1
    assert sweep_once(app) == 0  # checked once
    [warning] = warnings(app)
    assert (warning.rule, warning.subject, warning.severity) == (
        "declared_container_unseen",
        "CSQU3054383",
        "medium",
    )
    assert warning.gate_event_id is None and warning.record_id is not None
    assert warning.explanation["window"] == {
        "from": "2025-01-20T01:15:00+00:00",
        "to": "2025-01-23T01:30:00+00:00",
    }
    assert warning.explanation["compared"][0]["number"] == "305123456789"
    assert len(outbox(app, "risk.warning.raised.v1")) == 1


def test_a_container_seen_leaving_in_time_raises_nothing(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    customs_headers: dict[str, str],
    epe_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    client.post("/gate-events", json=read(container_numbers=["CSQU3O54383"]), headers=epe_headers)
    clock.advance(PAST_WINDOW)
    assert sweep_once(app) == 1
    assert warnings(app) == []


def test_a_gate_read_arriving_late_resolves_it(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    customs_headers: dict[str, str],
    epe_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    clock.advance(PAST_WINDOW)
    sweep_once(app)
    [warning] = warnings(app)
    late = read(occurred_at="2025-01-20T09:00:00+07:00")  # within the window, sent days later
    assert client.post("/gate-events", json=late, headers=epe_headers).status_code == 201
    [resolved] = warnings(app)
    assert resolved.state == "resolved"
    assert timeline(app, warning.id) == ["raised", "resolved_by_late_data"]


def test_an_amendment_resolves_the_old_version_and_is_checked_itself(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    clock.advance(PAST_WINDOW)
    sweep_once(app)
    declare(client, customs_headers, version=2, container_numbers=["MSKU1234565"])
    [old] = warnings(app)
    assert (old.subject, old.state) == ("CSQU3054383", "resolved")
    assert sweep_once(app) == 1
    subjects = {(w.subject, w.state) for w in warnings(app)}
    assert subjects == {("CSQU3054383", "resolved"), ("MSKU1234565", "new")}


def test_the_sweeper_runs_in_the_background(
    settings: Any, tokens: Any, clock: ManualClock, customs_headers: dict[str, str]
) -> None:
    fast = settings.model_copy(update={"unseen_sweep_seconds": 0.05})
    app = create_app(fast, token_verifier=tokens.verifier())
    app.state.clock = clock
    metadata.create_all(app.state.engine)
    feed = Feed(app, clock)
    feed.epe("epe-1", tax_code="0301234567")
    with TestClient(app) as client:
        declare(client, customs_headers)
        clock.advance(PAST_WINDOW)
        poll("the sweeper's warning", lambda: len(warnings(app)) == 1, timeout=10)
    app.state.engine.dispose()
