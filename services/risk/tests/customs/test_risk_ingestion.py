"""Customs data ingestion: idempotent resends, amendments that supersede, per-record errors."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from devkit.testing.http import assert_problem
from risk.customs.models import CustomsRecord, RecordRef


def declaration(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": "305123456789",
        "version": 1,
        "flow": "export",
        "type_code": "E52",
        "epe_tax_code": "0301234567",
        "channel": "green",
        "registered_at": "2025-01-20T08:00:00+07:00",
        "cleared_at": "2025-01-20T08:30:00+07:00",
        "container_numbers": ["CSQU 305438 3"],
        "plates": ["51c 12345"],
        "goods": [
            {"hs_code": "85423900", "description": "Vi mạch", "quantity": 1200, "unit": "PCE"}
        ],
    }
    body.update(changes)
    return body


def records(app: FastAPI) -> list[CustomsRecord]:
    with Session(app.state.engine) as session:
        query = select(CustomsRecord).order_by(col(CustomsRecord.kind), col(CustomsRecord.version))
        return list(session.exec(query))


def refs(app: FastAPI) -> list[RecordRef]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(RecordRef)))


def test_a_declaration_is_stored_normalised_with_its_source(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    response = client.post("/customs/declarations", json=declaration(), headers=customs_headers)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["outcome"] == "created"
    assert result["current"] is True
    [row] = records(app)
    assert row.data["container_numbers"] == ["CSQU3054383"]
    assert row.data["plates"] == ["51C-123.45"]
    assert row.source == "vnaccs"
    assert row.received_at.isoformat() == "2025-01-20T02:00:00+00:00"
    assert row.occurred_at.isoformat() == "2025-01-20T01:00:00+00:00"
    assert {(r.container_number, r.plate) for r in refs(app)} == {
        ("CSQU3054383", None),
        (None, "51C-123.45"),
    }


def test_a_resend_changes_nothing(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    first = client.post("/customs/declarations", json=declaration(), headers=customs_headers)
    # the same record, written differently (spacing, offset): still the same record
    again = declaration(container_numbers=["CSQU3054383"], plates=["51C-123.45"])
    again["registered_at"] = "2025-01-20T01:00:00Z"
    second = client.post("/customs/declarations", json=again, headers=customs_headers)
    assert second.status_code == 200, second.text
    assert second.json()["outcome"] == "unchanged"
    assert second.json()["id"] == first.json()["id"]
    assert len(records(app)) == 1
    assert len(refs(app)) == 2


def test_an_amendment_supersedes_and_the_original_is_kept(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    client.post("/customs/declarations", json=declaration(), headers=customs_headers)
    amended = declaration(version=2, channel="yellow", container_numbers=["MSKU1234565"])
    response = client.post("/customs/declarations", json=amended, headers=customs_headers)
    assert response.status_code == 201, response.text
    v1, v2 = records(app)
    assert (v1.version, v1.data["channel"], v1.data["container_numbers"]) == (
        1,
        "green",
        ["CSQU3054383"],
    )
    assert v1.superseded_by == v2.id
    assert v2.superseded_by is None


def test_an_older_version_arriving_late_is_stored_superseded(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    client.post("/customs/declarations", json=declaration(version=2), headers=customs_headers)
    late = client.post("/customs/declarations", json=declaration(), headers=customs_headers)
    assert late.status_code == 201
    assert late.json()["current"] is False
    v1, v2 = records(app)
    assert v1.superseded_by == v2.id
    assert v2.superseded_by is None


def test_the_same_version_with_other_content_is_refused(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    client.post("/customs/declarations", json=declaration(), headers=customs_headers)
    edited = declaration(channel="red")
    problem = assert_problem(
        client.post("/customs/declarations", json=edited, headers=customs_headers), 409
    )
    assert "next version" in problem["detail"]
    [row] = records(app)
    assert row.data["channel"] == "green"


def test_containers_and_plates_follow_the_kit_rules(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    bad = declaration(container_numbers=["CSQU3054384"], plates=["13A-123.45"])
    problem = assert_problem(
        client.post("/customs/declarations", json=bad, headers=customs_headers), 422
    )
    fields = {e["field"]: e["message"] for e in problem["errors"]}
    assert fields["body.container_numbers.0"] == "check digit is wrong (expected 3)"
    assert fields["body.plates.0"] == "13 is not a province code used on plates"
    assert records(app) == []


def test_unknown_fields_are_refused(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    body = declaration(officer_note="hand-written")
    problem = assert_problem(
        client.post("/customs/declarations", json=body, headers=customs_headers), 422
    )
    assert problem["errors"][0]["field"] == "body.officer_note"


def test_a_batch_keeps_the_good_records_and_names_the_bad_ones(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    client.post("/customs/declarations", json=declaration(), headers=customs_headers)
    batch = [
        declaration(),  # a resend
        declaration(number="305123456790", container_numbers=["CSQU3054384"]),
        declaration(number="305123456791"),
        declaration(channel="red"),  # version 1 again, other content
        declaration(number="305123456792", registered_at="2025-01-20T09:00:00"),
        declaration(number="305123456791"),  # twice in the batch
    ]
    response = client.post(
        "/customs/declarations/batch", json={"records": batch}, headers=customs_headers
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["unchanged"], result["rejected"]) == (1, 2, 3)
    items = result["items"]
    assert [i["outcome"] for i in items] == [
        "unchanged",
        "rejected",
        "created",
        "rejected",
        "rejected",
        "unchanged",
    ]
    assert items[1]["errors"] == [
        {"field": "container_numbers.0", "message": "check digit is wrong (expected 3)"}
    ]
    assert items[3]["errors"][0]["field"] == "version"
    assert items[4]["errors"][0]["field"] == "registered_at"
    assert items[5]["id"] == items[2]["id"]
    assert sorted(r.number for r in records(app)) == ["305123456789", "305123456791"]


def test_a_batch_refused_as_a_whole_stores_nothing(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    body = {"records": [declaration()], "source": "spoofed"}
    problem = assert_problem(
        client.post("/customs/declarations/batch", json=body, headers=customs_headers), 422
    )
    assert problem["errors"][0]["field"] == "body.source"
    assert records(app) == []


def test_releases_notes_manifests_and_gps_fixes_are_ingested(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    posts = {
        "/customs/releases": {
            "number": "GP-2025/0001",
            "declaration_number": "305123456789",
            "epe_tax_code": "0301234567",
            "place": "Cảng Cát Lái",
            "released_at": "2025-01-20T10:00:00+07:00",
            "container_numbers": ["CSQU3054383"],
        },
        "/customs/goods-notes": {
            "number": "PXK-0001",
            "note_kind": "delivery",
            "declaration_number": "305123456789",
            "epe_tax_code": "0301234567",
            "noted_at": "2025-01-20T09:00:00+07:00",
            "plates": ["51C-123.45"],
        },
        "/customs/manifests": {
            "number": "MF-HCM-0001",
            "transport": "MAERSK KOLKATA 2503W",
            "expected_at": "2025-01-21T06:00:00+07:00",
            "container_numbers": ["CSQU3054383", "MSKU1234565"],
        },
        "/customs/gps-fixes": {
            "plate": "51C-123.45",
            "at": "2025-01-20T09:40:00+07:00",
            "latitude": 10.7626,
            "longitude": 106.7432,
            "speed_kmh": 32.5,
        },
    }
    for path, body in posts.items():
        response = client.post(path, json=body, headers=customs_headers)
        assert response.status_code == 201, (path, response.text)
        again = client.post(path, json=body, headers=customs_headers)
        assert again.json()["outcome"] == "unchanged", path
    kinds = {(r.kind, r.number) for r in records(app)}
    assert kinds == {
        ("release", "GP-2025/0001"),
        ("goods_note", "PXK-0001"),
        ("manifest", "MF-HCM-0001"),
        ("gps_fix", "51C-123.45@2025-01-20T02:40:00+00:00"),
    }
    moved = {**posts["/customs/gps-fixes"], "latitude": 21.0}
    assert_problem(client.post("/customs/gps-fixes", json=moved, headers=customs_headers), 409)


def test_a_gps_track_in_bulk(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    track = [
        {
            "plate": "51C-123.45",
            "at": f"2025-01-20T09:{m:02d}:00+07:00",
            "latitude": 10.76,
            "longitude": 106.74 + m / 1000,
        }
        for m in range(0, 60, 5)
    ]
    track.append(
        {
            "plate": "51C-123.45",
            "at": "2025-01-20T10:00:00+07:00",
            "latitude": 91,
            "longitude": 106.8,
        }
    )
    response = client.post(
        "/customs/gps-fixes/batch", json={"records": track}, headers=customs_headers
    )
    result = response.json()
    assert (result["created"], result["rejected"]) == (12, 1)
    assert result["items"][12]["errors"][0]["field"] == "latitude"


def test_only_customs_systems_send_customs_data(
    client: TestClient,
    app: FastAPI,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
) -> None:
    for headers in (epe_headers, officer_headers):
        assert_problem(
            client.post("/customs/declarations", json=declaration(), headers=headers), 403
        )
        batch = {"records": [declaration()]}
        assert_problem(client.post("/customs/declarations/batch", json=batch, headers=headers), 403)
    assert_problem(client.post("/customs/declarations", json=declaration()), 401)
    assert records(app) == []


def test_a_batch_of_thousands_larger_than_the_default_body_limit(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    long = "Linh kiện điện tử " * 25
    goods = [{"hs_code": "85423900", "description": long, "quantity": 1, "unit": "PCE"}]
    batch = [declaration(number=f"30500000{i:04d}", goods=goods) for i in range(2000)]
    body = json.dumps({"records": batch})
    assert len(body.encode()) > 1024 * 1024  # beyond the default limit of other routes
    response = client.post(
        "/customs/declarations/batch",
        content=body,
        headers={**customs_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text[:500]
    assert response.json()["created"] == 2000
    too_many = {"records": [{}] * 5001}
    problem = assert_problem(
        client.post("/customs/declarations/batch", json=too_many, headers=customs_headers), 422
    )
    assert problem["errors"][0]["field"] == "body.records"


def test_a_batch_supersedes_as_the_records_one_by_one_would(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    client.post("/customs/declarations", json=declaration(), headers=customs_headers)
    batch = [declaration(version=3, channel="red"), declaration(version=2, channel="yellow")]
    response = client.post(
        "/customs/declarations/batch", json={"records": batch}, headers=customs_headers
    )
    assert response.json()["created"] == 2, response.text
    latest = response.json()["items"][0]["id"]
    stored = {r.version: r.superseded_by for r in records(app)}
    assert stored == {1: latest, 2: latest, 3: None}
    assert len(refs(app)) == 6  # a container and a plate per version


def test_concurrent_batches_are_all_stored(
    client: TestClient, app: FastAPI, customs_headers: dict[str, str]
) -> None:
    def send(part: int) -> int:
        batch = [declaration(number=f"3060{part:02d}{i:06d}") for i in range(300)]
        answer = client.post(
            "/customs/declarations/batch", json={"records": batch}, headers=customs_headers
        )
        assert answer.json()["created"] == 300, answer.text
        return answer.status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(send, range(8))) == [200] * 8
    assert len(records(app)) == 2400
