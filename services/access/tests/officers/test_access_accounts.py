"""Officer accounts: a new officer's id is the kit's time-ordered UUIDv7 (existing uuid4 ids
stay valid), and the enrolment code comes once with the account."""

from __future__ import annotations

import uuid


def test_a_new_officer_gets_a_uuid7_id_and_an_enrolment_code(client, flows):
    created = client.post(
        "/users",
        json={"username": "pham.van.moi", "full_name": "Pham Van Moi", "unit": "HQ-KCX-BN"},
        headers=flows.officer_headers("admin"),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert uuid.UUID(body["user"]["id"]).version == 7
    assert body["enrollment_code"] and body["enrollment_expires_at"]
    assert created.headers["Cache-Control"] == "no-store"
