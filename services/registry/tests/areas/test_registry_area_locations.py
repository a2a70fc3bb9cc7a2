"""Area coordinates: validated both-or-neither, shown, and carried on the camera events of the
area (risk compares GPS fixes with the gate's location)."""

from devkit.testing.registry import EPE_ID, build_site, outbox, validate_payloads

GATE = {"latitude": 10.7626, "longitude": 106.7432}


def fields(response) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["field"] for e in response.json()["errors"]]


def test_coordinates_are_checked_both_or_neither_and_nothing_is_stored(client, callers):
    build_site(client, callers)
    vendor = callers.epe()
    base = {"code": "G2", "name": "Cổng phụ", "kind": "epe_gate"}

    def post(**coordinates):
        return client.post(f"/epes/{EPE_ID}/areas", json={**base, **coordinates}, headers=vendor)

    assert fields(post(latitude=90.5, longitude=106.7)) == ["body.latitude"]
    assert fields(post(latitude=10.7, longitude=-180.5)) == ["body.longitude"]
    assert fields(post(latitude=10.7)) == ["body.longitude"]
    assert fields(post(longitude=106.7)) == ["body.latitude"]
    areas = client.get(f"/epes/{EPE_ID}/areas", headers=vendor).json()["data"]
    assert "G2" not in [a["code"] for a in areas]
    created = post(**GATE)
    assert created.status_code == 201, created.text
    assert (created.json()["latitude"], created.json()["longitude"]) == (10.7626, 106.7432)


def test_camera_events_carry_the_area_location_and_follow_its_changes(client, callers, app):
    site = build_site(client, callers)
    vendor = callers.epe()
    gate = outbox(app, "registry.camera.added.v1")[0]["data"]
    assert (gate["area_latitude"], gate["area_longitude"]) == (None, None)
    href = f"/epes/{EPE_ID}/areas/{site.gate['id']}"
    r = client.patch(href, json=GATE, headers=vendor)
    assert r.status_code == 200 and r.json()["latitude"] == 10.7626
    [changed] = outbox(app, "registry.camera.changed.v1")
    data = changed["data"]
    assert data["camera_id"] == gate["camera_id"]
    assert (data["area_latitude"], data["area_longitude"]) == (10.7626, 106.7432)
    assert data["changed_fields"] == ["area_latitude", "area_longitude"]
    client.patch(href, json={**GATE, "name": "Cổng 1"}, headers=vendor)  # same place
    assert len(outbox(app, "registry.camera.changed.v1")) == 1
    half = client.patch(href, json={"latitude": None}, headers=vendor)
    assert fields(half) == ["body.latitude"]  # longitude would remain
    cleared = client.patch(href, json={"latitude": None, "longitude": None}, headers=vendor)
    assert cleared.status_code == 200 and cleared.json()["latitude"] is None
    assert outbox(app, "registry.camera.changed.v1")[-1]["data"]["area_latitude"] is None
    assert validate_payloads(app) > 0
