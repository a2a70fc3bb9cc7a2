"""Live camera health: heartbeats, offline after silence or a lasting fault, blips ignored,
outage windows, maintenance windows (planned, overrun), uptime, and two detector replicas."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session

from devkit.testing.registry import EPE_ID, build_site, outbox, validate_payloads
from registry.health.detector import Thresholds, run_tick
from registry.health.heartbeats import record_heartbeats
from registry.health.models import CameraHealth, CameraReport, Outage, ReportedStatus
from registry.health.prober import ProbeResult
from registry.settings import Settings
from servicekit.clock import utc_now

SILENCE, GRACE = 100.0, 30.0
THRESHOLDS = Thresholds(silence=SILENCE, grace=GRACE, batch=2)  # tiny batches: loops are tested


def beat(app, statuses, at, epe_id=EPE_ID):
    reports = [CameraReport(camera=n, status=ReportedStatus(s)) for n, s in statuses.items()]
    with app.state.engine.begin() as conn:
        return record_heartbeats(conn, epe_id=epe_id, reports=reports, now=at, silence=SILENCE)


def tick(app, at):
    return run_tick(app.state.engine, now=at, thresholds=THRESHOLDS)


def outages(app):
    with Session(app.state.engine) as session:
        return list(session.execute(select(Outage).order_by(Outage.started_at)).scalars())


def states(client, callers):
    rows = client.get(f"/epes/{EPE_ID}/health", headers=callers.officer()).json()["data"]
    return {r["camera_number"]: (r["state"], r["offline_cause"]) for r in rows}


ALL_OK = {"C01": "ok", "C02": "ok", "C03": "ok"}


def test_heartbeat_route(client, callers, app):
    build_site(client, callers)
    url = f"/epes/{EPE_ID}/heartbeats"
    body = {
        "cameras": [
            {"camera": "C01", "status": "ok"},
            {"camera": "C02", "status": "no_signal"},
            {"camera": "C77", "status": "ok"},
        ]
    }
    r = client.post(url, json=body, headers=callers.epe())
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == 2 and r.json()["unknown_cameras"] == ["C77"]
    assert client.post(url, json=body, headers=callers.officer()).status_code == 403
    assert client.post(url, json=body, headers=callers.system()).status_code == 403
    assert client.post(url, json=body, headers=callers.epe("other")).status_code == 403
    bad = client.post(
        url, json={"cameras": [{"camera": "C01", "status": "melted"}]}, headers=callers.epe()
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.cameras.0.status"
    assert client.post(url, json={"cameras": []}, headers=callers.epe()).status_code == 422
    # heartbeats never produce events by themselves
    assert outbox(app, "registry.camera.went_offline.v1") == []


def test_heartbeat_batch_limit(database, tokens):
    from fastapi.testclient import TestClient

    from devkit.testing.registry import Callers, registry_settings
    from registry.main import create_app
    from registry.models import metadata

    app = create_app(
        registry_settings(database, heartbeat_max_batch=2), token_verifier=tokens.verifier()
    )
    metadata.create_all(app.state.engine)
    callers = Callers(tokens)
    with TestClient(app) as client:
        build_site(client, callers)
        body = {"cameras": [{"camera": n, "status": "ok"} for n in ("C01", "C02", "C03")]}
        r = client.post(f"/epes/{EPE_ID}/heartbeats", json=body, headers=callers.epe())
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.cameras"
    app.state.engine.dispose()


def test_first_ok_makes_cameras_online_and_closes_gaps(client, callers, app):
    build_site(client, callers)
    t0 = utc_now()
    beat(app, ALL_OK, t0)
    result = tick(app, t0 + timedelta(seconds=1))
    assert len(result.first_seen) == 3 and not result.went_offline
    assert states(client, callers) == {n: ("online", None) for n in ALL_OK}
    report = client.get(f"/epes/{EPE_ID}/coverage", headers=callers.officer()).json()
    assert report["complete"] is True
    closed = outbox(app, "registry.coverage_gap.closed.v1")
    assert {e["data"]["kind"] for e in closed} >= {"no_online_camera"}
    assert outbox(app, "registry.camera.came_back.v1") == []


def test_silence_then_offline_then_back(client, callers, app):
    build_site(client, callers)
    t0 = utc_now()
    beat(app, ALL_OK, t0)
    tick(app, t0)
    beat(app, {"C01": "ok", "C02": "ok"}, t0 + timedelta(seconds=60))  # C03 falls silent
    assert not tick(app, t0 + timedelta(seconds=SILENCE - 1)).went_offline
    result = tick(app, t0 + timedelta(seconds=SILENCE + 1))
    assert result.went_offline == [cam_id(client, callers, "C03")]
    assert states(client, callers)["C03"] == ("offline", "no_heartbeat")
    [event] = outbox(app, "registry.camera.went_offline.v1")
    data = event["data"]
    assert data["camera_number"] == "C03" and data["must_be_online"] is True
    assert data["cause"] == "no_heartbeat" and data["planned"] is False
    assert data["position_kind"] == "storage_area_gate" and data["unit"] == "CC-KCX-TANTHUAN"
    assert datetime.fromisoformat(data["started_at"]) == t0  # last sign of life
    # the storage-area gate has no online camera any more: a coverage gap opens
    found = outbox(app, "registry.coverage_gap.found.v1")
    assert any(
        e["data"]["area_code"] == "K1-C" and e["data"]["kind"] == "no_online_camera" for e in found
    )
    # the same silence does not produce a second transition
    assert not tick(app, t0 + timedelta(seconds=SILENCE + 30)).went_offline
    back_at = t0 + timedelta(seconds=150)
    beat(app, ALL_OK, back_at)
    assert tick(app, back_at + timedelta(seconds=2)).came_back == [cam_id(client, callers, "C03")]
    [outage] = outages(app)
    assert outage.started_at == t0 and outage.ended_at == back_at and outage.cause == "no_heartbeat"
    [back] = outbox(app, "registry.camera.came_back.v1")
    assert back["data"]["duration_seconds"] == 150.0 and back["data"]["outage_id"] == outage.id
    assert validate_payloads(app) > 0


def test_blip_shorter_than_grace_is_ignored(client, callers, app):
    build_site(client, callers)
    t0 = utc_now()
    beat(app, ALL_OK, t0)
    tick(app, t0)
    beat(app, {"C02": "frozen_image"}, t0 + timedelta(seconds=5))
    assert not tick(app, t0 + timedelta(seconds=20)).went_offline
    beat(app, {"C02": "ok"}, t0 + timedelta(seconds=20))  # back within the 30 s grace
    assert not tick(app, t0 + timedelta(seconds=60)).went_offline
    assert outages(app) == [] and outbox(app, "registry.camera.went_offline.v1") == []


def test_fault_lasting_past_grace_goes_offline_from_its_start(client, callers, app):
    build_site(client, callers)
    t0 = utc_now()
    beat(app, ALL_OK, t0)
    tick(app, t0)
    fault_at = t0 + timedelta(seconds=10)
    beat(app, {"C01": "no_recording"}, fault_at)
    beat(app, {"C01": "no_signal"}, fault_at + timedelta(seconds=15))  # still faulty
    assert not tick(app, fault_at + timedelta(seconds=GRACE - 1)).went_offline
    assert tick(app, fault_at + timedelta(seconds=GRACE)).went_offline
    [outage] = outages(app)
    assert outage.started_at == fault_at and outage.cause == "no_signal"
    assert states(client, callers)["C01"] == ("offline", "no_signal")
    beat(app, ALL_OK, fault_at + timedelta(seconds=120))
    tick(app, fault_at + timedelta(seconds=121))
    assert outages(app)[0].ended_at == fault_at + timedelta(seconds=120)


def test_probe_failure_counts_even_when_the_epe_says_ok(client, callers, app):
    from registry.health.models import CameraHealth
    from registry.health.prober import ProbeResult, record_results
    from registry.types import table_of

    build_site(client, callers)
    t0 = utc_now()
    beat(app, ALL_OK, t0)
    tick(app, t0)
    c01 = cam_id(client, callers, "C01")
    health = table_of(CameraHealth)
    with app.state.engine.begin() as conn:
        conn.execute(
            health.update()
            .where(health.c.camera_id == c01)
            .values(probe_enabled=True, probe_claimed_by="w")
        )
    record_results(
        app.state.engine,
        worker="w",
        now=t0 + timedelta(seconds=1),
        results={c01: ProbeResult(False, "RTSP: ConnectionRefusedError")},
        interval=60,
        retry=10,
    )
    beat(app, ALL_OK, t0 + timedelta(seconds=30))
    assert tick(app, t0 + timedelta(seconds=31)).went_offline == [c01]
    assert outages(app)[0].cause == "unreachable"


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        ("9999-12-31T20:00:00+07:00", "9999-12-31T23:59:59-01:00", "body.starts_at"),
        ("+2y", "+2y1h", "body.starts_at"),  # beyond the one-year horizon
        ("+1h", "+32d", "body.ends_at"),  # longer than the longest window
        ("+1h", "9999-12-31T23:59:59-01:00", "body.ends_at"),
    ],
)
def test_maintenance_windows_stay_within_the_horizon(client, callers, starts_at, ends_at, field):
    build_site(client, callers)
    now = utc_now()
    relative = {
        "+1h": now + timedelta(hours=1),
        "+32d": now + timedelta(days=32),
        "+2y": now + timedelta(days=730),
        "+2y1h": now + timedelta(days=730, hours=1),
    }

    def when(text: str) -> str:
        return relative[text].isoformat() if text in relative else text

    r = client.post(
        f"/epes/{EPE_ID}/maintenance",
        json={"starts_at": when(starts_at), "ends_at": when(ends_at), "reason": "Bảo trì"},
        headers=callers.epe(),
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field


def test_maintenance_limits_are_settings():
    settings = Settings(maintenance_max_ahead="P30D", maintenance_max_duration="PT12H")
    assert settings.maintenance_max_ahead == timedelta(days=30)
    assert settings.maintenance_max_duration == timedelta(hours=12)
    with pytest.raises(ValidationError):
        Settings(maintenance_max_duration="PT0S")


def test_maintenance_window_marks_outage_planned_and_overrun_splits_it(client, callers, app):
    build_site(client, callers)
    start = utc_now() + timedelta(hours=1)
    window = client.post(
        f"/epes/{EPE_ID}/maintenance",
        json={
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            "camera_numbers": ["C02"],
            "reason": "Thay ổ cứng đầu ghi",
        },
        headers=callers.epe(),
    )
    assert window.status_code == 201, window.text
    # declared after the fact: refused
    late = client.post(
        f"/epes/{EPE_ID}/maintenance",
        json={
            "starts_at": (utc_now() - timedelta(minutes=5)).isoformat(),
            "ends_at": start.isoformat(),
            "reason": "x",
        },
        headers=callers.epe(),
    )
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "body.starts_at"
    assert client.post(
        f"/epes/{EPE_ID}/maintenance", json=window.json() | {}, headers=callers.officer()
    ).status_code in (403, 422)
    beat(app, ALL_OK, start - timedelta(seconds=50))
    tick(app, start - timedelta(seconds=50))
    off = start + timedelta(minutes=5)
    beat(app, {"C01": "ok", "C02": "no_signal", "C03": "no_signal"}, off)
    tick(app, off + timedelta(seconds=GRACE))
    planned = {o.cause and o.camera_id: o for o in outages(app)}
    c02, c03 = cam_id(client, callers, "C02"), cam_id(client, callers, "C03")
    assert (
        planned[c02].planned is True and planned[c02].maintenance_window_id == window.json()["id"]
    )
    assert planned[c03].planned is False  # not in the window's camera list
    events = {
        e["data"]["camera_number"]: e["data"]
        for e in outbox(app, "registry.camera.went_offline.v1")
    }
    assert events["C02"]["planned"] is True and events["C03"]["planned"] is False
    # keep both cameras reporting the fault; the window ends with C02 still down
    end = start + timedelta(hours=1)
    beat(app, {"C01": "ok", "C02": "no_signal", "C03": "no_signal"}, end - timedelta(seconds=10))
    result = tick(app, end + timedelta(seconds=1))
    assert result.overran == [c02]
    rows = [o for o in outages(app) if o.camera_id == c02]
    assert rows[0].ended_at == end and rows[0].planned is True
    assert (
        rows[1].started_at == end
        and rows[1].planned is False
        and rows[1].cause == "maintenance_overran"
    )
    overrun = [
        e
        for e in outbox(app, "registry.camera.went_offline.v1")
        if e["data"]["cause"] == "maintenance_overran"
    ]
    assert len(overrun) == 1 and overrun[0]["data"]["planned"] is False
    assert tick(app, end + timedelta(seconds=2)).overran == []  # once only
    validate_payloads(app)


def test_uptime_over_a_period(client, callers, app):
    build_site(client, callers)
    from registry.cameras.models import Camera
    from registry.health.models import Outage as O

    now = utc_now()
    base = (now - timedelta(hours=10)).replace(microsecond=0)
    c02 = cam_id(client, callers, "C02")
    with Session(app.state.engine) as session:
        for cam in session.execute(select(Camera)).scalars():
            cam.monitored_since = base
            session.add(cam)
        session.add(
            O(
                id="o1",
                camera_id=c02,
                epe_id=EPE_ID,
                started_at=base + timedelta(hours=1),
                ended_at=base + timedelta(hours=2),
                detected_at=base,
                cause="no_signal",
                planned=False,
            )
        )
        session.add(
            O(
                id="o2",
                camera_id=c02,
                epe_id=EPE_ID,
                started_at=base + timedelta(hours=3),
                ended_at=base + timedelta(hours=3, minutes=30),
                detected_at=base,
                cause="no_heartbeat",
                planned=True,
            )
        )
        session.commit()
    params = {"from": base.isoformat(), "to": (base + timedelta(hours=4)).isoformat()}
    r = client.get(f"/epes/{EPE_ID}/cameras/{c02}/uptime", params=params, headers=callers.officer())
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["monitored_seconds"] == 4 * 3600
    assert u["unplanned_down_seconds"] == 3600 and u["planned_down_seconds"] == 1800
    assert u["availability"] == 1 - 5400 / 14400
    assert u["availability_excluding_planned"] == 1 - 3600 / (14400 - 1800)
    assert u["outages"] == 2
    # a period cutting the first outage in half
    half = {
        "from": (base + timedelta(minutes=90)).isoformat(),
        "to": (base + timedelta(hours=2, minutes=30)).isoformat(),
    }
    u = client.get(
        f"/epes/{EPE_ID}/cameras/{c02}/uptime", params=half, headers=callers.officer()
    ).json()
    assert u["unplanned_down_seconds"] == 1800 and u["outages"] == 1
    e = client.get(f"/epes/{EPE_ID}/uptime", params=params, headers=callers.officer()).json()
    assert (
        e["monitored_seconds"] == 3 * 4 * 3600
        and e["down_seconds"] == 5400
        and len(e["cameras"]) == 3
    )
    bad = client.get(
        f"/epes/{EPE_ID}/uptime",
        params={"from": params["to"], "to": params["from"]},
        headers=callers.officer(),
    )
    assert bad.status_code == 422
    assert (
        client.get(
            f"/epes/{EPE_ID}/uptime", params=params, headers=callers.officer("CC-X")
        ).status_code
        == 403
    )
    listed = client.get(f"/epes/{EPE_ID}/outages?planned=true", headers=callers.officer()).json()[
        "data"
    ]
    assert [o["id"] for o in listed] == ["o2"] and listed[0]["camera_number"] == "C02"


def test_two_detector_replicas_make_each_transition_once(client, callers, app):
    build_site(client, callers)
    t0 = utc_now()
    beat(app, ALL_OK, t0)
    tick(app, t0)
    later = t0 + timedelta(seconds=SILENCE + 5)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def replica():
        try:
            barrier.wait()
            results.append(run_tick(app.state.engine, now=later, thresholds=THRESHOLDS))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    went = sorted(c for r in results for c in r.went_offline)
    assert len(went) == 3 and len(set(went)) == 3
    assert len(outages(app)) == 3
    assert len(outbox(app, "registry.camera.went_offline.v1")) == 3


def cam_id(client, callers, number):
    cams = client.get(f"/epes/{EPE_ID}/cameras", headers=callers.officer()).json()["data"]
    return next(c["id"] for c in cams if c["number"] == number)


def test_times_are_utc():
    assert utc_now().tzinfo is UTC


def test_oversized_heartbeat_bodies_are_refused_early(client, callers, app):
    build_site(client, callers)
    url = f"/epes/{EPE_ID}/heartbeats"
    limit = app.state.settings.heartbeat_max_batch * 128
    padding = b" " * (limit + 1)
    headers = {**callers.epe(), "content-type": "application/json"}
    declared = client.post(url, content=b'{"cameras": []}' + padding, headers=headers)
    assert declared.status_code == 413, declared.text
    assert declared.headers["content-type"] == "application/problem+json"

    def chunked():
        yield b'{"cameras": ['
        for _ in range(limit // 40_000 + 1):
            yield b'{"camera": "C01", "status": "ok"},' * 1_200

    streamed = client.post(url, content=chunked(), headers=headers)
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413, streamed.text
    # a full batch of the largest size the route accepts still goes through to validation
    full = {"cameras": [{"camera": "C" * 32, "status": "no_recording"}] * (limit // 128)}
    response = client.post(url, json=full, headers=callers.epe())
    assert response.status_code == 202, response.text[:300]


def probed(app, camera_id, result, at):
    """Record one probe result for a camera the prober claimed at `at`."""
    from registry.health.prober import record_results
    from registry.types import table_of

    health = table_of(CameraHealth)
    with app.state.engine.begin() as conn:
        conn.execute(
            health.update()
            .where(health.c.camera_id == camera_id)
            .values(probe_enabled=True, probe_claimed_by="w")
        )
    record_results(
        app.state.engine, worker="w", now=at, results={camera_id: result}, interval=60, retry=10
    )


REFUSED = ProbeResult(
    False, "refused by the probe network policy: 10.0.0.5 is not in an allowed network", True
)


def test_a_refused_probe_is_a_state_of_its_own(client, callers, app):
    # C01 is watched by probes only (no heartbeats): it goes offline by the probe, then the
    # policy refuses its probes. Nothing tells it came back, so its outage stays open, but it
    # is no longer "offline" either: customs cannot observe it.
    build_site(client, callers)
    c01 = cam_id(client, callers, "C01")
    t0 = utc_now()
    probed(app, c01, ProbeResult(False, "ONVIF: ConnectError"), t0)
    assert tick(app, t0 + timedelta(seconds=GRACE + 1)).went_offline == [c01]
    [outage] = outages(app)
    probed(app, c01, REFUSED, t0 + timedelta(seconds=60))
    tick(app, t0 + timedelta(seconds=61))
    assert states(client, callers)["C01"] == ("probe_refused", None)
    health = client.get(f"/epes/{EPE_ID}/health", headers=callers.officer()).json()["data"]
    row = next(r for r in health if r["camera_number"] == "C01")
    assert row["last_probe_status"] == "refused" and "not in an allowed" in row["last_probe_detail"]
    [refused] = outbox(app, "registry.camera.probe_refused.v1")
    assert refused["data"]["camera_id"] == c01 and refused["data"]["outage_id"] == outage.id
    assert "not in an allowed network" in refused["data"]["reason"]
    assert outages(app)[0].ended_at is None  # still down as far as anyone knows
    assert validate_payloads(app) > 0
    # the policy allows it again and it answers: the outage ends, with its came_back event
    back_at = t0 + timedelta(seconds=120)
    probed(app, c01, ProbeResult(True, "ONVIF GetSystemDateAndTime answered"), back_at)
    assert tick(app, back_at + timedelta(seconds=1)).came_back == [c01]
    assert states(client, callers)["C01"] == ("online", None)
    assert outages(app)[0].ended_at == back_at
    assert len(outbox(app, "registry.camera.came_back.v1")) == 1


def test_an_online_camera_whose_probes_are_refused_is_not_offline(client, callers, app):
    build_site(client, callers)
    c02 = cam_id(client, callers, "C02")
    t0 = utc_now()
    probed(app, c02, ProbeResult(True, "RTSP OPTIONS 200"), t0)
    assert tick(app, t0 + timedelta(seconds=1)).first_seen == [c02]
    probed(app, c02, REFUSED, t0 + timedelta(seconds=60))
    tick(app, t0 + timedelta(seconds=61))
    assert states(client, callers)["C02"] == ("probe_refused", None)
    [refused] = outbox(app, "registry.camera.probe_refused.v1")
    assert refused["data"]["outage_id"] is None
    assert outages(app) == []
    # probes fail once allowed again: offline (a new outage), not stuck as refused
    failed_at = t0 + timedelta(seconds=120)
    probed(app, c02, ProbeResult(False, "RTSP: ConnectionRefusedError"), failed_at)
    assert tick(app, failed_at + timedelta(seconds=GRACE + 1)).went_offline == [c02]
    assert [o.cause for o in outages(app)] == ["unreachable"]


def test_a_camera_with_heartbeats_is_judged_by_them_when_probes_are_refused(client, callers, app):
    build_site(client, callers)
    c03 = cam_id(client, callers, "C03")
    t0 = utc_now()
    beat(app, ALL_OK, t0)
    tick(app, t0)
    probed(app, c03, REFUSED, t0 + timedelta(seconds=1))
    beat(app, ALL_OK, t0 + timedelta(seconds=30))
    tick(app, t0 + timedelta(seconds=31))
    assert states(client, callers)["C03"] == ("online", None)
    assert outbox(app, "registry.camera.probe_refused.v1") == []
