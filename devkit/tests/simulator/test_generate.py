"""The simulator's traffic: replayable from its seed, valid for the risk service's inputs, and
anomalous in the share asked for."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from devkit.simulator.generate import Anomaly, CameraOutages, Generator
from risk.customs.schemas import DeclarationIn, GpsFixIn, ManifestIn, ReleaseIn
from risk.gate.models import GateEventIn
from servicekit.vehicles import normalise_container_number, normalise_plate

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
GATES = {"2310012344": "cam-a", "2310023459": "cam-b"}


def movements(seed: int, count: int, share: float = 0.05) -> list:
    generator = Generator(GATES, seed=seed, anomaly_share=share, salt=7)
    return [generator.movement(NOW) for _ in range(count)]


def test_same_seed_same_traffic_other_seed_other_traffic():
    assert movements(3, 50) == movements(3, 50)
    assert movements(3, 50) != movements(4, 50)


def test_every_record_passes_the_risk_services_checks():
    for movement in movements(5, 200, share=0.5):
        GateEventIn.model_validate(movement.event)
        normalise_plate(movement.event["plate"])
        normalise_container_number(movement.event["container_numbers"][0])
        for record in movement.declarations:
            DeclarationIn.model_validate(record)
        for record in movement.releases:
            ReleaseIn.model_validate(record)
        for record in movement.manifests:
            ManifestIn.model_validate(record)
        for record in movement.gps_fixes:
            GpsFixIn.model_validate(record)


def test_numbers_are_unique_within_a_run():
    numbers = [d["number"] for m in movements(6, 500) for d in m.declarations]
    events = [m.event["event_id"] for m in movements(6, 500)]
    assert len(set(numbers)) == len(numbers)
    assert len(set(events)) == len(events)


@pytest.mark.parametrize("share", [0.0, 0.1, 0.5])
def test_anomaly_share(share):
    sample = movements(8, 2000, share)
    anomalous = [m for m in sample if m.anomaly is not None]
    assert abs(len(anomalous) / len(sample) - share) < 0.03
    for movement in sample:
        if movement.anomaly is Anomaly.UNCLEARED:
            assert movement.declarations == [] and movement.releases == []
        elif movement.anomaly is Anomaly.OTHER_PLATE:
            assert movement.event["plate"] not in movement.declarations[0]["plates"]
        else:
            (declaration,) = movement.declarations
            assert declaration["plates"] == [movement.event["plate"]]
            assert declaration["container_numbers"] == movement.event["container_numbers"]
            assert declaration["epe_tax_code"] == movement.epe_tax_code
            assert movement.event["camera_id"] == GATES[movement.epe_tax_code]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="anomaly_share"):
        Generator(GATES, seed=1, anomaly_share=1.5)
    with pytest.raises(ValueError, match="no gate camera"):
        Generator({}, seed=1)


def test_outages_last_several_heartbeats_and_are_replayable():
    cameras = [f"C{n:02d}" for n in range(1, 51)]

    def history(seed: int) -> list[dict[str, str]]:
        outages = CameraOutages(random.Random(seed), start_share=0.05, length=(4, 12))
        return [outages.statuses(cameras) for _ in range(60)]

    assert history(1) == history(1)
    runs = []
    for camera in cameras:
        states = [beat[camera] for beat in history(1)]
        text = "".join("x" if s == "no_signal" else "." for s in states)
        finished = text.rstrip("x")  # an outage cut by the end of the history is left out
        runs += [len(run) for run in finished.split(".") if run]
    assert runs, "no outage in 3,000 camera heartbeats at 5%"
    assert min(runs) >= 4 and max(runs) <= 24  # 4-12, or two back to back
    quiet = CameraOutages(random.Random(1), start_share=0)
    assert quiet.statuses(cameras) == dict.fromkeys(cameras, "ok")
