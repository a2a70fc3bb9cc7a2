"""Heads assign officers of their unit to EPEs of their unit, once, and end it."""

from __future__ import annotations


def test_heads_assign_officers_of_their_unit_to_epes_of_their_unit(client, flows, world):
    head = flows.officer_headers("head")
    officer_id = world.user_id("officer")
    assigned = client.post(
        "/assignments", json={"officer_id": officer_id, "epe_id": "EPE-DEMO-02"}, headers=head
    )
    assert assigned.status_code == 201, assigned.text
    mine = client.get("/assignments/me", headers=flows.officer_headers("officer")).json()["data"]
    assert sorted(a["epe_id"] for a in mine) == ["EPE-DEMO-01", "EPE-DEMO-02"]
    duplicate = client.post(
        "/assignments", json={"officer_id": officer_id, "epe_id": "EPE-DEMO-02"}, headers=head
    )
    assert duplicate.status_code == 409
    other_epe = client.post(
        "/assignments", json={"officer_id": officer_id, "epe_id": "EPE-OTHER-01"}, headers=head
    )
    assert other_epe.status_code == 403
    unknown = client.post(
        "/assignments", json={"officer_id": officer_id, "epe_id": "EPE-NOPE"}, headers=head
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.epe_id"
    other_head = flows.officer_headers("other_head")
    foreign = client.post(
        "/assignments",
        json={"officer_id": officer_id, "epe_id": "EPE-OTHER-01"},
        headers=other_head,
    )
    assert foreign.status_code == 403
    ended = client.post(f"/assignments/{assigned.json()['id']}/end", headers=head)
    assert ended.status_code == 200 and ended.json()["ended_at"]
    assert (
        client.post(f"/assignments/{assigned.json()['id']}/end", headers=other_head).status_code
        == 403
    )
