"""EPE routes: registration rules, validation, reads by unit, updates, lists and filters."""

import pytest
from sqlalchemy import update
from sqlmodel import col

from devkit.testing.registry import (
    EPE_ID,
    OTHER_UNIT,
    TAX_CODE,
    UNIT,
    epe_body,
    outbox,
    validate_payloads,
)
from registry.epes.models import Epe


def test_epe_client_registers_itself_and_gets_the_computed_category(client, callers, app):
    r = client.post("/epes", json=epe_body(), headers=callers.epe())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] == EPE_ID
    assert body["tax_code"] == TAX_CODE
    assert body["exemption"]["category"] == "I.1.3.b"
    assert body["exemption"]["exempt"] is False
    assert "2023-05-10" in body["exemption"]["reason"]
    assert body["contacts"][0]["phone"] == "+84912345678"
    [event] = outbox(app, "registry.epe.registered.v1")
    assert event["subject"] == EPE_ID
    assert event["data"]["unit"] == UNIT and event["data"]["exempt"] is False
    assert validate_payloads(app) == 1


def test_exemption_cannot_be_typed_in(client, callers):
    r = client.post("/epes", json=epe_body(exemption_category="I.1.3.a"), headers=callers.epe())
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.exemption_category"


def test_epe_client_cannot_register_another_epe_or_choose_its_unit(client, callers):
    r = client.post("/epes", json=epe_body(id="someone-else"), headers=callers.epe())
    assert r.status_code == 403
    r = client.post("/epes", json=epe_body(unit=OTHER_UNIT), headers=callers.epe())
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.unit"


def test_officer_of_the_unit_registers_officer_of_another_unit_cannot(client, callers):
    assert (
        client.post("/epes", json=epe_body(), headers=callers.officer(OTHER_UNIT)).status_code
        == 403
    )
    r = client.post("/epes", json=epe_body(id="epe-x"), headers=callers.officer())
    assert r.status_code == 201
    assert r.json()["id"] == "epe-x"


def test_customs_system_registers_with_a_generated_id(client, callers):
    r = client.post("/epes", json=epe_body(), headers=callers.system())
    assert r.status_code == 201
    assert len(r.json()["id"]) == 36


def test_auditor_cannot_register(client, callers):
    assert client.post("/epes", json=epe_body(), headers=callers.auditor()).status_code == 403


def test_bad_tax_code_and_phone_name_the_field(client, callers):
    r = client.post("/epes", json=epe_body(tax_code="0100109107"), headers=callers.epe())
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "body.tax_code"
    assert "check digit" in r.json()["errors"][0]["message"]
    r = client.post(
        "/epes", json=epe_body(contacts=[{"name": "A", "phone": "12"}]), headers=callers.epe()
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.contacts.0.phone"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tax_code", "0100000003"),  # all-zero serial, although its check digit is right
        ("phone", "0000000000"),
        ("phone", "0112345678"),  # no such prefix in the Vietnamese numbering plan
        ("phone", "+1 202 555 0100"),  # valid, but not a Vietnamese number
        ("phone", "0912 345 678 ext. 12"),  # an extension has no E.164 form
    ],
)
def test_numbers_no_one_can_hold_are_refused(client, callers, field, value):
    if field == "tax_code":
        body, expected = epe_body(tax_code=value), "body.tax_code"
    else:
        body, expected = epe_body(contacts=[{"name": "A", "phone": value}]), "body.contacts.0.phone"
    r = client.post("/epes", json=body, headers=callers.epe())
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == expected


@pytest.mark.parametrize(
    ("given", "stored"),
    [("024 3825 1234", "+842438251234"), ("84912345678", "+84912345678")],
)
def test_phone_numbers_are_stored_in_e164(client, callers, given, stored):
    body = epe_body(contacts=[{"name": "A", "phone": given}])
    r = client.post("/epes", json=body, headers=callers.epe())
    assert r.status_code == 201, r.text
    assert r.json()["contacts"][0]["phone"] == stored


def test_contacts_stored_before_the_phone_check_are_still_shown(client, callers, app):
    # "+84" is what 0000000000 used to be normalised to; the EPE must stay readable
    assert client.post("/epes", json=epe_body(), headers=callers.epe()).status_code == 201
    legacy = [{"name": "A", "role": None, "phone": "+84", "email": None}]
    with app.state.engine.begin() as conn:
        conn.execute(update(Epe).where(col(Epe.id) == EPE_ID).values(contacts=legacy))
    r = client.get(f"/epes/{EPE_ID}", headers=callers.officer())
    assert r.status_code == 200, r.text
    assert r.json()["contacts"][0]["phone"] == "+84"


def test_duplicate_tax_code_and_id_conflict(client, callers):
    assert client.post("/epes", json=epe_body(), headers=callers.epe()).status_code == 201
    assert client.post("/epes", json=epe_body(), headers=callers.epe()).status_code == 409
    r = client.post("/epes", json=epe_body(tax_code="0100233583"), headers=callers.epe("other"))
    assert r.status_code == 201
    r = client.post("/epes", json=epe_body(id="x2"), headers=callers.system())
    assert r.status_code == 409  # same tax code as the first


def test_reads_are_scoped(client, callers):
    client.post("/epes", json=epe_body(), headers=callers.epe())
    assert client.get(f"/epes/{EPE_ID}", headers=callers.epe()).status_code == 200
    assert client.get(f"/epes/{EPE_ID}", headers=callers.officer()).status_code == 200
    assert client.get(f"/epes/{EPE_ID}", headers=callers.auditor()).status_code == 200
    assert client.get(f"/epes/{EPE_ID}", headers=callers.system()).status_code == 200
    assert client.get(f"/epes/{EPE_ID}", headers=callers.officer(OTHER_UNIT)).status_code == 403
    assert client.get(f"/epes/{EPE_ID}", headers=callers.epe("other")).status_code == 403
    # an EPE client cannot even learn whether another id exists
    assert client.get("/epes/nope", headers=callers.epe("other")).status_code == 403
    assert client.get("/epes/nope", headers=callers.officer()).status_code == 404
    assert client.get(f"/epes/{EPE_ID}").status_code == 401


def test_updates_by_role(client, callers, app):
    client.post("/epes", json=epe_body(), headers=callers.epe())
    r = client.patch(f"/epes/{EPE_ID}", json={"name": "Ánh Dương Mới"}, headers=callers.epe())
    assert r.status_code == 200 and r.json()["name"] == "Ánh Dương Mới"
    # the EPE may not move its own exemption date
    r = client.patch(
        f"/epes/{EPE_ID}", json={"investment_certificate_date": "2019-01-01"}, headers=callers.epe()
    )
    assert r.status_code == 403
    # customs may, and the category follows
    r = client.patch(
        f"/epes/{EPE_ID}",
        json={"investment_certificate_date": "2019-01-01"},
        headers=callers.head(),
    )
    assert r.status_code == 200
    assert r.json()["exemption"]["category"] == "I.1.3.a"
    assert (
        client.patch(
            f"/epes/{EPE_ID}", json={"unit": OTHER_UNIT}, headers=callers.head()
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"/epes/{EPE_ID}", json={"status": "suspended"}, headers=callers.officer(OTHER_UNIT)
        ).status_code
        == 403
    )
    r = client.patch(f"/epes/{EPE_ID}", json={"unit": OTHER_UNIT}, headers=callers.system())
    assert r.status_code == 200 and r.json()["unit"] == OTHER_UNIT
    assert (
        client.patch(f"/epes/{EPE_ID}", json={"name": None}, headers=callers.epe()).status_code
        == 422
    )
    updates = outbox(app, "registry.epe.updated.v1")
    assert [u["data"]["changed_fields"] for u in updates] == [
        ["name"],
        ["exemption", "investment_certificate_date"],
        ["unit"],
    ]
    validate_payloads(app)


def test_list_is_scoped_filtered_and_paginated(client, callers):
    codes = ["0100109106", "0100233583", "0101234565"]
    for i, code in enumerate(codes):
        unit = UNIT if i < 2 else OTHER_UNIT
        date = "2020-01-01" if i == 0 else "2023-01-01"
        r = client.post(
            "/epes",
            json=epe_body(
                id=f"epe-{i}", tax_code=code, unit=unit, investment_certificate_date=date
            ),
            headers=callers.system(),
        )
        assert r.status_code == 201
    ids = lambda r: [e["id"] for e in r.json()["data"]]  # noqa: E731
    assert ids(client.get("/epes", headers=callers.officer())) == ["epe-0", "epe-1"]
    assert ids(client.get("/epes", headers=callers.system())) == ["epe-0", "epe-1", "epe-2"]
    assert ids(client.get("/epes", headers=callers.epe("epe-2"))) == ["epe-2"]
    assert ids(client.get("/epes?exempt=true", headers=callers.system())) == ["epe-0"]
    assert ids(client.get(f"/epes?unit={OTHER_UNIT}", headers=callers.system())) == ["epe-2"]
    assert ids(client.get(f"/epes?unit={OTHER_UNIT}", headers=callers.officer())) == []
    assert ids(
        client.get("/epes?status=active&has_coverage_gaps=false", headers=callers.system())
    ) == ["epe-0", "epe-1", "epe-2"]
    first = client.get("/epes?limit=2", headers=callers.system()).json()
    assert [e["id"] for e in first["data"]] == ["epe-0", "epe-1"]
    second = client.get(
        f"/epes?limit=2&cursor={first['next_cursor']}", headers=callers.system()
    ).json()
    assert [e["id"] for e in second["data"]] == ["epe-2"] and second["next_cursor"] is None
    r = client.get("/epes?cursor=!!notacursor", headers=callers.system())
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.cursor"


def test_control_characters_in_the_url_are_refused_by_name(client, callers):
    build = client.post("/epes", json=epe_body(), headers=callers.officer())
    assert build.status_code == 201, build.text
    for url, field in (
        ("/epes?unit=a%00b", "query.unit"),
        ("/epes/a%00b", "path.epe_id"),
        (f"/epes/{EPE_ID}/logbook?camera=C%1b01", "query.camera"),
    ):
        response = client.get(url, headers=callers.officer())
        assert response.status_code == 422, (url, response.text)
        assert response.json()["errors"][0]["field"] == field
