"""The registry projection: late events do not roll back; outages survive events out of order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event as orm_event
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, select

from risk.projection.models import Camera, Enterprise, Outage
from risk.projection.service import blind_cameras
from risk.scoring.models import ScoreDue
from servicekit.clock import ManualClock

from ..conftest import START, Feed, event


def test_an_older_camera_event_does_not_undo_a_newer_one(app: FastAPI, feed: Feed) -> None:
    data = {"camera_id": "gate-1", "epe_id": "epe-1", "position_kind": "epe_gate"}
    feed.handle("registry.camera.removed.v1", data, START)
    feed.handle("registry.camera.changed.v1", data, START - timedelta(days=1))
    with Session(app.state.engine) as session:
        camera = session.get(Camera, "gate-1")
        assert camera is not None and camera.removed and not camera.is_gate


def test_came_back_before_went_offline_keeps_the_whole_window(
    app: FastAPI, feed: Feed, clock: ManualClock
) -> None:
    start, end = START - timedelta(hours=2), START - timedelta(hours=1)
    feed.back("gate-1", "epe-1", "out-7", start, end)
    feed.outage("gate-1", "epe-1", "out-7", start)  # delivered late
    with Session(app.state.engine) as session:
        outage = session.get(Outage, "out-7")
        assert outage is not None and outage.ended_at == end
        middle = start + timedelta(minutes=30)
        assert blind_cameras(session, epe_id="epe-1", at=middle) == ["gate-1"]
        assert blind_cameras(session, epe_id="epe-1", at=end) == []
        assert blind_cameras(session, epe_id="epe-2", at=middle) == []


def test_warnings_raised_before_the_enterprise_was_known_get_its_unit(
    app: FastAPI, feed: Feed, client: Any, head_headers: dict[str, str]
) -> None:
    entry = {
        "entry_id": "gl-3",
        "incident_id": "inc-3",
        "epe_id": "epe-3",
        "unit": None,
        "plate": "51C-123.45",
        "container_numbers": [],
        "direction": "entry",
        "occurred_at": "2025-01-20T01:30:00+00:00",
        "recorded_at": "2025-01-20T01:35:00+00:00",
    }
    feed.handle("incidents.gate_log.recorded.v1", entry)  # before the registry's event
    assert client.get("/warnings", headers=head_headers).json()["data"] == []
    feed.epe("epe-3", tax_code="0301111111")
    [warning] = client.get("/warnings", headers=head_headers).json()["data"]
    assert (warning["epe_id"], warning["unit"]) == ("epe-3", "CC-HQ-KCX-TANTHUAN")


RACES = {
    # An EPE's registration, while a camera event of the EPE (another consumer) inserts it.
    "enterprise": (
        Enterprise,
        ("registry.epe.registered.v1", {"epe_id": "epe-5", "tax_code": "0305555555"}),
        ("registry.camera.added.v1", {"camera_id": "gate-5", "epe_id": "epe-5"}),
    ),
    # A camera's addition, while its first outage (another consumer) inserts it.
    "camera": (
        Camera,
        ("registry.camera.added.v1", {"camera_id": "gate-6", "epe_id": "epe-1"}),
        (
            "registry.camera.went_offline.v1",
            {"camera_id": "gate-6", "epe_id": "epe-1", "outage_id": "out-6"},
        ),
    ),
}


@pytest.mark.parametrize("race", list(RACES))
def test_a_row_another_consumer_inserts_meanwhile_is_updated_not_inserted_twice(
    app: FastAPI, feed: Feed, race: str
) -> None:
    """Consumers of different subjects write the same projection rows in their own
    transactions: the row another one commits between this handler's read and its insert is
    updated (once a unique violation failed the handler, and the event was redelivered)."""
    model, (mine, data), (theirs, other) = RACES[race]
    engine = app.state.engine
    handlers = app.state.spec.subscriptions
    raced: list[str] = []

    with Session(engine) as session:

        @orm_event.listens_for(session, "do_orm_execute")
        def _meanwhile(state: ORMExecuteState) -> Any:
            if raced or not any(m.class_ is model for m in state.all_mappers):
                return None
            result = state.invoke_statement().freeze()  # the row is not there yet
            with Session(engine) as another:
                started = {"started_at": (START - timedelta(hours=1)).isoformat()}
                handlers[theirs](event(theirs, {**other, **started}, START), another)
                another.commit()
            raced.append(theirs)
            return result()  # a Result again, as read before the other commit

        handlers[mine](event(mine, {**data, "position_kind": "epe_gate"}, START), session)
        session.commit()

    assert raced == [theirs]
    with Session(engine) as session:
        if model is Enterprise:
            enterprise = session.get(Enterprise, "epe-5")
            assert enterprise is not None and enterprise.tax_code == "0305555555"
        else:
            camera = session.get(Camera, "gate-6")
            assert camera is not None and camera.is_gate
            assert session.get(Outage, "out-6") is not None
        assert str(data["epe_id"]) in session.exec(select(ScoreDue.epe_id)).all()
