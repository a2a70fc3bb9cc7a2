"""The logbook is append-only: corrections are new entries; the database refuses edits."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from devkit.testing.registry import EPE_ID, build_site


def entry(client, callers, **changes):
    body = {
        "kind": "power_failure",
        "started_at": "2025-03-03T08:00:00+07:00",
        "ended_at": "2025-03-03T09:30:00+07:00",
        "camera_numbers": ["C01", "C02"],
        "positions": "Cổng chính, kho nguyên liệu",
        "description": "Mất điện lưới khu vực",
    }
    body.update(changes)
    return client.post(f"/epes/{EPE_ID}/logbook", json=body, headers=callers.epe())


def test_write_read_filter_and_correct(client, callers):
    build_site(client, callers)
    first = entry(client, callers)
    assert first.status_code == 201, first.text
    assert first.json()["author"] == "vendor-epe-anhduong"
    assert first.json()["recorded_at_local"].endswith("+07:00")
    entry(
        client,
        callers,
        kind="repair",
        camera_numbers=["C03"],
        started_at="2025-03-05T08:00:00+07:00",
        ended_at=None,
        description="Thay camera C03",
    )
    fix = entry(
        client,
        callers,
        corrects=first.json()["id"],
        ended_at="2025-03-03T10:00:00+07:00",
        description="Mất điện lưới khu vực (giờ kết thúc đúng)",
    )
    assert fix.status_code == 201 and fix.json()["corrects"] == first.json()["id"]
    url = f"/epes/{EPE_ID}/logbook"
    listed = client.get(url, headers=callers.officer()).json()["data"]
    assert len(listed) == 3
    assert listed[0]["corrected_by"] == [fix.json()["id"]]
    assert [
        e["kind"]
        for e in client.get(url + "?kind=repair", headers=callers.officer()).json()["data"]
    ] == ["repair"]
    by_cam = client.get(url + "?camera=C03", headers=callers.officer()).json()["data"]
    assert [e["description"] for e in by_cam] == ["Thay camera C03"]
    in_range = client.get(
        url, params={"from": "2025-03-04T00:00:00+07:00"}, headers=callers.officer()
    ).json()["data"]
    assert [e["kind"] for e in in_range] == ["repair"]
    page = client.get(url + "?limit=2", headers=callers.auditor()).json()
    assert len(page["data"]) == 2 and page["next_cursor"]
    one = client.get(f"{url}/{first.json()['id']}", headers=callers.officer()).json()
    assert one["corrected_by"] == [fix.json()["id"]]


def test_validation_and_authorization(client, callers):
    build_site(client, callers)
    assert entry(client, callers, kind="sabotage").status_code == 422
    r = entry(client, callers, ended_at="2025-03-03T07:00:00+07:00")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.ended_at"
    r = entry(client, callers, camera_numbers=["C404"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.camera_numbers"
    r = entry(client, callers, corrects="00000000-0000-0000-0000-000000000000")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.corrects"
    r = entry(client, callers, started_at="2025-03-03T08:00:00")
    assert r.status_code == 422
    url = f"/epes/{EPE_ID}/logbook"
    body = {"kind": "other", "started_at": "2025-03-03T08:00:00+07:00", "description": "x"}
    assert client.post(url, json=body, headers=callers.officer()).status_code == 403
    assert client.post(url, json=body, headers=callers.epe("other")).status_code == 403
    assert client.get(url, headers=callers.officer("CC-OTHER")).status_code == 403


def test_no_edit_or_delete_routes(client, callers):
    build_site(client, callers)
    entry_id = entry(client, callers).json()["id"]
    for method in ("PUT", "PATCH", "DELETE"):
        r = client.request(
            method, f"/epes/{EPE_ID}/logbook/{entry_id}", headers=callers.epe(), json={}
        )
        assert r.status_code == 405


def test_database_refuses_update_and_delete(client, callers, app):
    build_site(client, callers)
    entry(client, callers)
    engine = app.state.engine
    for statement in (
        "UPDATE logbook_entries SET description = 'rewritten'",
        "DELETE FROM logbook_entries",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE logbook_entries"))
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT description FROM logbook_entries")).scalar_one()
            == "Mất điện lưới khu vực"
        )


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_instants_at_the_edges_are_refused_by_name(client, callers, moment):
    build_site(client, callers)
    for field in ("started_at", "ended_at"):
        r = entry(client, callers, **{field: moment})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == f"body.{field}"
    url = f"/epes/{EPE_ID}/logbook"
    r = client.get(url, params={"from": moment}, headers=callers.officer())
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.from"


def test_control_characters_and_unknown_fields_are_refused_by_name(client, callers):
    build_site(client, callers)
    for field, value in (
        ("description", "Mất điện\x00"),
        ("positions", "kho\x1b"),
        ("camera_numbers", ["C01\x00"]),
    ):
        r = entry(client, callers, **{field: value})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"].startswith(f"body.{field}")
    r = entry(client, callers, recorded_at="2025-01-01T00:00:00Z")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.recorded_at"
    assert entry(client, callers, description="dòng 1\r\n\tdòng 2").status_code == 201
