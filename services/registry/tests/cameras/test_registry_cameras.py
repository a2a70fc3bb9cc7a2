"""Areas and cameras: consistency rules, derived online requirement, URLs without credentials,
the coverage check and its found/closed events."""

import pytest

from devkit.testing.registry import EPE_ID, GOOD_SPECS, build_site, outbox, validate_payloads


def test_site_builds_and_cameras_derive_must_be_online(client, callers, app):
    site = build_site(client, callers)
    for camera in site.cameras.values():
        assert camera["must_be_online"] is True
        assert camera["must_be_online_reason"].startswith("I.1.2.a")
        assert camera["state"] == "unknown"
    added = outbox(app, "registry.camera.added.v1")
    assert [e["data"]["camera_number"] for e in added] == ["C01", "C02", "C03"]
    gate = added[0]["data"]
    assert gate["unit"] == "CC-KCX-TANTHUAN" and gate["position_kind"] == "epe_gate"
    assert gate["area_code"] == "G1" and gate["reads_plates"] is True
    assert validate_payloads(app) > 0


def test_other_tax_free_goods_gate_need_not_be_online(client, callers):
    build_site(client, callers)
    vendor = callers.epe()
    store = client.post(
        f"/epes/{EPE_ID}/areas",
        json={
            "code": "K9",
            "name": "Kho khác",
            "kind": "storage_area",
            "storage_kind": "other_tax_free",
        },
        headers=vendor,
    ).json()
    gate = client.post(
        f"/epes/{EPE_ID}/areas",
        json={
            "code": "K9-C",
            "name": "Cửa",
            "kind": "storage_area_gate",
            "parent_area_id": store["id"],
        },
        headers=vendor,
    ).json()
    cam = client.post(
        f"/epes/{EPE_ID}/cameras",
        json={"number": "C90", "position_kind": "storage_area_gate", "area_id": gate["id"]},
        headers=vendor,
    ).json()
    assert cam["must_be_online"] is False
    assert "I.1.2.b" in cam["must_be_online_reason"]
    inside = client.post(
        f"/epes/{EPE_ID}/cameras",
        json={"number": "C91", "position_kind": "inside_storage_area", "area_id": store["id"]},
        headers=vendor,
    ).json()
    assert inside["must_be_online"] is True
    other = client.post(
        f"/epes/{EPE_ID}/cameras", json={"number": "C99", "position_kind": "other"}, headers=vendor
    ).json()
    assert other["must_be_online"] is False


def test_position_must_match_the_area(client, callers):
    site = build_site(client, callers)
    r = client.post(
        f"/epes/{EPE_ID}/cameras",
        json={"number": "C10", "position_kind": "epe_gate", "area_id": site.store["id"]},
        headers=callers.epe(),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.position_kind"
    r = client.post(
        f"/epes/{EPE_ID}/cameras",
        json={"number": "C10", "position_kind": "epe_gate"},
        headers=callers.epe(),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.area_id"


def test_area_rules(client, callers):
    build_site(client, callers)
    vendor = callers.epe()
    post = lambda body: client.post(f"/epes/{EPE_ID}/areas", json=body, headers=vendor)  # noqa: E731
    assert (
        post({"code": "X", "name": "x", "kind": "storage_area"}).json()["errors"][0]["field"]
        == "body.storage_kind"
    )
    assert (
        post({"code": "X", "name": "x", "kind": "storage_area_gate"}).json()["errors"][0]["field"]
        == "body.parent_area_id"
    )
    assert post({"code": "G1", "name": "dup", "kind": "epe_gate"}).status_code == 409
    assert (
        post({"code": "X", "name": "x", "kind": "epe_gate", "storage_kind": "scrap"}).status_code
        == 422
    )


def test_duplicate_number_conflicts_and_reuse_after_removal(client, callers, app):
    site = build_site(client, callers)
    body = {"number": "C01", "position_kind": "epe_gate", "area_id": site.gate["id"]}
    assert (
        client.post(f"/epes/{EPE_ID}/cameras", json=body, headers=callers.epe()).status_code == 409
    )
    cam = site.cameras["C01"]
    assert (
        client.delete(f"/epes/{EPE_ID}/cameras/{cam['id']}", headers=callers.epe()).status_code
        == 204
    )
    assert (
        client.get(f"/epes/{EPE_ID}/cameras/{cam['id']}", headers=callers.officer()).status_code
        == 404
    )
    assert (
        client.post(f"/epes/{EPE_ID}/cameras", json=body, headers=callers.epe()).status_code == 201
    )
    [removed] = outbox(app, "registry.camera.removed.v1")
    assert removed["data"]["camera_number"] == "C01" and removed["data"]["must_be_online"] is True


def test_credentials_in_urls_are_refused_without_echo(client, callers):
    site = build_site(client, callers)
    for field, url in [
        ("stream_url", "rtsp://admin:S3cretPw@10.0.0.5:554/live"),
        ("stream_url", "rtsp://admin@10.0.0.5/live"),
        ("onvif_url", "http://10.0.0.5/onvif/device_service?password=S3cretPw"),
        ("stream_url", "ftp://10.0.0.5/x"),
    ]:
        r = client.post(
            f"/epes/{EPE_ID}/cameras",
            json={
                "number": "C20",
                "position_kind": "epe_gate",
                "area_id": site.gate["id"],
                field: url,
            },
            headers=callers.epe(),
        )
        assert r.status_code == 422, url
        assert r.json()["errors"][0]["field"] == f"body.{field}"
        assert "S3cretPw" not in r.text


def test_only_the_epe_or_customs_system_manage_cameras(client, callers):
    site = build_site(client, callers)
    body = {"number": "C30", "position_kind": "epe_gate", "area_id": site.gate["id"]}
    url = f"/epes/{EPE_ID}/cameras"
    assert client.post(url, json=body, headers=callers.officer()).status_code == 403
    assert client.post(url, json=body, headers=callers.head()).status_code == 403
    assert client.post(url, json=body, headers=callers.epe("other")).status_code == 403
    assert client.post(url, json=body, headers=callers.system()).status_code == 201
    assert client.get(url, headers=callers.officer()).status_code == 200
    assert client.get(url, headers=callers.officer("CC-OTHER")).status_code == 403


def test_update_camera_records_changed_fields(client, callers, app):
    site = build_site(client, callers)
    cam = site.cameras["C03"]
    r = client.patch(
        f"/epes/{EPE_ID}/cameras/{cam['id']}",
        json={"vendor": "Dahua", "specs": {**GOOD_SPECS, "frame_rate_fps": 25}},
        headers=callers.epe(),
    )
    assert r.status_code == 200 and r.json()["vendor"] == "Dahua"
    [changed] = outbox(app, "registry.camera.changed.v1")
    assert changed["data"]["changed_fields"] == ["specs", "vendor"]
    # no change, no event
    client.patch(
        f"/epes/{EPE_ID}/cameras/{cam['id']}", json={"vendor": "Dahua"}, headers=callers.epe()
    )
    assert len(outbox(app, "registry.camera.changed.v1")) == 1


def test_cameras_list_paginates(client, callers):
    build_site(client, callers)
    first = client.get(f"/epes/{EPE_ID}/cameras?limit=2", headers=callers.officer()).json()
    assert len(first["data"]) == 2 and first["next_cursor"]
    rest = client.get(
        f"/epes/{EPE_ID}/cameras?limit=2&cursor={first['next_cursor']}", headers=callers.officer()
    ).json()
    assert len(rest["data"]) == 1 and rest["next_cursor"] is None
    gates = client.get(
        f"/epes/{EPE_ID}/cameras?position_kind=epe_gate", headers=callers.officer()
    ).json()
    assert [c["number"] for c in gates["data"]] == ["C01"]


def test_areas_list_paginates_in_code_order(client, callers):
    build_site(client, callers)
    officer = callers.officer()
    first = client.get(f"/epes/{EPE_ID}/areas?limit=2", headers=officer).json()
    assert [a["code"] for a in first["data"]] == ["G1", "K1"] and first["next_cursor"]
    rest = client.get(
        f"/epes/{EPE_ID}/areas",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=officer,
    ).json()
    assert [a["code"] for a in rest["data"]] == ["K1-C"] and rest["next_cursor"] is None
    whole = client.get(f"/epes/{EPE_ID}/areas", headers=officer).json()
    assert [a["code"] for a in whole["data"]] == ["G1", "K1", "K1-C"]
    assert whole["next_cursor"] is None
    # a removed area leaves the list; a tampered cursor is a 422 naming it
    extra = client.post(
        f"/epes/{EPE_ID}/areas",
        json={"code": "A0", "name": "Xưởng", "kind": "other"},
        headers=callers.epe(),
    ).json()
    assert (
        client.delete(f"/epes/{EPE_ID}/areas/{extra['id']}", headers=callers.epe()).status_code
        == 204
    )
    again = client.get(f"/epes/{EPE_ID}/areas", headers=officer).json()
    assert [a["code"] for a in again["data"]] == ["G1", "K1", "K1-C"]
    for bad in ("%%%", "WzFd"):  # not base64 JSON; a key of the wrong type ([1])
        r = client.get(f"/epes/{EPE_ID}/areas", params={"cursor": bad}, headers=officer)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.cursor", r.text
    assert client.get(f"/epes/{EPE_ID}/areas?limit=0", headers=officer).status_code == 422
    assert client.get(f"/epes/{EPE_ID}/areas", headers=callers.officer("CC-X")).status_code == 403


def gaps(client, callers):
    report = client.get(f"/epes/{EPE_ID}/coverage", headers=callers.officer()).json()
    return sorted((g["kind"], g["area_code"], g["camera_number"]) for g in report["gaps"])


def test_coverage_gaps(client, callers, app):
    site = build_site(client, callers)
    # nothing is online yet: every gate and storage area lacks an online camera
    assert gaps(client, callers) == [
        ("no_online_camera", "G1", None),
        ("no_online_camera", "K1", None),
        ("no_online_camera", "K1-C", None),
    ]
    vendor = callers.epe()
    cam = site.cameras["C01"]
    client.patch(
        f"/epes/{EPE_ID}/cameras/{cam['id']}",
        json={"capabilities": {"reads_plates": True, "reads_container_numbers": False}},
        headers=vendor,
    )
    client.patch(
        f"/epes/{EPE_ID}/cameras/{site.cameras['C02']['id']}",
        json={"capabilities": {"covers_whole_area": False}},
        headers=vendor,
    )
    assert ("gate_camera_cannot_read_container_numbers", "G1", "C01") in gaps(client, callers)
    assert ("area_not_fully_covered", "K1", None) in gaps(client, callers)
    # the area-level declaration closes the coverage gap
    client.patch(
        f"/epes/{EPE_ID}/areas/{site.store['id']}",
        json={"declared_fully_covered": True},
        headers=vendor,
    )
    assert ("area_not_fully_covered", "K1", None) not in gaps(client, callers)
    found = [e["data"]["kind"] for e in outbox(app, "registry.coverage_gap.found.v1")]
    closed = [e["data"]["kind"] for e in outbox(app, "registry.coverage_gap.closed.v1")]
    # while the site was built, K1 lacked coverage until C02 (covering it) was added
    assert sorted(found) == sorted(
        ["no_online_camera"] * 3
        + ["area_not_fully_covered"] * 2
        + ["gate_camera_cannot_read_container_numbers"]
    )
    assert closed == ["area_not_fully_covered"] * 2
    epes = client.get("/epes?has_coverage_gaps=true", headers=callers.officer()).json()["data"]
    assert [e["id"] for e in epes] == [EPE_ID] and epes[0]["open_coverage_gaps"] == 4
    validate_payloads(app)


def test_area_with_cameras_cannot_be_removed(client, callers):
    site = build_site(client, callers)
    r = client.delete(f"/epes/{EPE_ID}/areas/{site.gate['id']}", headers=callers.epe())
    assert r.status_code == 409


def add(client, callers, site, number, **fields):
    body = {"number": number, "position_kind": "epe_gate", "area_id": site.gate["id"], **fields}
    return client.post(f"/epes/{EPE_ID}/cameras", json=body, headers=callers.epe())


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        (
            {"onvif_url": "http://169.254.169.254/onvif/device_service"},
            "body.onvif_url",
            "169.254.169.254 is in denied network 169.254.0.0/16",
        ),
        ({"stream_url": "rtsp://[::1]/live"}, "body.stream_url", "::1 is in denied network"),
        (
            {"stream_url": "rtsp://203.0.113.10:5432/live"},
            "body.stream_url",
            "port 5432 is not an allowed probe port",
        ),
        # a name is resolved when saved: localhost needs no DNS server
        ({"onvif_url": "http://localhost/onvif"}, "body.onvif_url", "the name localhost"),
        # the ONVIF URL is the one probed; a refused stream URL beside it is not
        (
            {"onvif_url": "http://10.0.0.5/onvif", "stream_url": "rtsp://127.0.0.1/live"},
            None,
            None,
        ),
    ],
)
def test_a_probed_url_is_checked_against_the_probe_policy_when_saved(
    client, callers, fields, field, reason
):
    site = build_site(client, callers)
    r = add(client, callers, site, "C40", probe_enabled=True, **fields)
    if field is None:
        assert r.status_code == 201, r.text
        return
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == field and reason in error["message"]
    # not probed: customs never connects to it, so it is stored as declared
    r = add(client, callers, site, "C40", **fields)
    assert r.status_code == 201, r.text
    # enabling the probe later checks the stored URL and names the switch
    r = client.patch(
        f"/epes/{EPE_ID}/cameras/{r.json()['id']}",
        json={"probe_enabled": True},
        headers=callers.epe(),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.probe_enabled"
    assert reason in r.json()["errors"][0]["message"]


def test_a_name_that_does_not_resolve_when_saved_is_accepted(client, callers):
    # a closed network may not resolve an EPE's names from the registry: the prober checks
    # every probe again, and a refusal shows as the camera's own state
    site = build_site(client, callers)
    r = add(client, callers, site, "C41", probe_enabled=True, onvif_url="http://cam.invalid/onvif")
    assert r.status_code == 201, r.text
