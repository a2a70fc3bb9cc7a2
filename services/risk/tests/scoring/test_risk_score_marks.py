"""Every write behind an indicator marks its EPE for rescoring, in the same transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from risk.scoring.marks import mark_due
from risk.scoring.models import ScoreClaim, ScoreDue
from risk.scoring.scheduler import score_once
from risk.scoring.service import current_bands, recompute, recompute_due
from servicekit.clock import ManualClock

from ..conftest import START, Feed
from ..customs.test_risk_ingestion import declaration
from ..gate.test_risk_gate_events import read


def due(app: FastAPI) -> list[str]:
    with Session(app.state.engine) as session:
        return sorted(session.exec(select(ScoreDue.epe_id)).all())


def test_writes_mark_their_epe_and_a_burst_gives_one_score(
    app: FastAPI,
    client: TestClient,
    feed: Feed,
    clock: ManualClock,
    customs_headers: dict[str, str],
) -> None:
    assert due(app) == ["epe-1", "epe-2"]  # the registry's events
    clock.advance(timedelta(seconds=1))
    assert score_once(app) == 0  # the debounce starts
    clock.advance(timedelta(seconds=app.state.settings.score_debounce_seconds))
    assert score_once(app) == 2 and due(app) == []

    body = declaration(channel="red", epe_tax_code="0309999999")  # epe-2's tax code
    assert client.post("/customs/declarations", json=body, headers=customs_headers).is_success
    assert due(app) == ["epe-2"]
    assert client.post("/customs/declarations", json=body, headers=customs_headers).is_success
    feed.outage("gate-9", "epe-2", "out-9", START - timedelta(hours=1))
    assert due(app) == ["epe-2"]  # one mark for the burst
    assert score_once(app) == 0
    clock.advance(timedelta(seconds=app.state.settings.score_debounce_seconds))
    assert score_once(app) == 1
    level = client.get("/risk-levels/epe-2", headers=customs_headers).json()
    items = {i["indicator"]: i for i in level["explanation"]["items"]}
    assert items["declarations_red"]["value"] == 1 and items["blind_hours"]["value"] == 1.0


def test_current_bands_name_the_scored_epes(app: FastAPI, feed: Feed, clock: ManualClock) -> None:
    with Session(app.state.engine) as session:
        recompute(session, ["epe-1"], now=clock.now())
        session.commit()
        assert current_bands(session, ["epe-1", "epe-2"]) == {"epe-1": "green"}


def test_a_level_is_refreshed_daily_as_its_window_slides(
    app: FastAPI,
    client: TestClient,
    feed: Feed,
    clock: ManualClock,
    epe_headers: dict[str, str],
) -> None:
    assert client.post("/gate-events", json=read(), headers=epe_headers).status_code == 201
    score_once(app)
    clock.advance(timedelta(seconds=app.state.settings.score_debounce_seconds))
    score_once(app)
    level = client.get("/risk-levels/epe-1", headers=epe_headers).json()
    assert level["score"] == 11.0  # one warning (2) and 90 days without inspection (9)
    clock.advance(timedelta(days=91))  # no event since: the warning left the window
    score_once(app)
    clock.advance(timedelta(seconds=app.state.settings.score_debounce_seconds))
    assert score_once(app) == 2
    assert client.get("/risk-levels/epe-1", headers=epe_headers).json()["score"] == 9.0


def test_a_write_marks_its_epe_while_a_pass_rescores_it_without_waiting(
    app: FastAPI, feed: Feed, clock: ManualClock
) -> None:
    """The marks leave `risk_score_due` before the rescoring: a gate batch marking the EPE
    meanwhile waits for no rescoring, and its mark stays for the next pass."""
    engine = app.state.engine
    clock.advance(timedelta(seconds=1))
    assert score_once(app) == 0  # the debounce starts
    clock.advance(timedelta(seconds=app.state.settings.score_debounce_seconds))
    settings = app.state.settings
    with Session(engine) as rescoring:
        taken = recompute_due(
            rescoring, now=clock.now(), debounce_seconds=1.0, limit=settings.score_batch
        )
        assert taken == 2 and due(app) == []  # claimed, not yet committed
        if engine.dialect.name == "postgresql":  # SQLite has one writer at a time
            with engine.begin() as writer:
                writer.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                mark_due(writer, ["epe-1"])
            assert due(app) == ["epe-1"]
        rescoring.commit()
    with Session(engine) as session:
        assert session.exec(select(ScoreClaim.epe_id)).all() == []


def test_a_mark_made_during_another_replicas_rescoring_is_left_for_the_next_pass(
    app: FastAPI, feed: Feed, clock: ManualClock
) -> None:
    """Replica A rescores epe-1; a gate batch marks it again meanwhile. Replica B's pass leaves
    that mark where it is while A holds the claim, instead of waiting on A's claim row (its
    scheduler stalled for the whole rescoring), and the next pass after A takes it."""
    engine = app.state.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: no write or pass runs beside a rescoring")
    debounce = timedelta(seconds=app.state.settings.score_debounce_seconds + 1)
    clock.advance(timedelta(seconds=1))
    assert score_once(app) == 0  # the debounce starts
    clock.advance(debounce)
    with Session(engine) as replica_a:
        assert recompute_due(replica_a, now=clock.now(), debounce_seconds=0, limit=10) == 2
        with engine.begin() as writer:  # a gate batch after A read its data
            writer.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            mark_due(writer, ["epe-1"])
        assert score_once(app) == 0  # replica B: the debounce starts
        clock.advance(debounce)
        assert score_once(app) == 0  # due, but claimed by A: left where it is
        assert due(app) == ["epe-1"]
        replica_a.commit()
    assert score_once(app) == 1 and due(app) == []


def test_claims_of_a_pass_that_failed_are_rescored_by_the_next(
    app: FastAPI, feed: Feed, clock: ManualClock
) -> None:
    clock.advance(timedelta(seconds=1))
    assert score_once(app) == 0
    clock.advance(timedelta(seconds=app.state.settings.score_debounce_seconds))
    with Session(app.state.engine) as failing:
        recompute_due(failing, now=clock.now(), debounce_seconds=1.0, limit=10)
        failing.rollback()  # the rescoring's transaction dies; the claims were committed
    assert due(app) == []
    assert score_once(app) == 2
    with Session(app.state.engine) as session:
        assert session.exec(select(ScoreClaim.epe_id)).all() == []
