"""Conformity with Appendix I: one result per line, declarations and customs' review."""

import pytest

from devkit.testing.registry import EPE_ID, GOOD_SPECS, assign, build_site, epe_body
from registry.conformity.models import LineResult
from registry.conformity.requirements import APPENDIX_I, check_specs

LINES = ["1", "2", "3", "4", "5", "6a", "6b", "7", "8", "9", "10", "11", "12", "13", "14", "15"]


def results(specs):
    return {r.line: (r.result, r.declared) for r in check_specs(specs)}


def test_one_result_per_appendix_line_with_requirement_text():
    out = check_specs(GOOD_SPECS)
    assert [r.line for r in out] == LINES == [r.line for r in APPENDIX_I]
    assert all(r.result is LineResult.PASS for r in out), [
        r for r in out if r.result is not LineResult.PASS
    ]
    assert out[0].requirement == '1/2.8", CMOS or CCD technology'
    assert out[0].declared == '1/2.8" CMOS'


def test_nothing_declared_is_not_declared_not_fail():
    assert {r for r, _ in results({}).values()} == {LineResult.NOT_DECLARED}


@pytest.mark.parametrize(
    ("change", "line", "expected"),
    [
        ({"sensor_format": '1/3"'}, "1", LineResult.FAIL),
        ({"sensor_format": '1/1.8"'}, "1", LineResult.PASS),  # larger sensor
        ({"sensor_technology": "NMOS"}, "1", LineResult.FAIL),
        ({"day_night": False}, "2", LineResult.FAIL),
        ({"resolution": "1280x720"}, "3", LineResult.FAIL),
        ({"resolution": "2560x1440", "hlc_db": 120}, "3", LineResult.PASS),
        ({"compression": ["MPEG-4"]}, "5", LineResult.FAIL),
        ({"compression": ["mjpeg"]}, "5", LineResult.PASS),
        ({"focal_length_min_mm": 4}, "6a", LineResult.FAIL),
        ({"focal_length_max_mm": 8}, "6b", LineResult.FAIL),
        ({"panning_angle_deg": 30}, "7", LineResult.FAIL),
        ({"frame_rate_fps": 25}, "8", LineResult.FAIL),
        ({"network_protocols": ["RTSP"]}, "9", LineResult.FAIL),
        ({"hlc_db": 130}, "10", LineResult.FAIL),
        ({"hlc_db": 125, "hlc_resolution": "2560x1440"}, "10", LineResult.PASS),
        ({"hlc_db": 125, "hlc_resolution": "1920x1080"}, "10", LineResult.FAIL),
        ({"ingress_protection": ["IP66"]}, "11", LineResult.FAIL),
        ({"ingress_protection": ["IP68"]}, "11", LineResult.PASS),
        ({"max_operating_temperature_c": 50}, "12", LineResult.FAIL),
        ({"low_light_color_lux": 0.05}, "13", LineResult.FAIL),
        ({"low_light_ir_lux": 0.01}, "13", LineResult.FAIL),
        ({"low_light_ir_lux": None}, "13", LineResult.NOT_DECLARED),
        ({"onvif": False}, "14", LineResult.FAIL),
        ({"safety_standards": ["IEC 62368-1"]}, "15", LineResult.FAIL),
        ({"safety_standards": ["CAN/CSA-C22.2 No.60950-1-07"]}, "15", LineResult.PASS),
    ],
)
def test_each_line(change, line, expected):
    specs = {k: v for k, v in {**GOOD_SPECS, **change}.items() if v is not None}
    assert results(specs)[line][0] is expected


def test_declared_value_is_shown():
    assert results({**GOOD_SPECS, "hlc_db": 130})["10"] == (LineResult.FAIL, "130 dB at 1920x1080")
    assert results({**GOOD_SPECS, "frame_rate_fps": 25})["8"] == (LineResult.FAIL, "25 fps")


def test_check_route_stores_nothing(client, callers):
    r = client.post("/conformity/check", json={"frame_rate_fps": 25}, headers=callers.epe())
    assert r.status_code == 200
    lines = {x["line"]: x["result"] for x in r.json()}
    assert lines["8"] == "fail" and lines["1"] == "not_declared"


def test_exempt_epe_shows_exempt_with_the_reason(client, callers):
    client.post(
        "/epes", json=epe_body(investment_certificate_date="2019-06-01"), headers=callers.epe()
    )
    report = client.get(f"/epes/{EPE_ID}/conformity", headers=callers.officer()).json()
    assert report["status"] == "exempt"
    assert (
        report["exemption_category"] == "I.1.3.a"
        and "before Decree 18/2021" in report["exemption_reason"]
    )
    r = client.post(
        f"/epes/{EPE_ID}/conformity/declarations",
        json={"statement": "x", "signed_by": "y"},
        headers=callers.epe(),
    )
    assert r.status_code == 409


def declare(client, callers):
    return client.post(
        f"/epes/{EPE_ID}/conformity/declarations",
        json={
            "statement": "Hệ thống camera đáp ứng Phụ lục I",
            "signed_by": "Trần Thị Mai",
            "documents": [{"title": "Datasheet DS-2CD2T47G2", "reference": "HS-01"}],
        },
        headers=callers.epe(),
    )


def test_declare_then_confirm_by_head(client, callers):
    build_site(client, callers)
    report = client.get(f"/epes/{EPE_ID}/conformity", headers=callers.officer()).json()
    assert report["status"] == "not_declared" and len(report["cameras"]) == 3
    assert report["cameras"][0]["passed"] == 16
    d = declare(client, callers)
    assert d.status_code == 201, d.text
    assert (
        client.get(f"/epes/{EPE_ID}/conformity", headers=callers.epe()).json()["status"]
        == "declared"
    )
    body = {"declaration_id": d.json()["id"], "decision": "confirmed"}
    url = f"/epes/{EPE_ID}/conformity/reviews"
    assert client.post(url, json=body, headers=callers.epe()).status_code == 403
    assert client.post(url, json=body, headers=callers.auditor()).status_code == 403
    assert client.post(url, json=body, headers=callers.head("CC-OTHER")).status_code == 403
    r = client.post(url, json=body, headers=callers.head())
    assert r.status_code == 201 and r.json()["reviewer_role"] == "head_of_subdepartment"
    assert client.post(url, json=body, headers=callers.head()).status_code == 409
    assert (
        client.get(f"/epes/{EPE_ID}/conformity", headers=callers.officer()).json()["status"]
        == "confirmed"
    )


def test_rejection_needs_reasons_and_failing_specs_cannot_be_confirmed(client, callers, app):
    site = build_site(client, callers)
    assign(app, officer="officer-an")
    client.patch(
        f"/epes/{EPE_ID}/cameras/{site.cameras['C02']['id']}",
        json={"specs": {**GOOD_SPECS, "frame_rate_fps": 15}},
        headers=callers.epe(),
    )
    d = declare(client, callers).json()
    url = f"/epes/{EPE_ID}/conformity/reviews"
    r = client.post(
        url, json={"declaration_id": d["id"], "decision": "confirmed"}, headers=callers.officer()
    )
    assert r.status_code == 409 and "C02" in r.json()["detail"]
    r = client.post(
        url, json={"declaration_id": d["id"], "decision": "rejected"}, headers=callers.officer()
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.reasons"
    r = client.post(
        url,
        json={
            "declaration_id": d["id"],
            "decision": "rejected",
            "reasons": ["Camera C02 chỉ đạt 15 fps (yêu cầu 30 fps)"],
        },
        headers=callers.officer(),
    )
    assert r.status_code == 201 and r.json()["reviewer_role"] == "supervisory_officer"
    report = client.get(f"/epes/{EPE_ID}/conformity", headers=callers.epe()).json()
    assert report["status"] == "rejected" and report["review"]["reasons"][0].startswith(
        "Camera C02"
    )


def test_camera_change_makes_the_declaration_outdated(client, callers):
    site = build_site(client, callers)
    declare(client, callers)
    client.patch(
        f"/epes/{EPE_ID}/cameras/{site.cameras['C01']['id']}",
        json={"specs": {**GOOD_SPECS, "panning_angle_deg": 90}},
        headers=callers.epe(),
    )
    assert (
        client.get(f"/epes/{EPE_ID}/conformity", headers=callers.officer()).json()["status"]
        == "outdated"
    )


def test_only_assigned_officers_review(client, callers, app):
    build_site(client, callers)
    d = declare(client, callers).json()
    url = f"/epes/{EPE_ID}/conformity/reviews"
    body = {"declaration_id": d["id"], "decision": "rejected", "reasons": ["Thiếu tài liệu"]}
    # not assigned (yet): refused
    assert client.post(url, json=body, headers=callers.officer()).status_code == 403
    # assigned to another EPE: still refused
    assign(app, officer="officer-an", epe_id="epe-other", assignment_id="asg-0")
    assert client.post(url, json=body, headers=callers.officer()).status_code == 403
    assign(app, officer="officer-an", assignment_id="asg-1")
    # a redelivered or stale event changes nothing; a later "ended" does
    from datetime import UTC, datetime, timedelta

    assign(
        app,
        officer="officer-an",
        assignment_id="asg-1",
        change="ended",
        at=datetime.now(UTC) - timedelta(days=1),
    )
    other_officer = callers.officer(subject="officer-ba")
    assert client.post(url, json=body, headers=other_officer).status_code == 403
    r = client.post(url, json=body, headers=callers.officer())
    assert r.status_code == 201, r.text
    assign(app, officer="officer-an", assignment_id="asg-1", change="ended")
    d2 = declare(client, callers).json()
    body2 = {**body, "declaration_id": d2["id"]}
    assert client.post(url, json=body2, headers=callers.officer()).status_code == 403
    assert client.post(url, json=body2, headers=callers.head()).status_code == 201


def test_impossible_sensor_format_is_a_validation_error(client, callers):
    r = client.post("/conformity/check", json={"sensor_format": "1/0"}, headers=callers.epe())
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.sensor_format"
