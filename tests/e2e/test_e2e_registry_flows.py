"""Issue 4 through the gateway of a real stack: what an EPE's vendor software does with the
registry (areas, cameras, the diagram, coverage, conformity, the logbook, heartbeats), what it
may not do (another EPE's data, editing the logbook), and an officer of the unit reading.

Every request goes to `stack.url` with a real token: the demo vendor and customs-system
clients get theirs by client credentials, the officer signs in with password, TOTP and PKCE.
Each test makes its own areas and cameras (numbers with a random suffix), so nothing depends
on what another test did to the shared demo EPEs.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pypdf import PdfWriter

from devkit.testing.http import PROBLEM_JSON, assert_problem, bearer, poll

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Specs meeting every line of Appendix I (sensor, resolution, HLC, IP67, low light...).
CONFORMING_SPECS: dict[str, Any] = {
    "sensor_format": '1/2.8"',
    "sensor_technology": "CMOS",
    "day_night": True,
    "resolution": "1920x1080",
    "white_balance": True,
    "compression": ["H.265", "H.264"],
    "focal_length_min_mm": 2.8,
    "focal_length_max_mm": 12,
    "panning_angle_deg": 100,
    "frame_rate_fps": 30,
    "network_protocols": ["IPv4", "TCP", "HTTP"],
    "hlc_db": 150,
    "ingress_protection": ["IP67"],
    "max_operating_temperature_c": 60,
    "low_light_color_lux": 0.02,
    "low_light_ir_lux": 0,
    "onvif": True,
    "safety_standards": ["EN 60950-1"],
}


def items(response: httpx.Response) -> list[dict[str, Any]]:
    """The rows of one page of a list answer: `{"data": [...], "next_cursor": ...}`."""
    body = response.json()
    assert set(body) == {"data", "next_cursor"}, body
    rows: list[dict[str, Any]] = body["data"]
    return rows


def a_pdf() -> bytes:
    """A real one-page PDF (the diagram the vendor uploads)."""
    writer = PdfWriter()
    writer.add_blank_page(width=842, height=595)
    writer.add_metadata({"/Title": f"So do camera {uuid.uuid4()}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def vendor(stack, account, machine_token) -> Iterator[httpx.Client]:
    """The demo EPE vendor's software, with a client-credentials token."""
    with httpx.Client(
        base_url=f"{stack.url}/api/registry",
        headers=bearer(machine_token("epe_vendor_1")),
        timeout=30,
    ) as client:
        yield client


@pytest.fixture(scope="module")
def own_epe(account) -> str:
    return account("epe_vendor_1")["epe_id"]


@pytest.fixture(scope="module")
def other_epe(account, own_epe) -> str:
    other = account("epe_vendor_2")["epe_id"]
    assert other != own_epe
    return other


def _camera_state(vendor: httpx.Client, epe: str, camera_id: str) -> str:
    response = vendor.get(f"/epes/{epe}/cameras/{camera_id}")
    assert response.status_code == 200, response.text
    state: str = response.json()["state"]
    return state


def test_vendor_manages_its_own_epe_through_the_gateway(account, vendor, own_epe, demo_epes):
    suffix = uuid.uuid4().hex[:6].upper()

    # Its EPE, as the registry keeps it (the exemption is computed, with its reason).
    epe = vendor.get(f"/epes/{own_epe}")
    assert epe.status_code == 200, epe.text
    assert epe.json()["tax_code"] == demo_epes[own_epe]["tax_code"]
    exemption = epe.json()["exemption"]
    certified = date.fromisoformat(epe.json()["investment_certificate_date"])
    assert certified >= date(2022, 3, 2), "the demo EPE must meet Appendix I"
    assert exemption["category"] == "I.1.3.b"
    assert exemption["exempt"] is False
    assert "I.1.3.b" in exemption["reason"]

    # A gate and its camera; a camera at the EPE's gate must be online (I.1.2.a).
    area = vendor.post(
        f"/epes/{own_epe}/areas",
        json={"code": f"G-{suffix}", "name": f"Cổng phụ {suffix}", "kind": "epe_gate"},
    )
    assert area.status_code == 201, area.text
    area_id = area.json()["id"]
    areas = vendor.get(f"/epes/{own_epe}/areas", params={"limit": 500})
    assert areas.status_code == 200, areas.text
    assert area_id in {a["id"] for a in items(areas)}
    number = f"E2E-{suffix}"
    camera = vendor.post(
        f"/epes/{own_epe}/cameras",
        json={
            "number": number,
            "position_kind": "epe_gate",
            "area_id": area_id,
            "vendor": "Hikvision",
            "model": "DS-2CD2T47G2-L",
            "stream_url": "rtsp://203.0.113.10:554/Streaming/Channels/101",
            "capabilities": {"reads_plates": True, "reads_container_numbers": True},
            "specs": CONFORMING_SPECS,
        },
    )
    assert camera.status_code == 201, camera.text
    camera_id = camera.json()["id"]
    assert camera.json()["must_be_online"] is True
    assert "I.1.2.a" in camera.json()["must_be_online_reason"]
    assert camera.json()["state"] == "unknown"

    # A password in a stream URL is refused, naming the field and not repeating the URL.
    leaky = vendor.post(
        f"/epes/{own_epe}/cameras",
        json={
            "number": f"{number}-X",
            "position_kind": "epe_gate",
            "area_id": area_id,
            "stream_url": "rtsp://admin:hunter2-secret@203.0.113.10:554/101",
        },
    )
    problem = assert_problem(leaky, 422)
    assert any(e["field"] == "body.stream_url" for e in problem["errors"]), problem
    assert "hunter2-secret" not in leaky.text

    # Coverage: the new gate has no online camera until the camera reports.
    coverage = vendor.get(f"/epes/{own_epe}/coverage")
    assert coverage.status_code == 200, coverage.text
    gate_gaps = [g for g in coverage.json()["gaps"] if g["area_id"] == area_id]
    assert [g["kind"] for g in gate_gaps] == ["no_online_camera"], gate_gaps
    assert coverage.json()["complete"] is False

    # A heartbeat batch: the known camera is accepted, an unregistered number is listed.
    stranger = f"NOPE-{suffix}"
    beat = vendor.post(
        f"/epes/{own_epe}/heartbeats",
        json={
            "cameras": [{"camera": number, "status": "ok"}, {"camera": stranger, "status": "ok"}]
        },
    )
    assert beat.status_code == 202, beat.text
    assert beat.json()["accepted"] == 1
    assert beat.json()["unknown_cameras"] == [stranger]
    poll(
        "the camera online after its first ok",
        lambda: _camera_state(vendor, own_epe, camera_id) == "online",
    )
    poll(
        "the gate's coverage gap closed once its camera is online",
        lambda: (
            not [
                g
                for g in vendor.get(f"/epes/{own_epe}/coverage").json()["gaps"]
                if g["area_id"] == area_id
            ]
        ),
    )
    health = vendor.get(f"/epes/{own_epe}/health", params={"state": "online"})
    assert health.status_code == 200, health.text
    mine = [h for h in health.json()["data"] if h["camera_id"] == camera_id]
    assert mine and mine[0]["last_reported_status"] == "ok", health.json()

    # The diagram: a PDF uploaded as a new version and downloaded byte for byte.
    pdf = a_pdf()
    uploaded = vendor.post(
        f"/epes/{own_epe}/diagrams",
        params={"filename": f"so-do-{suffix}.pdf"},
        content=pdf,
        headers={"Content-Type": "application/pdf"},
    )
    assert uploaded.status_code == 201, uploaded.text
    diagram = uploaded.json()
    assert diagram["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert diagram["size"] == len(pdf)
    assert diagram["content_type"] == "application/pdf"
    listed = vendor.get(f"/epes/{own_epe}/diagrams")
    assert listed.status_code == 200, listed.text
    assert items(listed)[0]["version"] == diagram["version"], "newest first"
    for version in (diagram["version"], "latest"):
        content = vendor.get(f"/epes/{own_epe}/diagrams/{version}/content")
        assert content.status_code == 200, content.text
        assert content.headers["content-type"].startswith("application/pdf")
        assert content.content == pdf
        assert diagram["sha256"] in content.headers["etag"]
    mislabelled = vendor.post(
        f"/epes/{own_epe}/diagrams",
        params={"filename": "so-do.png"},
        content=pdf,
        headers={"Content-Type": "image/png"},
    )
    assert_problem(mislabelled, 422)

    # Conformity with Appendix I: one result per line for the camera, all passing.
    conformity = vendor.get(f"/epes/{own_epe}/conformity")
    assert conformity.status_code == 200, conformity.text
    report = conformity.json()
    assert report["status"] != "exempt", report["exemption_reason"]
    lines = next(c for c in report["cameras"] if c["camera_id"] == camera_id)
    assert lines["camera_number"] == number
    assert lines["failed"] == 0 and lines["not_declared"] == 0, lines
    assert lines["passed"] == len(lines["lines"]) >= 15
    by_line = {line["line"]: line for line in lines["lines"]}
    assert {"6a", "6b"} <= set(by_line), sorted(by_line)
    assert all(line["requirement"] and line["result"] == "pass" for line in lines["lines"])

    # The logbook: an entry is written; there is no way to change or delete it.
    written = vendor.post(
        f"/epes/{own_epe}/logbook",
        json={
            "kind": "power_failure",
            "started_at": (datetime.now(VIETNAM) - timedelta(hours=2)).isoformat(),
            "ended_at": (datetime.now(VIETNAM) - timedelta(hours=1)).isoformat(),
            "camera_numbers": [number],
            "positions": "Cổng phụ",
            "description": f"Mất điện lưới khu cổng phụ, camera {number} ngừng ghi hình",
        },
    )
    assert written.status_code == 201, written.text
    entry = written.json()
    assert entry["author"] == account("epe_vendor_1")["client_id"]
    assert entry["recorded_at_local"]
    for method in ("PUT", "PATCH", "DELETE"):
        refused = vendor.request(
            method,
            f"/epes/{own_epe}/logbook/{entry['id']}",
            json={"kind": "other", "description": "rewritten"},
        )
        assert_problem(refused, 405)
        assert refused.headers["allow"] == "GET", method
    kept = vendor.get(f"/epes/{own_epe}/logbook/{entry['id']}")
    assert kept.status_code == 200, kept.text
    assert kept.json()["description"] == entry["description"]
    assert kept.json()["kind"] == "power_failure"
    correction = vendor.post(
        f"/epes/{own_epe}/logbook",
        json={
            "kind": "power_failure",
            "started_at": (datetime.now(VIETNAM) - timedelta(hours=2)).isoformat(),
            "ended_at": (datetime.now(VIETNAM) - timedelta(minutes=30)).isoformat(),
            "camera_numbers": [number],
            "description": "Đính chính: có điện trở lại lúc 30 phút trước",
            "corrects": entry["id"],
        },
    )
    assert correction.status_code == 201, correction.text
    assert correction.json()["corrects"] == entry["id"]
    corrected = vendor.get(f"/epes/{own_epe}/logbook/{entry['id']}")
    assert corrected.json()["corrected_by"] == [correction.json()["id"]]
    assert corrected.json()["description"] == entry["description"], "the original stays"

    # Retired, the camera keeps its logbook but stops counting (and cannot go silent later).
    removed = vendor.delete(f"/epes/{own_epe}/cameras/{camera_id}")
    assert removed.status_code == 204, removed.text
    assert vendor.get(f"/epes/{own_epe}/logbook/{entry['id']}").status_code == 200


def test_another_epes_data_is_refused(vendor, own_epe, other_epe, demo_epes):
    other_name = demo_epes[other_epe]["name"]
    reads = (
        f"/epes/{other_epe}",
        f"/epes/{other_epe}/areas",
        f"/epes/{other_epe}/cameras",
        f"/epes/{other_epe}/coverage",
        f"/epes/{other_epe}/conformity",
        f"/epes/{other_epe}/diagrams",
        f"/epes/{other_epe}/logbook",
        f"/epes/{other_epe}/health",
        f"/epes/{other_epe}/outages",
    )
    for path in reads:
        response = vendor.get(path)
        assert_problem(response, 403)
        assert other_name not in response.text, path
    writes = (
        (f"/epes/{other_epe}/areas", {"code": "GX", "name": "Cổng", "kind": "epe_gate"}),
        (f"/epes/{other_epe}/heartbeats", {"cameras": [{"camera": "C01", "status": "ok"}]}),
        (
            f"/epes/{other_epe}/logbook",
            {
                "kind": "other",
                "started_at": datetime.now(VIETNAM).isoformat(),
                "description": "not mine to write",
            },
        ),
    )
    for path, body in writes:
        assert_problem(vendor.post(path, json=body), 403)
    upload = vendor.post(
        f"/epes/{other_epe}/diagrams",
        params={"filename": "so-do.pdf"},
        content=a_pdf(),
        headers={"Content-Type": "application/pdf"},
    )
    assert upload.status_code in (403, 404), upload.text
    assert upload.headers["content-type"].startswith(PROBLEM_JSON)
    # An EPE that does not exist answers the same as one that does: no probing.
    unknown = vendor.get(f"/epes/EPE-NOT-{uuid.uuid4().hex[:8]}")
    assert_problem(unknown, 403)
    # Its own list shows only itself.
    listed = vendor.get("/epes")
    assert listed.status_code == 200, listed.text
    assert [e["id"] for e in listed.json()["data"]] == [own_epe]


def test_an_officer_of_the_unit_reads_the_epes(
    stack, account, officer_session, vendor, own_epe, demo_epes
):
    officer = account("officer")
    signed_in = officer_session("officer")
    with httpx.Client(base_url=f"{stack.url}/api/registry", timeout=30) as api:
        listed = api.get("/epes", headers=signed_in.headers(), params={"limit": 100})
        assert listed.status_code == 200, listed.text
        page = listed.json()
        assert "next_cursor" in page
        seen = {e["id"]: e for e in page["data"]}
        unit_epes = {i for i, e in demo_epes.items() if e["unit"] == officer["unit"]}
        assert unit_epes and unit_epes <= set(seen), (unit_epes, sorted(seen))
        assert all(e["unit"] == officer["unit"] for e in seen.values())
        assert seen[own_epe]["name"] == demo_epes[own_epe]["name"]

        # The vendor's logbook entry is there for the officer, filtered by kind and camera.
        suffix = uuid.uuid4().hex[:6].upper()
        number = "C03"  # a camera of the demo seed
        written = vendor.post(
            f"/epes/{own_epe}/logbook",
            json={
                "kind": "repair",
                "started_at": (datetime.now(VIETNAM) - timedelta(hours=1)).isoformat(),
                "camera_numbers": [number],
                "description": f"Thay nguồn PoE camera {number} ({suffix})",
            },
        )
        assert written.status_code == 201, written.text
        entries = api.get(
            f"/epes/{own_epe}/logbook",
            headers=signed_in.headers(),
            params={"kind": "repair", "camera": number},
        )
        assert entries.status_code == 200, entries.text
        found = entries.json()["data"]
        assert written.json()["id"] in {e["id"] for e in found}
        assert all(e["kind"] == "repair" and number in e["camera_numbers"] for e in found)
        other_kind = api.get(
            f"/epes/{own_epe}/logbook",
            headers=signed_in.headers(),
            params={"kind": "maintenance", "camera": number},
        )
        assert written.json()["id"] not in {e["id"] for e in other_kind.json()["data"]}

        # Officers read; they do not declare the EPE's cameras.
        refused = api.post(
            f"/epes/{own_epe}/areas",
            headers=signed_in.headers(),
            json={"code": f"O-{suffix}", "name": "Cổng", "kind": "epe_gate"},
        )
        assert_problem(refused, 403)
