"""The vault: write-only for EPEs, versioned with check-and-set, revealed once through a
handle by an assigned officer or the unit head after a step-up; master key rotation."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlmodel import select

from access.keys.rewrap import sealed_counts
from access.vault.models import VaultSecretVersion

ENTRY = {
    "label": "NVR kho nguyên liệu",
    "access_method": "vpn",
    "access_url": "https://nvr.example.vn/",
    "account": "customs-view",
    "password": "S3cret-pass-v1",
    "notes": "VPN profile sent by e-mail",
}
SECRET = {k: v for k, v in ENTRY.items() if k != "label"}  # a secret write keeps the label


def outbox_types(world) -> list[str]:
    with world.engine.connect() as conn:
        rows = conn.execute(text("SELECT type FROM event_outbox ORDER BY created_at")).all()
    return [r[0] for r in rows]


def create_entry(client, headers, **overrides):
    response = client.post("/vault/entries", json={**ENTRY, **overrides}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_epe_writes_and_never_reads_back(client, flows, world):
    epe = flows.client_headers("epe_vendor_2")
    entry = create_entry(client, epe)
    assert entry["epe_id"] == "EPE-DEMO-02" and entry["current_version"] == 1
    assert "password" not in json.dumps(entry) and "S3cret" not in json.dumps(entry)
    listed = client.get("/vault/entries", headers=epe).json()["data"]
    assert [e["id"] for e in listed] == [entry["id"]]
    # an EPE client can never obtain a reveal handle, even for its own entry
    refused = client.post(
        f"/vault/entries/{entry['id']}/reveals",
        json={"reason": "I want to read it back"},
        headers=epe,
    )
    assert refused.status_code == 403
    assert outbox_types(world)[-1] == "access.vault_reveal.refused.v1"


def test_other_epe_cannot_see_or_write(client, flows, world):
    entry = create_entry(client, flows.client_headers("epe_vendor_2"))
    other = flows.client_headers("epe_vendor_1")
    assert client.get(f"/vault/entries/{entry['id']}", headers=other).status_code == 403
    write = client.put(
        f"/vault/entries/{entry['id']}/secret",
        json={**SECRET, "cas": 1, "password": "hijack-attempt"},
        headers=other,
    )
    assert write.status_code == 403
    assert (
        client.get("/vault/entries", params={"epe_id": "EPE-DEMO-02"}, headers=other).status_code
        == 403
    )


def test_check_and_set_and_version_retention(client, flows, world):
    epe = flows.client_headers("epe_vendor_2")
    entry = create_entry(client, epe)
    stale = client.put(
        f"/vault/entries/{entry['id']}/secret", json={**SECRET, "cas": 0}, headers=epe
    )
    assert stale.status_code == 409 and stale.json()["current_version"] == 1
    keep = world.runtime.settings.vault_max_versions
    for version in range(1, keep + 2):
        response = client.put(
            f"/vault/entries/{entry['id']}/secret",
            json={**SECRET, "cas": version, "password": f"pass-{version + 1}"},
            headers=epe,
        )
        assert response.status_code == 200, response.text
    body = response.json()
    assert body["current_version"] == keep + 2
    assert body["versions_kept"] == list(range(3, keep + 3))
    with world.session() as session:
        destroyed = session.exec(
            select(VaultSecretVersion)
            .where(VaultSecretVersion.entry_id == entry["id"])
            .where(VaultSecretVersion.version <= 2)
        ).all()
        assert len(destroyed) == 2 and all(
            v.ciphertext is None and v.destroyed_at for v in destroyed
        )
    assert outbox_types(world).count("access.vault_entry.rotated.v1") == keep + 1


def reveal(client, headers, entry_id: str, reason: str = "checking the gate camera after an alert"):
    return client.post(
        f"/vault/entries/{entry_id}/reveals", json={"reason": reason}, headers=headers
    )


def test_reveal_needs_assignment_reason_and_step_up_and_opens_once(client, flows, world):
    entry = create_entry(client, flows.client_headers("epe_vendor_1"))
    officer = flows.officer_headers("officer")
    no_reason = client.post(
        f"/vault/entries/{entry['id']}/reveals", json={"reason": "x"}, headers=officer
    )
    assert no_reason.status_code == 422
    # the sign-in's TOTP counts as a second-factor check only for the step-up window
    tokens = flows.officer_tokens("officer")
    flows.clock.advance(world.runtime.settings.step_up_window + 1)
    refreshed = client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "camwatch-spa",
        },
    )
    officer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    stale = reveal(client, officer, entry["id"])
    assert stale.status_code == 403 and stale.json()["type"].endswith("/step-up-required")
    flows.step_up("officer", officer)
    issued = reveal(client, officer, entry["id"])
    assert issued.status_code == 201, issued.text
    handle = issued.json()["handle"]
    opened = client.post("/vault/reveals/open", json={"handle": handle}, headers=officer)
    assert opened.status_code == 200
    assert (
        opened.json()["password"] == ENTRY["password"]
        and opened.json()["account"] == ENTRY["account"]
    )
    assert opened.headers["cache-control"] == "no-store"
    twice = client.post("/vault/reveals/open", json={"handle": handle}, headers=officer)
    assert twice.status_code == 410
    types = outbox_types(world)
    assert "access.vault_entry.revealed.v1" in types
    assert types[-1] == "access.vault_reveal.refused.v1"
    records = client.get(
        "/audit/records",
        params={"target": f"vault:{entry['id']}"},
        headers=flows.officer_headers("auditor"),
    ).json()["data"]
    assert [r["action"] for r in records if r["action"].startswith("vault.reve")][-3:] == [
        "vault.reveal_granted",
        "vault.revealed",
        "vault.reveal_refused",
    ]


def test_reveal_refused_for_unassigned_and_other_unit_and_other_officer(client, flows, world):
    entry = create_entry(client, flows.client_headers("epe_vendor_2"))  # officer not assigned to 02
    officer = flows.officer_headers("officer")
    flows.step_up("officer", officer)
    assert reveal(client, officer, entry["id"]).status_code == 403
    other_head = flows.officer_headers("other_head")
    flows.step_up("other_head", other_head)
    assert reveal(client, other_head, entry["id"]).status_code == 403
    # the unit head may reveal without an assignment
    head = flows.officer_headers("head")
    flows.step_up("head", head)
    issued = reveal(client, head, entry["id"])
    assert issued.status_code == 201
    # someone else cannot open the head's handle
    stolen = client.post(
        "/vault/reveals/open", json={"handle": issued.json()["handle"]}, headers=officer
    )
    assert stolen.status_code == 403
    # and a late opening fails
    flows.clock.advance(world.runtime.settings.reveal_handle_ttl + 1)
    late = client.post(
        "/vault/reveals/open", json={"handle": issued.json()["handle"]}, headers=head
    )
    assert late.status_code in (401, 410)
    assert outbox_types(world).count("access.vault_reveal.refused.v1") >= 3


def test_master_key_rotation_keeps_secrets_readable(client, flows, world):
    epe = flows.client_headers("epe_vendor_1")
    entry = create_entry(client, epe)
    it = flows.officer_headers("it_operator")
    before = client.get("/vault/master-key", headers=it).json()
    assert before["current_version"] == 1 and before["rotatable"] is True
    rotated = client.post("/vault/master-key/rotate", headers=it)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["current_version"] == 2 and rotated.json()["rewrapped"] >= 1
    status = client.get("/vault/master-key", headers=it).json()
    assert status["sealed_by_version"] == {"2": sum(status["sealed_by_version"].values())}
    # retire version 1 entirely: what is stored must still open
    provider = world.runtime.envelope.provider
    provider.set_min_decryption_version(2)
    assert provider.versions() == [2]
    with world.session() as session:
        assert set(sealed_counts(session)) == {2}
    head = flows.officer_headers("head")  # TOTP secrets were re-wrapped too
    flows.step_up("head", head)
    handle = reveal(client, head, entry["id"]).json()["handle"]
    opened = client.post("/vault/reveals/open", json={"handle": handle}, headers=head)
    assert opened.status_code == 200 and opened.json()["password"] == ENTRY["password"]
    assert "access.master_key.rotated.v1" in outbox_types(world)
    assert flows.client_token("customs_system")  # signing keys were re-wrapped as well
