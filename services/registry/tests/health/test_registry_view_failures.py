"""access.camera_view.unreachable.v1 as camera health: a failed probe observation (offline after
the grace, re-probed at once, cleared by the next ok probe), idempotent, late events ignored."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from devkit.testing.registry import EPE_ID, build_site
from registry.health.detector import Thresholds, run_tick
from registry.health.heartbeats import record_heartbeats
from registry.health.models import CameraHealth, CameraReport, Outage, ReportedStatus
from registry.health.prober import ProbeResult, record_results
from registry.types import table_of
from servicekit.clock import utc_now
from servicekit.events import CloudEvent, PermanentError

EVENT = "access.camera_view.unreachable.v1"
THRESHOLDS = Thresholds(silence=100.0, grace=30.0)
ALL_OK = {"C01": "ok", "C02": "ok", "C03": "ok"}
H = table_of(CameraHealth)


def beat(app, at):
    reports = [CameraReport(camera=n, status=ReportedStatus(s)) for n, s in ALL_OK.items()]
    with app.state.engine.begin() as conn:
        record_heartbeats(conn, epe_id=EPE_ID, reports=reports, now=at, silence=100.0)


def deliver(app, data, event_id=None):
    handler = app.state.spec.subscriptions[EVENT]
    event = CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source="camwatch/access",
        type=EVENT,
        time=datetime.now(UTC),
        data=data,
    )
    with Session(app.state.engine) as session:
        handler(event, session)
        session.commit()


def view_failed(camera_id, at, cause="timeout", epe_id=EPE_ID):
    return {
        "camera_id": camera_id,
        "epe_id": epe_id,
        "unit": "HQ",
        "camera_number": "C01",
        "cause": cause,
        "detail": "no answer within 5 s",
        "observed_at": at.isoformat(),
    }


def health(app, camera_id):
    with app.state.engine.connect() as conn:
        return conn.execute(select(H).where(H.c.camera_id == camera_id)).one()


def cam_id(client, callers, number):
    cams = client.get(f"/epes/{EPE_ID}/cameras", headers=callers.officer()).json()["data"]
    return next(c["id"] for c in cams if c["number"] == number)


def probe_enabled(app, camera_id):
    with app.state.engine.begin() as conn:
        conn.execute(H.update().where(H.c.camera_id == camera_id).values(probe_enabled=True))


def outages(app):
    with Session(app.state.engine) as session:
        return list(session.execute(select(Outage)).scalars())


@pytest.fixture
def site(client, callers, app):
    build_site(client, callers)
    t0 = utc_now() - timedelta(minutes=5)
    beat(app, t0)
    run_tick(app.state.engine, now=t0, thresholds=THRESHOLDS)
    return t0


def test_a_lasting_view_failure_of_a_probed_camera_takes_it_offline(client, callers, app, site):
    t0 = site
    c01 = cam_id(client, callers, "C01")
    probe_enabled(app, c01)
    failed_at = t0 + timedelta(seconds=10)
    deliver(app, view_failed(c01, failed_at), event_id="e1")
    row = health(app, c01)
    assert row.probe_status == "unreachable"
    assert row.probe_detail == "camera view: timeout: no answer within 5 s"
    assert row.probe_fault_since is not None and row.probe_next_at is not None
    assert row.probe_next_at > failed_at  # re-probed at once (the handler's now)
    # a redelivery and a later failure keep the fault's start
    deliver(app, view_failed(c01, failed_at), event_id="e1")
    deliver(app, view_failed(c01, failed_at + timedelta(seconds=20)))
    beat(app, t0 + timedelta(seconds=40))  # the EPE still says ok
    result = run_tick(app.state.engine, now=t0 + timedelta(seconds=41), thresholds=THRESHOLDS)
    assert result.went_offline == [c01]
    (outage,) = outages(app)
    assert outage.cause == "unreachable"
    assert outage.started_at == failed_at


def test_an_ok_probe_clears_a_view_blip(client, callers, app, site):
    t0 = site
    c01 = cam_id(client, callers, "C01")
    probe_enabled(app, c01)
    deliver(app, view_failed(c01, t0 + timedelta(seconds=1)))
    with app.state.engine.begin() as conn:
        conn.execute(H.update().where(H.c.camera_id == c01).values(probe_claimed_by="w"))
    record_results(
        app.state.engine,
        worker="w",
        now=t0 + timedelta(seconds=5),
        results={c01: ProbeResult(True, "ONVIF answered")},
        interval=60,
        retry=10,
    )
    beat(app, t0 + timedelta(seconds=40))
    assert (
        run_tick(
            app.state.engine, now=t0 + timedelta(seconds=41), thresholds=THRESHOLDS
        ).went_offline
        == []
    )
    # the view failure that happened before the ok probe, delivered late, changes nothing
    deliver(app, view_failed(c01, t0 + timedelta(seconds=3)))
    assert health(app, c01).probe_status == "ok"


def test_a_camera_not_probed_records_the_observation_without_a_fault(client, callers, app, site):
    t0 = site
    c02 = cam_id(client, callers, "C02")
    deliver(app, view_failed(c02, t0 + timedelta(seconds=1), cause="connect_error"))
    row = health(app, c02)
    assert row.probe_status == "unreachable" and row.probe_detail.startswith(
        "camera view: connect_error"
    )
    assert row.probe_fault_since is None and row.probe_next_at is None
    beat(app, t0 + timedelta(seconds=60))
    assert (
        run_tick(
            app.state.engine, now=t0 + timedelta(seconds=61), thresholds=THRESHOLDS
        ).went_offline
        == []
    )


def test_refused_unknown_and_foreign_cameras_change_nothing(client, callers, app, site):
    t0 = site
    c01 = cam_id(client, callers, "C01")
    probe_enabled(app, c01)
    deliver(app, view_failed(c01, t0 + timedelta(seconds=1), cause="refused"))
    deliver(app, view_failed(c01, t0 + timedelta(seconds=1), epe_id="EPE-OTHER"))
    deliver(app, view_failed(str(uuid.uuid4()), t0 + timedelta(seconds=1)))
    row = health(app, c01)
    assert row.probe_status is None and row.probe_fault_since is None


@pytest.mark.parametrize(
    "data",
    [
        {"camera_id": "x", "epe_id": EPE_ID, "cause": "timeout"},  # no observed_at
        {"camera_id": "x", "epe_id": EPE_ID, "cause": "timeout", "observed_at": "yesterday"},
        {
            "camera_id": "x",
            "epe_id": EPE_ID,
            "cause": "timeout",
            "observed_at": "2026-01-01T00:00:00",
        },
    ],
)
def test_malformed_events_are_permanent_errors(app, data):
    with pytest.raises(PermanentError):
        deliver(app, data)
